"""Work dossiers (hồ sơ công việc): the documents of one matter grouped under the Decree 30
dossier metadata (Phụ lục VI, III), the yearly dossier list, and hand-over to the agency archive
(nộp lưu, Điều 28–30)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

__all__ = ["Dossier", "DossierItem", "Handover"]

# Thời hạn bảo quản: the retention periods of the agency's retention schedule, stored as written
# (the value itself is Decree 30 metadata, not interface text).
MAINTENANCE = ("Vĩnh viễn", "70 năm", "50 năm", "30 năm", "20 năm", "10 năm", "5 năm")

# DocOrdinal is Number(3) in Phụ lục VI.
MAX_ITEMS = 999


def add_years(day: dt.date, years: int) -> dt.date:
    """`day` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Handover(models.Model):
    """A hand-over of closed dossiers to the agency archive (nộp lưu vào Lưu trữ cơ quan). Its
    dossiers, in notation order, are its content list (mục lục hồ sơ nộp lưu)."""

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    handed_on = models.DateField(_("handed over on"))
    received_by = models.CharField(_("received by (archive keeper)"), max_length=100)
    note = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        ordering = ["-handed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.handed_on}"


class Dossier(models.Model):
    """One work dossier of an agency. Its code (FileCode) is OrganId.FileCatalog.FileNotation;
    DocTotal and PageTotal are computed from its items."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Ended")
        HANDED_OVER = "handed_over", _("Handed over to the archive")

    class Rights(models.TextChoices):
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted")

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))  # FileCatalog
    notation = models.CharField(_("dossier number and notation"), max_length=20)  # FileNotation
    title = models.CharField(_("dossier title"), max_length=500)
    maintenance = models.CharField(_("retention period"), max_length=30)
    rights = models.CharField(_("access rights"), max_length=30, choices=Rights.choices, default=Rights.RESTRICTED)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("kept by"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(_("language"), max_length=50, default="Tiếng Việt")
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    description = models.CharField(_("notes"), max_length=500, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    handover = models.ForeignKey(Handover, null=True, blank=True, on_delete=models.PROTECT, related_name="dossiers")

    class Meta:
        ordering = ["-year", "notation"]
        constraints = [
            # "01.VP" and "01.vp" are one notation (the service compares without case; this guards
            # two people opening them at once).
            models.UniqueConstraint(Lower("notation"), "agency", "year", name="workflow_dossier_notation_unique"),
            # Handed over exactly when it belongs to a hand-over.
            models.CheckConstraint(
                condition=Q(state="handed_over", handover__isnull=False) | (~Q(state="handed_over") & Q(handover=None)),
                name="workflow_dossier_handover_state",
            ),
        ]
        indexes = [models.Index(fields=["agency", "state", "end_date"])]

    def __str__(self) -> str:
        return f"{self.notation} {self.title[:60]}"

    @property
    def file_code(self) -> str:
        """Mã hồ sơ (FileCode): the agency's identifier code, the year, the dossier's notation."""
        return f"{self.agency.identifier}.{self.year}.{self.notation}"

    @property
    def handover_due(self) -> dt.date | None:
        """Điều 28: handed over to the archive within one year after the work ends."""
        return add_years(self.end_date, 1) if self.end_date else None

    @property
    def doc_total(self) -> int:
        """DocTotal (auto-filled): selectors annotate it; counted here otherwise."""
        if "_doc_total" in self.__dict__:
            return self.__dict__["_doc_total"] or 0
        return self.items.count()

    @property
    def page_total(self) -> int:
        """PageTotal (auto-filled): the pages of its documents, those with a known count."""
        if "_page_total" in self.__dict__:
            return self.__dict__["_page_total"] or 0
        return self.items.aggregate(n=models.Sum("document__pages"))["n"] or 0


class DossierItem(models.Model):
    """A document in a dossier, with its ordinal (DocOrdinal) in the order it was added."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="items")
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="+")
    ordinal = models.PositiveSmallIntegerField(_("ordinal"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Ordinals are 1..n without gaps; they are renumbered under the dossier's row lock when an
        # item is removed, so they carry no unique constraint (PostgreSQL checks those row by row).
        ordering = ["dossier", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "document"], name="workflow_dossier_item_once"),
            models.CheckConstraint(
                condition=Q(ordinal__gte=1, ordinal__lte=MAX_ITEMS), name="workflow_dossier_item_ordinal_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.ordinal}: {self.document_id}"
