"""Reads of meetings and of the leaders' weekly schedule, scoped to the person asking, and the
"who may do what" answers the services enforce and the pages use to show actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from vanban.documents.models import Direction, Document
from vanban.orgs.models import Person, Role

from ..models import Meeting, MeetingMaterial, Participant, ScheduleEntry, SchedulePublication

GIAY_MOI = "giay-moi"  # DocumentType code of the Giấy mời


# --- who may do what ------------------------------------------------------------------------


def _active_in(person: Person | None, agency_id: int) -> bool:
    return bool(person is not None and person.is_active and person.agency_id == agency_id)


def runs_schedule(person: Person | None, agency_id: int) -> bool:
    """Clerks and leaders keep and publish their agency's schedule and see every meeting of it."""
    return _active_in(person, agency_id) and person.has_role(Role.CLERK, Role.LEADER)


def may_create(person: Person | None) -> bool:
    return bool(
        person is not None
        and person.is_active
        and person.agency_id is not None
        and person.has_role(Role.LEADER, Role.UNIT_HEAD, Role.CLERK)
    )


def may_manage(person: Person | None, meeting: Meeting) -> bool:
    """Change, invite to, add material to or cancel a meeting: its organiser, or the agency's
    clerks and leaders."""
    return _active_in(person, meeting.agency_id) and (
        meeting.organiser_id == person.pk or person.has_role(Role.CLERK, Role.LEADER)
    )


def may_invite_agencies(person: Person | None, meeting: Meeting) -> bool:
    """Only a clerk registers and sends the Giấy mời (numbering and the exchange are theirs)."""
    return _active_in(person, meeting.agency_id) and person.has_role(Role.CLERK)


def may_record_agency_answer(person: Person | None, meeting: Meeting) -> bool:
    return _active_in(person, meeting.agency_id) and (meeting.organiser_id == person.pk or person.has_role(Role.CLERK))


def is_open(meeting: Meeting, now: dt.datetime | None = None) -> bool:
    """Planned and not started yet: invitees may still answer."""
    return meeting.state == Meeting.State.PLANNED and meeting.starts_at > (now or timezone.now())


def is_incoming_invitation(document: Document) -> bool:
    return (
        document.direction == Direction.INCOMING
        and document.doc_type_id is not None
        and document.doc_type.code == GIAY_MOI
        and document.withdrawn_at is None
    )


# --- meetings -------------------------------------------------------------------------------


def _start_of_today() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))


def _visible(person: Person) -> QuerySet[Meeting]:
    if person is None or not person.is_authenticated or not person.is_active or person.agency_id is None:
        return Meeting.objects.none()
    qs = Meeting.objects.filter(agency_id=person.agency_id)
    if runs_schedule(person, person.agency_id):
        return qs
    invited = Participant.objects.filter(person=person).values("meeting_id")
    return qs.filter(Q(organiser=person) | Q(chair=person) | Q(pk__in=invited))


def meetings_for(person: Person, *, upcoming: bool = True) -> QuerySet[Meeting]:
    """Meetings of the person's agency that the person organises, chairs or is invited to (all of
    them for clerks and leaders): from today on, soonest first; or the earlier ones, latest first."""
    start = _start_of_today()
    qs = _visible(person).select_related("organiser", "chair")
    mine = Participant.objects.filter(person=person)
    qs = qs.prefetch_related(Prefetch("participants", queryset=mine, to_attr="my_invitation"))
    if upcoming:
        return qs.filter(starts_at__gte=start).order_by("starts_at", "pk")
    return qs.filter(starts_at__lt=start).order_by("-starts_at", "-pk")


def get_meeting(person: Person, pk) -> Meeting:
    """A meeting the person may see; 404 otherwise, so that its existence is not told."""
    try:
        return _visible(person).select_related("organiser", "chair", "invitation", "agency").get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def participants_of(meeting: Meeting) -> list[Participant]:
    return list(meeting.participants.select_related("person__unit", "agency").order_by("agency_id", "pk"))


def invitation_of(person: Person, meeting: Meeting) -> Participant | None:
    return Participant.objects.filter(meeting=meeting, person=person).first()


def invitations_pending(person: Person) -> int:
    """Invitations to planned meetings still to come that the person has not answered (a badge)."""
    if person is None or not person.is_authenticated:
        return 0
    return Participant.objects.filter(
        person=person,
        answer=Participant.Answer.PENDING,
        meeting__state=Meeting.State.PLANNED,
        meeting__starts_at__gt=timezone.now(),
    ).count()


def get_material(person: Person, meeting_pk, material_pk) -> MeetingMaterial:
    """A material of a meeting the person may see; 404 otherwise."""
    meeting = get_meeting(person, meeting_pk)
    try:
        return meeting.materials.select_related("blob").get(pk=material_pk)
    except (MeetingMaterial.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_entry(person: Person, pk) -> ScheduleEntry:
    """A schedule entry of the person's agency, for its clerks and leaders; 404 otherwise."""
    if person is None or person.agency_id is None or not runs_schedule(person, person.agency_id):
        raise Http404
    try:
        return ScheduleEntry.objects.get(pk=pk, agency_id=person.agency_id)
    except (ScheduleEntry.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def schedule_entries_from(document: Document) -> QuerySet[ScheduleEntry]:
    return ScheduleEntry.objects.filter(document=document).prefetch_related("people")


def leaders_of(agency_id: int) -> QuerySet[Person]:
    return Person.objects.filter(agency_id=agency_id, is_active=True, role_grants__role=Role.LEADER).distinct()


# --- the weekly schedule --------------------------------------------------------------------


@dataclass
class Row:
    start: dt.time
    end: dt.time | None
    title: str
    location: str
    leaders: list[str]
    source: str  # "meeting" or "entry"
    pk: int


@dataclass
class Day:
    date: dt.date
    rows: list[Row] = field(default_factory=list)


@dataclass
class WeekSchedule:
    year: int
    week: int
    days: list[Day]
    publication: SchedulePublication | None
    hidden: bool  # not published, and the reader is neither a clerk nor a leader

    @property
    def monday(self) -> dt.date:
        return self.days[0].date

    @property
    def sunday(self) -> dt.date:
        return self.days[-1].date

    @property
    def previous(self) -> tuple[int, int]:
        y, w, _d = (self.monday - dt.timedelta(days=7)).isocalendar()
        return y, w

    @property
    def next(self) -> tuple[int, int]:
        y, w, _d = (self.monday + dt.timedelta(days=7)).isocalendar()
        return y, w


# The years a work schedule can be about (beyond, the date arithmetic of a week overflows).
SCHEDULE_YEARS = range(2000, 2101)


def monday_of(year: int, week: int) -> dt.date:
    """The Monday of an ISO week; ValueError for a week that does not exist or lies outside
    SCHEDULE_YEARS."""
    if year not in SCHEDULE_YEARS:
        raise ValueError(f"year {year} is outside the schedule's years")
    return dt.date.fromisocalendar(year, week, 1)


def current_week() -> tuple[int, int]:
    y, w, _d = timezone.localdate().isocalendar()
    return y, w


def week_schedule(agency, year: int, week: int, *, person: Person) -> WeekSchedule:
    """The leaders' schedule of one ISO week, Monday to Sunday, each day's rows by time: planned
    meetings of the agency chaired by, or inviting (not declined), one of its leaders, and the
    schedule entries. People who neither keep the schedule nor lead see only a published week,
    and only of their own agency."""
    monday = monday_of(year, week)
    days = [Day(monday + dt.timedelta(days=i)) for i in range(7)]
    publication = (
        SchedulePublication.objects.filter(agency=agency, year=year, week=week).select_related("published_by").first()
    )
    if not runs_schedule(person, agency.pk) and (publication is None or not _active_in(person, agency.pk)):
        return WeekSchedule(year, week, days, publication, hidden=True)
    by_date = {d.date: d for d in days}
    leaders = {p.pk: p for p in leaders_of(agency.pk)}
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    end = start + dt.timedelta(days=7)
    attending = Participant.objects.filter(
        person_id__in=list(leaders), answer__in=[Participant.Answer.PENDING, Participant.Answer.ACCEPTED]
    )
    meetings = (
        Meeting.objects.filter(agency=agency, state=Meeting.State.PLANNED, starts_at__gte=start, starts_at__lt=end)
        .filter(Q(chair_id__in=list(leaders)) | Q(pk__in=attending.values("meeting_id")))
        .prefetch_related(Prefetch("participants", queryset=attending, to_attr="leader_participants"))
        .distinct()
    )
    for m in meetings:
        ids = ([m.chair_id] if m.chair_id in leaders else []) + [
            p.person_id for p in m.leader_participants if p.person_id != m.chair_id
        ]
        starts = timezone.localtime(m.starts_at)
        ends = timezone.localtime(m.ends_at) if m.ends_at else None
        by_date[starts.date()].rows.append(
            Row(
                start=starts.time().replace(second=0, microsecond=0),
                end=ends.time().replace(second=0, microsecond=0) if ends and ends.date() == starts.date() else None,
                title=m.title,
                location=m.location,
                leaders=[leaders[i].get_full_name() for i in ids],
                source="meeting",
                pk=m.pk,
            )
        )
    entries = ScheduleEntry.objects.filter(agency=agency, day__gte=monday, day__lte=days[-1].date).prefetch_related(
        "people"
    )
    for e in entries:
        by_date[e.day].rows.append(
            Row(
                start=e.start_time,
                end=e.end_time,
                title=e.title,
                location=e.location,
                leaders=[p.get_full_name() for p in e.people.all()],
                source="entry",
                pk=e.pk,
            )
        )
    for d in days:
        d.rows.sort(key=lambda r: (r.start, r.source, r.pk))
    return WeekSchedule(year, week, days, publication, hidden=False)
