"""Every write of work dossiers: opening, editing, filing documents, closing, re-opening, handing
over to the agency archive, and the hand-over reminder. Each action checks who may act, validates,
locks the dossier row (two people may file into or close the same dossier at once), writes in one
transaction with its audit entry. A dossier handed over is the archive's: nothing changes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.documents import selectors as documents
from vanban.documents.models import Document
from vanban.fields import FieldErrors, text
from vanban.orgs.models import Person, Role, Unit
from vanban.orgs.selectors import agency_scope_ids

from ..models import Dossier, DossierItem, Handover
from ..models.dossiers import MAINTENANCE, MAX_ITEMS, add_years
from ..selectors import dossiers as selectors
from . import notices

# Metadata a person may change with update_dossier (state, items and totals have their own actions).
EDITABLE = ("notation", "title", "maintenance", "rights", "language", "start_date", "description", "unit", "creator")

# The reminder goes out this many days before the hand-over is due (Phụ lục VI, Phần I.III).
REMIND_DAYS = 30


def _clean(actor: Person, values: dict, errors: FieldErrors) -> dict:
    """Validated metadata from `values` (only the keys present)."""
    out = {}
    if "notation" in values:
        out["notation"] = text(errors, "notation", values["notation"], max_length=20, required=True)
    if "title" in values:
        out["title"] = text(errors, "title", values["title"], max_length=500, required=True)
    if "maintenance" in values:
        m = (values["maintenance"] or "").strip()
        if m not in MAINTENANCE:
            errors.add("maintenance", _("Choose a retention period from the list."))
        out["maintenance"] = m
    if "rights" in values:
        if values["rights"] not in Dossier.Rights.values:
            errors.add("rights", _("Choose the access rights from the list."))
        out["rights"] = values["rights"]
    if "language" in values:
        out["language"] = text(errors, "language", values["language"], max_length=50, required=True)
    if "description" in values:
        out["description"] = text(errors, "description", values["description"], max_length=500, required=False)
    if "start_date" in values:
        start = values["start_date"]
        if start is not None and start > timezone.localdate():
            errors.add("start_date", _("The start date cannot be in the future."))
        out["start_date"] = start
    if "creator" in values:
        creator = values["creator"]
        if not isinstance(creator, Person) or not creator.is_active or creator.agency_id != actor.agency_id:
            errors.add("creator", _("The person who keeps the dossier must be of your agency."))
        out["creator"] = creator
    if "unit" in values:
        unit = values["unit"]
        if unit is not None and (not isinstance(unit, Unit) or unit.agency_id != actor.agency_id or not unit.active):
            errors.add("unit", _("The unit must be of your agency."))
        out["unit"] = unit
    return out


def _check_year(errors: FieldErrors, year) -> int | None:
    if not isinstance(year, int) or not (2000 <= year <= timezone.localdate().year + 1):
        errors.add("year", _("Enter a year between 2000 and next year."))
        return None
    return year


def _notation_taken(agency_id: int, year: int, notation: str, exclude: int | None = None) -> bool:
    qs = Dossier.objects.filter(agency_id=agency_id, year=year, notation__iexact=notation)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _taken_error(notation: str, year: int) -> ValidationError:
    return ValidationError(
        {
            "notation": [
                _("The notation %(notation)s is already used by a dossier of %(year)s.")
                % {"notation": notation, "year": year}
            ]
        }
    )


def _data(d: Dossier) -> dict:
    return {
        "file_code": d.file_code,
        "title": d.title,
        "maintenance": d.maintenance,
        "rights": d.rights,
        "creator": d.creator_id,
        "unit": d.unit_id,
        "start_date": d.start_date.isoformat() if d.start_date else None,
        "end_date": d.end_date.isoformat() if d.end_date else None,
        "state": d.state,
    }


def _locked(actor: Person, dossier: Dossier) -> Dossier:
    """The dossier's row, locked, when the actor may modify it. Call inside a transaction: two
    people filing into or closing the same dossier queue here."""
    locked = Dossier.objects.select_for_update().select_related("agency").get(pk=dossier.pk)
    _check_may_modify(actor, locked)
    return locked


def _check_may_modify(actor: Person, dossier: Dossier) -> None:
    if not selectors.may_modify(actor, dossier):
        raise PermissionDenied(
            _("Only the person who keeps the dossier, the head of its unit, clerks and leaders can change it.")
        )


def _must_be_open(d: Dossier) -> None:
    if d.state == Dossier.State.HANDED_OVER:
        raise ValidationError({"dossier": [_("This dossier was handed over to the archive; it cannot be changed.")]})
    if d.state != Dossier.State.OPEN:
        raise ValidationError({"dossier": [_("This dossier is closed; reopen it to change it.")]})


def _refresh(target: Dossier, source: Dossier) -> Dossier:
    for f in Dossier._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
    target.__dict__.pop("_doc_total", None)
    target.__dict__.pop("_page_total", None)
    return target


def open_dossier(
    actor: Person,
    *,
    year: int,
    notation: str,
    title: str,
    maintenance: str,
    rights: str = Dossier.Rights.RESTRICTED,
    creator: Person | None = None,
    unit: Unit | None = None,
    language: str = "Tiếng Việt",
    start_date: dt.date | None = None,
    description: str = "",
) -> Dossier:
    """Open a work dossier of the actor's agency for `year`, kept by `creator` (the actor by
    default) in `unit` (the keeper's unit by default). The notation is unique in the agency's year."""
    if not selectors.may_open(actor):
        raise PermissionDenied(_("Only the agency's clerks, specialists, unit heads and leaders open dossiers."))
    creator = creator or actor
    if unit is None:
        unit = creator.unit if isinstance(creator, Person) else None
    errors = FieldErrors()
    year = _check_year(errors, year)
    values = _clean(
        actor,
        {
            "notation": notation,
            "title": title,
            "maintenance": maintenance,
            "rights": rights,
            "language": language,
            "start_date": start_date,
            "description": description,
            "creator": creator,
            "unit": unit,
        },
        errors,
    )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            if _notation_taken(actor.agency_id, year, values["notation"]):
                raise _taken_error(values["notation"], year)
            d = Dossier.objects.create(agency_id=actor.agency_id, year=year, **values)
            d = Dossier.objects.select_related("agency").get(pk=d.pk)
            audit.record(actor=actor, action="workflow.dossiers.open", target=d, data=_data(d))
    except IntegrityError as exc:  # the same notation committed by someone else meanwhile
        raise _taken_error(values["notation"], year) from exc
    return d


def update_dossier(actor: Person, dossier: Dossier, **changes) -> Dossier:
    """Change the metadata of an open dossier (the keys of EDITABLE present in `changes`)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: [_("This field cannot be changed.")] for k in sorted(unknown)})
    _check_may_modify(actor, dossier)
    errors = FieldErrors()
    values = _clean(actor, changes, errors)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            d = _locked(actor, dossier)
            _must_be_open(d)
            if "notation" in values and _notation_taken(d.agency_id, d.year, values["notation"], exclude=d.pk):
                raise _taken_error(values["notation"], d.year)
            before = _data(d)
            for k, v in values.items():
                setattr(d, k, v)
            d.save(update_fields=list(values))
            audit.record(
                actor=actor, action="workflow.dossiers.update", target=d, data={"before": before, "after": _data(d)}
            )
    except IntegrityError as exc:
        raise _taken_error(values.get("notation", ""), dossier.year) from exc
    return _refresh(dossier, d)


def add_document(actor: Person, dossier: Dossier, document: Document) -> DossierItem:
    """File a document of the agency that the actor may read into an open dossier; it takes the
    next ordinal."""
    _check_may_modify(actor, dossier)
    try:
        documents.get_document(actor, document.pk)
    except Http404 as exc:
        raise ValidationError({"document": [_("No such document.")]}) from exc
    with transaction.atomic():
        d = _locked(actor, dossier)
        if document.agency_id not in agency_scope_ids(d.agency_id):
            raise ValidationError({"document": [_("Only documents of the dossier's agency can be filed in it.")]})
        _must_be_open(d)
        if DossierItem.objects.filter(dossier=d, document=document).exists():
            raise ValidationError({"document": [_("This document is already in the dossier.")]})
        last = DossierItem.objects.filter(dossier=d).aggregate(n=Max("ordinal"))["n"] or 0
        if last >= MAX_ITEMS:
            raise ValidationError(
                {"document": [_("A dossier holds at most %(n)d documents: open another one.") % {"n": MAX_ITEMS}]}
            )
        item = DossierItem.objects.create(dossier=d, document=document, ordinal=last + 1, added_by=actor)
        audit.record(
            actor=actor,
            action="workflow.dossiers.add_document",
            target=d,
            data={"document": document.pk, "ordinal": item.ordinal},
        )
    return item


def remove_document(actor: Person, dossier: Dossier, document: Document) -> None:
    """Take a document out of an open dossier; the items after it move up one ordinal."""
    with transaction.atomic():
        d = _locked(actor, dossier)
        _must_be_open(d)
        item = DossierItem.objects.filter(dossier=d, document_id=document.pk).first()
        if item is None:
            raise ValidationError({"document": [_("This document is not in the dossier.")]})
        item.delete()
        # Ascending, one row at a time: each ordinal moves into the gap just freed.
        for pk in (
            DossierItem.objects.filter(dossier=d, ordinal__gt=item.ordinal)
            .order_by("ordinal")
            .values_list("pk", flat=True)
        ):
            DossierItem.objects.filter(pk=pk).update(ordinal=F("ordinal") - 1)
        audit.record(
            actor=actor,
            action="workflow.dossiers.remove_document",
            target=d,
            data={"document": document.pk, "ordinal": item.ordinal},
        )


def close_dossier(actor: Person, dossier: Dossier, *, end_date: dt.date | None = None) -> Dossier:
    """Close an open dossier when its matter is done. The end date defaults to the date of its
    latest document (today when it has none); the start date, when not given, becomes the date of
    its earliest document. The hand-over falls due one year after the end date."""
    today = timezone.localdate()
    with transaction.atomic():
        d = _locked(actor, dossier)
        _must_be_open(d)
        dates = DossierItem.objects.filter(dossier=d).aggregate(
            first=Min("document__issued_date"), last=Max("document__issued_date")
        )
        end = end_date or dates["last"] or today
        start = d.start_date or dates["first"] or end
        if end > today:
            raise ValidationError({"end_date": [_("The end date cannot be in the future.")]})
        if end < start:
            raise ValidationError({"end_date": [_("The end date cannot be before the start date.")]})
        if end.year < d.year:
            raise ValidationError(
                {"end_date": [_("The end date cannot be before the dossier's year (%(year)s).") % {"year": d.year}]}
            )
        d.state, d.start_date, d.end_date, d.closed_at = Dossier.State.CLOSED, start, end, timezone.now()
        d.save(update_fields=["state", "start_date", "end_date", "closed_at"])
        audit.record(actor=actor, action="workflow.dossiers.close", target=d, data=_data(d))
    return _refresh(dossier, d)


def reopen(actor: Person, dossier: Dossier) -> Dossier:
    """Reopen a closed dossier (not one handed over): the work goes on, the end date is cleared."""
    with transaction.atomic():
        d = _locked(actor, dossier)
        if d.state == Dossier.State.HANDED_OVER:
            raise ValidationError(
                {"dossier": [_("This dossier was handed over to the archive; it cannot be changed.")]}
            )
        if d.state != Dossier.State.CLOSED:
            raise ValidationError({"dossier": [_("Only a closed dossier can be reopened.")]})
        d.state, d.end_date, d.closed_at = Dossier.State.OPEN, None, None
        d.save(update_fields=["state", "end_date", "closed_at"])
        audit.record(actor=actor, action="workflow.dossiers.reopen", target=d, data=_data(d))
    return _refresh(dossier, d)


def hand_over(
    actor: Person, dossiers: Sequence[Dossier], *, handed_on: dt.date, received_by: str, note: str = ""
) -> Handover:
    """Hand closed dossiers of the agency over to its archive (nộp lưu), all or none. The
    dossiers are then the archive's and never change again."""
    if not selectors.may_hand_over(actor):
        raise PermissionDenied(_("Only the agency's clerks and leaders hand dossiers over to the archive."))
    errors = FieldErrors()
    received_by = text(errors, "received_by", received_by, max_length=100, required=True)
    note = text(errors, "note", note, max_length=500, required=False)
    if handed_on is None:
        errors.add("handed_on", _("This field is required."))
    elif handed_on > timezone.localdate():
        errors.add("handed_on", _("The hand-over date cannot be in the future."))
    pks = sorted({d.pk for d in dossiers})
    if not pks:
        errors.add("dossiers", _("Choose the dossiers to hand over."))
    errors.raise_if_any()
    with transaction.atomic():
        # Locked in primary key order, so two hand-overs of overlapping dossiers never deadlock.
        locked = list(Dossier.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
        found = {d.pk for d in locked}
        problems = [_("No such dossier: %(pk)s.") % {"pk": pk} for pk in pks if pk not in found]
        for d in locked:
            if d.agency_id != actor.agency_id:
                problems.append(_("No such dossier: %(pk)s.") % {"pk": d.pk})
            elif d.state != Dossier.State.CLOSED:
                problems.append(
                    _("Dossier %(notation)s is not closed; only closed dossiers are handed over.")
                    % {"notation": d.notation}
                )
        if problems:
            raise ValidationError({"dossiers": problems})
        h = Handover.objects.create(
            agency_id=actor.agency_id, created_by=actor, handed_on=handed_on, received_by=received_by, note=note
        )
        Dossier.objects.filter(pk__in=pks).update(state=Dossier.State.HANDED_OVER, handover=h)
        for d in locked:
            audit.record(
                actor=actor,
                action="workflow.dossiers.hand_over",
                target=d,
                data={"handover": h.pk, "handed_on": handed_on.isoformat(), "received_by": received_by},
            )
    return h


def remind_handover(today: dt.date) -> int:
    """Tell each closed dossier's keeper and the agency's clerks, once, that its hand-over to the
    archive falls due within REMIND_DAYS days (or is past due). Run daily by the reminders task;
    running it again sends nothing new. Returns how many notices were addressed."""
    horizon = today + dt.timedelta(days=REMIND_DAYS)
    # due = end + 1 year <= horizon; one day of slack for 29 February, checked exactly below.
    cutoff = add_years(horizon, -1) + dt.timedelta(days=1)
    due = Dossier.objects.filter(state=Dossier.State.CLOSED, end_date__lte=cutoff).select_related("agency", "creator")
    clerks: dict[int, list[Person]] = {}
    addressed = 0
    for d in due:
        if d.handover_due > horizon:
            continue
        if d.agency_id not in clerks:
            clerks[d.agency_id] = list(
                Person.objects.filter(agency_id=d.agency_id, is_active=True, role_grants__role=Role.CLERK).distinct()
            )
        message = _("Dossier %(code)s “%(title)s” is due for hand-over to the archive by %(date)s.") % {
            "code": d.file_code,
            "title": d.title[:200],
            "date": d.handover_due.strftime("%d/%m/%Y"),
        }
        with transaction.atomic():
            addressed += notices.notify(
                [d.creator, *clerks[d.agency_id]],
                kind="dossier.handover",
                text=message,
                url=reverse("dossier-detail", args=[d.pk]),
                key=f"dossier.handover:{d.pk}",
            )
    return addressed
