"""A captured scan: the original bytes, its PDF/A-2b copy with text, the OCR state, and the
archival metadata of the digitised record (archival.FIELDS, TT 02/2019 field codes)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vanban.documents.models import Document, StoredBlob

from .archival import FIELDS

MAX_ATTEMPTS = 3


class Capture(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    # The incoming document this scan belongs to; null for an archival record.
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="captures")
    original = models.ForeignKey(StoredBlob, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)  # ocr.SCAN_KINDS
    pdfa = models.ForeignKey(StoredBlob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # While running: the worker holds the scan until then (renewed as it works; see services.process).
    lease_until = models.DateTimeField(null=True, blank=True)
    # Every run of the OCR, ever (attempts restart at a re-run): the run that owns the capture.
    runs = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Counted by the plan's indicators (1.4b, 1.5, 2.5b): a PDF/A copy with text exists.
    digitised = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Archival metadata (TT 02/2019/TT-BNV codes in archival.FIELDS).
    identifier = models.CharField(_("archive identifier"), max_length=13, blank=True)
    organ_id = models.CharField(_("fonds code"), max_length=13, blank=True)
    file_catalog = models.CharField(_("catalogue number"), max_length=10, blank=True)
    file_notation = models.CharField(_("dossier code"), max_length=20, blank=True)
    doc_ordinal = models.PositiveIntegerField(_("document ordinal"), null=True, blank=True)
    doc_code = models.CharField(_("document identifier code"), max_length=50, blank=True)
    type_name = models.CharField(_("document type"), max_length=100, blank=True)
    code_number = models.CharField(_("number"), max_length=11, blank=True)
    code_notation = models.CharField(_("notation"), max_length=30, blank=True)
    issued_date = models.DateField(_("issued on"), null=True, blank=True)
    organ_name = models.CharField(_("issuing body"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=100, blank=True)
    page_amount = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    description = models.CharField(_("notes"), max_length=500, blank=True)
    infor_sign = models.CharField(_("information sign"), max_length=30, blank=True)
    keyword = models.CharField(_("keywords"), max_length=100, blank=True)
    mode = models.CharField(_("access mode"), max_length=20, blank=True)
    confidence_level = models.CharField(_("confidence level"), max_length=30, blank=True)
    autograph = models.TextField(_("autograph"), max_length=2000, blank=True)
    format = models.CharField(_("physical state"), max_length=50, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # An archive import is resumable: one archival record per scan content and agency.
            models.UniqueConstraint(
                fields=["agency", "original"], condition=Q(document__isnull=True), name="capture_archival_once"
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    def metadata(self) -> dict:
        """The archival metadata keyed by TT 02/2019 field code."""
        return {code: getattr(self, name) for name, (code, _n) in FIELDS.items()}
