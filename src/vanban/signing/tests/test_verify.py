"""verify.py, the verification core (no database): each verdict from a real signature made with
pyHanko over a throwaway hierarchy from pki.py."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pikepdf
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from vanban.documents.samples import one_page_pdf
from vanban.signing import crypto, pki, verify

NOW = dt.datetime.now(dt.UTC)
# The hierarchy was built long ago, so that signatures can be dated in its past.
T0 = NOW - dt.timedelta(days=400)
CRL_URL = "http://crl.invalid/ca.crl"  # declared, never fetched: the tests hand the CRL over


def _asn1_cert(cert):
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(pair):
    der = pair.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


@pytest.fixture(scope="module")
def hierarchy():
    h = SimpleNamespace()
    h.root = pki.make_root("Root CA test", now=T0)
    h.ca = pki.make_issuing_ca(h.root, "Issuing CA test", now=T0)
    h.tsa = pki.issue_tsa(h.ca, now=T0)
    h.leader = pki.issue_signer(
        h.ca, "Nguyễn Văn An", organization="Sở Thông tin và Truyền thông", email="an@example.vn", now=T0
    )
    h.seal = pki.issue_signer(
        h.ca, "Sở Thông tin và Truyền thông", identifier="000.00.12.H58", key=h.leader.key, now=T0
    )
    # Same key, other certificates: key generation is the slow part.
    h.listed = pki.issue_signer(h.ca, "Trần Thị Bình", crl_url=CRL_URL, key=h.leader.key, now=T0)
    h.expired = pki.issue_signer(
        h.ca,
        "Lê Văn Cũ",
        key=h.leader.key,
        not_before=T0,
        not_after=NOW - dt.timedelta(days=10),
    )
    h.other_root = pki.make_root("Unknown root")
    h.other_ca = pki.make_issuing_ca(h.other_root, "Unknown CA")
    h.stranger = pki.issue_signer(h.other_ca, "Người lạ", key=h.leader.key)
    return h


def _stamper(h, at: dt.datetime | None = None):
    return DummyTimeStamper(
        tsa_cert=_asn1_cert(h.tsa.certificate),
        tsa_key=_asn1_key(h.tsa),
        certs_to_embed=SimpleCertificateStore.from_certs([_asn1_cert(h.ca.certificate)]),
        fixed_dt=at,
    )


def sign(h, data: bytes, pair, field: str, *, ca=None, timestamp=True, at=None) -> bytes:
    ca = ca or h.ca
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(pair.certificate),
        signing_key=_asn1_key(pair),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(ca.certificate)]),
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(data)),
        signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES),
        signer=signer,
        timestamper=_stamper(h, at) if timestamp else None,
    )
    return out.getvalue()


def trusting(h, **kw):
    return verify.make_context_factory([h.root.certificate], **kw)


@pytest.fixture(scope="module")
def signed(hierarchy):
    return sign(hierarchy, one_page_pdf("Quyet dinh so 12"), hierarchy.leader, "LanhDao")


# --- valid ------------------------------------------------------------------------------------


def test_one_signature_is_valid_and_described(hierarchy, signed):
    report = verify.verify_pdf(signed, trusting(hierarchy))
    assert report.verdict == "valid"
    [sig] = report.signatures
    assert sig.verdict == "valid" and sig.trusted and sig.intact
    assert sig.field == "LanhDao"
    assert sig.signer.common_name == "Nguyễn Văn An"
    assert sig.signer.organization == "Sở Thông tin và Truyền thông"
    assert sig.signer.email == "an@example.vn"
    assert sig.signer.fingerprint == crypto.fingerprint(hierarchy.leader.certificate)
    assert sig.signer.serial == format(hierarchy.leader.certificate.serial_number, "x")
    assert "Issuing CA test" in sig.signer.issuer
    assert sig.timestamp_present and sig.timestamp_valid
    assert sig.signing_time == sig.timestamp_time
    assert sig.coverage == "ENTIRE_FILE" and sig.modification_level == "NONE"
    assert not sig.revoked and not sig.expired and not sig.ltv
    assert report.to_dict()["signatures"][0]["signer"]["common_name"] == "Nguyễn Văn An"


def test_leader_then_agency_both_valid(hierarchy, signed):
    both = sign(hierarchy, signed, hierarchy.seal, "DongDau")
    report = verify.verify_pdf(both, trusting(hierarchy))
    assert report.verdict == "valid"
    first, second = report.signatures
    assert [first.verdict, second.verdict] == ["valid", "valid"]
    # The leader's signature no longer covers the file, but what followed is only a signature.
    assert first.coverage == "ENTIRE_REVISION" and first.modification_level == "FORM_FILLING"
    assert second.signer.uid == "000.00.12.H58"


def test_signing_time_without_timestamp_is_the_claimed_one(hierarchy):
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.leader, "Sig", timestamp=False)
    [sig] = verify.verify_pdf(data, trusting(hierarchy)).signatures
    assert sig.verdict == "valid"
    assert not sig.timestamp_present and sig.signing_time == sig.claimed_time is not None


# --- modified ---------------------------------------------------------------------------------


def test_a_byte_changed_after_signing_is_modified(hierarchy, signed):
    at = signed.index(b"Quyet dinh so 12")
    tampered = signed[:at] + b"Quyet dinh so 13" + signed[at + 16 :]
    report = verify.verify_pdf(tampered, trusting(hierarchy))
    assert report.verdict == "modified"
    assert not report.signatures[0].intact


def test_content_changed_in_a_later_update_is_modified(hierarchy, signed):
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = w.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = w.add_object(
        generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 770 Td (Quyet dinh so 99) Tj ET")
    )
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    report = verify.verify_pdf(out.getvalue(), trusting(hierarchy))
    assert report.verdict == "modified"
    sig = report.signatures[0]
    assert sig.intact  # the signed revision itself is untouched: the later update is what is refused
    assert sig.modification_level == "OTHER"


def test_altered_signed_attributes_are_modified(hierarchy, signed):
    # The digest inside the signed attributes, in the hex of /Contents: the file's bytes still
    # hash to... nothing that was signed, and the signature value no longer verifies.
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    attrs = sig.signer_info["signed_attrs"]
    digest = next(a["values"][0].native for a in attrs if a["type"].native == "message_digest")
    start = signed.lower().index(digest.hex().encode())
    flipped = b"0" if signed[start : start + 1] != b"0" else b"1"
    report = verify.verify_pdf(signed[:start] + flipped + signed[start + 1 :], trusting(hierarchy))
    assert report.verdict == "modified"
    assert not report.signatures[0].intact


# --- trust ------------------------------------------------------------------------------------


def test_unknown_root_is_untrusted(hierarchy):
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.stranger, "Sig", ca=hierarchy.other_ca)
    report = verify.verify_pdf(data, trusting(hierarchy))
    assert report.verdict == "untrusted"
    assert not report.signatures[0].trusted and report.signatures[0].intact


def test_revoked_before_signing_is_revoked(hierarchy):
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.listed, "Sig")
    revoked_at = NOW - dt.timedelta(hours=1)
    crl = pki.make_crl(hierarchy.ca, [pki.Revocation(hierarchy.listed.certificate.serial_number, revoked_at)])
    report = verify.verify_pdf(data, trusting(hierarchy, crls=[crl]))
    assert report.verdict == "revoked"
    sig = report.signatures[0]
    assert sig.revoked and not sig.ca_revoked and not sig.trusted
    assert dt.datetime.fromisoformat(sig.revoked_at) == revoked_at.replace(microsecond=0)
    # The same signature with the CRL not listing it: valid (the CRL is what decided).
    clean = pki.make_crl(hierarchy.ca, [])
    assert verify.verify_pdf(data, trusting(hierarchy, crls=[clean])).verdict == "valid"


def test_a_crl_published_after_signing_still_tells_an_earlier_revocation(hierarchy):
    # Verified days later: the CRL is newer than the signature, the revocation older.
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.listed, "Sig")
    later = NOW + dt.timedelta(days=3)
    revocation = pki.Revocation(hierarchy.listed.certificate.serial_number, NOW - dt.timedelta(hours=1))
    crl = pki.make_crl(hierarchy.ca, [revocation], now=later)
    assert verify.verify_pdf(data, trusting(hierarchy, crls=[crl], moment=later)).verdict == "revoked"


def test_revoked_after_a_timestamped_signature_stays_valid(hierarchy):
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.listed, "Sig")
    later = NOW + dt.timedelta(hours=2)
    crl = pki.make_crl(
        hierarchy.ca,
        [pki.Revocation(hierarchy.listed.certificate.serial_number, NOW + dt.timedelta(hours=1))],
        now=later,
    )
    assert verify.verify_pdf(data, trusting(hierarchy, crls=[crl], moment=later)).verdict == "valid"


def test_revoked_after_an_untimestamped_signature_is_revoked(hierarchy):
    # No timestamp: nothing proves the signature was made before the revocation.
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.listed, "Sig", timestamp=False)
    later = NOW + dt.timedelta(hours=2)
    crl = pki.make_crl(
        hierarchy.ca,
        [pki.Revocation(hierarchy.listed.certificate.serial_number, NOW + dt.timedelta(hours=1))],
        now=later,
    )
    assert verify.verify_pdf(data, trusting(hierarchy, crls=[crl], moment=later)).verdict == "revoked"


def test_expired_at_signing_time_is_expired(hierarchy):
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.expired, "Sig")  # timestamped now, after not_after
    report = verify.verify_pdf(data, trusting(hierarchy))
    assert report.verdict == "expired"
    assert report.signatures[0].expired and report.signatures[0].timestamp_valid


def test_expired_since_but_timestamped_while_valid_is_valid(hierarchy):
    data = sign(hierarchy, one_page_pdf("x"), hierarchy.expired, "Sig", at=NOW - dt.timedelta(days=30))
    report = verify.verify_pdf(data, trusting(hierarchy))
    assert report.verdict == "valid"
    assert report.signatures[0].signing_time.startswith((NOW - dt.timedelta(days=30)).date().isoformat())


def test_overall_verdict_is_the_worst(hierarchy, signed):
    assert verify.worst([]) == "unsigned"
    assert verify.worst(["valid", "untrusted", "expired"]) == "expired"
    assert verify.worst(["untrusted", "revoked", "valid"]) == "revoked"
    assert verify.worst(["revoked", "modified"]) == "modified"
    # A trusted signature followed by a stranger's: the file is untrusted as a whole.
    both = sign(hierarchy, signed, hierarchy.stranger, "Other", ca=hierarchy.other_ca)
    report = verify.verify_pdf(both, trusting(hierarchy))
    assert [s.verdict for s in report.signatures] == ["valid", "untrusted"]
    assert report.verdict == "untrusted"


# --- no signature, unusable input ---------------------------------------------------------------


def test_unsigned_pdf(hierarchy):
    report = verify.verify_pdf(one_page_pdf("x"), trusting(hierarchy))
    assert report.verdict == "unsigned" and report.signatures == []


def _encrypted_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(one_page_pdf("secret"))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="user"))
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda signed: b"PK\x03\x04 not a pdf at all", "not_pdf"),
        (lambda signed: b"", "not_pdf"),
        (lambda signed: _encrypted_pdf(), "encrypted"),
        (lambda signed: signed[: len(signed) // 2], "damaged"),
    ],
    ids=["zip", "empty", "encrypted", "truncated"],
)
def test_unreadable_input_is_refused_with_a_reason(hierarchy, signed, make, reason):
    with pytest.raises(verify.Unreadable) as exc:
        verify.verify_pdf(make(signed), trusting(hierarchy))
    assert exc.value.reason == reason
