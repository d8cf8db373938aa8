"""Every write of the operation workflow: assigning incoming documents, re-assigning inside a
unit, recording progress and finishing. Each action checks who may act, validates, writes in one
transaction with its audit entry and, for documents received through the exchange, tells the
sender (04 assigned, 05 in progress, 06 done)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.documents import services as document_services
from vanban.documents.models import Confidentiality, Direction, Document, HandlingStatus
from vanban.exchange import services as exchange
from vanban.exchange.models import Status
from vanban.orgs.models import Person, Unit

from ..models import Assignment, Handler, ProgressEntry
from ..selectors import assignment as selectors

Target = Unit | Person


def _name(target: Target) -> str:
    return target.name if isinstance(target, Unit) else target.get_full_name()


def _handlers(
    agency_id: int, lead: Target | None, co: Sequence[Target], readers: Sequence[Target], *, unit: Unit | None = None
) -> list[Handler]:
    """Handlers for an assignment in the agency (or, re-assigning, among the people of `unit`):
    exactly one lead, nobody named twice, everyone active and of the agency."""
    if lead is None:
        raise ValidationError({"lead": [_("Choose exactly one lead handler.")]})
    out, seen, errors = [], set(), []
    for role, targets in ((Handler.Role.LEAD, [lead]), (Handler.Role.CO, co), (Handler.Role.READER, readers)):
        for t in targets:
            key = (type(t).__name__, t.pk)
            if key in seen:
                errors.append(_("%(name)s is named more than once.") % {"name": _name(t)})
                continue
            seen.add(key)
            if isinstance(t, Unit):
                ok = unit is None and t.agency_id == agency_id and t.active
            else:
                ok = t.is_active and t.agency_id == agency_id and (unit is None or t.unit_id == unit.pk)
            if not ok:
                errors.append(
                    _("%(name)s is not in your unit.") % {"name": _name(t)}
                    if unit is not None
                    else _("%(name)s is not in your agency.") % {"name": _name(t)}
                )
                continue
            out.append(
                Handler(role=role, unit=t if isinstance(t, Unit) else None, person=t if isinstance(t, Person) else None)
            )
    if errors:
        raise ValidationError({"handlers": errors})
    return out


def _check_confidential(document: Document, handlers: list[Handler]) -> None:
    if document.confidentiality != Confidentiality.NORMAL and any(h.unit_id for h in handlers):
        raise ValidationError(
            {"handlers": [_("A confidential document is assigned to named people only, not to units.")]}
        )


def _grant(document: Document, handlers: list[Handler]) -> None:
    """Handlers read the document: a grant per person or unit (clerks and leaders already do)."""
    document_services.grant_access(document, [(h.person, h.unit) for h in handlers], reason="workflow")


def _check_deadline(deadline: dt.date | None, parent: Assignment | None = None) -> None:
    if deadline is None:
        return
    if deadline < timezone.localdate():
        raise ValidationError({"deadline": [_("The deadline cannot be before the assignment.")]})
    if parent is not None and parent.deadline is not None and deadline > parent.deadline:
        raise ValidationError({"deadline": [_("The deadline cannot be after the deadline of the assignment above.")]})


def _audit_data(a: Assignment, handlers: list[Handler]) -> dict:
    return {
        "assignment": a.pk,
        "parent": a.parent_id,
        "deadline": a.deadline.isoformat() if a.deadline else None,
        "instruction": a.instruction,
        "handlers": [[h.role, "unit" if h.unit_id else "person", h.unit_id or h.person_id] for h in handlers],
    }


def assign(
    actor: Person,
    document: Document,
    *,
    lead: Target | None,
    co: Sequence[Target] = (),
    readers: Sequence[Target] = (),
    deadline: dt.date | None = None,
    instruction: str = "",
) -> Assignment:
    """Assign a registered incoming document: one lead handler (a unit or a person), co-handlers,
    readers, a deadline and the leader's instruction. A document is assigned once; two leaders
    assigning at once get one assignment and one refusal."""
    if not selectors.may_assign(actor, document):
        raise PermissionDenied(_("Only the agency's leaders, or its clerks on their behalf, can assign documents."))
    if document.direction != Direction.INCOMING:
        raise ValidationError({"document": [_("Only incoming documents are assigned for handling.")]})
    if document.withdrawn_at is not None:
        raise ValidationError({"document": [_("This document was withdrawn; it is not handled.")]})
    _check_deadline(deadline)
    handlers = _handlers(document.agency_id, lead, co, readers)
    _check_confidential(document, handlers)
    instruction = instruction.strip()
    try:
        with transaction.atomic():
            # The document's row is the lock two leaders queue on (SQLite: the write lock).
            list(Document.objects.select_for_update().filter(pk=document.pk).values_list("pk", flat=True))
            if Assignment.objects.filter(document=document, parent__isnull=True).exists():
                raise ValidationError({"document": [_("This document has already been assigned.")]})
            a = Assignment.objects.create(
                document=document,
                agency_id=document.agency_id,
                assigned_by=actor,
                instruction=instruction,
                deadline=deadline,
            )
            for h in handlers:
                h.assignment = a
            Handler.objects.bulk_create(handlers)
            _grant(document, handlers)
            document_services.set_handling_status(document, HandlingStatus.IN_PROGRESS)
            audit.record(actor=actor, action="workflow.assign", target=document, data=_audit_data(a, handlers))
            exchange.notify_sender(
                document,
                Status.ASSIGNED,
                _("Assigned to %(name)s.") % {"name": _name(lead)},
                actor=actor,
            )
    except IntegrityError as exc:  # the other leader's assignment committed first
        raise ValidationError({"document": [_("This document has already been assigned.")]}) from exc
    return a


def reassign(
    actor: Person,
    assignment: Assignment,
    *,
    lead: Person | None,
    co: Sequence[Person] = (),
    readers: Sequence[Person] = (),
    deadline: dt.date | None = None,
    instruction: str = "",
) -> Assignment:
    """The head of the lead unit hands the work to people of the unit (giao việc trong phòng)."""
    if not selectors.may_reassign(actor, assignment):
        raise PermissionDenied(_("Only the head of the lead unit can re-assign this work."))
    lead_handler = selectors.lead_of(assignment)
    _check_deadline(deadline, assignment)
    handlers = _handlers(assignment.agency_id, lead, co, readers, unit=lead_handler.unit)
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.state != Assignment.State.OPEN:
            raise ValidationError({"assignment": [_("This work is already done.")]})
        if locked.children.filter(state=Assignment.State.OPEN).exists():
            raise ValidationError({"assignment": [_("This work has already been re-assigned.")]})
        child = Assignment.objects.create(
            document_id=locked.document_id,
            agency_id=locked.agency_id,
            parent=locked,
            assigned_by=actor,
            instruction=instruction.strip(),
            deadline=deadline or locked.deadline,
        )
        for h in handlers:
            h.assignment = child
        Handler.objects.bulk_create(handlers)
        _grant(locked.document, handlers)
        audit.record(actor=actor, action="workflow.reassign", target=locked.document, data=_audit_data(child, handlers))
    return child


def _handling(actor: Person, assignment: Assignment, *, roles: tuple[str, ...], message: str) -> Assignment:
    """The assignment, locked, when `actor` is one of its handlers in `roles` and it is open."""
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not selectors.handles(actor, locked, roles):
        raise PermissionDenied(message)
    if locked.state != Assignment.State.OPEN:
        raise ValidationError({"assignment": [_("This work is already done.")]})
    return locked


def record_progress(actor: Person, assignment: Assignment, note: str) -> ProgressEntry:
    """A lead or co-handler reports progress. The first report on a document received through the
    exchange tells its sender 05 (in progress)."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": [_("Write what was done.")]})
    with transaction.atomic():
        locked = _handling(
            actor,
            assignment,
            roles=(Handler.Role.LEAD, Handler.Role.CO),
            message=_("Only the handlers of this work can report on it."),
        )
        first = not ProgressEntry.objects.filter(assignment__document_id=locked.document_id).exists()
        entry = ProgressEntry.objects.create(assignment=locked, person=actor, note=note)
        audit.record(
            actor=actor,
            action="workflow.progress",
            target=locked.document,
            data={"assignment": locked.pk, "note": note},
        )
        if first:
            exchange.notify_sender(locked.document, Status.IN_PROGRESS, note, actor=actor)
    return entry


def finish(actor: Person, assignment: Assignment, *, result: str, reply: Document | None = None) -> Assignment:
    """The lead handler finishes the work with its result, optionally naming the outgoing reply.
    Finishing the leaders' assignment marks the document done and tells the sender 06."""
    result = result.strip()
    if not result:
        raise ValidationError({"result": [_("Write the result.")]})
    if reply is not None and (
        reply.agency_id != assignment.agency_id or reply.direction not in (Direction.OUTGOING, Direction.INTERNAL)
    ):
        raise ValidationError({"reply": [_("The reply must be an outgoing document of your agency.")]})
    with transaction.atomic():
        locked = _handling(
            actor,
            assignment,
            roles=(Handler.Role.LEAD,),
            message=_("Only the lead handler of this work can finish it."),
        )
        if locked.children.filter(state=Assignment.State.OPEN).exists():
            raise ValidationError({"assignment": [_("The work re-assigned inside the unit is not finished yet.")]})
        now = timezone.now()
        Assignment.objects.filter(pk=locked.pk).update(
            state=Assignment.State.DONE, finished_at=now, finished_by=actor, result=result, reply=reply
        )
        locked.state, locked.finished_at, locked.finished_by, locked.result, locked.reply = (
            Assignment.State.DONE,
            now,
            actor,
            result,
            reply,
        )
        audit.record(
            actor=actor,
            action="workflow.finish",
            target=locked.document,
            data={"assignment": locked.pk, "result": result, "reply": reply.pk if reply else None},
        )
        if locked.parent_id is None:
            document_services.set_handling_status(locked.document, HandlingStatus.DONE)
            exchange.notify_sender(locked.document, Status.DONE, result, actor=actor)
    return locked
