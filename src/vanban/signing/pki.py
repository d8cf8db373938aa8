"""A certificate hierarchy for PDF signatures, without Django: root CA → issuing CA → end-entity
certificates for people (a leader's signature) and agencies (the seal), a timestamp authority
(RFC 3161) and an OCSP responder, plus certificate revocation lists.

The demo province PKI (`vanban pki demo`) is built from these functions, and so are the throwaway
hierarchies of the tests. Real deployments import certificates issued by the government CA; the
verifier only needs the trusted roots and whatever revocation data the certificates point to.

Every end-entity certificate may carry where its revocation status is published: a CRL
distribution point and an OCSP responder URL (authority information access). Both are URLs of the
installation itself in the demo (served by the signing room's views).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from .crypto import KeyPair, new_key

# Microsoft's "document signing" extended key usage, which PDF readers recognise.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")


@dataclass(frozen=True)
class Revocation:
    serial_number: int
    revoked_at: dt.datetime


def _utc(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def fit(text: str, limit: int = 64) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (X.520 bounds CN and O by 64; Vietnamese letters
    take 2–3 bytes each), never inside a character."""
    data = text.encode()[:limit]
    return data.decode(errors="ignore").rstrip()


def name(common_name: str, *, organization: str = "", identifier: str = "", email: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, fit(organization)))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, fit(common_name)))
    if identifier:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, identifier))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


def _key_usage(*, signer: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _revocation_pointers(builder: x509.CertificateBuilder, crl_url: str, ocsp_url: str) -> x509.CertificateBuilder:
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]
            ),
            critical=False,
        )
    return builder


def make_root(common_name: str, *, years: int = 20, now: dt.datetime | None = None) -> KeyPair:
    """A self-signed root CA (it signs issuing CAs only)."""
    now = _utc(now)
    key = new_key()
    subject = name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def make_issuing_ca(
    root: KeyPair,
    common_name: str,
    *,
    years: int = 10,
    crl_url: str = "",
    now: dt.datetime | None = None,
) -> KeyPair:
    """An issuing CA under `root` (it signs end-entity certificates, CRLs and the OCSP responder);
    `crl_url` is where the root's CRL (listing revoked issuing CAs) is published."""
    now = _utc(now)
    key = new_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=365 * years), root.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), critical=False)
    )
    builder = _revocation_pointers(builder, crl_url, "")
    return KeyPair(key, builder.sign(root.key, hashes.SHA256()))


def issue_signer(
    ca: KeyPair,
    common_name: str,
    *,
    organization: str = "",
    identifier: str = "",
    email: str = "",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    crl_url: str = "",
    ocsp_url: str = "",
    key: rsa.RSAPrivateKey | None = None,
    now: dt.datetime | None = None,
) -> KeyPair:
    """A document-signing certificate: a person (CN = full name, O = agency, email) or an agency
    seal (CN = agency name, UID = identifier code). Non-repudiation and digital signature key
    usage, the document-signing EKU. Validity defaults to 3 years from now (never past the CA)."""
    now = _utc(now)
    key = key or new_key()
    start = not_before or now - dt.timedelta(minutes=5)
    end = not_after or min(now + dt.timedelta(days=365 * 3), ca.certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(common_name, organization=organization, identifier=identifier, email=email))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    builder = _revocation_pointers(builder, crl_url, ocsp_url)
    return KeyPair(key, builder.sign(ca.key, hashes.SHA256()))


def _service_cert(
    ca: KeyPair, common_name: str, eku: x509.ObjectIdentifier, *, years: int, now: dt.datetime | None
) -> KeyPair:
    now = _utc(now)
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=365 * years), ca.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        # A timestamp authority's EKU must be critical (RFC 3161 §2.3).
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=eku == ExtendedKeyUsageOID.TIME_STAMPING)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def issue_tsa(ca: KeyPair, common_name: str = "Dịch vụ cấp dấu thời gian", *, years: int = 10, now=None) -> KeyPair:
    """The timestamp authority's certificate (critical EKU timeStamping)."""
    return _service_cert(ca, common_name, ExtendedKeyUsageOID.TIME_STAMPING, years=years, now=now)


def issue_ocsp_responder(ca: KeyPair, common_name: str = "OCSP", *, years: int = 2, now=None) -> KeyPair:
    """A delegated OCSP responder for `ca` (EKU OCSPSigning)."""
    return _service_cert(ca, common_name, ExtendedKeyUsageOID.OCSP_SIGNING, years=years, now=now)


def make_crl(
    ca: KeyPair,
    revoked: Iterable[Revocation] = (),
    *,
    number: int = 1,
    now: dt.datetime | None = None,
    next_update: dt.timedelta = dt.timedelta(days=1),
) -> x509.CertificateRevocationList:
    """The CA's current CRL (DER via `.public_bytes(Encoding.DER)`)."""
    now = _utc(now)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    for r in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(r.serial_number).revocation_date(r.revoked_at).build()
        )
    return builder.sign(ca.key, hashes.SHA256())
