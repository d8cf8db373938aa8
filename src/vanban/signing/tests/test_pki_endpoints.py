"""The product's public PKI services — TSA (a real pyHanko HTTP client against a live server),
CRL, OCSP — and the administrators' pages."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from asn1crypto import tsp
from conftest import PASSWORD, build_province
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.sign.timestamps import HTTPTimeStamper

from vanban.signing import crypto, pki, protocols, services
from vanban.signing.models import Authority, SigningIdentity

from .test_pki_helpers import p12, sign, validate


@pytest.fixture
def demo(province):
    services.demo_pki(base_url="http://vanban.test")
    issuing = Authority.objects.get(role=Authority.Role.ISSUING)
    return {
        "province": province,
        "issuing": crypto.cert_from_pem(issuing.certificate_pem),
        "leader": services.identity_of_person(province.leader_a),
    }


def _ocsp_request(cert, issuer) -> bytes:
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256())
    req = req.add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False)
    return req.build().public_bytes(serialization.Encoding.DER)


def _post_ocsp(client, der):
    response = client.post("/pki/ocsp/", der, content_type="application/ocsp-request")
    assert response.status_code == 200 and response["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)


def test_tsa_answers_a_real_pyhanko_http_request(live_server, transactional_db):
    province = build_province()
    services.demo_pki(base_url=live_server.url)
    leader = services.identity_of_person(province.leader_a)
    stamper = HTTPTimeStamper(f"{live_server.url}/pki/tsa/")
    pdf = sign(services.signer_for(leader), timestamper=stamper)
    status = validate(pdf, services.validation_context(fetch=False))
    assert status.bottom_line, status.pretty_print_details()
    tsa = crypto.cert_from_pem(Authority.objects.get(role=Authority.Role.TSA).certificate_pem)
    assert status.timestamp_validity.trusted
    assert status.timestamp_validity.signing_cert.sha256 == tsa.fingerprint(hashes.SHA256())


def test_tsa_refuses_garbage_and_wrong_content_type(client, demo):
    response = client.post("/pki/tsa/", b"garbage", content_type="application/timestamp-query")
    assert response.status_code == 200
    reply = protocols.TimeStampReply.load(response.content)
    assert reply["status"]["status"].native == "rejection"
    assert client.post("/pki/tsa/", b"x", content_type="text/plain").status_code == 415
    assert client.get("/pki/tsa/").status_code == 405


def test_tsa_refuses_sha1_imprints(client, demo):
    req = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha1"}, "hashed_message": b"\x00" * 20},
            "cert_req": True,
        }
    )
    response = client.post("/pki/tsa/", req.dump(), content_type="application/timestamp-query")
    reply = protocols.TimeStampReply.load(response.content)
    assert reply["status"]["status"].native == "rejection"
    assert "bad_alg" in reply["status"]["fail_info"].native


def test_crl_lists_revoked_serials_with_a_fresh_next_update(client, demo):
    issuing = demo["issuing"]
    response = client.get("/pki/crl/ca.crl")
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(issuing.public_key())
    assert len(crl) == 0
    leader = demo["leader"]
    services.revoke(demo["province"].admin_a, leader, reason="key_compromise")
    crl = x509.load_der_x509_crl(client.get("/pki/crl/ca.crl").content)
    serial = crypto.cert_from_pem(leader.certificate_pem).serial_number
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None
    assert crl.next_update_utc > dt.datetime.now(dt.UTC)
    assert client.get("/pki/crl/root.crl").status_code == 200
    assert client.get("/pki/crl/nothing.crl").status_code == 404


def test_ocsp_good_revoked_unknown_unauthorized_malformed(client, demo):
    issuing, leader = demo["issuing"], demo["leader"]
    cert = crypto.cert_from_pem(leader.certificate_pem)
    answer = _post_ocsp(client, _ocsp_request(cert, issuing))
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == cert.serial_number
    assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
    responder = crypto.cert_from_pem(Authority.objects.get(role=Authority.Role.OCSP).certificate_pem)
    responder.public_key().verify(
        answer.signature,
        answer.tbs_response_bytes,
        padding.PKCS1v15(),
        answer.signature_hash_algorithm,
    )

    services.revoke(demo["province"].admin_a, leader, reason="key_compromise")
    answer = _post_ocsp(client, _ocsp_request(cert, issuing))
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.key_compromise

    # A serial our CA never issued (same issuer name and key: signed with the demo CA's key).
    issuing_pair = services._service(Authority.Role.ISSUING)[0]
    never_issued = pki.issue_signer(issuing_pair, "Không có", key=issuing_pair.key)
    answer = _post_ocsp(client, _ocsp_request(never_issued.certificate, issuing))
    assert answer.certificate_status == ocsp.OCSPCertStatus.UNKNOWN

    foreign_root = pki.make_root("Foreign")
    foreign = pki.issue_signer(foreign_root, "X", key=foreign_root.key)
    answer = _post_ocsp(client, _ocsp_request(foreign.certificate, foreign_root.certificate))
    assert answer.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    answer = _post_ocsp(client, b"garbage")
    assert answer.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_ocsp_get_form(client, demo):
    der = _ocsp_request(crypto.cert_from_pem(demo["leader"].certificate_pem), demo["issuing"])
    response = client.get("/pki/ocsp/" + base64.b64encode(der).decode())
    assert ocsp.load_der_ocsp_response(response.content).certificate_status == ocsp.OCSPCertStatus.GOOD


def test_services_answer_503_without_the_demo_pki(client, db):
    assert client.post("/pki/tsa/", b"x", content_type="application/timestamp-query").status_code == 503
    assert client.post("/pki/ocsp/", b"x", content_type="application/ocsp-request").status_code == 503


# --- administrators' pages ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def foreign_leader():
    root = pki.make_root("Test Root")
    return root, pki.issue_signer(root, "Lanhdao A", key=root.key)


def test_identity_pages_for_admins_only(client, demo, foreign_leader):
    province = demo["province"]
    client.login(username=province.clerk_a.username, password=PASSWORD)
    assert client.get(reverse("signing-identities")).status_code == 403
    assert client.get(reverse("signing-identity-import")).status_code == 403
    response = client.post(reverse("signing-identity-revoke", args=[demo["leader"].pk]), {"reason": "superseded"})
    assert response.status_code == 403
    demo["leader"].refresh_from_db()
    assert demo["leader"].revoked_at is None

    client.login(username=province.admin_a.username, password=PASSWORD)
    page = client.get(reverse("signing-identities"))
    assert page.status_code == 200 and "Lanhdao A" in page.content.decode()
    root, pair = foreign_leader
    upload = SimpleUploadedFile("lanhdao.p12", p12(pair, [root], "pw-123"), content_type="application/x-pkcs12")
    response = client.post(
        reverse("signing-identity-import"),
        {"person": province.leader_a.pk, "file": upload, "password": "wrong"},
    )
    assert response.status_code == 200 and SigningIdentity.objects.filter(person=province.leader_a).count() == 1
    upload.seek(0)
    response = client.post(
        reverse("signing-identity-import"),
        {"person": province.leader_a.pk, "file": upload, "password": "pw-123"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert SigningIdentity.objects.filter(person=province.leader_a).count() == 2
    response = client.post(reverse("signing-identity-revoke", args=[demo["leader"].pk]), {"reason": "superseded"})
    assert response.status_code == 302
    demo["leader"].refresh_from_db()
    assert demo["leader"].revocation_reason == "superseded"


def test_trust_root_page_adds_for_province_admins_only(client, demo, foreign_leader):
    province = demo["province"]
    pem = crypto.cert_to_pem(foreign_leader[0].certificate)
    client.login(username=province.admin_a.username, password=PASSWORD)
    assert client.get(reverse("signing-trust-roots")).status_code == 200
    assert client.post(reverse("signing-trust-roots"), {"pem": pem}).status_code == 403
    assert len(services.trust_roots()) == 1
    client.login(username=province.superuser.username, password=PASSWORD)
    assert client.post(reverse("signing-trust-roots"), {"pem": pem}).status_code == 302
    assert len(services.trust_roots()) == 2
