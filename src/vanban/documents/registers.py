"""The register books of Decree 30/2020 (Appendix IV): one column list per book, shared by the
register page, its PDF print-out and its XLSX export."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Document


@dataclass(frozen=True)
class Column:
    title: str
    width_mm: int  # on landscape A4 (the columns add up to the 265 mm between margins); XLSX width too


def _date(d) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _local_date(t) -> str:
    return timezone.localtime(t).strftime("%d/%m/%Y") if t else ""


def _type_and_subject(doc: Document) -> str:
    return f"{doc.doc_type.name}: {doc.subject}" if doc.doc_type.abbreviation or doc.is_incoming else doc.subject


INCOMING_COLUMNS = (
    Column(_("Arrival date"), 20),
    Column(_("Arrival number"), 12),
    Column(_("Author"), 33),
    Column(_("Number, notation"), 26),
    Column(_("Document date"), 20),
    Column(_("Type and subject"), 64),
    Column(_("Receiving unit or person"), 28),
    Column(_("Forwarded on"), 19),
    Column(_("Signature of receipt"), 18),
    Column(_("Notes"), 25),
)

OUTGOING_COLUMNS = (
    Column(_("Number, notation"), 26),
    Column(_("Date"), 20),
    Column(_("Type and subject"), 65),
    Column(_("Signer"), 28),
    Column(_("Recipients"), 38),
    Column(_("Unit or person keeping the file copy"), 24),
    Column(_("Copies"), 12),
    Column(_("Forwarded on"), 19),
    Column(_("Signature of receipt"), 18),
    Column(_("Notes"), 15),
)


def columns(book: str) -> tuple[Column, ...]:
    return INCOMING_COLUMNS if book == "incoming" else OUTGOING_COLUMNS


def incoming_row(doc: Document) -> list[str]:
    return [
        _local_date(doc.received_at),
        str(doc.reg_seq),
        doc.issuer_name,
        doc.code,
        _date(doc.issued_date),
        _type_and_subject(doc),
        doc.recipients,
        _local_date(doc.forwarded_at),
        "",
        doc.description,
    ]


def outgoing_row(doc: Document) -> list[str]:
    keeper = "VT" + (f", {doc.drafting_unit.notation}" if doc.drafting_unit_id else "")
    signer = " ".join(p for p in (doc.signer_position, doc.signer_name) if p)
    return [
        doc.code,
        _date(doc.issued_date),
        _type_and_subject(doc),
        signer,
        doc.recipients,
        keeper,
        str(doc.copies or ""),
        _local_date(doc.forwarded_at),
        "",
        doc.description,
    ]


def rows(book: str, documents: Iterable[Document]) -> Iterable[tuple[Document, list[str]]]:
    make = incoming_row if book == "incoming" else outgoing_row
    for doc in documents:
        yield doc, make(doc)
