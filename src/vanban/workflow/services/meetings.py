"""Every write of meetings and of the leaders' weekly schedule: creating and changing a meeting,
inviting people of the agency and (with a numbered Giấy mời sent through the exchange) other
agencies, answers, cancelling; schedule entries and publishing a week. Each action checks who
may act, validates, writes in one transaction with its audit entry and tells the people concerned
with an in-app notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.documents import services as document_services
from vanban.documents.models import Document, DocumentType
from vanban.exchange import services as exchange
from vanban.fields import FieldErrors
from vanban.fields import text as _text
from vanban.orgs.models import Agency, Person

from ..models import Meeting, MeetingMaterial, Participant, ScheduleEntry, SchedulePublication
from ..selectors import meetings as selectors
from . import notices

MATERIAL_KINDS = ("pdf", "docx", "xlsx", "odt")
# A form filled a minute ago for "now" is not in the past.
_CLOCK_TOLERANCE = dt.timedelta(minutes=5)


# --- helpers --------------------------------------------------------------------------------


def _when(meeting: Meeting) -> str:
    return date_format(timezone.localtime(meeting.starts_at), "H:i d/m/Y")


def _url(meeting: Meeting) -> str:
    return reverse("meeting-detail", args=[meeting.pk])


def _check_times(errors: FieldErrors, starts_at: dt.datetime | None, ends_at: dt.datetime | None, *, new: bool) -> None:
    if starts_at is None:
        errors.add("starts_at", _("This field is required."))
        return
    if new and starts_at < timezone.now() - _CLOCK_TOLERANCE:
        errors.add("starts_at", _("A meeting cannot start in the past."))
    if ends_at is not None and ends_at <= starts_at:
        errors.add("ends_at", _("The meeting must end after it starts."))


def _check_people(errors: FieldErrors, name: str, agency_id: int, people: Sequence[Person]) -> list[Person]:
    """People of the agency, active, each once."""
    out, seen = [], set()
    for p in people:
        if p.pk in seen:
            continue
        seen.add(p.pk)
        if not p.is_active or p.agency_id != agency_id:
            errors.add(name, _("%(name)s is not in your agency.") % {"name": p.get_full_name()})
            continue
        out.append(p)
    return out


def _locked(meeting: Meeting) -> Meeting:
    """The meeting's row, locked: two people changing, cancelling or answering queue on it."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _check_planned(meeting: Meeting) -> None:
    if meeting.state != Meeting.State.PLANNED:
        raise ValidationError({"meeting": [_("This meeting was cancelled; it cannot be changed.")]})


def _store_materials(meeting: Meeting, uploads: Sequence, actor: Person) -> list[MeetingMaterial]:
    """Check and keep the files (inside the caller's transaction: a refusal keeps no row)."""
    rows = []
    for up in uploads:
        stored = document_services.store_file(up, kinds=MATERIAL_KINDS, field="materials")
        rows.append(
            MeetingMaterial(meeting=meeting, blob=stored.blob, name=stored.name, kind=stored.kind, uploaded_by=actor)
        )
    MeetingMaterial.objects.bulk_create(rows)
    return rows


def _invite(meeting: Meeting, people: Sequence[Person]) -> None:
    Participant.objects.bulk_create([Participant(meeting=meeting, person=p) for p in people])
    # One key per person and meeting: an invitation is told once, however the call is retried.
    for p in people:
        notices.notify(
            [p],
            kind="meeting.invitation",
            text=_("Meeting invitation: %(title)s, %(when)s at %(location)s.")
            % {"title": meeting.title, "when": _when(meeting), "location": meeting.location},
            url=_url(meeting),
            key=f"meeting:{meeting.pk}:invite:{p.pk}",
        )


def _invited_people(meeting: Meeting) -> list[Person]:
    ids = set(meeting.participants.filter(person__isnull=False).values_list("person_id", flat=True))
    if meeting.chair_id:
        ids.add(meeting.chair_id)
    return list(Person.objects.filter(pk__in=ids))


# --- meetings -------------------------------------------------------------------------------


def create_meeting(
    actor: Person,
    *,
    title: str,
    agenda: str = "",
    location: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None = None,
    chair: Person | None = None,
    participants: Sequence[Person] = (),
    materials: Sequence = (),
) -> Meeting:
    """A leader, unit head or clerk calls a meeting of their agency, invites people of the agency
    (each told with a notice) and attaches the agenda's materials."""
    if not selectors.may_create(actor):
        raise PermissionDenied(_("Only the agency's leaders, unit heads and clerks can call a meeting."))
    errors = FieldErrors()
    title = _text(errors, "title", title, required=True, max_length=300)
    agenda = _text(errors, "agenda", agenda, required=False, max_length=10000)
    location = _text(errors, "location", location, required=True, max_length=200)
    _check_times(errors, starts_at, ends_at, new=True)
    if chair is not None:
        _check_people(errors, "chair", actor.agency_id, [chair])
    people = _check_people(errors, "participants", actor.agency_id, participants)
    errors.raise_if_any()
    with transaction.atomic():
        meeting = Meeting.objects.create(
            agency_id=actor.agency_id,
            title=title,
            agenda=agenda,
            location=location,
            starts_at=starts_at,
            ends_at=ends_at,
            chair=chair,
            organiser=actor,
        )
        files = _store_materials(meeting, materials, actor)
        _invite(meeting, people)
        if chair is not None and chair.pk not in {p.pk for p in people}:
            notices.notify(
                [chair],
                kind="meeting.chair",
                text=_("You chair the meeting: %(title)s, %(when)s at %(location)s.")
                % {"title": title, "when": _when(meeting), "location": location},
                url=_url(meeting),
                key=f"meeting:{meeting.pk}:chair:{chair.pk}",
            )
        audit.record(
            actor=actor,
            action="workflow.meetings.create",
            target=meeting,
            data={
                "title": title,
                "location": location,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None,
                "chair": chair.pk if chair else None,
                "participants": [p.pk for p in people],
                "materials": [[f.name, f.blob_id] for f in files],
            },
        )
    return meeting


def update_meeting(
    actor: Person,
    meeting: Meeting,
    *,
    title: str,
    agenda: str = "",
    location: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None = None,
    chair: Person | None = None,
) -> Meeting:
    """Change a planned meeting; when its time or place changes, the invitees are told."""
    if not selectors.may_manage(actor, meeting):
        raise PermissionDenied(_("Only the organiser, the clerks and the leaders can change this meeting."))
    errors = FieldErrors()
    title = _text(errors, "title", title, required=True, max_length=300)
    agenda = _text(errors, "agenda", agenda, required=False, max_length=10000)
    location = _text(errors, "location", location, required=True, max_length=200)
    _check_times(errors, starts_at, ends_at, new=starts_at != meeting.starts_at)
    if chair is not None:
        _check_people(errors, "chair", meeting.agency_id, [chair])
    errors.raise_if_any()
    with transaction.atomic():
        locked = _locked(meeting)
        _check_planned(locked)
        moved = (locked.starts_at, locked.location) != (starts_at, location)
        before = {"title": locked.title, "location": locked.location, "starts_at": locked.starts_at.isoformat()}
        locked.title, locked.agenda, locked.location = title, agenda, location
        locked.starts_at, locked.ends_at, locked.chair = starts_at, ends_at, chair
        locked.save(update_fields=["title", "agenda", "location", "starts_at", "ends_at", "chair"])
        if moved:
            notices.notify(
                _invited_people(locked),
                kind="meeting.changed",
                text=_("Meeting changed: %(title)s, now %(when)s at %(location)s.")
                % {"title": title, "when": _when(locked), "location": location},
                url=_url(locked),
            )
        audit.record(
            actor=actor,
            action="workflow.meetings.update",
            target=locked,
            data={
                "before": before,
                "title": title,
                "location": location,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None,
                "chair": chair.pk if chair else None,
            },
        )
    return locked


def add_participants(actor: Person, meeting: Meeting, *, people: Sequence[Person]) -> list[Participant]:
    """Invite more people of the agency to a planned meeting."""
    if not selectors.may_manage(actor, meeting):
        raise PermissionDenied(_("Only the organiser, the clerks and the leaders can change this meeting."))
    errors = FieldErrors()
    chosen = _check_people(errors, "participants", meeting.agency_id, people)
    if not chosen and not errors:
        errors["participants"] = [_("Choose at least one person.")]
    errors.raise_if_any()
    with transaction.atomic():
        locked = _locked(meeting)
        _check_planned(locked)
        already = set(locked.participants.filter(person__in=chosen).values_list("person_id", flat=True))
        if already:
            names = ", ".join(p.get_full_name() for p in chosen if p.pk in already)
            raise ValidationError({"participants": [_("Already invited: %(names)s.") % {"names": names}]})
        _invite(locked, chosen)
        audit.record(
            actor=actor,
            action="workflow.meetings.add_participants",
            target=locked,
            data={"participants": [p.pk for p in chosen]},
        )
    return list(locked.participants.filter(person__in=chosen))


def add_material(actor: Person, meeting: Meeting, *, upload) -> MeetingMaterial:
    """Attach one more file (PDF, DOCX, XLSX, ODT) to a planned meeting's agenda."""
    if not selectors.may_manage(actor, meeting):
        raise PermissionDenied(_("Only the organiser, the clerks and the leaders can change this meeting."))
    if upload is None:
        raise ValidationError({"materials": [_("Choose a file.")]})
    with transaction.atomic():
        locked = _locked(meeting)
        _check_planned(locked)
        (material,) = _store_materials(locked, [upload], actor)
        audit.record(
            actor=actor,
            action="workflow.meetings.add_material",
            target=locked,
            data={"name": material.name, "blob": material.blob_id, "kind": material.kind},
        )
    return material


def cancel_meeting(actor: Person, meeting: Meeting, *, reason: str) -> Meeting:
    """Cancel a planned meeting with the reason; everyone invited is told. A cancelled meeting is
    frozen: no change, no answer."""
    if not selectors.may_manage(actor, meeting):
        raise PermissionDenied(_("Only the organiser, the clerks and the leaders can change this meeting."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for cancelling.")]})
    with transaction.atomic():
        locked = _locked(meeting)
        _check_planned(locked)
        locked.state, locked.cancel_reason = Meeting.State.CANCELLED, reason
        locked.save(update_fields=["state", "cancel_reason"])
        notices.notify(
            _invited_people(locked),
            kind="meeting.cancelled",
            text=_("Meeting cancelled: %(title)s (%(when)s). Reason: %(reason)s")
            % {"title": locked.title, "when": _when(locked), "reason": reason},
            url=_url(locked),
            key=f"meeting:{locked.pk}:cancelled",
        )
        audit.record(actor=actor, action="workflow.meetings.cancel", target=locked, data={"reason": reason})
    return locked


def answer(actor: Person, meeting: Meeting, *, accept: bool, note: str = "") -> Participant:
    """An invitee attends or declines (with the reason), and may change their mind until the
    meeting starts. A decline is told to the organiser."""
    note = (note or "").strip()
    with transaction.atomic():
        locked = _locked(meeting)
        p = Participant.objects.select_for_update().filter(meeting=locked, person=actor).first()
        if p is None or not actor.is_active:
            raise PermissionDenied(_("Only the people invited to this meeting can answer."))
        _check_planned(locked)
        if locked.starts_at <= timezone.now():
            raise ValidationError({"meeting": [_("The meeting has started; answers are closed.")]})
        if not accept and not note:
            raise ValidationError({"note": [_("Give the reason for declining.")]})
        if len(note) > 1000:
            raise ValidationError({"note": [_("At most %(n)d characters.") % {"n": 1000}]})
        p.answer = Participant.Answer.ACCEPTED if accept else Participant.Answer.DECLINED
        p.note, p.answered_at = note, timezone.now()
        p.save(update_fields=["answer", "note", "answered_at"])
        if not accept:
            notices.notify(
                [locked.organiser],
                kind="meeting.declined",
                text=_("%(name)s will not attend %(title)s: %(note)s")
                % {"name": actor.get_full_name(), "title": locked.title, "note": note},
                url=_url(locked),
            )
        audit.record(
            actor=actor,
            action="workflow.meetings.answer",
            target=locked,
            data={"participant": p.pk, "answer": p.answer, "note": note},
        )
    return p


def _agencies(actor: Person, codes: Sequence[str]) -> list[Agency]:
    """Other active agencies of ours by administrative code ("82-STC") or identifier code."""
    errors, out, seen = [], [], set()
    for raw in codes:
        code = (raw or "").strip()
        if not code or code in seen:
            continue
        seen.add(code)
        agency = Agency.objects.filter(code=code).first() or Agency.objects.filter(identifier=code).first()
        if agency is None:
            errors.append(_("No agency has the code %(code)s.") % {"code": code})
        elif agency.pk == actor.agency_id:
            errors.append(_("%(code)s is your own agency.") % {"code": code})
        elif not agency.is_active:
            errors.append(_("%(name)s (%(code)s) is no longer active.") % {"name": agency.name, "code": code})
        elif agency.pk not in {a.pk for a in out}:
            out.append(agency)
    if errors:
        raise ValidationError({"agency_codes": errors})
    if not out:
        raise ValidationError({"agency_codes": [_("Choose at least one agency.")]})
    return out


def invite_agencies(
    actor: Person,
    meeting: Meeting,
    *,
    agency_codes: Sequence[str],
    upload,
    signer_name: str,
    signer_position: str = "",
) -> Document:
    """A clerk invites other agencies: the attached invitation is registered as a numbered outgoing
    Giấy mời (subject: the meeting's title) and sent through the exchange; each agency becomes a
    participant whose answer is pending."""
    if not selectors.may_invite_agencies(actor, meeting):
        raise PermissionDenied(_("Only the agency's clerks can send a meeting invitation to other agencies."))
    if not selectors.is_open(meeting):
        _check_planned(meeting)
        raise ValidationError({"meeting": [_("The meeting has started; it is too late to invite.")]})
    agencies = _agencies(actor, agency_codes)
    if upload is None:
        raise ValidationError({"file": [_("Attach the invitation's file.")]})
    doc_type = DocumentType.objects.filter(code=selectors.GIAY_MOI).first()
    with transaction.atomic():
        locked = _locked(meeting)
        _check_planned(locked)
        already = set(locked.participants.filter(agency__in=agencies).values_list("agency_id", flat=True))
        if already:
            names = ", ".join(a.name for a in agencies if a.pk in already)
            raise ValidationError({"agency_codes": [_("Already invited: %(names)s.") % {"names": names}]})
        # Numbering, the register and the exchange are the documents' and exchange's own services;
        # run inside this transaction, a refusal of either leaves no number taken and no row.
        document = document_services.register_outgoing(
            actor,
            uploads=[upload],
            doc_type=doc_type,
            subject=locked.title,
            signer_name=signer_name,
            signer_position=signer_position,
            recipients="; ".join(a.name for a in agencies),
        ).document
        exchange.send(actor, document, [a.identifier for a in agencies])
        Participant.objects.bulk_create([Participant(meeting=locked, agency=a) for a in agencies])
        locked.invitation = document
        locked.save(update_fields=["invitation"])
        audit.record(
            actor=actor,
            action="workflow.meetings.invite_agencies",
            target=locked,
            data={"document": document.pk, "code": document.code, "agencies": [a.identifier for a in agencies]},
        )
    return document


def record_agency_answer(
    actor: Person, meeting: Meeting, agency: Agency, *, accept: bool, note: str = ""
) -> Participant:
    """The organiser or a clerk records an invited agency's answer (given by phone, by a reply
    document…)."""
    if not selectors.may_record_agency_answer(actor, meeting):
        raise PermissionDenied(_("Only the organiser or the clerks can record an agency's answer."))
    note = (note or "").strip()
    if not accept and not note:
        raise ValidationError({"note": [_("Give the reason for declining.")]})
    with transaction.atomic():
        locked = _locked(meeting)
        _check_planned(locked)
        p = Participant.objects.select_for_update().filter(meeting=locked, agency=agency).first()
        if p is None:
            raise ValidationError({"agency": [_("This agency was not invited.")]})
        p.answer = Participant.Answer.ACCEPTED if accept else Participant.Answer.DECLINED
        p.note, p.answered_at = note[:1000], timezone.now()
        p.save(update_fields=["answer", "note", "answered_at"])
        audit.record(
            actor=actor,
            action="workflow.meetings.agency_answer",
            target=locked,
            data={"participant": p.pk, "agency": agency.identifier, "answer": p.answer, "note": p.note},
        )
    return p


# --- the schedule ---------------------------------------------------------------------------


def _check_schedule_keeper(actor: Person, agency_id: int) -> None:
    if not selectors.runs_schedule(actor, agency_id):
        raise PermissionDenied(_("Only the agency's clerks and leaders keep its work schedule."))


def _entry_values(
    errors: FieldErrors,
    agency_id: int,
    *,
    day: dt.date | None,
    start_time: dt.time | None,
    end_time: dt.time | None,
    title: str,
    location: str,
    people: Sequence[Person],
    note: str,
) -> dict:
    if day is None:
        errors.add("day", _("This field is required."))
    elif day.year not in selectors.SCHEDULE_YEARS:
        errors.add(
            "day",
            _("Choose a day between %(first)s and %(last)s.")
            % {"first": selectors.SCHEDULE_YEARS[0], "last": selectors.SCHEDULE_YEARS[-1]},
        )
    if start_time is None:
        errors.add("start_time", _("This field is required."))
    elif end_time is not None and end_time <= start_time:
        errors.add("end_time", _("The end must be after the start."))
    return {
        "day": day,
        "start_time": start_time,
        "end_time": end_time,
        "title": _text(errors, "title", title, required=True, max_length=500),
        "location": _text(errors, "location", location, required=False, max_length=200),
        "note": _text(errors, "note", note, required=False, max_length=2000),
        "people": _check_people(errors, "people", agency_id, people),
    }


def _entry_audit(entry: ScheduleEntry, people: list[Person]) -> dict:
    return {
        "day": entry.day.isoformat(),
        "start_time": entry.start_time.isoformat(),
        "end_time": entry.end_time.isoformat() if entry.end_time else None,
        "title": entry.title,
        "location": entry.location,
        "people": [p.pk for p in people],
        "document": entry.document_id,
    }


def _create_entry(actor: Person, values: dict, document: Document | None = None) -> ScheduleEntry:
    people = values.pop("people")
    entry = ScheduleEntry.objects.create(agency_id=actor.agency_id, created_by=actor, document=document, **values)
    entry.people.set(people)
    audit.record(actor=actor, action="workflow.meetings.add_entry", target=entry, data=_entry_audit(entry, people))
    return entry


def add_entry(
    actor: Person,
    *,
    day: dt.date | None,
    start_time: dt.time | None,
    end_time: dt.time | None = None,
    title: str,
    location: str = "",
    people: Sequence[Person] = (),
    note: str = "",
) -> ScheduleEntry:
    """A line of the actor's agency's schedule that is not one of its meetings."""
    if actor is None or actor.agency_id is None:
        raise PermissionDenied(_("Only the agency's clerks and leaders keep its work schedule."))
    _check_schedule_keeper(actor, actor.agency_id)
    errors = FieldErrors()
    values = _entry_values(
        errors,
        actor.agency_id,
        day=day,
        start_time=start_time,
        end_time=end_time,
        title=title,
        location=location,
        people=people,
        note=note,
    )
    errors.raise_if_any()
    with transaction.atomic():
        return _create_entry(actor, values)


def add_entry_from_document(
    actor: Person,
    document: Document,
    *,
    day: dt.date | None,
    start_time: dt.time | None,
    location: str = "",
    people: Sequence[Person] = (),
) -> ScheduleEntry:
    """Put a received Giấy mời on the leaders' schedule: the entry takes the document's subject
    and keeps a link to it."""
    _check_schedule_keeper(actor, document.agency_id)
    if not selectors.is_incoming_invitation(document):
        raise ValidationError({"document": [_("Only a received meeting invitation (Giấy mời) goes on the schedule.")]})
    errors = FieldErrors()
    # A published schedule is read by the whole agency: a confidential invitation shows there
    # without its subject or sender (those who may read it follow the entry's link).
    confidential = document.is_confidential
    values = _entry_values(
        errors,
        document.agency_id,
        day=day,
        start_time=start_time,
        end_time=None,
        title=_("Meeting (confidential invitation)") if confidential else document.subject[:500],
        location=location,
        people=people,
        note="",
    )
    if not confidential:
        values["note"] = _("Invitation %(code)s of %(issuer)s") % {
            "code": document.code or "—",
            "issuer": document.issuer_name,
        }
    errors.raise_if_any()
    with transaction.atomic():
        # The invitation's row is the lock: one entry per invitation, however many clicks.
        list(Document.objects.select_for_update().filter(pk=document.pk).values_list("pk", flat=True))
        if ScheduleEntry.objects.filter(document=document).exists():
            raise ValidationError({"document": [_("This invitation is already on the schedule.")]})
        return _create_entry(actor, values, document=document)


def update_entry(
    actor: Person,
    entry: ScheduleEntry,
    *,
    day: dt.date | None,
    start_time: dt.time | None,
    end_time: dt.time | None = None,
    title: str,
    location: str = "",
    people: Sequence[Person] = (),
    note: str = "",
) -> ScheduleEntry:
    _check_schedule_keeper(actor, entry.agency_id)
    errors = FieldErrors()
    values = _entry_values(
        errors,
        entry.agency_id,
        day=day,
        start_time=start_time,
        end_time=end_time,
        title=title,
        location=location,
        people=people,
        note=note,
    )
    errors.raise_if_any()
    with transaction.atomic():
        locked = ScheduleEntry.objects.select_for_update().filter(pk=entry.pk).first()
        if locked is None:  # removed meanwhile
            raise ValidationError({"entry": [_("This entry was removed from the schedule meanwhile.")]})
        chosen = values.pop("people")
        for k, v in values.items():
            setattr(locked, k, v)
        locked.save(update_fields=list(values))
        locked.people.set(chosen)
        audit.record(
            actor=actor, action="workflow.meetings.update_entry", target=locked, data=_entry_audit(locked, chosen)
        )
    return locked


def delete_entry(actor: Person, entry: ScheduleEntry) -> None:
    _check_schedule_keeper(actor, entry.agency_id)
    with transaction.atomic():
        locked = ScheduleEntry.objects.select_for_update().filter(pk=entry.pk).first()
        if locked is None:
            return
        data = _entry_audit(locked, list(locked.people.all()))
        # The audit entry names the row that goes: record it before the row (and its pk) is gone.
        audit.record(actor=actor, action="workflow.meetings.delete_entry", target=locked, data=data)
        locked.delete()


def publish_week(actor: Person, agency: Agency, year: int, week: int, note: str = "") -> SchedulePublication:
    """Publish (or publish again) an ISO week of the agency's schedule: from then on everyone of
    the agency sees it."""
    _check_schedule_keeper(actor, agency.pk)
    try:
        selectors.monday_of(year, week)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            {"week": [_("There is no week %(week)s in %(year)s.") % {"week": week, "year": year}]}
        ) from exc
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        # The agency row serialises two publishers of the same week (get_or_create alone races).
        list(Agency.objects.select_for_update().filter(pk=agency.pk).values_list("pk", flat=True))
        publication, created = SchedulePublication.objects.update_or_create(
            agency=agency,
            year=year,
            week=week,
            defaults={"published_by": actor, "published_at": timezone.now(), "note": note},
        )
        audit.record(
            actor=actor,
            action="workflow.meetings.publish_week",
            target=publication,
            data={"year": year, "week": week, "note": note, "again": not created},
        )
    return publication
