"""XML Signature (enveloped, RSA-SHA256, exclusive c14n) of edXML packages and status messages,
without Django. `sign` fills the `<ds:Signature Id="placeholder"/>` the edXML builder leaves as the
last child of edXMLHeader; `verify` checks the signature and that its certificate is trusted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLSigner, XMLVerifier, methods
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

from . import crypto

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=True,
    remove_blank_text=False,
)


class SignatureError(ValueError):
    """A signature that cannot be accepted. `rule` is a stable code for the user's message:
    unsigned, wrong_namespace, bad_signature, wrong_algorithm, no_certificate, untrusted,
    expired, wrong_signer."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Trust:
    """What a verifier accepts: certificates trusted as they are (a peer's own certificate) and
    authorities whose issued certificates are trusted (the province CA, a peer's CA)."""

    certificates: tuple[x509.Certificate, ...] = ()
    authorities: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class Verified:
    certificate: x509.Certificate
    identifier: str  # UID of the signing certificate ("" for a system certificate)
    common_name: str
    chain: list[x509.Certificate] = field(default_factory=list)


def sign(xml: bytes, key: rsa.RSAPrivateKey, chain: list[x509.Certificate]) -> bytes:
    """Sign the whole document (reference URI "", enveloped) and put the signature where the
    placeholder is. The X.509 chain (signing certificate first) goes into KeyInfo."""
    root = etree.fromstring(xml, _PARSER)
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    signed = signer.sign(root, key=key, cert=chain)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def _certificates_in(root: etree._Element) -> list[x509.Certificate]:
    certs = []
    for node in root.iterfind(f".//{{{DSIG_NS}}}Signature/{{{DSIG_NS}}}KeyInfo//{{{DSIG_NS}}}X509Certificate"):
        text = "".join((node.text or "").split())
        try:
            certs.append(crypto.cert_from_pem(f"-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n"))
        except ValueError as exc:
            raise SignatureError("no_certificate", "the signature's X509Certificate cannot be read") from exc
    return certs


def _trusted(cert: x509.Certificate, chain: list[x509.Certificate], trust: Trust) -> bool:
    if any(cert == t for t in trust.certificates):
        return True
    # Walk up the chain carried in KeyInfo (or straight to an authority).
    current = cert
    for _ in range(4):
        if any(crypto.is_issued_by(current, ca) for ca in trust.authorities):
            return True
        parent = next((c for c in chain if c != current and crypto.is_issued_by(current, c)), None)
        if parent is None:
            return False
        if any(parent == t for t in trust.certificates):
            return True
        current = parent
    return False


def verify(xml: bytes, trust: Trust, *, now: dt.datetime | None = None) -> Verified:
    """Check the enveloped signature of `xml` and that its signing certificate is trusted and
    valid now. Raises SignatureError naming the rule broken."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SignatureError("bad_signature", f"not well-formed XML: {exc}") from exc
    signatures = root.findall(f".//{{{DSIG_NS}}}Signature")
    if not signatures:
        other = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "Signature"]
        if other:
            raise SignatureError(
                "wrong_namespace",
                "the Signature element is not in the XML-DSig namespace (a placeholder that cannot be verified)",
            )
        raise SignatureError("unsigned", "the package is not signed")
    if len(signatures) > 1:
        raise SignatureError("bad_signature", "more than one signature")
    if signatures[0].find(f"{{{DSIG_NS}}}SignatureValue") is None:
        raise SignatureError("unsigned", "the package is not signed (only an empty signature placeholder)")
    chain = _certificates_in(root)
    if not chain:
        raise SignatureError("no_certificate", "the signature carries no X.509 certificate")
    cert = chain[0]
    if not crypto.is_valid_at(cert, now):
        raise SignatureError("expired", "the signing certificate is expired or not yet valid")
    if not _trusted(cert, chain, trust):
        raise SignatureError("untrusted", f"the signing certificate ({cert.subject.rfc4514_string()}) is not trusted")
    config = SignatureConfiguration(
        require_x509=True,
        expect_references=1,
        signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    try:
        XMLVerifier().verify(root, x509_cert=cert, expect_config=config)
    except InvalidInput as exc:
        rule = "wrong_algorithm" if "algorithm" in str(exc).lower() else "bad_signature"
        raise SignatureError(rule, f"the signature cannot be checked: {exc}") from exc
    except (InvalidSignature, InvalidDigest, InvalidCertificate) as exc:
        raise SignatureError("bad_signature", f"the signature does not match the content: {exc}") from exc
    return Verified(cert, crypto.identifier_of(cert), crypto.common_name_of(cert), chain)
