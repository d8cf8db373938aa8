"""The PKI services' wire protocols, without Django: RFC 3161 timestamp responses and RFC 6960 OCSP
responses, each built from the request's bytes. The views feed them the service keys and a way to
look up a certificate's status; everything here is bytes in, bytes out.

Malformed requests get a protocol-level refusal (a TimeStampResp with status `rejection`, an OCSP
`malformedRequest`), never an exception: a client must always receive an answer it can parse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from .crypto import KeyPair

# Digests a timestamp request may use: the SHA-2 family. SHA-1 imprints are refused (RFC 3161
# lets a TSA refuse an algorithm it does not trust: failInfo badAlg).
TSA_DIGESTS = frozenset({"sha256", "sha384", "sha512"})

MAX_REQUEST_BYTES = 16 * 1024


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


class TimeStampReply(core.Sequence):
    """TimeStampResp whose token is optional, as RFC 3161 has it (asn1crypto makes it mandatory,
    so refusals cannot be built or read with its class)."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def _tsa_refusal(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {
            "status": tsp.PKIStatus("rejection"),
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        }
    )
    return TimeStampReply({"status": status}).dump()


def timestamp_response(
    request_der: bytes,
    tsa: KeyPair,
    *,
    chain: Sequence[x509.Certificate] = (),
    now: dt.datetime | None = None,
) -> bytes:
    """The DER TimeStampResp for a DER TimeStampReq: a token signed by `tsa` over the request's
    message imprint at `now` (the TSA certificate and `chain` embedded), or a rejection."""
    if len(request_der) > MAX_REQUEST_BYTES:
        return _tsa_refusal("bad_data_format", "request too large")
    try:
        req = tsp.TimeStampReq.load(request_der)
        algorithm = req["message_imprint"]["hash_algorithm"]["algorithm"].native
        imprint = req["message_imprint"]["hashed_message"].native
        req["nonce"].native  # noqa: B018 (parses lazily: fail here, not while signing)
    except (ValueError, TypeError, KeyError):
        return _tsa_refusal("bad_data_format", "not a timestamp request")
    if algorithm not in TSA_DIGESTS:
        return _tsa_refusal("bad_alg", f"unsupported digest {algorithm}")
    if len(imprint) != getattr(hashes, algorithm.upper())().digest_size:
        return _tsa_refusal("bad_data_format", "message imprint length does not match its digest")
    # pyHanko's test TSA is a complete RFC 3161 signer (nonce echoed, signing-certificate
    # attribute, certificates embedded): reused server-side.
    stamper = DummyTimeStamper(
        tsa_cert=_asn1_cert(tsa.certificate),
        tsa_key=_asn1_key(tsa.key),
        certs_to_embed=[_asn1_cert(c) for c in chain],
        fixed_dt=now or dt.datetime.now(dt.UTC),
    )
    return stamper.request_tsa_response(req).dump()


# --- OCSP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What a CA says of one of its serial numbers."""

    state: str  # "good" | "revoked" | "unknown"
    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None

    @classmethod
    def good(cls) -> Status:
        return cls("good")

    @classmethod
    def unknown(cls) -> Status:
        return cls("unknown")


_CERT_STATUS = {
    "good": ocsp.OCSPCertStatus.GOOD,
    "revoked": ocsp.OCSPCertStatus.REVOKED,
    "unknown": ocsp.OCSPCertStatus.UNKNOWN,
}


def _issuer_hashes(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """(issuerNameHash, issuerKeyHash) of CertID for certificates issued by `cert`."""
    name_hash = hashes.Hash(algorithm)
    name_hash.update(cert.subject.public_bytes())
    key_der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The key hash covers the subjectPublicKey BIT STRING's contents, not the whole SPKI.
    spki = asn1_keys.PublicKeyInfo.load(key_der)
    key_hash = hashes.Hash(algorithm)
    key_hash.update(spki["public_key"].contents[1:])  # drop the unused-bits octet
    return name_hash.finalize(), key_hash.finalize()


def ocsp_response(
    request_der: bytes,
    *,
    issuers: Sequence[x509.Certificate],
    status: Callable[[x509.Certificate, int], Status],
    responder: KeyPair,
    now: dt.datetime | None = None,
    validity: dt.timedelta = dt.timedelta(hours=12),
) -> bytes:
    """The DER OCSPResponse for a DER OCSPRequest: the status of the requested serial number as
    `status(issuer_certificate, serial)` says, signed by `responder` (a delegated responder of
    that issuer, or the issuer itself). Requests for an issuer not in `issuers` are answered
    `unauthorized` (RFC 6960 §2.3); the request's nonce is echoed."""
    if len(request_der) > MAX_REQUEST_BYTES:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
            serialization.Encoding.DER
        )
    try:
        req = ocsp.load_der_ocsp_request(request_der)
        algorithm = req.hash_algorithm
        name_hash, key_hash, serial = req.issuer_name_hash, req.issuer_key_hash, req.serial_number
    except (ValueError, TypeError, NotImplementedError, x509.UnsupportedGeneralNameType):
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
            serialization.Encoding.DER
        )
    issuer = next((c for c in issuers if _issuer_hashes(c, algorithm) == (name_hash, key_hash)), None)
    if issuer is None:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
            serialization.Encoding.DER
        )
    now = now or dt.datetime.now(dt.UTC)
    answer = status(issuer, serial)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=name_hash,
        issuer_key_hash=key_hash,
        serial_number=serial,
        algorithm=algorithm,
        cert_status=_CERT_STATUS[answer.state],
        this_update=now - dt.timedelta(minutes=1),
        next_update=now + validity,
        revocation_time=answer.revoked_at if answer.state == "revoked" else None,
        revocation_reason=answer.reason if answer.state == "revoked" else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
    if responder.certificate != issuer:
        builder = builder.certificates([responder.certificate])
    try:
        nonce = req.extensions.get_extension_for_class(x509.OCSPNonce).value
        builder = builder.add_extension(nonce, critical=False)
    except x509.ExtensionNotFound:
        pass
    return builder.sign(responder.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
