"""Meetings (cuộc họp) with their invitations (giấy mời), agenda materials and participants'
answers, and the leaders' weekly work schedule (lịch công tác tuần) built from meetings and
schedule entries, published week by week."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Meeting", "MeetingMaterial", "Participant", "ScheduleEntry", "SchedulePublication"]


class Meeting(models.Model):
    """A meeting an agency organises. Invitees inside the agency are Participants with a person;
    other agencies are invited through the exchange with a numbered Giấy mời (`invitation`)."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CANCELLED = "cancelled", _("Cancelled")

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    agenda = models.TextField(_("agenda"), blank=True)
    location = models.CharField(_("location"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PLANNED)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # The latest outgoing Giấy mời sent to other agencies for this meeting.
    invitation = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["agency", "starts_at"], name="workflow_meeting_agency_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="workflow_meeting_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeetingMaterial(models.Model):
    """A file of the meeting's agenda (báo cáo, dự thảo…), kept in the content-addressed store."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="materials")
    blob = models.ForeignKey("documents.StoredBlob", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """Someone invited: a person of the agency, or another agency invited through the exchange
    (whose answer the organiser or a clerk records)."""

    class Answer(models.TextChoices):
        PENDING = "pending", _("Not answered")
        ACCEPTED = "accepted", _("Will attend")
        DECLINED = "declined", _("Declined")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey("orgs.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=10, choices=Answer.choices, default=Answer.PENDING)
    note = models.TextField(_("note"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=True, agency__isnull=False) | Q(person__isnull=False, agency__isnull=True),
                name="workflow_participant_person_or_agency",
            ),
            models.UniqueConstraint(
                fields=["meeting", "person"], condition=Q(person__isnull=False), name="workflow_participant_person_once"
            ),
            models.UniqueConstraint(
                fields=["meeting", "agency"], condition=Q(agency__isnull=False), name="workflow_participant_agency_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.person_id or self.agency_id} {self.answer}"


class ScheduleEntry(models.Model):
    """A line of the leaders' schedule that is not one of our meetings: a field trip, a
    reception, a meeting another agency invited us to (then `document` is its Giấy mời)."""

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    title = models.CharField(_("content"), max_length=500)
    location = models.CharField(_("location"), max_length=200, blank=True)
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    note = models.TextField(_("note"), blank=True)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day", "start_time", "pk"]
        indexes = [models.Index(fields=["agency", "day"], name="workflow_entry_agency_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__isnull=True) | Q(end_time__gt=F("start_time")),
                name="workflow_entry_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.start_time} {self.title[:40]}"


class SchedulePublication(models.Model):
    """An agency published its schedule of one ISO week; publishing again updates who and when."""

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    week = models.PositiveSmallIntegerField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-year", "-week"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "week"], name="workflow_schedule_published_once"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}-W{self.week:02d}"
