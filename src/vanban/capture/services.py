"""Every write of the capture room: a clerk's scan, an archive import, the OCR run, a re-run.

A scan is checked (`ocr.inspect`: empty, not an image, encrypted, a bomb, damaged) before a byte
of it is stored; the original is kept unchanged in the content-addressed store and its OCR task is
queued in the same transaction as the Capture row, so the work exists exactly when the record does.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.documents import storage
from vanban.documents.filetypes import safe_name
from vanban.documents.models import Document
from vanban.documents.services import Upload, store_file
from vanban.search import services as search

from . import ocr
from .archival import MetadataError, clean_metadata
from .models import MAX_ATTEMPTS, Capture
from .selectors import visible_captures

log = logging.getLogger(__name__)

CLERK = "clerk"  # orgs.models.Role.CLERK (capture does not import orgs)


# --- messages -------------------------------------------------------------------------------


def unreadable_message(exc: ocr.Unreadable, name: str) -> str:
    return {
        "empty": _("The file “%(name)s” is empty."),
        "not_image": _("“%(name)s” is not a scan: accepted are PDF, PNG, JPEG and TIFF files."),
        "encrypted": _("The PDF file “%(name)s” is password-protected; scan or save it without a password."),
        "bomb": _("“%(name)s” has too many pages or pages too large to process."),
        "damaged": _("The file “%(name)s” is damaged and cannot be read."),
    }[exc.reason] % {"name": name}


def _metadata_message(reason: str) -> str:
    return {
        "unknown": _("Unknown archival metadata field."),
        "too_long": _("This value is too long."),
        "not_integer": _("Enter a whole number."),
        "not_date": _("Enter a date as YYYY-MM-DD."),
    }[reason]


def _clean(metadata: dict | None) -> dict:
    try:
        return clean_metadata(metadata)
    except MetadataError as exc:
        raise ValidationError({k: [_metadata_message(v)] for k, v in exc.errors.items()}) from exc


def _check_scan(upload: Upload) -> ocr.ScanInfo:
    name = safe_name(upload.name) or "?"
    try:
        return ocr.inspect(upload.file)
    except ocr.Unreadable as exc:
        raise ValidationError({"file": [unreadable_message(exc, name)]}) from exc


def _clerk_agency(actor):
    if actor is None or not actor.is_active or not actor.has_role(CLERK) or actor.agency_id is None:
        raise PermissionDenied(_("Only an agency's clerks can capture scans."))
    if not actor.agency.is_active:
        raise PermissionDenied(_("Your agency is no longer active."))
    return actor.agency


# --- capture --------------------------------------------------------------------------------


def _create(actor, agency, upload: Upload, info: ocr.ScanInfo, document: Document | None, fields: dict) -> Capture:
    """Store the original and the record, queue its OCR: one transaction. The caller checked."""
    with transaction.atomic():
        stored = store_file(upload, kinds=ocr.SCAN_KINDS)
        capture = Capture.objects.create(
            agency=agency,
            document=document,
            original=stored.blob,
            original_name=stored.name,
            kind=info.kind,
            created_by=actor,
            **({"page_amount": info.pages} | fields),
        )
        index_text(capture)  # an archival record is findable by its metadata at once
        audit.record(
            actor=actor,
            action="capture.create",
            target=capture,
            data={"sha256": stored.blob.sha256, "name": stored.name, "document": document.pk if document else None},
        )
        _queue(capture)
    return capture


def _queue(capture: Capture) -> None:
    from .tasks import run_ocr  # tasks imports this module

    run_ocr.enqueue(capture.pk)


def capture_scan(actor, *, upload: Upload, document: Document | None = None, metadata: dict | None = None) -> Capture:
    """A clerk's scan, for one of the agency's documents or (document=None) as an archival record.
    Refusals are PermissionDenied or ValidationError; nothing is stored then."""
    agency = _clerk_agency(actor)
    if document is not None and document.agency_id != agency.pk:
        raise PermissionDenied(_("You can only add scans to your agency's documents."))
    fields = _clean(metadata)
    info = _check_scan(upload)
    if document is None:
        digest = storage.digest(upload.file)
        upload.file.seek(0)
        if Capture.objects.filter(agency=agency, original_id=digest.sha256, document__isnull=True).exists():
            raise ValidationError({"file": [_("This scan is already in the archive.")]})
    try:
        return _create(actor, agency, upload, info, document, fields)
    except IntegrityError as exc:  # the same scan, archived by someone else a moment ago
        raise ValidationError({"file": [_("This scan is already in the archive.")]}) from exc


@dataclass
class Imported:
    capture: Capture
    created: bool  # False: the same content was already an archival record of the agency


def import_scan(actor, *, agency, path: str | os.PathLike, metadata: dict | None = None) -> Imported:
    """One file of an archive import (`vanban capture import`), as an archival record of `agency`;
    `actor` is None for the operator's command. Skips content already imported (its SHA-256), so an
    interrupted import is simply run again. Refusals raise ValidationError; nothing is stored."""
    path = Path(path)
    fields = _clean(metadata)
    with open(path, "rb") as fh:
        upload = Upload(fh, path.name, path.stat().st_size)
        info = _check_scan(upload)
        digest = storage.digest(fh)
        fh.seek(0)
        existing = Capture.objects.filter(agency=agency, original_id=digest.sha256, document__isnull=True).first()
        if existing is not None:
            return Imported(existing, created=False)
        try:
            return Imported(_create(actor, agency, upload, info, None, fields), created=True)
        except IntegrityError:  # imported concurrently by another run
            return Imported(Capture.objects.get(agency=agency, original_id=digest.sha256, document__isnull=True), False)


def rerun(actor, capture: Capture) -> Capture:
    """Queue the OCR of a capture again (a failed one, or one redone), from its first attempt."""
    agency = _clerk_agency(actor)
    if capture.agency_id != agency.pk:
        raise PermissionDenied(_("You can only re-run your agency's scans."))
    with transaction.atomic():
        locked = Capture.objects.select_for_update().get(pk=capture.pk)
        if locked.status == Capture.Status.QUEUED:
            raise ValidationError(_("This scan is already waiting for OCR."))
        if holds_lease(locked):
            raise ValidationError(_("This scan is being recognised right now."))
        locked.status = Capture.Status.QUEUED
        locked.attempts = 0
        locked.last_error = ""
        locked.save(update_fields=["status", "attempts", "last_error"])
        audit.record(actor=actor, action="capture.rerun", target=locked)
        _queue(locked)
    return locked


# --- the OCR run (called by tasks.run_ocr, or inline by `capture import --now`) --------------


@dataclass
class Recognised:
    text: str
    pdfa_path: str | None  # None: born-digital, no OCR copy needed


def _recognise(source: str, kind: str, workdir: str) -> Recognised:
    """OCR (or, for a PDF that already carries text, extract) one stored original."""
    if kind == "pdf" and ocr.has_text(source):
        return Recognised(ocr.extract_text(source, "pdf"), None)
    out = os.path.join(workdir, "pdfa.pdf")
    result = ocr.ocr_to_pdfa(source, out, jobs=1)
    return Recognised(result.text, out)


def lease_length() -> dt.timedelta:
    return dt.timedelta(seconds=max(3, settings.VANBAN["CAPTURE_LEASE_SECONDS"]))


def holds_lease(capture: Capture, now=None) -> bool:
    """Whether a worker is recognising the scan now (running, and its lease has not run out)."""
    now = now or timezone.now()
    return capture.status == Capture.Status.RUNNING and capture.lease_until is not None and capture.lease_until > now


def process(capture_id: int) -> str:
    """Run one attempt of a capture's OCR; returns its status afterwards. A refused input fails at
    once; any other error is retried (re-queued) until MAX_ATTEMPTS, then the capture fails with it.

    The run holds a lease on the capture, renewed while it works: a second task for the same
    capture leaves it alone, and a worker killed mid-run lets its lease run out, after which
    `recover_stalled` queues the capture again. A run whose capture was taken over meanwhile
    (its run number is no longer the capture's) stores nothing."""
    now = timezone.now()
    with transaction.atomic():
        capture = Capture.objects.select_for_update().filter(pk=capture_id).first()
        if capture is None or capture.status in (Capture.Status.DONE, Capture.Status.FAILED):
            return capture.status if capture else "missing"
        if holds_lease(capture, now):
            return capture.status  # another worker is on it
        capture.status = Capture.Status.RUNNING
        capture.attempts += 1
        capture.runs += 1  # this run's token: never reset, unlike attempts
        capture.lease_until = now + lease_length()
        capture.save(update_fields=["status", "attempts", "runs", "lease_until"])
    try:
        with _renewing(capture), tempfile.TemporaryDirectory(prefix="vanban-ocr-") as workdir:
            source = os.path.join(workdir, "original")
            with storage.verified_copy(capture.original_id) as fh, open(source, "wb") as out:
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
            done = _recognise(source, capture.kind, workdir)
            return _finish(capture, done)
    except ocr.Unreadable as exc:
        return _fail(capture, f"{exc.reason}: {unreadable_message(exc, capture.original_name)}", final=True)
    except Exception as exc:  # any failure is recorded and retried
        log.warning("OCR of capture %s failed (attempt %s)", capture.pk, capture.attempts, exc_info=True)
        return _fail(capture, f"{type(exc).__name__}: {exc}"[:2000], final=capture.attempts >= MAX_ATTEMPTS)


@contextmanager
def _renewing(capture: Capture):
    """Renew the run's lease every third of its length, from a thread, until the block ends."""
    stop = threading.Event()
    length = lease_length()

    def renew():
        while not stop.wait(length.total_seconds() / 3):
            try:
                Capture.objects.filter(pk=capture.pk, status=Capture.Status.RUNNING, attempts=capture.attempts).update(
                    lease_until=timezone.now() + length
                )
            except Exception:
                log.warning("could not renew the OCR lease of capture %s", capture.pk, exc_info=True)
            finally:
                connection.close()

    thread = threading.Thread(target=renew, daemon=True, name=f"ocr-lease-{capture.pk}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _owned(capture: Capture) -> Capture | None:
    """The capture locked, if this run still owns it; None when taken over (another run started)."""
    locked = Capture.objects.select_for_update().get(pk=capture.pk)
    if locked.status != Capture.Status.RUNNING or locked.runs != capture.runs:
        log.warning("capture %s was taken over during attempt %s: result dropped", capture.pk, capture.attempts)
        return None
    return locked


def recover_stalled(now=None) -> int:
    """Queue again the captures whose worker died mid-run (lease run out); after MAX_ATTEMPTS they
    fail with the reason. Returns how many were recovered. Idempotent (run by every worker)."""
    now = now or timezone.now()
    stalled = Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    n = 0
    for pk in Capture.objects.filter(stalled, status=Capture.Status.RUNNING).values_list("pk", flat=True):
        with transaction.atomic():
            locked = Capture.objects.select_for_update().get(pk=pk)
            if locked.status != Capture.Status.RUNNING or holds_lease(locked, now):
                continue
            error = _("The worker stopped during recognition (attempt %(n)s).") % {"n": locked.attempts}
            locked.last_error = error
            locked.lease_until = None
            if locked.attempts >= MAX_ATTEMPTS:
                locked.status = Capture.Status.FAILED
                locked.finished_at = now
                locked.save(update_fields=["status", "last_error", "lease_until", "finished_at"])
                audit.record(actor=None, action="capture.failed", target=locked, data={"error": error})
            else:
                locked.status = Capture.Status.QUEUED
                locked.save(update_fields=["status", "last_error", "lease_until"])
                _queue(locked)
            n += 1
    return n


def _finish(capture: Capture, done: Recognised) -> str:
    with transaction.atomic():
        locked = _owned(capture)
        if locked is None:
            return Capture.objects.get(pk=capture.pk).status
        pdfa = None
        if done.pdfa_path is not None:
            stem = os.path.splitext(capture.original_name)[0] or "scan"
            with open(done.pdfa_path, "rb") as fh:
                pdfa = store_file(Upload(fh, f"{stem}.pdf", os.path.getsize(done.pdfa_path)), kinds=("pdf",)).blob
        locked.pdfa = pdfa
        locked.text = done.text
        locked.lease_until = None
        locked.status = Capture.Status.DONE
        locked.digitised = True
        locked.last_error = ""
        locked.finished_at = timezone.now()
        locked.save(update_fields=["pdfa", "text", "status", "digitised", "last_error", "finished_at", "lease_until"])
        audit.record(
            actor=None,
            action="capture.done",
            target=locked,
            data={"pdfa": pdfa.sha256 if pdfa else None, "chars": len(done.text)},
        )
        index_text(locked)
    return locked.status


def _fail(capture: Capture, error: str, *, final: bool) -> str:
    with transaction.atomic():
        locked = _owned(capture)
        if locked is None:
            return Capture.objects.get(pk=capture.pk).status
        locked.last_error = error
        locked.lease_until = None
        if final:
            locked.status = Capture.Status.FAILED
            locked.finished_at = timezone.now()
            locked.save(update_fields=["status", "last_error", "finished_at", "lease_until"])
            audit.record(actor=None, action="capture.failed", target=locked, data={"error": error[:500]})
        else:
            locked.status = Capture.Status.QUEUED
            locked.save(update_fields=["status", "last_error", "lease_until"])
            _queue(locked)
    return locked.status


SEARCH_SOURCE = "capture"


def index_text(capture: Capture) -> None:
    """Hand a capture's text to search, inside the transaction that stores it: a scan of a
    document becomes that document's full text; an archival record is indexed as a record of its
    own (metadata and text), searched on the digitisation page (`search_archive`)."""
    if capture.document_id is not None:
        if capture.text:
            search.set_text(capture.document, capture.text)
        return
    search.index_record(SEARCH_SOURCE, archival_record(capture))


def archival_record(capture: Capture) -> search.Record:
    number = "/".join(p for p in (capture.code_number, capture.code_notation) if p)
    meta = (
        capture.subject,
        number,
        capture.doc_code,
        capture.type_name,
        capture.organ_name,
        capture.keyword,
        capture.description,
        capture.file_notation,
        capture.identifier,
        capture.original_name,
        capture.issued_date.strftime("%d/%m/%Y") if capture.issued_date else "",
    )
    return search.Record(
        source_id=capture.pk,
        agency_id=capture.agency_id,
        title=capture.subject or capture.original_name,
        meta=meta,
        text=capture.text,
    )


def all_archival_records():
    """Every archival record, for `vanban search reindex` and `check` (registered in apps.ready)."""
    for capture in Capture.objects.filter(document__isnull=True).order_by("pk").iterator(chunk_size=500):
        yield archival_record(capture)


def search_archive(reader, q: str, *, scope=None, limit: int = 50, offset: int = 0) -> search.RecordResults:
    """The reader's agency's archival records matching `q` (diacritics ignored), best first.
    `scope`: a narrower queryset of `selectors.visible_captures(reader)` (e.g. a status filter)."""
    allowed = visible_captures(reader) if scope is None else scope
    agencies = [reader.agency_id] if reader.agency_id else []  # visible_captures: the reader's agency
    return search.search_records(SEARCH_SOURCE, allowed.values("pk"), q, agencies=agencies, limit=limit, offset=offset)


# --- text of ordinary document files (born-digital: no OCR) --------------------------------------

_TEXT_KINDS = {".pdf": "pdf", ".docx": "docx", ".odt": "odt"}


def extract_document_text(document_id: int) -> int:
    """Extract the text of a document's born-digital files (PDF with a text layer, DOCX, ODT) and
    hand it to search with the metadata; returns the characters indexed. A scanned PDF (no text
    layer) is left to a capture's OCR. Files that cannot be read are skipped (logged)."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return 0
    parts = []
    for f in document.files.order_by("pk"):
        kind = _TEXT_KINDS.get(Path(f.name).suffix.lower())
        if kind is None:
            continue
        with tempfile.TemporaryDirectory(prefix="vanban-text-") as tmp:
            path = Path(tmp) / f"file.{kind}"
            path.write_bytes(storage.read_verified(f.blob_id))
            if kind == "pdf" and not ocr.has_text(path):
                continue
            try:
                parts.append(ocr.extract_text(path, kind))
            except ocr.Unreadable as exc:
                log.warning("no text from file %s of document %s: %s", f.pk, document.pk, exc.reason)
    text = "\n".join(p for p in parts if p.strip())
    if text:
        search.set_text(document, text)
    return len(text)


def on_files_stored(sender, document, files, revision=False, **kwargs) -> None:
    """`documents.services.files_stored` receiver (inside the storing transaction): queue the text
    extraction of the new files in the same transaction, so it is never lost. A new revision (a
    signature appended) has the same text: nothing to do."""
    if not revision and any(Path(f.name).suffix.lower() in _TEXT_KINDS for f in files):
        from . import tasks

        tasks.extract_text.enqueue(document.pk)
