"""Keys and certificates: the only place that creates or reads private keys.

Private keys are stored encrypted (PKCS#8) with the installation's key passphrase
(`VANBAN_KEY_PASSPHRASE`, or for the embedded single-machine default a random one kept in the data
directory). Loaded keys are cached per process: parsing a key costs far more than a signature.
"""

from __future__ import annotations

import functools
import threading
import time

from cryptography import x509
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.orgs.models import Agency

from . import crypto, xmlsig
from .models import AgencyKey, Authority, TrustedCertificate

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
    ca = Authority.objects.order_by("pk").first()
    if ca is None:
        with _lock, transaction.atomic():
            ca = Authority.objects.select_for_update().order_by("pk").first()
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
