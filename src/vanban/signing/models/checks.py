"""Results of verifying the signatures of PDF files: one row per check of a document's file, the
latest one wins (a check is repeated when trust roots or revocation change)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["FileCheck"]


class FileCheck(models.Model):
    """One verification of every signature of a PDF file (`verify.verify_pdf`'s report)."""

    class Verdict(models.TextChoices):
        # The same words as the CLI's first word (`verify.VERDICTS`).
        VALID = "valid", _("Valid")
        MODIFIED = "modified", _("Modified after signing")
        UNTRUSTED = "untrusted", _("Signer not trusted")
        REVOKED = "revoked", _("Certificate revoked")
        EXPIRED = "expired", _("Certificate expired at signing time")
        UNSIGNED = "unsigned", _("No digital signature")

    file = models.ForeignKey("documents.DocumentFile", on_delete=models.CASCADE, related_name="signature_checks")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    report = models.JSONField(default=dict)
    checked_at = models.DateTimeField(default=timezone.now)
    # Who asked for the check again; null for the system (on arrival, on upload).
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["file", "-checked_at", "-id"]
        indexes = [models.Index(fields=["file", "-checked_at", "-id"], name="filecheck_latest")]
        verbose_name = _("signature check")

    def __str__(self) -> str:
        return f"{self.file_id}:{self.verdict}"
