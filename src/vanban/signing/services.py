"""Keys and certificates: the only place that creates or reads private keys.

Private keys are stored encrypted (PKCS#8) with the installation's key passphrase
(`VANBAN_KEY_PASSPHRASE`, or for the embedded single-machine default a random one kept in the data
directory). Loaded keys are cached per process: parsing a key costs far more than a signature.

Two uses share the one key store: the exchange's XML signatures (agency keys from the exchange CA)
and PDF signatures (signing identities of people and agency seals, trust roots, the demo PKI with
its timestamp authority, CRLs and OCSP responder) — see the second half of this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import os
import threading
import time
import unicodedata

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.orgs import services as org_services
from vanban.orgs.models import Agency, Person, Role

from . import crypto, pki, protocols, xmlsig
from .models import AgencyKey, Authority, SigningIdentity, TrustedCertificate

_lock = threading.Lock()

# Keys and the CA as loaded objects, per process: reading them (query, decryption, parsing) costs
# several times a signature, and every package and receipt is signed. A key issued here replaces
# its entry at once; other processes pick it up within the TTL (the old certificate stays valid).
_CACHE_TTL_SECONDS = 300
_cache: dict[object, tuple[float, object]] = {}


def _cached(key, load):
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    _cache[key] = (now + _CACHE_TTL_SECONDS, value)
    return value


def clear_caches() -> None:
    """Forget loaded keys (tests call this between databases)."""
    _cache.clear()
    _crl_cache.clear()


def _passphrase() -> bytes:
    return settings.VANBAN["KEY_PASSPHRASE"].encode()


@functools.lru_cache(maxsize=4096)
def _load_key(pem: str):
    return crypto.key_from_pem(pem, _passphrase())


@functools.lru_cache(maxsize=4096)
def _load_cert(pem: str) -> x509.Certificate:
    return crypto.cert_from_pem(pem)


def authority() -> crypto.KeyPair:
    """The installation's CA, created on first use."""
    return _cached("authority", _authority)


def _authority() -> crypto.KeyPair:
    # The exchange's own CA only: the demo PDF hierarchy's CAs live in the same table.
    exchange_cas = Authority.objects.filter(role=Authority.Role.EXCHANGE).order_by("pk")
    ca = exchange_cas.first()
    if ca is None:
        with _lock, transaction.atomic():
            ca = exchange_cas.select_for_update().first()
            if ca is None:
                name = f"vanban CA {settings.VANBAN['PROVINCE_PLACE']} ({settings.VANBAN['PROVINCE_ID_SUFFIX']})"
                pair = crypto.make_ca(name)
                ca = Authority.objects.create(
                    name=name,
                    certificate_pem=crypto.cert_to_pem(pair.certificate),
                    private_key_pem=crypto.key_to_pem(pair.key, _passphrase()),
                )
                audit.record(
                    actor=None,
                    action="signing.create_authority",
                    target=ca,
                    data={"fingerprint": crypto.fingerprint(pair.certificate)},
                )
    return crypto.KeyPair(_load_key(ca.private_key_pem), _load_cert(ca.certificate_pem))


def issue_agency_key(agency: Agency) -> AgencyKey:
    """A new key and certificate for `agency` from the installation's CA (demo PKI)."""
    ca = authority()
    pair = crypto.issue(
        ca,
        common_name=agency.short_name or agency.name,
        identifier=agency.identifier,
        organization=settings.VANBAN["PROVINCE_PLACE"],
    )
    with transaction.atomic():
        AgencyKey.objects.filter(agency=agency, active=True).update(active=False)
        key = AgencyKey.objects.create(
            agency=agency,
            certificate_pem=crypto.cert_to_pem(pair.certificate),
            private_key_pem=crypto.key_to_pem(pair.key, _passphrase()),
            fingerprint=crypto.fingerprint(pair.certificate),
            not_after=pair.certificate.not_valid_after_utc,
        )
        audit.record(
            actor=None,
            action="signing.issue_agency_key",
            target=agency,
            data={"fingerprint": key.fingerprint, "not_after": key.not_after.isoformat()},
        )
        transaction.on_commit(lambda: _cache.pop(("agency", agency.pk), None))
    return key


def agency_key(agency: Agency) -> AgencyKey:
    """The agency's active, valid signing key; issued from the demo CA when it has none."""
    key = AgencyKey.objects.filter(agency=agency, active=True, not_after__gt=timezone.now()).first()
    return key or issue_agency_key(agency)


def _signing_material(agency: Agency):
    key = agency_key(agency)
    return _load_key(key.private_key_pem), [_load_cert(key.certificate_pem), authority().certificate], key.not_after


def sign_xml(xml: bytes, agency: Agency) -> bytes:
    """Sign an edXML package or status message as `agency`."""
    material = _cached(("agency", agency.pk), lambda: _signing_material(agency))
    if material[2] <= timezone.now():  # expired while cached: take (or issue) the current key
        _cache.pop(("agency", agency.pk), None)
        material = _cached(("agency", agency.pk), lambda: _signing_material(agency))
    private_key, chain, _not_after = material
    return xmlsig.sign(xml, private_key, chain)


def local_trust() -> xmlsig.Trust:
    """Signatures of this installation's agencies: issued by its CA."""
    return xmlsig.Trust(authorities=(authority().certificate,))


def trust_for(certificate: TrustedCertificate) -> xmlsig.Trust:
    return _trust(certificate.certificate_pem, certificate.is_authority)


@functools.lru_cache(maxsize=256)
def _trust(pem: str, is_authority: bool) -> xmlsig.Trust:
    certs = tuple(crypto.certs_from_pem(pem))
    return xmlsig.Trust(authorities=certs) if is_authority else xmlsig.Trust(certificates=certs)


def add_trusted_certificate(actor, *, name: str, pem: str) -> TrustedCertificate:
    """Trust a certificate (or a CA, if it is one) for verifying signatures made elsewhere."""
    try:
        certs = crypto.certs_from_pem(pem)
    except ValueError:
        certs = []
    if not certs:
        raise ValidationError({"certificate": [_("This is not a certificate in PEM format.")]})
    cert = certs[0]
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = False
    fp = crypto.fingerprint(cert)
    with transaction.atomic():
        trusted, created = TrustedCertificate.objects.get_or_create(
            fingerprint=fp, defaults={"name": name, "certificate_pem": pem, "is_authority": is_ca}
        )
        if created:
            audit.record(
                actor=actor,
                action="signing.trust_certificate",
                target=trusted,
                data={"name": name, "fingerprint": fp, "authority": is_ca},
            )
    return trusted


def authority_pem() -> str:
    """The CA certificate other installations configure to trust this one."""
    return crypto.cert_to_pem(authority().certificate)


# =============================================================================================
# PDF signatures: signing identities (people and agency seals), trust roots, the demo PKI and
# the product's own timestamp authority, CRLs and OCSP responder.
#
# Choices:
# - The demo PDF hierarchy lives in `Authority` beside the exchange's CA, distinguished by `role`
#   (root → issuing; the TSA and the OCSP responder are issued by the issuing CA). The exchange
#   keeps its own single CA (`authority()`, role "exchange"): its XML agency keys are unchanged.
# - A PKCS#12 upload is accepted when the password opens it, it holds an RSA (≥ 2048 bits) or EC
#   key with its certificate, the certificate is valid now, allows signing (not a CA, key usage
#   digital signature or non-repudiation) and names its owner: a person's full name as the common
#   name, compared without case, accents or spacing (CAs often write names in capitals without
#   diacritics); an agency's identifier code (UID) or its name or short name as the common name.
# - Trust roots for PDFs are province-wide: only province administrators (superusers) and the
#   command line add them. Signing identities: province administrators for everyone, an agency's
#   administrator for its own people and its seal.
# =============================================================================================

DEFAULT_PKCS11_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
MAX_PKCS12_BYTES = 256 * 1024
# A signature or seal image at 300 dpi is a few hundred pixels a side; refuse absurd sizes early.
MAX_IMAGE_PIXELS = 4000 * 4000
MAX_IMAGE_BYTES = 2 * 1024 * 1024
SEAL_WIDTH_MM = 36.0

_REASON_FLAGS = {
    SigningIdentity.Reason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    SigningIdentity.Reason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    SigningIdentity.Reason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    SigningIdentity.Reason.SUPERSEDED: x509.ReasonFlags.superseded,
    SigningIdentity.Reason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}


# --- small helpers ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Case, accents, đ and spacing folded: "NGUYEN VAN  DUC" == "Nguyễn Văn Đức"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def _common_name(text: str, *, fallback: str = "") -> str:
    """A name that fits a certificate's CN: cryptography counts its 64 in UTF-8 bytes, and a
    Vietnamese name takes 1–3 bytes a letter. Too long: the fallback (an agency's short name),
    else cut at a letter boundary."""
    for candidate in (text, fallback):
        if candidate and len(candidate.encode()) <= 64:
            return candidate
    return text.encode()[:64].decode(errors="ignore")


def _serial_hex(serial: int) -> str:
    return format(serial, "x")


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@functools.lru_cache(maxsize=4096)
def _load_any_key(pem: str):
    """A stored private key of any supported kind (RSA or EC) — `crypto.key_from_pem` is RSA-only."""
    return serialization.load_pem_private_key(pem.encode(), password=_passphrase())


def _is_admin(actor) -> bool:
    return actor is None or (actor.is_active and (actor.is_superuser or actor.has_role(Role.ADMIN)))


def _check_owner_permission(actor, *, person: Person | None, agency: Agency | None) -> None:
    allowed = (
        org_services.can_manage_person(actor, person)
        if person is not None
        else org_services.can_manage_people_of(actor, agency)
    )
    if not (_is_admin(actor) and allowed):
        raise PermissionDenied(_("You do not have permission to do this."))


def _is_province_admin(actor) -> bool:
    return actor is None or (actor.is_active and actor.is_superuser)


def public_url() -> str:
    """The address other parties reach this installation at (baked into demo certificates)."""
    url = settings.VANBAN.get("PUBLIC_URL") or os.environ.get("VANBAN_PUBLIC_URL") or DEFAULT_PUBLIC_URL
    return url.rstrip("/")


def tsa_url() -> str:
    return settings.VANBAN.get("TSA_URL") or os.environ.get("VANBAN_TSA_URL") or f"{public_url()}/pki/tsa/"


# --- the demo PDF hierarchy --------------------------------------------------------------------


def _pki_authority(role: str) -> Authority | None:
    return Authority.objects.filter(role=role).order_by("pk").first()


def _pair_of(ca: Authority) -> crypto.KeyPair:
    return crypto.KeyPair(_load_any_key(ca.private_key_pem), _load_cert(ca.certificate_pem))


def _service(role: str) -> tuple[crypto.KeyPair, list[x509.Certificate]] | None:
    """The key and chain of a PKI service (issuing CA, TSA, OCSP responder), cached per process."""

    def load():
        ca = _pki_authority(role)
        return None if ca is None else (_pair_of(ca), _chain_of_authority(ca))

    hit = _cached(("pki", role), load)
    if hit is None:
        _cache.pop(("pki", role), None)  # not created yet: look again next time
    return hit


def _chain_of_authority(ca: Authority) -> list[x509.Certificate]:
    """The certificates above `ca`, nearest first."""
    chain = []
    parent = ca.parent
    while parent is not None:
        chain.append(_load_cert(parent.certificate_pem))
        parent = parent.parent
    return chain


def _store_authority(role: str, name: str, pair: crypto.KeyPair, *, parent=None, slug: str = "") -> Authority:
    ca = Authority.objects.create(
        role=role,
        name=name,
        slug=slug,
        parent=parent,
        certificate_pem=crypto.cert_to_pem(pair.certificate),
        private_key_pem=crypto.key_to_pem(pair.key, _passphrase()),
    )
    audit.record(
        actor=None,
        action="signing.create_authority",
        target=ca,
        data={"role": role, "fingerprint": crypto.fingerprint(pair.certificate)},
    )
    transaction.on_commit(lambda: _cache.pop(("pki", role), None))
    return ca


def _issuing_authority_of(cert: x509.Certificate) -> Authority | None:
    """Our demo CA that issued `cert`, if any (its CRL and OCSP answers then cover it)."""
    for ca in Authority.objects.filter(role__in=[Authority.Role.ROOT, Authority.Role.ISSUING]):
        if crypto.is_issued_by(cert, _load_cert(ca.certificate_pem)):
            return ca
    return None


def demo_pki(*, base_url: str | None = None) -> dict[str, int]:
    """The demo province PKI (`vanban pki demo`): root → issuing CA, the timestamp authority and
    OCSP responder, the root trusted for PDF signatures, and one signing identity (with a
    signature or seal image) per active leader and per agency that has people. Certificates
    point to this installation's CRL and OCSP URLs under `base_url`. Idempotent: what exists is
    kept, so running it again creates nothing new; returns what was created."""
    from . import images  # Pillow: only the demo needs it

    base = (base_url or public_url()).rstrip("/")
    place = settings.VANBAN["PROVINCE_PLACE"]
    created = {"authorities": 0, "people": 0, "agencies": 0}
    with _lock, transaction.atomic():
        root_row = _pki_authority(Authority.Role.ROOT)
        if root_row is None:
            name = f"Root CA tỉnh {place} (demo)"
            root_row = _store_authority(Authority.Role.ROOT, name, pki.make_root(name), slug="root")
            created["authorities"] += 1
        root = _pair_of(root_row)
        add_trust_root(None, crypto.cert_to_pem(root.certificate))

        issuing_row = _pki_authority(Authority.Role.ISSUING)
        if issuing_row is None:
            name = f"CA ký số tỉnh {place} (demo)"
            pair = pki.make_issuing_ca(root, name, crl_url=f"{base}/pki/crl/root.crl")
            issuing_row = _store_authority(Authority.Role.ISSUING, name, pair, parent=root_row, slug="ca")
            created["authorities"] += 1
        issuing = _pair_of(issuing_row)

        if _pki_authority(Authority.Role.TSA) is None:
            name = f"Dịch vụ cấp dấu thời gian tỉnh {place} (demo)"
            _store_authority(Authority.Role.TSA, name, pki.issue_tsa(issuing, name), parent=issuing_row)
            created["authorities"] += 1
        if _pki_authority(Authority.Role.OCSP) is None:
            name = f"OCSP tỉnh {place} (demo)"
            _store_authority(Authority.Role.OCSP, name, pki.issue_ocsp_responder(issuing, name), parent=issuing_row)
            created["authorities"] += 1

        pointers = {"crl_url": f"{base}/pki/crl/ca.crl", "ocsp_url": f"{base}/pki/ocsp/"}
        leaders = (
            Person.objects.filter(role_grants__role=Role.LEADER, is_active=True, signing_identities__isnull=True)
            .select_related("agency")
            .distinct()
            .order_by("pk")
        )
        for person in leaders:
            pair = pki.issue_signer(
                issuing,
                _common_name(person.full_name or person.username),
                organization=_common_name(person.agency.name, fallback=person.agency.short_name)
                if person.agency
                else "",
                email=person.email,
                **pointers,
            )
            _store_identity(
                None,
                pair.certificate,
                [issuing.certificate, root.certificate],
                person=person,
                key=pair.key,
                image=images.signature_png(person.full_name or person.username),
                image_width_mm=None,
                issuer=issuing_row,
            )
            created["people"] += 1
        agencies = (
            Agency.objects.filter(people__isnull=False, signing_identities__isnull=True).distinct().order_by("pk")
        )
        for agency in agencies:
            pair = pki.issue_signer(
                issuing, _common_name(agency.name, fallback=agency.short_name), identifier=agency.identifier, **pointers
            )
            _store_identity(
                None,
                pair.certificate,
                [issuing.certificate, root.certificate],
                agency=agency,
                key=pair.key,
                image=images.seal_png(agency.name, diameter_mm=SEAL_WIDTH_MM),
                image_width_mm=SEAL_WIDTH_MM,
                issuer=issuing_row,
            )
            created["agencies"] += 1
    return created


def issue_demo_identity(
    *,
    person: Person | None = None,
    agency: Agency | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    base_url: str | None = None,
) -> SigningIdentity:
    """A new identity from the demo issuing CA (e.g. a replacement after a revocation, or a test's
    short-lived certificate). The demo PKI must exist."""
    issuing_row = _pki_authority(Authority.Role.ISSUING)
    if issuing_row is None:
        raise ValidationError({"pki": [_("The demo PKI has not been set up (vanban pki demo).")]})
    issuing = _pair_of(issuing_row)
    base = (base_url or public_url()).rstrip("/")
    if person is not None:
        cn = _common_name(person.full_name or person.username)
        kw = {
            "organization": _common_name(person.agency.name, fallback=person.agency.short_name) if person.agency else ""
        }
    else:
        cn, kw = _common_name(agency.name, fallback=agency.short_name), {"identifier": agency.identifier}
    pair = pki.issue_signer(
        issuing,
        cn,
        not_before=not_before,
        not_after=not_after,
        crl_url=f"{base}/pki/crl/ca.crl",
        ocsp_url=f"{base}/pki/ocsp/",
        **kw,
    )
    from . import images

    with transaction.atomic():
        return _store_identity(
            None,
            pair.certificate,
            [issuing.certificate, *_chain_of_authority(issuing_row)],
            person=person,
            agency=agency,
            key=pair.key,
            image=images.signature_png(person.full_name or person.username)
            if person is not None
            else images.seal_png(agency.name, diameter_mm=SEAL_WIDTH_MM),
            image_width_mm=None if person is not None else SEAL_WIDTH_MM,
            issuer=issuing_row,
        )


# --- signing identities ----------------------------------------------------------------------


def _store_identity(
    actor,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    *,
    person: Person | None = None,
    agency: Agency | None = None,
    key=None,
    token: dict | None = None,
    image: bytes | None,
    image_width_mm: float | None,
    issuer: Authority | None = None,
) -> SigningIdentity:
    """Store a checked certificate (caller's transaction)."""
    identity = SigningIdentity.objects.create(
        person=person,
        agency=agency,
        kind=SigningIdentity.Kind.FILE if key is not None else SigningIdentity.Kind.PKCS11,
        certificate_pem=crypto.cert_to_pem(cert),
        chain_pem="".join(crypto.cert_to_pem(c) for c in chain),
        private_key_pem=crypto.key_to_pem(key, _passphrase()) if key is not None else "",
        fingerprint=crypto.fingerprint(cert),
        serial_number=_serial_hex(cert.serial_number),
        issuer=issuer if issuer is not None else _issuing_authority_of(cert),
        subject=cert.subject.rfc4514_string()[:300],
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        image=image,
        image_width_mm=image_width_mm,
        created_by=actor,
        **(token or {}),
    )
    audit.record(
        actor=actor,
        action="signing.add_identity",
        target=identity,
        data={
            "owner": f"person:{person.pk}" if person is not None else f"agency:{agency.pk}",
            "kind": identity.kind,
            "fingerprint": identity.fingerprint,
            "subject": identity.subject,
            "not_after": identity.not_after.isoformat(),
        },
    )
    return identity


def _check_owner(owner_person, owner_agency) -> None:
    if (owner_person is None) == (owner_agency is None):
        raise ValidationError({"owner": [_("Choose either a person or an agency.")]})


def _check_image(image: bytes | None) -> None:
    if image is None:
        return
    from PIL import Image, UnidentifiedImageError

    error = ValidationError({"image": [_("The image must be a PNG file of at most 2 MB.")]})
    if len(image) > MAX_IMAGE_BYTES or not image.startswith(b"\x89PNG\r\n\x1a\n"):
        raise error
    try:
        with Image.open(io.BytesIO(image)) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise error
            img.verify()
    # Pillow reports a broken PNG as SyntaxError and a decompression bomb as its own error.
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise error from exc


def _check_certificate(cert: x509.Certificate, *, person: Person | None, agency: Agency | None) -> None:
    """A certificate fit to sign documents for its owner, now (see the choices above)."""
    now = timezone.now()
    if cert.not_valid_after_utc <= now:
        raise ValidationError(
            {
                "certificate": [
                    _("The certificate expired on %(date)s.") % {"date": date_format(cert.not_valid_after_utc)}
                ]
            }
        )
    if cert.not_valid_before_utc > now:
        raise ValidationError(
            {
                "certificate": [
                    _("The certificate is not valid before %(date)s.")
                    % {"date": date_format(cert.not_valid_before_utc)}
                ]
            }
        )
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValidationError({"certificate": [_("Only RSA and elliptic-curve (ECDSA) keys are supported.")]})
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < 2048:
        raise ValidationError({"certificate": [_("RSA keys shorter than 2048 bits are refused.")]})
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise ValidationError({"certificate": [_("This certificate may not be used to sign documents.")]})
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise ValidationError({"certificate": [_("This certificate may not be used to sign documents.")]})
    except x509.ExtensionNotFound:
        pass
    cn = _fold(crypto.common_name_of(cert))
    if person is not None:
        full_name = person.full_name or ""
        matches = cn in {_fold(full_name), _fold(_common_name(full_name))}
        owner = person.full_name or person.username
    else:
        names = (agency.name, agency.short_name, _common_name(agency.name), _common_name(agency.short_name))
        matches = crypto.identifier_of(cert) == agency.identifier or cn in {_fold(n) for n in names}
        owner = agency.name
    if not matches:
        raise ValidationError(
            {
                "certificate": [
                    _("The certificate is issued to “%(subject)s”, not to %(owner)s.")
                    % {"subject": crypto.common_name_of(cert), "owner": owner}
                ]
            }
        )
    if SigningIdentity.objects.filter(fingerprint=crypto.fingerprint(cert)).exists():
        raise ValidationError({"certificate": [_("This certificate is already registered.")]})


def _ordered_chain(leaf: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    """`others` nearest issuer first (as far as they link up), the rest after; our own demo
    CAs appended when they issued the leaf and the file left them out."""
    pool = [c for c in others if c != leaf]
    chain: list[x509.Certificate] = []
    current = leaf
    while True:
        nxt = next((c for c in pool if crypto.is_issued_by(current, c)), None)
        if nxt is None or nxt in chain:
            break
        chain.append(nxt)
        pool.remove(nxt)
        if nxt.issuer == nxt.subject:
            break
        current = nxt
    if not chain:
        ca = _issuing_authority_of(leaf)
        if ca is not None:
            chain = [_load_cert(ca.certificate_pem), *_chain_of_authority(ca)]
    return chain + pool


def _parse_pkcs12(data: bytes, password: str):
    if not data or len(data) > MAX_PKCS12_BYTES:
        raise ValidationError({"file": [_("This is not a PKCS#12 (.p12, .pfx) file.")]})
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        pfx["auth_safe"]["content_type"].native  # noqa: B018 (asn1crypto parses lazily)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationError({"file": [_("This is not a PKCS#12 (.p12, .pfx) file.")]}) from exc
    # A file without a password is opened by None, some tools' "empty" password by b"".
    candidates = [password.encode()] if password else [None, b""]
    for secret in candidates:
        try:
            return pkcs12.load_pkcs12(data, secret)
        except ValueError:
            continue
        except Exception as exc:  # an unsupported algorithm inside a well-formed file
            raise ValidationError({"file": [_("This PKCS#12 file uses an unsupported encryption.")]}) from exc
    raise ValidationError({"password": [_("The password does not open this PKCS#12 file.")]})


def import_pkcs12(
    actor,
    *,
    owner_person: Person | None = None,
    owner_agency: Agency | None = None,
    data: bytes,
    password: str,
    image: bytes | None = None,
    image_width_mm: float | None = None,
) -> SigningIdentity:
    """Register a person's (or an agency's seal) certificate and key from a PKCS#12 file. The key
    is stored re-encrypted with the installation passphrase; the file's password is used only to
    open it, never stored or logged."""
    _check_owner(owner_person, owner_agency)
    _check_owner_permission(actor, person=owner_person, agency=owner_agency)
    _check_image(image)
    bundle = _parse_pkcs12(data, password)
    key = bundle.key
    if key is None:
        raise ValidationError({"file": [_("The file holds no private key.")]})
    if bundle.cert is None:
        raise ValidationError({"file": [_("The file holds no certificate.")]})
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationError({"file": [_("Only RSA and elliptic-curve (ECDSA) keys are supported.")]})
    cert = bundle.cert.certificate
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, spki) != cert.public_key().public_bytes(
        serialization.Encoding.DER, spki
    ):
        raise ValidationError({"file": [_("The certificate in the file does not belong to its private key.")]})
    _check_certificate(cert, person=owner_person, agency=owner_agency)
    chain = _ordered_chain(cert, [c.certificate for c in bundle.additional_certs])
    if image is None:
        image, default_width = _default_image(owner_person, owner_agency)
        image_width_mm = image_width_mm or default_width
    with transaction.atomic():
        return _store_identity(
            actor,
            cert,
            chain,
            person=owner_person,
            agency=owner_agency,
            key=key,
            image=image,
            image_width_mm=image_width_mm,
        )


def _default_image(person: Person | None, agency: Agency | None) -> tuple[bytes | None, float | None]:
    """Seals have a standard size: without an uploaded image the generated one stands in. People
    without an uploaded signature image sign with the name only (None)."""
    if agency is None:
        return None, None
    from . import images

    return images.seal_png(agency.name, diameter_mm=SEAL_WIDTH_MM), SEAL_WIDTH_MM


def _pkcs11_library(library: str | None) -> str:
    """Loading a shared library runs its code in the server: only configured ones are allowed."""
    allowed = list(settings.VANBAN.get("PKCS11_LIBRARIES") or [DEFAULT_PKCS11_LIBRARY])
    library = library or allowed[0]
    if library not in allowed:
        raise ValidationError({"library": [_("This PKCS#11 library is not allowed on this installation.")]})
    return library


@contextlib.contextmanager
def _pkcs11_session(library: str, token_label: str, pin: str):
    from pkcs11 import exceptions as p11_errors
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.pkcs11 import PKCS11Error, open_pkcs11_session

    try:
        session = open_pkcs11_session(library, token_criteria=TokenCriteria(label=token_label), user_pin=pin)
    except (p11_errors.PinIncorrect, p11_errors.PinInvalid, p11_errors.PinLenRange) as exc:
        raise ValidationError({"pin": [_("The PIN is wrong.")]}) from exc
    except p11_errors.PinLocked as exc:
        raise ValidationError({"pin": [_("The token is locked: too many wrong PINs.")]}) from exc
    except (PKCS11Error, SigningError, p11_errors.PKCS11Error) as exc:
        raise ValidationError(
            {"token_label": [_("No token labelled “%(label)s” is connected.") % {"label": token_label}]}
        ) from exc
    try:
        yield session
    finally:
        with contextlib.suppress(Exception):
            session.close()


def _pkcs11_signer(session, identity_or_labels, *, signing_cert=None, chain=()):
    from pyhanko.sign.pkcs11 import PKCS11Signer

    key_label, key_id = identity_or_labels
    return PKCS11Signer(
        session,
        key_label=key_label or None,
        key_id=bytes.fromhex(key_id) if key_id else None,
        cert_label=None if signing_cert is not None else (key_label or None),
        cert_id=None if signing_cert is not None or key_label else (bytes.fromhex(key_id) if key_id else None),
        signing_cert=signing_cert,
        ca_chain=list(chain),
        other_certs_to_pull=None if signing_cert is None else (),
    )


def register_pkcs11(
    actor,
    *,
    owner_person: Person | None = None,
    owner_agency: Agency | None = None,
    token_label: str,
    key_label: str = "",
    key_id: str = "",
    pin: str,
    library: str | None = None,
    image: bytes | None = None,
    image_width_mm: float | None = None,
) -> SigningIdentity:
    """Register a key on a PKCS#11 token (its certificate read from the token, by the key's label
    or id). The PIN opens the token once, here; it is never stored: each signing asks for it."""
    from pkcs11 import exceptions as p11_errors
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.pkcs11 import PKCS11Error

    _check_owner(owner_person, owner_agency)
    _check_owner_permission(actor, person=owner_person, agency=owner_agency)
    _check_image(image)
    if not token_label or not (key_label or key_id):
        raise ValidationError({"key_label": [_("Give the token's label and the key's label or id.")]})
    library = _pkcs11_library(library)
    with _pkcs11_session(library, token_label, pin) as session:
        signer = _pkcs11_signer(session, (key_label, key_id))
        try:
            asn1_cert = signer.signing_cert  # loads the certificate and finds the private key
            others = list(signer.cert_registry)
        except (PKCS11Error, SigningError, p11_errors.PKCS11Error) as exc:
            raise ValidationError(
                {"key_label": [_("The token holds no key with a certificate under this label or id.")]}
            ) from exc
    cert = x509.load_der_x509_certificate(asn1_cert.dump())
    _check_certificate(cert, person=owner_person, agency=owner_agency)
    chain = _ordered_chain(cert, [x509.load_der_x509_certificate(c.dump()) for c in others])
    if image is None:
        image, default_width = _default_image(owner_person, owner_agency)
        image_width_mm = image_width_mm or default_width
    with transaction.atomic():
        return _store_identity(
            actor,
            cert,
            chain,
            person=owner_person,
            agency=owner_agency,
            token={"token_label": token_label, "key_label": key_label, "key_id": key_id, "library": library},
            image=image,
            image_width_mm=image_width_mm,
        )


def _usable(qs):
    now = timezone.now()
    return qs.filter(active=True, revoked_at__isnull=True, not_before__lte=now, not_after__gt=now).order_by(
        "-created_at", "-pk"
    )


def identity_of_person(person: Person) -> SigningIdentity | None:
    """The person's current signing identity (active, not revoked, valid now), newest first."""
    return _usable(SigningIdentity.objects.filter(person=person)).first()


def seal_of_agency(agency: Agency) -> SigningIdentity | None:
    """The agency's current seal identity (active, not revoked, valid now), newest first."""
    return _usable(SigningIdentity.objects.filter(agency=agency)).first()


def may_sign_with(person: Person, identity: SigningIdentity) -> bool:
    """A person signs only with their own certificate; an agency's seal only by its clerks."""
    if not person.is_active:
        return False
    if identity.person_id is not None:
        return identity.person_id == person.pk
    return identity.agency_id == person.agency_id and person.has_role(Role.CLERK)


def identity_chain(identity: SigningIdentity) -> list[x509.Certificate]:
    return [_load_cert(identity.certificate_pem), *_chain_certs(identity.chain_pem)]


@functools.lru_cache(maxsize=1024)
def _chain_certs(pem: str) -> tuple[x509.Certificate, ...]:
    return tuple(crypto.certs_from_pem(pem)) if pem.strip() else ()


def _check_usable(identity: SigningIdentity) -> None:
    now = timezone.now()
    if identity.revoked_at is not None:
        raise ValidationError({"identity": [_("This certificate has been revoked.")]})
    if not identity.active:
        raise ValidationError({"identity": [_("This certificate is no longer in use.")]})
    if not (identity.not_before <= now < identity.not_after):
        raise ValidationError({"identity": [_("This certificate is not valid now.")]})


def signer_for(identity: SigningIdentity, *, pin: str | None = None):
    """A ready pyHanko Signer for `identity`, its chain in the signer's certificate registry.
    File keys: a SimpleSigner, cached per process. Tokens: a PKCS11Signer on a session opened
    with `pin` — close it after signing with `close_signer` (or use `signing_session`).
    Refuses (ValidationError) a revoked, inactive or expired identity."""
    _check_usable(identity)
    if identity.kind == SigningIdentity.Kind.FILE:
        return _cached(("identity", identity.pk, identity.fingerprint), lambda: _simple_signer(identity))
    if not pin:
        raise ValidationError({"pin": [_("Enter the token's PIN.")]})
    from pkcs11 import exceptions as p11_errors
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.pkcs11 import PKCS11Error

    library = _pkcs11_library(identity.library)
    context = _pkcs11_session(library, identity.token_label, pin)
    session = context.__enter__()
    try:
        certs = identity_chain(identity)
        signer = _pkcs11_signer(
            session,
            (identity.key_label, identity.key_id),
            signing_cert=_asn1_cert(certs[0]),
            chain=[_asn1_cert(c) for c in certs[1:]],
        )
        signer._load_objects()  # find the key now: a wrong label fails here, not mid-signature
    except (PKCS11Error, SigningError, p11_errors.PKCS11Error) as exc:
        context.__exit__(None, None, None)
        raise ValidationError({"key_label": [_("The token holds no key under this label or id.")]}) from exc
    signer._vanban_session_context = context
    return signer


def close_signer(signer) -> None:
    """Close the token session of a PKCS#11 signer (no-op for file keys)."""
    context = getattr(signer, "_vanban_session_context", None)
    if context is not None:
        signer._vanban_session_context = None
        context.__exit__(None, None, None)


@contextlib.contextmanager
def signing_session(identity: SigningIdentity, *, pin: str | None = None):
    """`with signing_session(identity, pin=pin) as signer: ...` — closes a token session after."""
    signer = signer_for(identity, pin=pin)
    try:
        yield signer
    finally:
        close_signer(signer)


def _simple_signer(identity: SigningIdentity):
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from .pdf import KeptKeySigner

    key = _load_any_key(identity.private_key_pem)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    certs = identity_chain(identity)
    return KeptKeySigner(
        signing_cert=_asn1_cert(certs[0]),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in certs[1:]]),
    )


def revoke(actor, identity: SigningIdentity, *, reason: str = SigningIdentity.Reason.UNSPECIFIED) -> SigningIdentity:
    """Revoke a signing identity: it signs no more, and when our demo CA issued it, its CRL and
    OCSP answers say so from now on."""
    if reason not in SigningIdentity.Reason.values:
        raise ValidationError({"reason": [_("Choose a reason.")]})
    with transaction.atomic():
        identity = (
            SigningIdentity.objects.select_for_update(of=("self",))
            .select_related("person", "agency")
            .get(pk=identity.pk)
        )
        _check_owner_permission(actor, person=identity.person, agency=identity.agency)
        if identity.revoked_at is not None:
            raise ValidationError({"identity": [_("This certificate has already been revoked.")]})
        identity.revoked_at = timezone.now()
        identity.revocation_reason = reason
        identity.save(update_fields=["revoked_at", "revocation_reason"])
        audit.record(
            actor=actor,
            action="signing.revoke_identity",
            target=identity,
            data={"fingerprint": identity.fingerprint, "reason": reason},
        )
        key = ("identity", identity.pk, identity.fingerprint)
        transaction.on_commit(lambda: _cache.pop(key, None))
        _crl_cache.clear()  # now, and again once committed (a CRL made in between is stale)
        transaction.on_commit(_crl_cache.clear)
    return identity


# --- trust roots -----------------------------------------------------------------------------


def add_trust_root(actor, pem: str | bytes, *, name: str = "") -> TrustedCertificate:
    """Trust a CA certificate as a root of PDF signatures (province-wide: province administrators
    and the command line only)."""
    if not _is_province_admin(actor):
        raise PermissionDenied(_("You do not have permission to do this."))
    try:
        certs = crypto.certs_from_pem(pem)
    except ValueError:
        certs = []
    if len(certs) != 1:
        raise ValidationError({"certificate": [_("Give exactly one certificate in PEM format.")]})
    cert = certs[0]
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValidationError({"certificate": [_("Only a certificate authority's certificate can be a trust root.")]})
    fp = crypto.fingerprint(cert)
    pem_text = crypto.cert_to_pem(cert)
    with transaction.atomic():
        trusted, created = TrustedCertificate.objects.select_for_update().get_or_create(
            fingerprint=fp,
            defaults={
                "name": (name or crypto.common_name_of(cert))[:200],
                "certificate_pem": pem_text,
                "is_authority": True,
                "pdf_root": True,
            },
        )
        if created or not trusted.pdf_root:
            if not trusted.pdf_root:
                trusted.pdf_root = True
                trusted.save(update_fields=["pdf_root"])
            audit.record(
                actor=actor,
                action="signing.add_trust_root",
                target=trusted,
                data={"name": trusted.name, "fingerprint": fp},
            )
    return trusted


def trust_roots() -> list[x509.Certificate]:
    """The roots PDF signatures must chain to."""
    return [
        _load_cert(pem)
        for pem in TrustedCertificate.objects.filter(pdf_root=True).values_list("certificate_pem", flat=True)
    ]


# --- the product's PKI services: timestamps, CRLs, OCSP ----------------------------------------


def timestamper():
    """The timestamp client signing uses: RFC 3161 over HTTP to `VANBAN["TSA_URL"]`, by default
    this installation's own /pki/tsa/."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(tsa_url(), timeout=10)


def local_timestamper():
    """The demo TSA in process (same tokens as /pki/tsa/, no HTTP): for tests, benchmarks and
    command-line signing on the server itself. None without the demo PKI."""
    from .pdf import KeptKeyTimeStamper

    service = _service(Authority.Role.TSA)
    if service is None:
        return None
    tsa, chain = service
    # One per TSA certificate and process: it keeps its parsed key (see pdf.KeptKeyTimeStamper).
    return _cached(
        ("tsa", crypto.fingerprint(tsa.certificate)),
        lambda: KeptKeyTimeStamper(
            tsa_cert=_asn1_cert(tsa.certificate),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                tsa.key.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
            certs_to_embed=[_asn1_cert(c) for c in chain],
        ),
    )


def timestamp_reply(request_der: bytes) -> bytes | None:
    """The RFC 3161 reply of this installation's TSA; None when the demo PKI is absent."""
    service = _service(Authority.Role.TSA)
    if service is None:
        return None
    tsa, chain = service
    return protocols.timestamp_response(request_der, tsa, chain=chain)


def _revocations_of(ca: Authority) -> list[pki.Revocation]:
    rows = SigningIdentity.objects.filter(issuer=ca, revoked_at__isnull=False).values_list(
        "serial_number", "revoked_at"
    )
    return [pki.Revocation(int(serial, 16), at) for serial, at in rows]


def crl_der(slug: str) -> bytes | None:
    """The current CRL of our CA `slug` ("root", "ca"), DER; None for an unknown CA. Numbered by
    the second it is made, so numbers grow without a write on every fetch."""
    ca = Authority.objects.filter(slug=slug, role__in=[Authority.Role.ROOT, Authority.Role.ISSUING]).first()
    if ca is None:
        return None
    now = dt.datetime.now(dt.UTC)
    crl = pki.make_crl(_pair_of(ca), _revocations_of(ca), number=int(now.timestamp()), now=now)
    return crl.public_bytes(serialization.Encoding.DER)


def _ocsp_status(issuer: x509.Certificate, serial: int) -> protocols.Status:
    ca = Authority.objects.filter(certificate_pem=crypto.cert_to_pem(issuer)).first()
    if ca is None:
        return protocols.Status.unknown()
    row = SigningIdentity.objects.filter(issuer=ca, serial_number=_serial_hex(serial)).first()
    if row is not None:
        if row.revoked_at is None:
            return protocols.Status.good()
        return protocols.Status("revoked", row.revoked_at, _REASON_FLAGS.get(row.revocation_reason))
    # The CA's own service certificates (TSA, responder, issuing CA under the root) are good.
    for child in Authority.objects.filter(parent=ca):
        if _load_cert(child.certificate_pem).serial_number == serial:
            return protocols.Status.good()
    return protocols.Status.unknown()


def ocsp_reply(request_der: bytes) -> bytes | None:
    """The RFC 6960 reply of this installation's OCSP responder; None without the demo PKI."""
    service = _service(Authority.Role.OCSP)
    issuing = _pki_authority(Authority.Role.ISSUING)
    if service is None or issuing is None:
        return None
    responder = service[0]
    # The delegated responder speaks for the issuing CA only (it is that CA's delegate).
    return protocols.ocsp_response(
        request_der, issuers=[_load_cert(issuing.certificate_pem)], status=_ocsp_status, responder=responder
    )


# Our CRLs as DER, per process, for a few seconds: every validation context carries them, and making
# one signs it. `revoke` forgets them; a revocation made by another process shows within the TTL.
_CRL_TTL_SECONDS = 5
_crl_cache: dict[str, tuple[float, bytes | None]] = {}


def _crl_der_cached(slug: str) -> bytes | None:
    now = time.monotonic()
    hit = _crl_cache.get(slug)
    if hit is not None and hit[0] > now:
        return hit[1]
    der = crl_der(slug)
    _crl_cache[slug] = (now + _CRL_TTL_SECONDS, der)
    return der


def validation_context(
    *,
    moment: dt.datetime | None = None,
    fetch: bool = True,
    revocation_mode: str = "soft-fail",
    extra_roots: list[x509.Certificate] = (),
):
    """THE ValidationContext for PDF signatures: the configured trust roots, our CAs and TSA as
    known intermediates, our own CRLs built in process (no HTTP round trip to ourselves), and —
    when `fetch` — other revocation data fetched from the URLs certificates name. URLs under our
    own public URL (our OCSP responder and CRLs) are answered in process, never over HTTP."""
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

    from .fetchers import InProcessFetcherBackend

    others = [
        _load_cert(pem)
        for pem in Authority.objects.filter(
            role__in=[Authority.Role.ISSUING, Authority.Role.TSA, Authority.Role.OCSP]
        ).values_list("certificate_pem", flat=True)
    ]
    ders = [
        der
        for slug in Authority.objects.filter(role__in=[Authority.Role.ROOT, Authority.Role.ISSUING])
        .exclude(slug="")
        .values_list("slug", flat=True)
        if (der := _crl_der_cached(slug)) is not None
    ]
    crls = [asn1_crl.CertificateList.load(der) for der in ders]
    kwargs = {"moment": moment} if moment is not None else {}
    if fetch:
        # Our OCSP answers are reused while our CRLs stay the same (see `_crl_der_cached`).
        backend = InProcessFetcherBackend(
            public_url(), ocsp_reply=ocsp_reply, crl_der=_crl_der_cached, snapshot=(public_url(), *ders)
        )
        kwargs["fetcher_backend"] = OwnedFetcherBackend(backend)  # the context closes it
    return ValidationContext(
        trust_roots=[_asn1_cert(c) for c in [*trust_roots(), *extra_roots]],
        other_certs=[_asn1_cert(c) for c in others],
        crls=crls,
        allow_fetching=fetch,
        revocation_mode=revocation_mode,
        **kwargs,
    )
