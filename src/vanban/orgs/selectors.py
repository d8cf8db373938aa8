"""Reads of agencies and people, scoped to what the reader may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Agency, Person, PersonalToken, Role, Unit


def agency_directory() -> QuerySet[Agency]:
    """Every agency of the province: the directory is open to every logged-in person, since
    documents are addressed to agencies by name or identifier code."""
    return Agency.objects.select_related("parent", "successor")


def agency_scope_ids(agency_id: int | None) -> list[int]:
    """The agency and every agency merged into it, directly or through others: after a merger
    the successor's people keep access to the registers of the agencies it absorbed."""
    if agency_id is None:
        return []
    ids = [agency_id]
    frontier = [agency_id]
    while frontier:
        frontier = list(
            Agency.objects.filter(successor_id__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def people_visible_to(reader: Person) -> QuerySet[Person]:
    """Province administrators and monitors see everyone; others see their own agency's people."""
    qs = Person.objects.all()
    if reader.is_superuser or reader.has_role(Role.MONITOR):
        return qs
    return qs.filter(agency_id=reader.agency_id)


def people_manageable_by(reader: Person) -> QuerySet[Person]:
    if reader.is_superuser:
        return Person.objects.all()
    if reader.has_role(Role.ADMIN) and reader.agency_id:
        # Province administrators' accounts are managed only by province administrators.
        return Person.objects.filter(agency_id=reader.agency_id, is_superuser=False)
    return Person.objects.none()


def units_of(agency_id: int, active_only: bool = True) -> QuerySet[Unit]:
    qs = Unit.objects.filter(agency_id=agency_id)
    return qs.filter(active=True) if active_only else qs


def tokens_of(person: Person) -> QuerySet[PersonalToken]:
    return PersonalToken.objects.filter(person=person)


def search_agencies(text: str) -> QuerySet[Agency]:
    text = (text or "").strip()
    qs = agency_directory()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(identifier__startswith=text))
    return qs
