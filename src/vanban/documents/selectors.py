"""Reads of documents, always through what the reader may see.

Who sees what:
- an agency's clerks and leaders: every document of their agency (and of agencies merged into
  it), confidential ones included: the clerks register them and the leaders direct them;
- everyone else in the agency (specialists, unit heads, administrators, monitors): documents they
  registered, documents granted to them in person, and non-confidential documents granted to
  their unit (the workflow grants access when it assigns work);
- nobody sees another agency's documents. Province administrators manage people, not documents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from vanban.orgs.models import Person, Role
from vanban.orgs.selectors import agency_scope_ids

from .models import (
    Confidentiality,
    Direction,
    Document,
    DocumentAccess,
    DocumentFile,
    DocumentType,
    HandlingStatus,
    fold_label,
)


def visible_agency_ids(reader: Person) -> list[int]:
    """The agencies `visible_documents(reader)` draws from: every document it returns belongs to
    one of them (none when it returns nothing). Search narrows its index by them first."""
    if not reader.is_authenticated or not reader.is_active or reader.agency_id is None:
        return []
    return agency_scope_ids(reader.agency_id)


def visible_documents(reader: Person) -> QuerySet[Document]:
    agencies = visible_agency_ids(reader)
    if not agencies:
        return Document.objects.none()
    base = Document.objects.filter(agency_id__in=agencies)
    if reader.has_role(Role.CLERK, Role.LEADER):
        return base
    personal = DocumentAccess.objects.filter(person=reader).values("document_id")
    allowed = Q(pk__in=personal) | Q(created_by=reader)
    if reader.unit_id:
        by_unit = DocumentAccess.objects.filter(unit_id=reader.unit_id).values("document_id")
        allowed |= Q(pk__in=by_unit, confidentiality=Confidentiality.NORMAL)
    return base.filter(allowed)


def get_document(reader: Person, pk) -> Document:
    """The document if the reader may see it; 404 otherwise, so that its existence is not told."""
    try:
        return visible_documents(reader).select_related("doc_type", "agency", "drafting_unit", "created_by").get(pk=pk)
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_file(reader: Person, document_pk, file_pk) -> DocumentFile:
    document = get_document(reader, document_pk)
    try:
        return document.files.select_related("blob").get(pk=file_pk)
    except (DocumentFile.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


@dataclass
class RegisterFilter:
    """Filters of a register page, its print-outs and the API list."""

    book: str | None = "incoming"  # "incoming", "outgoing" (outgoing and internal), or None: any
    direction: str | None = None  # one direction exactly (the API's filter)
    year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    doc_type: DocumentType | None = None
    urgent: bool = False
    unhandled: bool = False
    text: str = ""


def register(reader: Person, f: RegisterFilter) -> QuerySet[Document]:
    """The rows of a register book, in register order (newest first)."""
    qs = filtered(visible_documents(reader).select_related("doc_type", "drafting_unit"), f)
    return qs.order_by("-reg_year", "-received_at" if f.book == "incoming" else "-issued_date", "-reg_seq", "-pk")


def filtered(qs: QuerySet[Document], f: RegisterFilter) -> QuerySet[Document]:
    """`qs` narrowed by a filter. Dates are the reception date in the incoming book, the document
    date otherwise."""
    date_field = "issued_date"
    if f.book == "incoming":
        qs = qs.filter(direction=Direction.INCOMING)
        date_field = "received_at__date"
    elif f.book == "outgoing":
        qs = qs.filter(direction__in=[Direction.OUTGOING, Direction.INTERNAL])
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.year:
        qs = qs.filter(reg_year=f.year)
    if f.date_from:
        qs = qs.filter(**{f"{date_field}__gte": f.date_from})
    if f.date_to:
        qs = qs.filter(**{f"{date_field}__lte": f.date_to})
    if f.doc_type:
        qs = qs.filter(doc_type=f.doc_type)
    if f.urgent:
        qs = qs.exclude(urgency="normal")
    if f.unhandled:
        qs = qs.exclude(handling_status=HandlingStatus.DONE)
    if f.text:
        qs = qs.filter(Q(subject__icontains=f.text) | Q(notation__icontains=f.text) | Q(issuer_name__icontains=f.text))
    return qs


def document_types(issuable_only: bool = False) -> QuerySet[DocumentType]:
    qs = DocumentType.objects.all()
    return qs.filter(issuable=True) if issuable_only else qs


def find_document_type(value: str) -> DocumentType | None:
    """A type by its Decree 30 abbreviation (QĐ, TB, KH…), its code, or its Vietnamese name
    (Công văn); case and diacritics are ignored for names, abbreviations match exactly first."""
    value = (value or "").strip()
    if not value:
        return None
    types = list(DocumentType.objects.all())
    for t in types:
        if t.abbreviation and t.abbreviation == value:
            return t
    key = fold_label(value)
    for t in types:
        if key in {fold_label(t.name), t.code, t.code.replace("-", " ")} or (
            t.abbreviation and key == fold_label(t.abbreviation)
        ):
            return t
    return None


def counts_for_home(reader: Person, year: int) -> dict:
    docs = visible_documents(reader).filter(reg_year=year)
    incoming = docs.filter(direction=Direction.INCOMING)
    return {
        "incoming": incoming.count(),
        "incoming_unhandled": incoming.exclude(handling_status=HandlingStatus.DONE).count(),
        "incoming_urgent": incoming.exclude(urgency="normal").exclude(handling_status=HandlingStatus.DONE).count(),
        "outgoing": docs.filter(direction__in=[Direction.OUTGOING, Direction.INTERNAL]).count(),
    }
