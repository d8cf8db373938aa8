"""Reads of the exchange, scoped to the reader's agency."""

from __future__ import annotations

from django.db.models import QuerySet

from vanban.documents.models import Document
from vanban.orgs.models import Person, Role
from vanban.orgs.selectors import agency_scope_ids

from .models import Arrival, Delivery, Dispatch, OutboxMessage


def _is_clerk(reader: Person) -> bool:
    return reader.is_authenticated and reader.is_active and reader.agency_id is not None and reader.has_role(Role.CLERK)


def arrivals_for(reader: Person, state: str | None = Arrival.State.WAITING) -> QuerySet[Arrival]:
    """What arrived at the reader's agency (clerks and leaders only)."""
    if not reader.is_authenticated or reader.agency_id is None or not reader.has_role(Role.CLERK, Role.LEADER):
        return Arrival.objects.none()
    qs = Arrival.objects.filter(agency_id__in=agency_scope_ids(reader.agency_id)).select_related("inbox", "document")
    return qs.filter(state=state) if state else qs


def get_arrival(reader: Person, pk) -> Arrival:
    from django.http import Http404

    try:
        return arrivals_for(reader, state=None).get(pk=pk)
    except (Arrival.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def dispatches_of(document: Document) -> QuerySet[Dispatch]:
    """The caller has checked that the reader may see `document`."""
    return document.dispatches.prefetch_related("deliveries__events", "deliveries__outbox")


def deliveries_of(document: Document) -> QuerySet[Delivery]:
    return Delivery.objects.filter(dispatch__document=document).select_related("dispatch", "outbox")


def undeliverable_for(reader: Person) -> QuerySet[OutboxMessage]:
    if not _is_clerk(reader):
        return OutboxMessage.objects.none()
    return (
        OutboxMessage.objects.filter(sender_agency_id=reader.agency_id, state=OutboxMessage.State.UNDELIVERABLE)
        .select_related("peer")
        .order_by("-created_at")
    )


def get_undeliverable(reader: Person, pk) -> OutboxMessage:
    from django.http import Http404

    try:
        return undeliverable_for(reader).get(pk=pk)
    except (OutboxMessage.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
