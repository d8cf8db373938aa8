"""The one key store: the installation's certificate authorities (demo PKI), agencies' XML signing
keys, the signing identities of people and agencies for PDF signatures, and certificates trusted
for verification (peers' systems, roots of PDF signatures)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["AgencyKey", "Authority", "SigningIdentity", "TrustedCertificate"]


class Authority(models.Model):
    """A key this installation holds to run a PKI service: the exchange's single CA (which issues
    agencies' XML signing keys), and the demo PDF hierarchy — root → issuing CA, whose key also
    signs CRLs — plus the timestamp authority and the OCSP responder, issued by the issuing CA."""

    class Role(models.TextChoices):
        EXCHANGE = "exchange", _("Exchange CA")
        ROOT = "root", _("Root CA")
        ISSUING = "issuing", _("Issuing CA")
        TSA = "tsa", _("Timestamp authority")
        OCSP = "ocsp", _("OCSP responder")

    name = models.CharField(max_length=200)
    # Existing rows are the exchange's CA: `services.authority()` picks that role only.
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EXCHANGE)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Names the CA's CRL: /pki/crl/<slug>.crl (root and issuing CAs only).
    slug = models.SlugField(max_length=50, blank=True)
    certificate_pem = models.TextField()
    private_key_pem = models.TextField(help_text="PKCS#8, encrypted with VANBAN_KEY_PASSPHRASE")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate authority")
        constraints = [
            models.UniqueConstraint(fields=["slug"], condition=~Q(slug=""), name="authority_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AgencyKey(models.Model):
    """An agency's signing key and certificate. The newest active one signs; older ones stay for
    the record."""

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="signing_keys")
    certificate_pem = models.TextField()
    private_key_pem = models.TextField(help_text="PKCS#8, encrypted with VANBAN_KEY_PASSPHRASE")
    fingerprint = models.CharField(max_length=64, unique=True)
    not_after = models.DateTimeField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "-created_at"]
        verbose_name = _("agency signing key")

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.fingerprint[:12]}"


class TrustedCertificate(models.Model):
    """A certificate trusted to verify signatures made elsewhere (a peer system's certificate or
    its CA). Exchange peers point to one of these."""

    name = models.CharField(max_length=200)
    certificate_pem = models.TextField()
    fingerprint = models.CharField(max_length=64, unique=True)
    is_authority = models.BooleanField(default=False)
    # A root for PDF signatures (configured by an administrator, or the demo root). A flag rather
    # than a kind: the same CA may be both an exchange peer's and a PDF root.
    pdf_root = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("trusted certificate")

    def __str__(self) -> str:
        return self.name


class SigningIdentity(models.Model):
    """What signs PDFs: a person's certificate (a leader's signature) or an agency's (the seal),
    with its key — in the database, encrypted with the installation passphrase (`file`), or on a
    PKCS#11 token whose PIN is given at each signing and never stored (`pkcs11`) — and the image
    its signature shows."""

    class Kind(models.TextChoices):
        FILE = "file", _("Key file (PKCS#12)")
        PKCS11 = "pkcs11", _("Hardware token (PKCS#11)")

    class Reason(models.TextChoices):
        # RFC 5280 reason codes (those that make sense for a signer).
        UNSPECIFIED = "unspecified", _("Unspecified")
        KEY_COMPROMISE = "key_compromise", _("Key compromised")
        AFFILIATION_CHANGED = "affiliation_changed", _("Affiliation changed")
        SUPERSEDED = "superseded", _("Superseded")
        CESSATION_OF_OPERATION = "cessation_of_operation", _("Cessation of operation")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="signing_identities"
    )
    agency = models.ForeignKey(
        "orgs.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="signing_identities"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    certificate_pem = models.TextField()
    chain_pem = models.TextField(blank=True, help_text="issuing CAs, PEM, nearest first")
    private_key_pem = models.TextField(blank=True, help_text="PKCS#8, encrypted with VANBAN_KEY_PASSPHRASE")
    token_label = models.CharField(max_length=100, blank=True)
    key_label = models.CharField(max_length=100, blank=True)
    key_id = models.CharField(max_length=128, blank=True, help_text="hex")
    library = models.CharField(max_length=300, blank=True)
    fingerprint = models.CharField(max_length=64, unique=True)
    # Hex, lowercase, no leading zeros: serials may be 20 bytes, past any integer column.
    serial_number = models.CharField(max_length=64)
    # The demo CA that issued it, when it is ours: its CRL and OCSP answers list this identity.
    issuer = models.ForeignKey(Authority, null=True, blank=True, on_delete=models.PROTECT, related_name="issued")
    subject = models.CharField(max_length=300, blank=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    active = models.BooleanField(default=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    image = models.BinaryField(null=True, blank=True, help_text="PNG")
    image_width_mm = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signing identity")
        verbose_name_plural = _("signing identities")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, agency__isnull=True) | Q(person__isnull=True, agency__isnull=False),
                name="signing_identity_person_xor_agency",
            ),
        ]
        indexes = [models.Index(fields=["issuer", "serial_number"], name="signing_identity_issuer_serial")]

    def __str__(self) -> str:
        return f"{self.subject or self.fingerprint[:12]}"

    @property
    def is_seal(self) -> bool:
        return self.agency_id is not None
