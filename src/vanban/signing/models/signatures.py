"""Who signed which document, as whom, when, with which certificate (the plan's indicators 1.4a,
2.5a, 2.6 and 3.3 count signed documents and whether they then went out without paper)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["DocumentSignature"]


class DocumentSignature(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Signed by the competent person")
        SEAL = "seal", _("Signed by the agency")
        ATTACHMENT = "attachment", _("Attachment signed by the agency")

    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="signatures")
    file = models.ForeignKey("documents.DocumentFile", on_delete=models.PROTECT, related_name="signatures")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    identity = models.ForeignKey("signing.SigningIdentity", on_delete=models.PROTECT, related_name="+")
    # The person who signed in their own name, or who applied the agency's seal (a clerk).
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("orgs.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    field_name = models.CharField(max_length=100)
    certificate_fingerprint = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    timestamped = models.BooleanField(default=False)
    long_term = models.BooleanField(default=False, help_text="validation data embedded (PAdES B-LT)")
    blob_before = models.CharField(max_length=64)
    blob_after = models.CharField(max_length=64)

    class Meta:
        ordering = ["document", "signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="person") | Q(agency__isnull=False), name="signing_seal_names_agency"
            ),
            # The agency signs a file once (the last guard against two clerks at once).
            models.UniqueConstraint(fields=["file"], condition=~Q(kind="person"), name="signing_agency_signs_once"),
        ]
        indexes = [models.Index(fields=["kind", "signed_at"])]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.kind} {self.field_name}"
