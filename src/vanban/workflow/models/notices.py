"""In-app notices (thông báo): what a person must know about their work — a deadline tomorrow,
a draft waiting for their comment or approval, a meeting invitation, a dossier due for hand-over.
Email delivery comes with the mail room, which will read these."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Notice"]


class Notice(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    # What it is about, for filtering and for the mail room: e.g. "deadline.tomorrow",
    # "drafting.comment_request", "drafting.approval", "meeting.invitation", "dossier.handover".
    kind = models.CharField(max_length=40)
    text = models.CharField(_("notice"), max_length=500)
    url = models.CharField(max_length=300, blank=True)
    # Sending the same notice twice (a reminder task run twice, two workers) is a no-op: a
    # non-empty key is unique per person.
    key = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], condition=~Q(key=""), name="workflow_notice_once"),
        ]
        indexes = [models.Index(fields=["person", "read_at"])]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.text[:60]}"
