"""Search: keeping the index in step with documents, and the one search entry point.

The index is written in the transaction that stores a document's files (`files_stored`) or saves
its metadata, so a committed document is always findable; `reindex_all` rebuilds everything and
`check_index` finds what drifted."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from vanban.documents import services as document_services
from vanban.documents.models import Document, DocumentType
from vanban.documents.selectors import visible_agency_ids, visible_documents
from vanban.orgs.models import Agency, Person

from . import backends, folding
from .models import RecordEntry, SearchEntry


def _nfc(value: str) -> str:
    """Text as stored for search: NFC, without NUL characters."""
    return unicodedata.normalize("NFC", value or "").replace("\x00", "")


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


def facets_of(document: Document) -> str:
    """The document's facet tokens (backends.SQLiteBackend): "fa" on every row, direction, year,
    type, urgency and each word of the signer's name."""
    out = ["fa", f"fd{document.direction}", f"fu{document.urgency}"]
    if document.issued_date:
        out.append(f"fy{document.issued_date.year}")
    if document.doc_type_id:
        out.append(f"ft{document.doc_type_id}")
    out += [f"fs{w}" for w in folding.tokens(document.signer_name)]
    return " ".join(out)


def index_document(document: Document) -> SearchEntry:
    """Put the document's current metadata and full text in the index. Idempotent; run it inside
    the transaction that changed the document."""
    with transaction.atomic():
        entry = SearchEntry.objects.select_for_update().filter(document_id=document.pk).first()
        text = entry.text if entry else ""
        meta, body, fingerprint = _representation(document, text)
        with connection.cursor() as cursor:
            backends.backend().upsert(cursor, document.pk, meta, body, document.agency_id, facets_of(document))
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
    text = _nfc(text)
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
        with connection.cursor() as cursor:
            backends.backend(records=True).clear(cursor)
        for source, all_records in _SOURCES.items():
            kept = set()
            for record in all_records():
                index_record(source, record)
                kept.add(record.source_id)
                n += 1
            gone = [
                pk
                for pk, sid in RecordEntry.objects.filter(source=source).values_list("pk", "source_id")
                if sid not in kept
            ]
            for i in range(0, len(gone), batch):
                RecordEntry.objects.filter(pk__in=gone[i : i + batch]).delete()
    return n


@dataclass
class IndexReport:
    missing: list[int] = field(default_factory=list)  # documents not in the index
    stale: list[int] = field(default_factory=list)  # indexed from older metadata or text
    orphans: list[int] = field(default_factory=list)  # index rows without a document
    # The same for records of other rooms, as (source, source id); orphans: index rows or entries
    # whose record is gone.
    missing_records: list[tuple[str, int]] = field(default_factory=list)
    stale_records: list[tuple[str, int]] = field(default_factory=list)
    orphan_records: list[tuple[str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        documents = self.missing or self.stale or self.orphans
        return not (documents or self.missing_records or self.stale_records or self.orphan_records)


def check_index() -> IndexReport:
    report = IndexReport()
    engine = backends.backend()
    with connection.cursor() as cursor:
        indexed = engine.indexed_ids(cursor)
        scopes = engine.scopes(cursor)
    entries = {e.document_id: e for e in SearchEntry.objects.all()}
    doc_ids = set()
    for document in Document.objects.order_by("pk").iterator(chunk_size=500):
        doc_ids.add(document.pk)
        entry = entries.get(document.pk)
        if entry is None or document.pk not in indexed:
            report.missing.append(document.pk)
        elif _representation(document, entry.text)[2] != entry.fingerprint:
            report.stale.append(document.pk)
        elif scopes is not None and scopes.get(document.pk) != engine.scope_of(document.agency_id, facets_of(document)):
            report.stale.append(document.pk)  # its agency or a filtered field changed behind the services' back
    report.orphans = sorted(indexed - doc_ids)
    _check_records(report)
    return report


def _check_records(report: IndexReport) -> None:
    engine = backends.backend(records=True)
    with connection.cursor() as cursor:
        indexed = engine.indexed_ids(cursor)
        scopes = engine.scopes(cursor)
    entries = {(e.source, e.source_id): e for e in RecordEntry.objects.all()}
    seen = set()
    for source, all_records in _SOURCES.items():
        for record in all_records():
            key = (source, record.source_id)
            seen.add(key)
            entry = entries.get(key)
            if entry is None or entry.pk not in indexed:
                report.missing_records.append(key)
            elif _record_representation(record)[4] != entry.fingerprint:
                report.stale_records.append(key)
            elif scopes is not None and scopes.get(entry.pk) != engine.scope_of(entry.agency_id, "fa"):
                report.stale_records.append(key)
    report.orphan_records = sorted(k for k in entries if k not in seen)
    known = {e.pk for e in entries.values()}
    report.orphan_records += [("?", pk) for pk in sorted(indexed - known)]


# --- records of other rooms (archival records) -----------------------------------------------


@dataclass(frozen=True)
class Record:
    """What a room hands to search for one of its records."""

    source_id: int
    agency_id: int
    title: str
    meta: tuple[str, ...]  # metadata values, searched and ranked above the text
    text: str = ""  # the full text (OCR)


# source name → a function yielding every record of that source that should be searchable.
_SOURCES: dict[str, Callable[[], Iterable[Record]]] = {}


def register_records(source: str, all_records: Callable[[], Iterable[Record]]) -> None:
    """Called by a room's AppConfig.ready: `reindex` rebuilds and `check` compares its records."""
    _SOURCES[source] = all_records


def _record_representation(record: Record) -> tuple[str, str, str, str, str]:
    """(metadata NFC, text NFC, folded metadata, folded text, fingerprint of all that is indexed)."""
    meta_text = "\n".join(_nfc(m) for m in record.meta if m and m.strip())
    text = _nfc(record.text)
    meta, body = folding.index_text(meta_text), folding.index_text(text)
    key = f"{record.agency_id}\x00{record.title}\x00{meta}\x00{body}"
    return meta_text, text, meta, body, hashlib.sha256(key.encode()).hexdigest()


def index_record(source: str, record: Record) -> RecordEntry:
    """Put a record in the index (idempotent); run it inside the transaction that changed it."""
    meta_text, text, meta, body, fingerprint = _record_representation(record)
    with transaction.atomic():
        entry, _created = RecordEntry.objects.update_or_create(
            source=source,
            source_id=record.source_id,
            defaults={
                "agency_id": record.agency_id,
                "title": record.title[:500],
                "meta": meta_text,
                "text": text,
                "fingerprint": fingerprint,
                "indexed_at": timezone.now(),
            },
        )
        with connection.cursor() as cursor:
            backends.backend(records=True).upsert(cursor, entry.pk, meta, body, record.agency_id, "fa")
    return entry


def unindex_record(source: str, source_id: int) -> None:
    RecordEntry.objects.filter(source=source, source_id=source_id).delete()  # post_delete clears the index


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


@receiver(post_delete, sender=RecordEntry, dispatch_uid="search.unindex_record_on_delete")
def _on_record_deleted(sender, instance, **kwargs):
    with connection.cursor() as cursor:
        backends.backend(records=True).delete(cursor, instance.pk)


# --- searching -------------------------------------------------------------------------------


@dataclass
class Filters:
    agency: Agency | None = None  # the holding agency, or the issuer (by identifier code)
    direction: str | None = None
    doc_type: DocumentType | None = None
    date_from: dt.date | None = None  # document date
    date_to: dt.date | None = None
    signer: str = ""  # words (or their beginnings) of the signer's name, diacritics ignored
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
        for word in folding.tokens(self.signer):
            qs = qs.filter(
                Q(search_entry__signer_key__startswith=word) | Q(search_entry__signer_key__contains=" " + word)
            )
        if self.urgency:
            qs = qs.filter(urgency=self.urgency)
        return qs

    def __bool__(self) -> bool:
        values = [self.agency, self.direction, self.doc_type, self.date_from, self.date_to, self.urgency]
        return any(values) or bool(folding.tokens(self.signer))

    def facets(self) -> list[list[str]]:
        """Facet groups (facets_of) every document passing these filters carries: the engine walks
        only such rows. A superset of the filters (the years of a date range), never a narrowing
        the filters do not make; the agency filter has none (the scope applies it)."""
        groups = []
        if self.direction:
            groups.append([f"fd{self.direction}"])
        if self.urgency:
            groups.append([f"fu{self.urgency}"])
        if self.doc_type is not None:
            groups.append([f"ft{self.doc_type.pk}"])
        if self.date_from and self.date_to and 0 <= self.date_to.year - self.date_from.year < 30:
            groups.append([f"fy{y}" for y in range(self.date_from.year, self.date_to.year + 1)])
        groups += [[f"fs{word}*"] for word in folding.tokens(self.signer)]
        return groups


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
    # The query matched more than backends.RANK_WINDOW documents: `total` is that window, the
    # hits are ranked within its newest documents; the reader should narrow the search.
    more: bool = False


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
        total, more = scope.count(), False
        rows = [(pk, 0.0) for pk in scope.values_list("pk", flat=True)[offset : offset + limit]]
    else:
        agencies = visible_agency_ids(person)
        with connection.cursor() as cursor:
            engine = backends.backend()
            total, more, rows = engine.search(cursor, query, scope, limit, offset, agencies, filters.facets())
    docs = Document.objects.in_bulk([pk for pk, _s in rows])
    texts = dict(SearchEntry.objects.filter(document_id__in=docs).values_list("document_id", "text"))
    hits = []
    for pk, score in rows:
        doc = docs.get(pk)
        if doc is None:
            continue
        hits.append(Hit(pk, doc.code, doc.subject, _snippet(doc, texts.get(pk, ""), query), round(float(score), 6)))
    return Results(total, hits, more)


def _snippet(document: Document, text: str, query: folding.Query) -> str:
    for source in [text, document.subject, " · ".join(f for f in _meta_fields(document) if f)]:
        found = folding.highlight(source, query) if query else None
        if found:
            return found
    return html.escape(document.subject)


@dataclass
class RecordHit:
    source_id: int
    title: str
    snippet: str  # HTML: escaped text, matches in <mark>
    score: float


@dataclass
class RecordResults:
    total: int
    hits: list[RecordHit]
    more: bool = False  # as Results.more


def search_records(
    source: str, scope, q: str, *, agencies: list[int], limit: int = 20, offset: int = 0
) -> RecordResults:
    """Records of `source` matching `q`, best first, among `scope`: a queryset of the source ids
    the reader may see (the calling room's selector, e.g. `Capture` pks). Counts and hits never
    cover anything outside it. `agencies`: the agencies holding every record of `scope` (the index
    is searched per agency first). An empty query finds nothing."""
    query = folding.parse_query(q)
    if not query:
        return RecordResults(0, [])
    allowed = RecordEntry.objects.filter(source=source, source_id__in=scope)
    with connection.cursor() as cursor:
        engine = backends.backend(records=True)
        total, more, rows = engine.search(cursor, query, allowed, limit, offset, agencies)
    entries = RecordEntry.objects.in_bulk([pk for pk, _s in rows])
    hits = []
    for pk, score in rows:
        entry = entries.get(pk)
        if entry is None:
            continue
        snippet = None
        for part in (entry.text, entry.title, " · ".join(entry.meta.splitlines())):
            snippet = folding.highlight(part, query)
            if snippet:
                break
        snippet = snippet or html.escape(entry.title)
        hits.append(RecordHit(entry.source_id, entry.title, snippet, round(float(score), 6)))
    return RecordResults(total, hits, more)
