"""Reads of the workflow, scoped to the person asking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from vanban.orgs.models import Person

from .models import Assignment, Handler


@dataclass
class Worklist:
    """A person's work: what they lead, co-handle or only read, what is overdue, what is done.
    Work given to a unit counts for every person of the unit."""

    to_handle: list[Assignment] = field(default_factory=list)
    co_handling: list[Assignment] = field(default_factory=list)
    for_information: list[Assignment] = field(default_factory=list)
    overdue: list[Assignment] = field(default_factory=list)
    done: list[Assignment] = field(default_factory=list)


def worklist(person: Person, *, today: dt.date | None = None, done_limit: int = 100) -> Worklist:
    today = today or timezone.localdate()
    mine = Q(person=person)
    if person.unit_id is not None:
        mine |= Q(unit_id=person.unit_id)
    handlers = (
        Handler.objects.filter(mine, assignment__agency_id=person.agency_id)
        .select_related("assignment__document")
        .order_by("assignment__deadline", "assignment_id")
    )
    out = Worklist()
    seen: set[tuple[int, str]] = set()
    for h in handlers:
        a = h.assignment
        if (a.pk, h.role) in seen:
            continue
        seen.add((a.pk, h.role))
        if a.state == Assignment.State.DONE:
            if h.role != Handler.Role.READER and len(out.done) < done_limit:
                out.done.append(a)
            continue
        if h.role == Handler.Role.READER:
            out.for_information.append(a)
            continue
        (out.to_handle if h.role == Handler.Role.LEAD else out.co_handling).append(a)
        if a.deadline is not None and a.deadline < today:
            out.overdue.append(a)
    return out


def is_overdue(assignment: Assignment, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return assignment.state == Assignment.State.OPEN and assignment.deadline is not None and assignment.deadline < today
