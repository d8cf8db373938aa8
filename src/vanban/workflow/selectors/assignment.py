"""Reads of the workflow, scoped to the person asking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from vanban.orgs.models import Person, Role

from ..models import Assignment, Handler


@dataclass
class Worklist:
    """A person's work: what they lead, co-handle or only read, what is overdue, what is done.
    Work given to a unit counts for every person of the unit."""

    to_handle: list[Assignment] = field(default_factory=list)
    co_handling: list[Assignment] = field(default_factory=list)
    for_information: list[Assignment] = field(default_factory=list)
    overdue: list[Assignment] = field(default_factory=list)
    done: list[Assignment] = field(default_factory=list)


_DOCUMENT_FIELDS = ("id", "agency", "direction", "number", "notation", "reg_seq", "subject", "issuer_name")


def worklist(person: Person, *, today: dt.date | None = None, done_limit: int = 100) -> Worklist:
    today = today or timezone.localdate()
    mine = Q(person=person)
    if person.unit_id is not None:
        mine |= Q(unit_id=person.unit_id)
    handlers = (
        Handler.objects.filter(mine, assignment__agency_id=person.agency_id)
        .select_related("assignment__document")
        # Of the document, only what the lists show (it is the widest row; 1,000 of them add up).
        .only(
            "role",
            "unit_id",
            "person_id",
            *(f"assignment__{f.name}" for f in Assignment._meta.concrete_fields),
            *(f"assignment__document__{f}" for f in _DOCUMENT_FIELDS),
        )
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


# --- who may do what (the services enforce these; the pages use them to show the actions) ------


def acts_as(person: Person, handler: Handler) -> bool:
    """The person is this handler, or of the unit that is."""
    return handler.person_id == person.pk or (handler.unit_id is not None and handler.unit_id == person.unit_id)


def may_assign(person: Person, document) -> bool:
    return bool(
        person is not None
        and person.is_active
        and person.agency_id == document.agency_id
        and person.has_role(Role.LEADER, Role.CLERK)
    )


def handles(person: Person, assignment: Assignment, roles: tuple[str, ...]) -> bool:
    """The person is one of the assignment's handlers in `roles` (handlers prefetched or not)."""
    if person is None or not person.is_active or person.agency_id != assignment.agency_id:
        return False
    return any(h.role in roles and acts_as(person, h) for h in assignment.handlers.all())


def lead_of(assignment: Assignment) -> Handler:
    return next(h for h in assignment.handlers.all() if h.role == Handler.Role.LEAD)


def may_reassign(person: Person, assignment: Assignment) -> bool:
    lead = lead_of(assignment)
    return bool(
        person is not None
        and person.is_active
        and lead.unit_id is not None
        and person.unit_id == lead.unit_id
        and person.has_role(Role.UNIT_HEAD)
    )


def assignments_of(document) -> list[Assignment]:
    """A document's assignments, the leaders' first, each re-assignment after the one above."""
    return list(
        Assignment.objects.filter(document=document)
        .select_related("assigned_by", "finished_by", "reply")
        .prefetch_related("handlers__unit", "handlers__person", "progress__person")
        .order_by("pk")
    )


def open_work_count(person: Person) -> int:
    """How many open pieces of work the person leads or co-handles (the menu's badge)."""
    mine = Q(person=person)
    if person.unit_id is not None:
        mine |= Q(unit_id=person.unit_id)
    return (
        Handler.objects.filter(
            mine,
            role__in=[Handler.Role.LEAD, Handler.Role.CO],
            assignment__agency_id=person.agency_id,
            assignment__state=Assignment.State.OPEN,
        )
        .values("assignment_id")
        .distinct()
        .count()
    )
