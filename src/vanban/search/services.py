"""Search: keeping the index in step with documents, and the one search entry point.

The index is written in the transaction that stores a document's files (`files_stored`) or saves
its metadata, so a committed document is always findable; `reindex_all` rebuilds everything and
`check_index` finds what drifted."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import unicodedata
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from vanban.documents import services as document_services
from vanban.documents.models import Document, DocumentType
from vanban.documents.selectors import visible_documents
from vanban.orgs.models import Agency, Person

from . import backends, folding
from .models import SearchEntry


def _meta_fields(document: Document) -> list[str]:
    return [
        document.code,
        document.subject,
        document.issuer_name,
        document.signer_name,
        document.description,
    ]


def _representation(document: Document, text: str) -> tuple[str, str, str]:
    meta = folding.index_text(" \n ".join(_meta_fields(document)))
    body = folding.index_text(text)
    fingerprint = hashlib.sha256(f"{meta}\x00{body}".encode()).hexdigest()
    return meta, body, fingerprint


def index_document(document: Document) -> SearchEntry:
    """Put the document's current metadata and full text in the index. Idempotent; run it inside
    the transaction that changed the document."""
    with transaction.atomic():
        entry = SearchEntry.objects.select_for_update().filter(document_id=document.pk).first()
        text = entry.text if entry else ""
        meta, body, fingerprint = _representation(document, text)
        with connection.cursor() as cursor:
            backends.backend().upsert(cursor, document.pk, meta, body)
        entry, _created = SearchEntry.objects.update_or_create(
            document_id=document.pk,
            defaults={
                "text": text,
                "signer_key": folding.fold(document.signer_name)[:50],
                "fingerprint": fingerprint,
                "indexed_at": timezone.now(),
            },
        )
    return entry


def set_text(document: Document, text: str) -> SearchEntry:
    """Record the document's full text (OCR or extraction) and index it with the metadata."""
    text = unicodedata.normalize("NFC", text or "").replace("\x00", "")
    with transaction.atomic():
        SearchEntry.objects.update_or_create(
            document_id=document.pk,
            defaults={"text": text, "fingerprint": "", "indexed_at": timezone.now()},
        )
        return index_document(document)


def reindex_all(*, batch: int = 500) -> int:
    """Rebuild the whole index from the documents; returns how many were indexed."""
    n = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            backends.backend().clear(cursor)
        SearchEntry.objects.filter(document__isnull=True).delete()
        for document in Document.objects.order_by("pk").iterator(chunk_size=batch):
            index_document(document)
            n += 1
    return n


@dataclass
class IndexReport:
    missing: list[int] = field(default_factory=list)  # documents not in the index
    stale: list[int] = field(default_factory=list)  # indexed from older metadata or text
    orphans: list[int] = field(default_factory=list)  # index rows without a document

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.orphans)


def check_index() -> IndexReport:
    report = IndexReport()
    with connection.cursor() as cursor:
        indexed = backends.backend().indexed_ids(cursor)
    entries = {e.document_id: e for e in SearchEntry.objects.all()}
    doc_ids = set()
    for document in Document.objects.order_by("pk").iterator(chunk_size=500):
        doc_ids.add(document.pk)
        entry = entries.get(document.pk)
        if entry is None or document.pk not in indexed:
            report.missing.append(document.pk)
        elif _representation(document, entry.text)[2] != entry.fingerprint:
            report.stale.append(document.pk)
    report.orphans = sorted(indexed - doc_ids)
    return report


# --- keeping the index in step -------------------------------------------------------------


@receiver(document_services.files_stored, dispatch_uid="search.index_on_files_stored")
def _on_files_stored(sender, document, revision=False, **kwargs):
    if not revision:  # a signature appended changes neither metadata nor text
        index_document(document)


@receiver(post_save, sender=Document, dispatch_uid="search.index_on_document_saved")
def _on_document_saved(sender, instance, created, raw=False, **kwargs):
    # A new document is indexed when its files are stored, in the same transaction.
    if not created and not raw:
        index_document(instance)


@receiver(post_delete, sender=SearchEntry, dispatch_uid="search.unindex_on_delete")
def _on_entry_deleted(sender, instance, **kwargs):
    with connection.cursor() as cursor:
        backends.backend().delete(cursor, instance.document_id)


# --- searching -------------------------------------------------------------------------------


@dataclass
class Filters:
    agency: Agency | None = None  # the holding agency, or the issuer (by identifier code)
    direction: str | None = None
    doc_type: DocumentType | None = None
    date_from: dt.date | None = None  # document date
    date_to: dt.date | None = None
    signer: str = ""  # part of the signer's name, diacritics ignored
    urgency: str | None = None

    def apply(self, qs):
        if self.agency is not None:
            cond = Q(agency=self.agency)
            if self.agency.identifier:
                cond |= Q(issuer_identifier=self.agency.identifier)
            qs = qs.filter(cond)
        if self.direction:
            qs = qs.filter(direction=self.direction)
        if self.doc_type is not None:
            qs = qs.filter(doc_type=self.doc_type)
        if self.date_from:
            qs = qs.filter(issued_date__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(issued_date__lte=self.date_to)
        if self.signer.strip():
            qs = qs.filter(search_entry__signer_key__contains=folding.fold(self.signer.strip()))
        if self.urgency:
            qs = qs.filter(urgency=self.urgency)
        return qs

    def __bool__(self) -> bool:
        values = [self.agency, self.direction, self.doc_type, self.date_from, self.date_to, self.urgency]
        return any(values) or bool(self.signer.strip())


@dataclass
class Hit:
    document_id: int
    code: str
    subject: str
    snippet: str  # HTML: escaped text, matches in <mark>
    score: float


@dataclass
class Results:
    total: int
    hits: list[Hit]


def search(person: Person, q: str, filters: Filters | None = None, *, limit: int = 20, offset: int = 0) -> Results:
    """Documents the person may read that match `q` and the filters, best first. Counts and hits
    only ever cover `visible_documents(person)`. An empty query with filters lists the filtered
    documents, newest first; with neither, nothing."""
    filters = filters or Filters()
    query = folding.parse_query(q)
    scope = filters.apply(visible_documents(person))
    if not query:
        if not filters:
            return Results(0, [])
        scope = scope.order_by("-issued_date", "-pk")
        total = scope.count()
        rows = [(pk, 0.0) for pk in scope.values_list("pk", flat=True)[offset : offset + limit]]
    else:
        scope_sql, scope_params = scope.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            total, rows = backends.backend().search(cursor, query, scope_sql, scope_params, limit, offset)
    docs = Document.objects.in_bulk([pk for pk, _s in rows])
    texts = dict(SearchEntry.objects.filter(document_id__in=docs).values_list("document_id", "text"))
    hits = []
    for pk, score in rows:
        doc = docs.get(pk)
        if doc is None:
            continue
        hits.append(Hit(pk, doc.code, doc.subject, _snippet(doc, texts.get(pk, ""), query), round(float(score), 6)))
    return Results(total, hits)


def _snippet(document: Document, text: str, query: folding.Query) -> str:
    for source in [text, document.subject, " · ".join(f for f in _meta_fields(document) if f)]:
        found = folding.highlight(source, query) if query else None
        if found:
            return found
    return html.escape(document.subject)
