"""The incoming-processing register (sổ theo dõi giải quyết văn bản đến, Decree 30 Appendix IV,
7 columns): one row per assigned incoming document, built from its assignments, their progress
and result. Read by the agency's clerks and leaders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vanban.documents import selectors as documents
from vanban.documents.models import Document
from vanban.documents.registers import Column
from vanban.orgs.models import Person, Role

from ..models import Assignment, Handler

COLUMNS = (
    Column(gettext_lazy("Arrival number"), 15),
    Column(gettext_lazy("Number, notation, date, author and subject of the document"), 70),
    Column(gettext_lazy("Receiving unit or person"), 40),
    Column(gettext_lazy("Handling deadline"), 20),
    Column(gettext_lazy("Handling progress and result"), 70),
    Column(gettext_lazy("Number, notation of the reply"), 25),
    Column(gettext_lazy("Notes"), 25),
)


@dataclass
class ProcessingFilter:
    year: int | None = None
    date_from: dt.date | None = None  # reception dates, as in the incoming book
    date_to: dt.date | None = None
    overdue: bool = False


def may_view(person: Person) -> bool:
    """The agency's clerks (who keep the books) and leaders (who direct the handling)."""
    return bool(
        person is not None
        and person.is_authenticated
        and person.is_active
        and person.agency_id is not None
        and person.has_role(Role.CLERK, Role.LEADER)
    )


def processing_documents(person: Person, f: ProcessingFilter, today: dt.date | None = None) -> QuerySet[Document]:
    """The register's documents, newest first: incoming documents the person may read that were
    assigned for handling; with `overdue`, those whose work is open past its deadline."""
    today = today or timezone.localdate()
    if not may_view(person):
        return Document.objects.none()
    qs = documents.filtered(
        documents.visible_documents(person),
        documents.RegisterFilter(book="incoming", year=f.year, date_from=f.date_from, date_to=f.date_to),
    )
    top = Assignment.objects.filter(document=OuterRef("pk"), parent__isnull=True)
    qs = qs.filter(Exists(top))
    if f.overdue:
        qs = qs.filter(Exists(top.filter(state=Assignment.State.OPEN, deadline__lt=today)))
    return qs.select_related("doc_type").order_by("-reg_year", "-received_at", "-reg_seq", "-pk")


def _date(d) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _name(h: Handler) -> str:
    return h.unit.name if h.unit_id else h.person.get_full_name()


def _reference(doc: Document) -> str:
    head = ", ".join(p for p in (doc.code, _date(doc.issued_date), doc.issuer_name) if p)
    return f"{head}: {doc.subject}" if head else doc.subject


def _receivers(top: Assignment, children: list[Assignment]) -> str:
    lead = [_name(h) for h in top.handlers.all() if h.role == Handler.Role.LEAD]
    co = [_name(h) for h in top.handlers.all() if h.role == Handler.Role.CO]
    parts = [_("Lead: %(names)s") % {"names": ", ".join(lead)}]
    if co:
        parts.append(_("Co-handling: %(names)s") % {"names": ", ".join(co)})
    for c in children:
        names = [_name(h) for h in c.handlers.all() if h.role == Handler.Role.LEAD]
        parts.append(_("Re-assigned to %(names)s") % {"names": ", ".join(names)})
    return "; ".join(parts)


def _progress(all_work: list[Assignment]) -> str:
    entries = sorted((e for a in all_work for e in a.progress.all()), key=lambda e: (e.at, e.pk))
    lines = [f"{timezone.localtime(e.at).strftime('%d/%m/%Y')}: {e.note}" for e in entries]
    top = all_work[0]
    if top.state == Assignment.State.DONE:
        lines.append(
            _("Done on %(date)s: %(result)s")
            % {"date": timezone.localtime(top.finished_at).strftime("%d/%m/%Y"), "result": top.result}
        )
    else:
        lines.append(_("Being handled"))
    return "\n".join(lines)


def _notes(top: Assignment, today: dt.date) -> str:
    if top.deadline is None:
        return ""
    if top.state == Assignment.State.OPEN and top.deadline < today:
        return _("Overdue by %(n)s days") % {"n": (today - top.deadline).days}
    if top.state == Assignment.State.DONE and timezone.localtime(top.finished_at).date() > top.deadline:
        return _("Finished after the deadline")
    return ""


def rows(docs: Iterable[Document], today: dt.date | None = None) -> list[tuple[Document, list[str]]]:
    """(document, the 7 cells) for each document, with its work read in a few queries."""
    today = today or timezone.localdate()
    docs = list(docs)
    work = Assignment.objects.select_related("reply").prefetch_related("handlers__unit", "handlers__person", "progress")
    prefetch_related_objects(docs, Prefetch("assignments", queryset=work.order_by("pk"), to_attr="work"))
    out = []
    for doc in docs:
        all_work = doc.work
        top = next(a for a in all_work if a.parent_id is None)
        children = [a for a in all_work if a.parent_id is not None]
        replies = [a.reply.code for a in (top, *children) if a.reply_id and a.reply.code]
        out.append(
            (
                doc,
                [
                    str(doc.reg_seq),
                    _reference(doc),
                    _receivers(top, children),
                    _date(top.deadline),
                    _progress([top, *children]),
                    ", ".join(dict.fromkeys(replies)),
                    _notes(top, today),
                ],
            )
        )
    return out
