"""Official documents as Decree 30/2020/NĐ-CP describes them (metadata of Appendix VI)."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import numbering


def fold_label(text: str) -> str:
    """Lower case, without diacritics (đ → d): for matching what people type against labels."""
    text = unicodedata.normalize("NFD", text.strip().casefold()).replace("đ", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).replace("_", " ")


class ParseableChoices(models.TextChoices):
    @classmethod
    def parse(cls, value: str):
        """The member whose code or Vietnamese label is `value` (case and diacritics ignored), or None."""
        key = fold_label(str(value or ""))
        for member in cls:
            if key in {fold_label(member.value), fold_label(str(member.label))} | {
                fold_label(a) for a in cls.aliases().get(member.value, ())
            }:
                return member
        return None

    @classmethod
    def aliases(cls) -> dict[str, tuple[str, ...]]:
        return {}


class Direction(ParseableChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")
    INTERNAL = "internal", _("Internal")


class DeliveryMode(ParseableChoices):
    ELECTRONIC = "electronic", _("Fully electronic")
    ELECTRONIC_WITH_PAPER = "electronic_with_paper", _("Electronic with a paper copy")
    PAPER = "paper", _("Paper only")

    @classmethod
    def aliases(cls):
        return {
            "electronic": ("điện tử", "văn bản điện tử"),
            "electronic_with_paper": ("điện tử kèm giấy", "điện tử và giấy"),
            "paper": ("giấy", "văn bản giấy"),
        }


class Urgency(ParseableChoices):
    """Decree 30 urgency levels; `level` is edXML's Priority (0-3)."""

    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    VERY_URGENT = "very_urgent", _("Top urgent")
    FLASH = "flash", _("Flash")

    @classmethod
    def aliases(cls):
        return {
            "normal": ("thường", "0"),
            "urgent": ("khẩn", "1"),
            "very_urgent": ("thượng khẩn", "2"),
            "flash": ("hỏa tốc", "hoả tốc", "3"),
        }

    @property
    def level(self) -> int:
        return list(type(self)).index(self)


class Confidentiality(ParseableChoices):
    NORMAL = "normal", _("Normal")
    CONFIDENTIAL = "confidential", _("Confidential")
    SECRET = "secret", _("Secret")
    TOP_SECRET = "top_secret", _("Top secret")

    @classmethod
    def aliases(cls):
        return {
            "normal": ("thường", "0"),
            "confidential": ("mật", "1"),
            "secret": ("tối mật", "2"),
            "top_secret": ("tuyệt mật", "3"),
        }


class Channel(ParseableChoices):
    SYSTEM = "system", _("Document system")
    EXCHANGE = "exchange", _("Inter-agency exchange")
    EMAIL = "email", _("Email")
    PAPER = "paper", _("Paper (post, hand delivery)")


class HandlingStatus(models.TextChoices):
    PENDING = "pending", _("Not handled yet")
    IN_PROGRESS = "in_progress", _("Being handled")
    DONE = "done", _("Done")


class DocumentType(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("type name"), max_length=100, unique=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=10, blank=True)
    issuable = models.BooleanField(default=True)
    may_be_legal = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return self.name


class NumberCounter(models.Model):
    """The last number given in one series of one agency in one year. Incremented with an
    UPDATE in the transaction that creates the document, so numbers are never repeated and,
    since a failed registration rolls the increment back, never skipped."""

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    series = models.CharField(max_length=40)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year", "series"], name="counter_series_unique")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}/{self.series}: {self.last}"


class Document(models.Model):
    """One registered document in one agency's register: an incoming document (with its arrival
    number), or one the agency issues (outgoing or internal, with its own number)."""

    agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="documents"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    doc_type = models.ForeignKey(DocumentType, verbose_name=_("document type"), on_delete=models.PROTECT)
    is_legal = models.BooleanField(_("legal normative document"), default=False)

    # "Số, ký hiệu": our own for outgoing/internal, the original's for incoming.
    number = models.CharField(_("number"), max_length=numbering.MAX_NUMBER_LEN, blank=True)
    notation = models.CharField(_("notation"), max_length=numbering.MAX_NOTATION_LEN, blank=True)
    code_key = models.CharField(max_length=50, blank=True)

    # Register position: the series, year and sequence number (the outgoing number, or số đến).
    reg_series = models.CharField(max_length=40)
    reg_year = models.PositiveSmallIntegerField()
    reg_seq = models.PositiveIntegerField()

    issued_date = models.DateField(_("document date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    issuer_name = models.CharField(_("issuing agency"), max_length=200)
    issuer_name_key = models.CharField(max_length=200, blank=True)
    issuer_identifier = models.CharField(_("issuer identifier code"), max_length=13, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    language = models.CharField(_("language"), max_length=30, default="Tiếng Việt")
    pages = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)
    description = models.CharField(_("notes"), max_length=500, blank=True)
    signer_position = models.CharField(_("signer's position"), max_length=100, blank=True)
    signer_name = models.CharField(_("signer"), max_length=50, blank=True)
    recipients = models.CharField(_("recipients"), max_length=1000, blank=True)
    copies = models.PositiveSmallIntegerField(_("number of copies"), null=True, blank=True)
    due_date = models.DateField(_("reply deadline"), null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    delivery_mode = models.CharField(_("delivery mode"), max_length=24, choices=DeliveryMode.choices)
    drafting_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("drafting unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Incoming only.
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    channel = models.CharField(_("received through"), max_length=10, choices=Channel.choices, blank=True)
    handling_status = models.CharField(
        _("handling status"), max_length=12, choices=HandlingStatus.choices, default=HandlingStatus.PENDING
    )
    forwarded_at = models.DateTimeField(_("forwarded on"), null=True, blank=True)
    # A received document its sender recalled (thu hồi), or replaced by a newer one.
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)
    replaced_by = models.ForeignKey(
        "self", verbose_name=_("replaced by"), null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reg_year", "-reg_seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "reg_year", "reg_series", "reg_seq"], name="document_register_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(direction="incoming") | ~Q(number=""), name="document_issued_has_number"
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "direction", "reg_year", "reg_seq"]),
            models.Index(fields=["agency", "direction", "issued_date"]),
            models.Index(fields=["agency", "direction", "received_at"]),
            # Decree 30's duplicate check on incoming documents (number, notation, issuer).
            models.Index(fields=["agency", "direction", "code_key", "issuer_name_key", "issued_date"]),
        ]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.code or self.arrival_label} {self.subject[:60]}"

    @property
    def code(self) -> str:
        """ "Số, ký hiệu", e.g. 05/QĐ-UBND."""
        return numbering.join_code(self.number, self.notation)

    @property
    def is_incoming(self) -> bool:
        return self.direction == Direction.INCOMING

    @property
    def arrival_number(self) -> int | None:
        return self.reg_seq if self.is_incoming else None

    @property
    def arrival_label(self) -> str:
        return f"{self.reg_seq}" if self.is_incoming else ""

    @property
    def is_confidential(self) -> bool:
        return self.confidentiality != Confidentiality.NORMAL

    @property
    def is_urgent(self) -> bool:
        return self.urgency != Urgency.NORMAL


class DocumentAccess(models.Model):
    """Someone beyond the agency's clerks and leaders who may read a document: a person or a
    whole unit. The workflow grants these when it assigns work."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="access_grants")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.CASCADE)
    reason = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, unit__isnull=True) | Q(person__isnull=True, unit__isnull=False),
                name="access_person_xor_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.person_id or self.unit_id} ({self.reason})"


class StoredBlob(models.Model):
    """A file's content, stored once under its SHA-256 (see storage.py)."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    mime = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class DocumentFile(models.Model):
    class Role(models.TextChoices):
        MAIN = "main", _("Main document")
        ATTACHMENT = "attachment", _("Attachment")

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="files")
    blob = models.ForeignKey(StoredBlob, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MAIN)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return self.name


class FileRevision(models.Model):
    """An earlier revision of a file: its bytes before an incremental update (a signature) was
    appended. The file's current blob always starts with every earlier revision's bytes."""

    file = models.ForeignKey(DocumentFile, on_delete=models.PROTECT, related_name="revisions")
    blob = models.ForeignKey(StoredBlob, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=100)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["file", "id"]

    def __str__(self) -> str:
        return f"{self.file_id}: {self.blob_id[:12]} ({self.reason})"
