"""The one key store: the installation's certificate authority (demo PKI), agencies' signing keys
and certificates, and certificates trusted for verification (peers' systems)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AgencyKey", "Authority", "TrustedCertificate"]


class Authority(models.Model):
    """A certificate authority whose key this installation holds (the demo province CA)."""

    name = models.CharField(max_length=200)
    certificate_pem = models.TextField()
    private_key_pem = models.TextField(help_text="PKCS#8, encrypted with VANBAN_KEY_PASSPHRASE")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate authority")

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("trusted certificate")

    def __str__(self) -> str:
        return self.name
