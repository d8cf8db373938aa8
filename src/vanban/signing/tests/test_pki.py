"""Signing identities: PKCS#12 import and its refusals, permissions, revocation, trust roots, the
demo PKI (idempotent) and a PDF signed and validated against it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from vanban.audit.models import Entry
from vanban.signing import crypto, images, pki, services
from vanban.signing.models import Authority, SigningIdentity, TrustedCertificate

from .test_pki_helpers import expired_signer, p12, sign, validate

PASSWORD = "p12-S3cret-pass"


@pytest.fixture(scope="module")
def hierarchy():
    """A foreign CA (not ours): a root, an issuing CA and certificates matching the province's
    people (full names as build_province makes them)."""
    root = pki.make_root("Test Root")
    ca = pki.make_issuing_ca(root, "Test CA")
    leader = pki.issue_signer(ca, "LANHDAO A")  # capitals, as CAs often write names
    seal = pki.issue_signer(ca, "Sở TT&TT", identifier="000.00.12.H58")
    return {
        "root": root,
        "ca": ca,
        "leader": leader,
        "seal": seal,
        "expired": expired_signer(ca, "Lanhdao A", key=leader.key),
        "stranger": pki.issue_signer(ca, "Nguyen Van Khac", key=leader.key),
    }


def _count():
    return SigningIdentity.objects.count()


def test_import_good_pkcs12_stores_encrypted_key_and_never_the_password(province, hierarchy):
    h = hierarchy
    data = p12(h["leader"], [h["ca"], h["root"]], PASSWORD)
    identity = services.import_pkcs12(
        province.admin_a, owner_person=province.leader_a, data=data, password=PASSWORD, image=None
    )
    identity.refresh_from_db()
    assert identity.kind == SigningIdentity.Kind.FILE
    assert identity.fingerprint == crypto.fingerprint(h["leader"].certificate)
    assert identity.serial_number == format(h["leader"].certificate.serial_number, "x")
    assert "ENCRYPTED PRIVATE KEY" in identity.private_key_pem
    # The chain is ordered nearest issuer first.
    chain = crypto.certs_from_pem(identity.chain_pem)
    assert chain == [h["ca"].certificate, h["root"].certificate]
    # The password appears nowhere: not in the row, not in the audit log.
    row = SigningIdentity.objects.filter(pk=identity.pk).values().get()
    assert not any(PASSWORD in str(v) for v in row.values())
    assert not any(PASSWORD in e.payload for e in Entry.objects.all())
    assert Entry.objects.filter(action="signing.add_identity").exists()
    assert services.identity_of_person(province.leader_a) == identity
    assert services.may_sign_with(province.leader_a, identity)
    assert not services.may_sign_with(province.clerk_a, identity)
    # The key in the store signs: a PDF signed with it is intact and chains to the trusted root.
    pdf = sign(services.signer_for(identity))
    status = validate(pdf, services.validation_context(extra_roots=[h["root"].certificate], fetch=False))
    assert status.intact and status.valid and status.trusted


def test_import_seal_by_identifier_code_gets_a_generated_seal_image(province, hierarchy):
    h = hierarchy
    identity = services.import_pkcs12(
        province.admin_a, owner_agency=province.a, data=p12(h["seal"], [h["ca"]], ""), password=""
    )
    assert identity.is_seal
    assert bytes(identity.image).startswith(b"\x89PNG")
    assert identity.image_width_mm == services.SEAL_WIDTH_MM
    assert services.seal_of_agency(province.a) == identity
    assert services.may_sign_with(province.clerk_a, identity)
    assert not services.may_sign_with(province.leader_a, identity)  # the seal is the clerks'
    assert not services.may_sign_with(province.clerk_b, identity)


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("wrong_password", "password"),
        ("not_pkcs12", "file"),
        ("expired", "certificate"),
        ("other_person", "certificate"),
        ("ca_certificate", "certificate"),
    ],
)
def test_import_refusals_store_nothing(province, hierarchy, case, field):
    h = hierarchy
    data = {
        "wrong_password": lambda: p12(h["leader"], [h["ca"]], PASSWORD),
        "not_pkcs12": lambda: b"%PDF-1.7\n" + b"x" * 200,
        "expired": lambda: p12(h["expired"], [h["ca"]], PASSWORD),
        "other_person": lambda: p12(h["stranger"], [h["ca"]], PASSWORD),
        "ca_certificate": lambda: p12(h["ca"], [h["root"]], PASSWORD),
    }[case]()
    password = "wrong" if case == "wrong_password" else PASSWORD
    entries = Entry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.import_pkcs12(province.admin_a, owner_person=province.leader_a, data=data, password=password)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert _count() == 0
    assert Entry.objects.count() == entries


def test_import_refuses_a_certificate_already_registered_and_a_bad_image(province, hierarchy):
    h = hierarchy
    data = p12(h["leader"], [h["ca"]], PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.import_pkcs12(
            province.admin_a, owner_person=province.leader_a, data=data, password=PASSWORD, image=b"GIF89a..."
        )
    assert "image" in exc.value.message_dict
    services.import_pkcs12(province.admin_a, owner_person=province.leader_a, data=data, password=PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.import_pkcs12(province.admin_a, owner_person=province.leader_a, data=data, password=PASSWORD)
    assert "certificate" in exc.value.message_dict
    assert _count() == 1


def test_only_admins_of_the_owner_import(province, hierarchy):
    h = hierarchy
    data = p12(h["leader"], [h["ca"]], PASSWORD)
    for actor in (province.clerk_a, province.leader_a):
        with pytest.raises(PermissionDenied):
            services.import_pkcs12(actor, owner_person=province.leader_a, data=data, password=PASSWORD)
    # An agency's administrator manages its own people and seal only.
    with pytest.raises(PermissionDenied):
        services.import_pkcs12(province.admin_a, owner_agency=province.b, data=data, password=PASSWORD)
    with pytest.raises(ValidationError):
        services.import_pkcs12(
            province.admin_a, owner_person=province.leader_a, owner_agency=province.a, data=data, password=PASSWORD
        )
    assert _count() == 0
    services.import_pkcs12(province.superuser, owner_person=province.leader_a, data=data, password=PASSWORD)
    assert _count() == 1


def test_revoke_by_admins_only_and_a_revoked_identity_no_longer_signs(province, hierarchy):
    h = hierarchy
    identity = services.import_pkcs12(
        province.admin_a,
        owner_person=province.leader_a,
        data=p12(h["leader"], [h["ca"]], PASSWORD),
        password=PASSWORD,
    )
    services.signer_for(identity)  # cached: revocation must drop it
    with pytest.raises(PermissionDenied):
        services.revoke(province.leader_a, identity, reason="key_compromise")
    identity.refresh_from_db()
    assert identity.revoked_at is None
    services.revoke(province.admin_a, identity, reason="key_compromise")
    identity.refresh_from_db()
    assert identity.revoked_at is not None and identity.revocation_reason == "key_compromise"
    assert services.identity_of_person(province.leader_a) is None
    with pytest.raises(ValidationError):
        services.signer_for(identity)
    with pytest.raises(ValidationError):
        services.revoke(province.admin_a, identity, reason="superseded")


def test_trust_roots_province_admins_only_and_ca_certificates_only(province, hierarchy):
    h = hierarchy
    root_pem = crypto.cert_to_pem(h["root"].certificate)
    with pytest.raises(PermissionDenied):
        services.add_trust_root(province.admin_a, root_pem)
    with pytest.raises(ValidationError):
        services.add_trust_root(province.superuser, crypto.cert_to_pem(h["leader"].certificate))
    with pytest.raises(ValidationError):
        services.add_trust_root(province.superuser, "not a certificate")
    assert services.trust_roots() == []
    services.add_trust_root(province.superuser, root_pem)
    services.add_trust_root(province.superuser, root_pem)  # idempotent
    assert services.trust_roots() == [h["root"].certificate]
    # An exchange peer's CA trusted for XML is not a PDF root until an administrator says so.
    services.add_trusted_certificate(None, name="peer", pem=crypto.cert_to_pem(h["ca"].certificate))
    assert services.trust_roots() == [h["root"].certificate]


def test_exchange_ca_is_not_confused_with_the_demo_hierarchy(province):
    services.demo_pki(base_url="http://vanban.test")
    services.clear_caches()
    exchange_ca = services.authority()
    assert Authority.objects.get(role=Authority.Role.EXCHANGE).certificate_pem == crypto.cert_to_pem(
        exchange_ca.certificate
    )
    assert "vanban CA" in crypto.common_name_of(exchange_ca.certificate)


def test_demo_pki_is_idempotent_and_signs_with_timestamp_and_revocation(province, capsys):
    made = services.demo_pki(base_url="http://vanban.test")
    assert made == {"authorities": 4, "people": 1, "agencies": 2}
    leader = services.identity_of_person(province.leader_a)
    assert leader is not None and crypto.common_name_of(crypto.cert_from_pem(leader.certificate_pem)) == "Lanhdao A"
    assert bytes(leader.image) == images.signature_png("Lanhdao A")
    seal = services.seal_of_agency(province.a)
    cert = crypto.cert_from_pem(seal.certificate_pem)
    assert crypto.identifier_of(cert) == province.a.identifier
    assert seal.image_width_mm == 36
    assert services.seal_of_agency(province.root) is None  # no people: no seal
    # The certificates point to this installation's CRL and OCSP.
    text = str(cert.extensions)
    assert "http://vanban.test/pki/crl/ca.crl" in text and "http://vanban.test/pki/ocsp/" in text
    root = Authority.objects.get(role=Authority.Role.ROOT)
    assert TrustedCertificate.objects.get(pdf_root=True).certificate_pem == root.certificate_pem
    assert crypto.common_name_of(crypto.cert_from_pem(root.certificate_pem)) == "Root CA tỉnh Tiền Giang (demo)"

    before = (Authority.objects.count(), SigningIdentity.objects.count(), TrustedCertificate.objects.count())
    call_command("pki", "demo", "--base-url", "http://vanban.test")
    assert "0 authorities, 0 people and 0 agency seals created" in capsys.readouterr().out
    assert (Authority.objects.count(), SigningIdentity.objects.count(), TrustedCertificate.objects.count()) == before

    # B-T signature with the product's TSA (in process), validated with the product's context.
    pdf = sign(services.signer_for(leader), timestamper=services.local_timestamper())
    status = validate(pdf, services.validation_context(fetch=False))
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    # Revoked: the in-process CRL says so.
    services.revoke(None, leader, reason="key_compromise")
    status = validate(pdf, services.validation_context(fetch=False, revocation_mode="hard-fail"))
    assert status.revoked and not status.bottom_line


def test_pki_trust_commands(province, hierarchy, tmp_path, capsys):
    path = tmp_path / "root.pem"
    path.write_text(crypto.cert_to_pem(hierarchy["root"].certificate))
    call_command("pki", "trust", "add", str(path))
    call_command("pki", "trust", "list")
    out = capsys.readouterr().out
    assert crypto.fingerprint(hierarchy["root"].certificate) in out and "Test Root" in out


def test_common_names_fit_64_utf8_bytes():
    long_name = "Ủy ban nhân dân xã Long Hưng, huyện Châu Thành, tỉnh Tiền Giang"
    assert len(long_name) <= 64 < len(long_name.encode())  # fits in letters, not in bytes
    assert services._common_name(long_name, fallback="UBND xã Long Hưng") == "UBND xã Long Hưng"
    cut = services._common_name(long_name)
    assert len(cut.encode()) <= 64 and long_name.startswith(cut)
    pki.issue_signer(pki.make_root("R"), cut)  # accepted by cryptography
