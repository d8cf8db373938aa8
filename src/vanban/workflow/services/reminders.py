"""Reminders of the day, run hourly by the task worker (`tasks.send_reminders`) and by `vanban
workflow remind`:
- handling deadlines: the day before, on the day, and once on the day after for work still open;
- comments asked on a draft: the day before and on the deadline, to reviewers who have not
  commented since they were asked;
- meetings: the day before, to invited people who have not declined;
- dossiers due for hand-over to the archive within 30 days (`dossiers.remind_handover`).
Every notice has a key naming its object, the kind and the date, so any number of runs, workers
or restarts notify each person once; a changed deadline is a new key and reminds again."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.orgs.models import Person

from ..models import Assignment, CommentRequest, Draft, Handler, Meeting, Notice, Participant
from . import dossiers, notices

log = logging.getLogger(__name__)

KINDS = ("tomorrow", "today", "overdue")


def _texts() -> dict[str, str]:
    return {
        "tomorrow": _("Deadline tomorrow (%(date)s): %(document)s"),
        "today": _("Deadline today (%(date)s): %(document)s"),
        "overdue": _("Overdue since %(date)s: %(document)s"),
    }


def handlers_to_remind(assignment: Assignment) -> list[Person]:
    """Who handles the work, as the worklist counts it: the lead and co-handlers, a unit handler
    standing for its active people. Readers (for information) are not reminded."""
    person_ids, unit_ids = set(), set()
    for h in assignment.handlers.all():
        if h.role not in (Handler.Role.LEAD, Handler.Role.CO):
            continue
        if h.person_id is not None:
            person_ids.add(h.person_id)
        else:
            unit_ids.add(h.unit_id)
    if not person_ids and not unit_ids:
        return []
    return list(
        Person.objects.filter(Q(pk__in=person_ids) | Q(unit_id__in=unit_ids), agency_id=assignment.agency_id)
        .filter(is_active=True)
        .order_by("pk")
    )


def _document_label(doc) -> str:
    code = doc.code
    return f"{code} — {doc.subject}" if code else doc.subject


def send_deadline_reminders(today: dt.date) -> dict[str, int]:
    """Notify the handlers of open work due tomorrow or today, or overdue since yesterday.
    Returns how many notices were newly written, per kind."""
    by_deadline = {
        today + dt.timedelta(days=1): "tomorrow",
        today: "today",
        today - dt.timedelta(days=1): "overdue",
    }
    counts = dict.fromkeys(KINDS, 0)
    texts = _texts()
    work = (
        Assignment.objects.filter(
            state=Assignment.State.OPEN, deadline__in=list(by_deadline), document__withdrawn_at__isnull=True
        )
        .select_related("document")
        .prefetch_related("handlers")
        .order_by("pk")
    )
    for a in work:
        kind = by_deadline[a.deadline]
        people = handlers_to_remind(a)
        if not people:
            continue
        key = f"deadline:{a.pk}:{kind}:{a.deadline.isoformat()}"
        text = texts[kind] % {"date": a.deadline.strftime("%d/%m/%Y"), "document": _document_label(a.document)}
        with transaction.atomic():
            before = Notice.objects.filter(key=key).count()
            notices.notify(
                people,
                kind=f"deadline.{kind}",
                text=text,
                url=reverse("document-detail", args=[a.document_id]),
                key=key,
            )
            counts[kind] += Notice.objects.filter(key=key).count() - before
    return counts


def _notify_counted(people: list[Person], *, kind: str, text: str, url: str, key: str) -> int:
    """`notices.notify`, returning how many of the notices are new (a rerun adds none)."""
    with transaction.atomic():
        before = Notice.objects.filter(key=key).count()
        notices.notify(people, kind=kind, text=text, url=url, key=key)
        return Notice.objects.filter(key=key).count() - before


def send_comment_reminders(today: dt.date) -> int:
    """Reviewers asked for comments due tomorrow or today who have not commented on the draft
    since they were asked. Drafts already issued or in approval no longer wait for comments."""
    sent = 0
    requests = (
        CommentRequest.objects.filter(
            deadline__in=[today, today + dt.timedelta(days=1)],
            draft__state__in=[Draft.State.DRAFTING, Draft.State.RETURNED],
        )
        .select_related("draft")
        .prefetch_related("reviewers__person")
        .order_by("pk")
    )
    for r in requests:
        commented = set(r.draft.comments.filter(created_at__gte=r.created_at).values_list("person_id", flat=True))
        people = [rv.person for rv in r.reviewers.all() if rv.person_id not in commented]
        if not people:
            continue
        when = "today" if r.deadline == today else "tomorrow"
        text = (
            _("Comments are due today on the draft “%(subject)s”.")
            if when == "today"
            else _("Comments are due tomorrow on the draft “%(subject)s”.")
        ) % {"subject": r.draft.subject[:300]}
        sent += _notify_counted(
            people,
            kind=f"drafting.comments_{when}",
            text=text,
            url=reverse("draft-detail", args=[r.draft_id]),
            key=f"comments:{r.pk}:{when}:{r.deadline.isoformat()}",
        )
    return sent


def send_meeting_reminders(today: dt.date) -> int:
    """The day before a planned meeting, its invited people who have not declined."""
    sent = 0
    tomorrow = today + dt.timedelta(days=1)
    meetings = (
        Meeting.objects.filter(state=Meeting.State.PLANNED, starts_at__date=tomorrow)
        .prefetch_related("participants__person")
        .order_by("pk")
    )
    for m in meetings:
        people = [
            pt.person
            for pt in m.participants.all()
            if pt.person_id is not None and pt.answer != Participant.Answer.DECLINED
        ]
        if not people:
            continue
        starts = timezone.localtime(m.starts_at)
        sent += _notify_counted(
            people,
            kind="meeting.tomorrow",
            text=_("Meeting tomorrow at %(time)s, %(place)s: %(title)s")
            % {"time": starts.strftime("%H:%M"), "place": m.location or "—", "title": m.title[:300]},
            url=reverse("meeting-detail", args=[m.pk]),
            key=f"meeting:{m.pk}:tomorrow:{starts.isoformat()}",
        )
    return sent


def run_reminders(today: dt.date | None = None) -> dict[str, int]:
    """All reminders of the day; returns how many notices were newly written, per kind."""
    today = today or timezone.localdate()
    counts = send_deadline_reminders(today)
    counts["comments"] = send_comment_reminders(today)
    counts["meetings"] = send_meeting_reminders(today)
    counts["handover"] = dossiers.remind_handover(today)
    return counts
