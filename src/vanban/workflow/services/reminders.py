"""Deadline reminders: the day before the deadline, on the day, and once on the day after for work
still open. Run hourly by the task worker (`tasks.send_reminders`) and by `vanban workflow remind`.
Every notice has a key naming the assignment, the kind and the deadline, so any number of runs,
workers or restarts notify each person once; a changed deadline is a new key and reminds again."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.orgs.models import Person

from ..models import Assignment, Handler, Notice
from . import notices

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


def run_reminders(today: dt.date | None = None) -> dict[str, int]:
    """All reminders of the day: deadlines, then dossiers due for hand-over (when that area exists)."""
    today = today or timezone.localdate()
    counts = send_deadline_reminders(today)
    try:
        from . import dossiers
    except ImportError:  # the dossiers area is not built yet
        dossiers = None
    remind_handover = getattr(dossiers, "remind_handover", None)
    if remind_handover is not None:
        handover = remind_handover(today)
        counts["handover"] = handover if isinstance(handover, int) else 0
    return counts
