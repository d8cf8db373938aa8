"""Reads of work dossiers, scoped to the person asking, and who may do what with them.

Dossiers (their metadata and totals) are seen by everyone of their agency: the yearly dossier
list is an agency's public plan of its files. Their documents are not: a person sees in a dossier
only the documents they may read anyway, so a confidential document filed in a dossier stays
hidden from whoever has no grant to it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from vanban.documents import selectors as documents
from vanban.documents.models import Document
from vanban.orgs.models import Agency, Person, Role, Unit

from ..models import Dossier, DossierItem, Handover


def _in_agency(person: Person | None) -> bool:
    return bool(person is not None and person.is_authenticated and person.is_active and person.agency_id is not None)


def with_totals(qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """DocTotal and PageTotal of every dossier, in the same query."""
    return qs.annotate(_doc_total=Count("items"), _page_total=Sum("items__document__pages"))


def dossiers_for(person: Person, *, year: int | None = None, state: str | None = None) -> QuerySet[Dossier]:
    """The dossiers of the person's agency, newest year first, then by notation."""
    if not _in_agency(person):
        return Dossier.objects.none()
    qs = Dossier.objects.filter(agency_id=person.agency_id)
    if year:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    return with_totals(qs.select_related("agency", "unit", "creator")).order_by("-year", "notation", "pk")


def get_dossier(person: Person, pk) -> Dossier:
    """A dossier of the person's agency; 404 otherwise."""
    try:
        return dossiers_for(person).select_related("handover").get(pk=pk)
    except (Dossier.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def items_visible(person: Person, dossier: Dossier, *, chronological: bool = False) -> QuerySet[DossierItem]:
    """The items of a dossier whose document the person may read, by ordinal (mục lục văn bản
    trong hồ sơ) or, for an export, by document date."""
    qs = DossierItem.objects.filter(dossier=dossier, document__in=documents.visible_documents(person)).select_related(
        "document", "document__doc_type", "added_by"
    )
    return qs.order_by("document__issued_date", "ordinal") if chronological else qs.order_by("ordinal")


def years_of(person: Person) -> list[int]:
    """The years the person's agency has dossiers for (the list's filter)."""
    if not _in_agency(person):
        return []
    return list(
        Dossier.objects.filter(agency_id=person.agency_id).values_list("year", flat=True).distinct().order_by("-year")
    )


def _natural(text: str) -> list:
    """Notations in human order: 2 before 10, 01.TH before 02.TH."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in re.split(r"(\d+)", text)]


@dataclass
class CatalogSection:
    unit: Unit | None
    dossiers: list[Dossier]


def catalog(agency: Agency, year: int) -> list[CatalogSection]:
    """Danh mục hồ sơ: the year's dossiers of the agency grouped by unit (units by name, dossiers
    without a unit last), each group ordered by notation."""
    rows = list(with_totals(Dossier.objects.filter(agency=agency, year=year).select_related("unit", "creator")))
    groups: dict[int | None, CatalogSection] = {}
    for d in rows:
        groups.setdefault(d.unit_id, CatalogSection(d.unit, [])).dossiers.append(d)
    for g in groups.values():
        g.dossiers.sort(key=lambda d: _natural(d.notation))
    return sorted(groups.values(), key=lambda g: (g.unit is None, g.unit.name if g.unit else ""))


def dossiers_of_document(person: Person, document: Document) -> list[Dossier]:
    """The dossiers of the person's agency holding the document (the person reads the document)."""
    if not _in_agency(person) or not documents.visible_documents(person).filter(pk=document.pk).exists():
        return []
    return list(dossiers_for(person).filter(items__document=document))


def open_dossiers_to_file_in(person: Person) -> list[Dossier]:
    """Open dossiers the person may add documents to: their own, and for clerks, leaders and
    unit heads those they keep an eye on."""
    return [d for d in dossiers_for(person, state=Dossier.State.OPEN) if may_modify(person, d)]


def handovers_for(person: Person) -> QuerySet[Handover]:
    if not _in_agency(person):
        return Handover.objects.none()
    return (
        Handover.objects.filter(agency_id=person.agency_id)
        .select_related("created_by")
        .annotate(n_dossiers=Count("dossiers"))
        .order_by("-handed_on", "-pk")
    )


def get_handover(person: Person, pk) -> Handover:
    try:
        return handovers_for(person).get(pk=pk)
    except (Handover.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def handover_contents(handover: Handover) -> list[Dossier]:
    """Mục lục hồ sơ nộp lưu: the hand-over's dossiers by year then notation."""
    rows = list(with_totals(handover.dossiers.select_related("agency", "unit", "creator")))
    return sorted(rows, key=lambda d: (d.year, _natural(d.notation)))


# --- who may do what (the services enforce these; the pages use them to show the actions) ------


def may_open(person: Person | None) -> bool:
    return _in_agency(person) and person.has_role(Role.CLERK, Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER)


def may_modify(person: Person | None, dossier: Dossier) -> bool:
    """The person who keeps it, the head of its unit, the agency's clerks and leaders."""
    if not _in_agency(person) or person.agency_id != dossier.agency_id:
        return False
    if dossier.creator_id == person.pk or person.has_role(Role.CLERK, Role.LEADER):
        return True
    return dossier.unit_id is not None and person.unit_id == dossier.unit_id and person.has_role(Role.UNIT_HEAD)


def may_hand_over(person: Person | None) -> bool:
    return _in_agency(person) and person.has_role(Role.CLERK, Role.LEADER)
