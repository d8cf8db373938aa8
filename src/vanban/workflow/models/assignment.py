"""Assignment of incoming documents (giao xử lý): who handles, by when, and what they did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Assignment(models.Model):
    """One assignment of a document: by a leader (or the clerk on the leader's behalf) to units or
    people of the agency, or, with `parent`, re-assigned inside the lead unit by its head."""

    class State(models.TextChoices):
        OPEN = "open", _("Being handled")
        DONE = "done", _("Done")

    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="assignments")
    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    instruction = models.TextField(_("instruction"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.TextField(_("result"), blank=True)
    reply = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [
            # One assignment of a document by its leaders at a time (re-assignments hang below it).
            models.UniqueConstraint(
                fields=["document"], condition=Q(parent__isnull=True), name="workflow_one_top_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.pk}"


class Handler(models.Model):
    """A unit or a person on an assignment: the one lead handler (chủ trì), co-handlers (phối hợp)
    or readers (để biết)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead handler")
        CO = "co", _("Co-handler")
        READER = "reader", _("For information")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="handlers")
    role = models.CharField(max_length=8, choices=Role.choices)
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=True, person__isnull=False) | Q(unit__isnull=False, person__isnull=True),
                name="workflow_handler_unit_or_person",
            ),
            models.UniqueConstraint(fields=["assignment"], condition=Q(role="lead"), name="workflow_one_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.unit_id or self.person_id}"


class ProgressEntry(models.Model):
    """What a handler reports while handling."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="progress")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("progress"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.note[:40]}"
