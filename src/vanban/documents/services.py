"""Every write to documents: registering incoming documents, registering (numbering) outgoing
and internal ones, adding files. One function per user action: permission, validation, one
transaction, audit entry. Views, the API, commands and benchmarks call these and nothing else.

Files are checked and written to content-addressed storage before the transaction (a refused or
rolled-back registration may leave an unreferenced blob, which is harmless: it is only ever
reachable through a row written in a committed transaction).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.fields import FieldErrors, text
from vanban.orgs.identifiers import is_valid as is_valid_identifier
from vanban.orgs.models import Agency, Person, Role, Unit

from . import filetypes, numbering, policy, storage
from .models import (
    Channel,
    Confidentiality,
    DeliveryMode,
    Direction,
    Document,
    DocumentAccess,
    DocumentFile,
    DocumentType,
    FileRevision,
    HandlingStatus,
    NumberCounter,
    StoredBlob,
    Urgency,
)

# Sent after the registering transaction commits, for higher rooms (exchange, workflow, search,
# kpi) to react: document_registered(sender=Document, document=..., actor=...).
document_registered = Signal()

# Sent INSIDE the transaction that stores new file content (registration, added files, a new
# revision), for work that must be queued atomically with it — a receiver that enqueues a task in
# the database queue can never lose it: files_stored(sender=Document, document=..., files=[...],
# revision=False). `revision` is True for an incremental update (a signature appended to a file):
# the text and metadata are unchanged, only the signatures need checking again.
files_stored = Signal()

# Clock skew tolerated between a client's clock and ours for "not in the future" checks.
_FUTURE_TOLERANCE = dt.timedelta(minutes=5)


@dataclass
class Upload:
    """A file as received: any seekable binary file object, its client-side name and size."""

    file: BinaryIO
    name: str
    size: int

    @classmethod
    def from_django(cls, uploaded) -> Upload:
        return cls(file=uploaded, name=uploaded.name or "", size=uploaded.size)


def service_arguments(data: dict) -> dict:
    """A form's cleaned data or a serializer's validated data as keyword arguments of
    `register_incoming` / `register_outgoing`: the files travel as `uploads`, the type as `doc_type`.
    An input field the service does not know is a TypeError, not a silent loss."""
    args = {k: v for k, v in data.items() if k not in ("file", "attachments")}
    args["doc_type"] = args.pop("type", None)
    return args


@dataclass
class Registration:
    document: Document
    warnings: list[str] = field(default_factory=list)
    duplicates: list[Document] = field(default_factory=list)


# --- messages -------------------------------------------------------------------------------


def file_message(exc: filetypes.FileRejected) -> str:
    p = exc.params
    messages = {
        "no_name": _("The file has no name."),
        "empty": _("The file “%(name)s” is empty."),
        "too_large": _("The file “%(name)s” is %(size_mb)s MB; the limit is %(max_mb)s MB."),
        "bad_extension": _(
            "The file “%(name)s” has the extension %(ext)s, which is not accepted. Accepted: %(allowed)s."
        ),
        "unknown_content": _("The content of “%(name)s” is not a %(expected)s file."),
        "mismatch": _("The file “%(name)s” is named as %(expected)s but its content is %(actual)s."),
        "pdf_encrypted": _("The PDF file “%(name)s” is password-protected; upload it without a password."),
        "pdf_broken": _("The PDF file “%(name)s” is damaged and cannot be read."),
    }
    return messages[exc.reason] % p


def code_message(exc: numbering.CodeError) -> str:
    return {
        "empty": _("Enter the number and notation, e.g. 15/QĐ-UBND."),
        "spaces": _("The number and notation must not contain spaces, e.g. 15/QĐ-UBND."),
        "no_slash": _("Separate the number from the notation with “/”, e.g. 15/QĐ-UBND."),
        "bad_number": _("The number must be digits, e.g. 15/QĐ-UBND."),
        "bad_notation": _("The notation is not valid; it should look like 15/QĐ-UBND."),
        "too_long": _("The number may have at most 11 characters and the notation at most 30."),
    }[exc.reason]


# --- validation helpers ---------------------------------------------------------------------


def _text(errors: FieldErrors, name: str, value: str | None, *, required: bool, max_length: int) -> str:
    # Recipients keep their line breaks (one recipient per line); other fields are one line.
    return text(errors, name, value, required=required, max_length=max_length, collapse_spaces=name != "recipients")


def _choice(errors: FieldErrors, name: str, value, choices, default=None):
    if value in (None, "") and default is not None:
        return default
    member = choices.parse(value) if not isinstance(value, choices) else value
    if member is None:
        errors.add(
            name,
            _("“%(value)s” is not a valid choice. Choose one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(str(c) for c in choices.values)},
        )
    return member


# No document of the Vietnamese state is older than the state (2 September 1945).
_EARLIEST_DOCUMENT_DATE = dt.date(1945, 9, 2)


def _not_future(errors: FieldErrors, name: str, day: dt.date | None) -> None:
    if day is not None and day > timezone.localdate():
        errors.add(name, _("This date is in the future."))
    elif day is not None and day < _EARLIEST_DOCUMENT_DATE:
        errors.add(name, _("This date is too far in the past."))


def _check_files(
    errors: FieldErrors, uploads: Sequence[Upload], name: str = "file"
) -> list[tuple[Upload, filetypes.Sniffed]]:
    checked = []
    max_bytes = settings.VANBAN["MAX_UPLOAD_BYTES"]
    for up in uploads:
        try:
            checked.append((up, filetypes.check(up.file, up.name, up.size, max_bytes)))
        except filetypes.FileRejected as exc:
            errors.add(name, file_message(exc))
    return checked


def _store_files(checked) -> list[tuple[Upload, filetypes.Sniffed, storage.Digest]]:
    out = []
    for up, sniffed in checked:
        d = storage.digest(up.file)
        storage.put(up.file, d)
        out.append((up, sniffed, d))
    return out


def _attach(document: Document, stored, actor: Person | None, first_role=DocumentFile.Role.MAIN) -> list[DocumentFile]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.executemany(_INSERT_BLOB, [(d.sha256, d.size, s.kind.mime, now) for _up, s, d in stored])
    files = [
        DocumentFile(
            document=document,
            blob_id=d.sha256,
            name=filetypes.safe_name(up.name),
            pages=s.pages,
            role=first_role if i == 0 else DocumentFile.Role.ATTACHMENT,
            uploaded_by=actor,
        )
        for i, (up, s, d) in enumerate(stored)
    ]
    files = DocumentFile.objects.bulk_create(files)
    files_stored.send(sender=Document, document=document, files=files, revision=False)
    return files


# Hot statements of every registration, written out once (the ORM's query building costs more
# than the statement itself here): see bench/ingest.py.
_INSERT_BLOB = (
    f"INSERT INTO {StoredBlob._meta.db_table} (sha256, size, mime, created_at) "  # noqa: S608
    "VALUES (%s, %s, %s, %s) ON CONFLICT (sha256) DO NOTHING"
)
_DUPLICATES = (
    f"SELECT id FROM {Document._meta.db_table} WHERE agency_id = %s AND direction = %s "  # noqa: S608
    "AND code_key = %s AND issuer_name_key = %s AND issued_date BETWEEN %s AND %s "
    "ORDER BY reg_year, reg_seq LIMIT 5"
)


def _possible_duplicates(agency: Agency, key: str, issuer_key: str, year: int) -> list[Document]:
    """Incoming documents of the agency with the same number, notation and issuer, this year."""
    first = connection.ops.adapt_datefield_value(dt.date(year, 1, 1))
    last = connection.ops.adapt_datefield_value(dt.date(year, 12, 31))
    with connection.cursor() as cursor:
        cursor.execute(
            _DUPLICATES,
            [agency.pk, Direction.INCOMING.value, key, issuer_key, first, last],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(Document.objects.filter(pk__in=ids).order_by("reg_year", "reg_seq"))


def _acting_agency(actor: Person) -> Agency:
    """The clerk's agency, which must be active to register anything."""
    if actor is None or not actor.is_active or not actor.has_role(Role.CLERK) or actor.agency_id is None:
        raise PermissionDenied(_("Only an agency's clerks can register documents."))
    agency = actor.agency
    if not agency.is_active:
        raise PermissionDenied(_("Your agency is no longer active; it cannot register documents."))
    return agency


def next_number(agency: Agency, year: int, series: str) -> int:
    """Take the next number of a series. The caller's transaction must create the document that
    uses it: the row lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) taken by the
    UPDATE is held until commit, so concurrent registrations queue here one at a time."""
    # One statement on both databases (SQLite >= 3.35, PostgreSQL): create the series at 1 or
    # add one to it. It runs on every registration, so it skips the ORM's query building.
    q = connection.ops.quote_name
    table, last = q(NumberCounter._meta.db_table), q("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('agency_id')}, {q('year')}, {q('series')}, {last}) "  # noqa: S608
            f"VALUES (%s, %s, %s, 1) ON CONFLICT ({q('agency_id')}, {q('year')}, {q('series')}) "
            f"DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [agency.pk, year, series],
        )
        return cursor.fetchone()[0]


def _audit_data(doc: Document, files: list[DocumentFile]) -> dict:
    return {
        "direction": doc.direction,
        "type": doc.doc_type.name,
        "code": doc.code,
        "register": [doc.reg_series, doc.reg_year, doc.reg_seq],
        "subject": doc.subject,
        "issued_date": doc.issued_date.isoformat(),
        "issuer": doc.issuer_name,
        "urgency": doc.urgency,
        "confidentiality": doc.confidentiality,
        "delivery_mode": doc.delivery_mode,
        "legal": doc.is_legal,
        "files": [[f.name, f.blob_id] for f in files],
    }


# --- incoming -------------------------------------------------------------------------------


def register_incoming(
    actor: Person,
    *,
    uploads: Sequence[Upload],
    doc_type: DocumentType | None,
    subject: str,
    issuer_name: str,
    issued_date: dt.date | None,
    original_code: str = "",
    urgency=Urgency.NORMAL,
    confidentiality=Confidentiality.NORMAL,
    delivery_mode=None,
    channel=Channel.SYSTEM,
    received_at: dt.datetime | None = None,
    is_legal: bool = False,
    pages: int | None = None,
    signer_name: str = "",
    signer_position: str = "",
    issuer_identifier: str = "",
    recipients: str = "",
    due_date: dt.date | None = None,
    description: str = "",
) -> Registration:
    """Register an incoming document in the actor's agency and give it the next arrival number
    (số đến). A document with the same number, notation and issuer already registered this year
    is reported in the result's warnings (Decree 30 asks the clerk to check), not refused."""
    agency = _acting_agency(actor)
    errors = FieldErrors()
    subject = _text(errors, "subject", subject, required=True, max_length=500)
    issuer_name = _text(errors, "issuer_name", issuer_name, required=True, max_length=200)
    signer_name = _text(errors, "signer_name", signer_name, required=False, max_length=50)
    signer_position = _text(errors, "signer_position", signer_position, required=False, max_length=100)
    recipients = _text(errors, "recipients", recipients, required=False, max_length=1000)
    description = _text(errors, "description", description, required=False, max_length=500)
    issuer_identifier = (issuer_identifier or "").strip()
    if issuer_identifier and not is_valid_identifier(issuer_identifier):
        errors.add("issuer_identifier", _("An identifier code has the form NNN.NN.NN.XNN, for example 000.00.12.H58."))
    if doc_type is None:
        errors.add("type", _("This field is required."))
    number = notation = ""
    if (original_code or "").strip():
        try:
            number, notation = numbering.parse_code(original_code)
        except numbering.CodeError as exc:
            errors.add("original_code", code_message(exc))
    if issued_date is None:
        errors.add("issued_date", _("This field is required."))
    _not_future(errors, "issued_date", issued_date)
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + _FUTURE_TOLERANCE:
        errors.add("received_at", _("This date is in the future."))
    if issued_date and received_at and issued_date > timezone.localtime(received_at).date():
        errors.add("issued_date", _("The document date is after the date it was received."))
    if due_date and issued_date and due_date < issued_date:
        errors.add("due_date", _("The deadline is before the document date."))
    urgency = _choice(errors, "urgency", urgency, Urgency, Urgency.NORMAL)
    confidentiality = _choice(errors, "confidentiality", confidentiality, Confidentiality, Confidentiality.NORMAL)
    channel = _choice(errors, "channel", channel, Channel, Channel.SYSTEM)
    default_mode = DeliveryMode.PAPER if channel == Channel.PAPER else DeliveryMode.ELECTRONIC
    delivery_mode = _choice(errors, "delivery_mode", delivery_mode, DeliveryMode, default_mode)
    if channel == Channel.PAPER and delivery_mode == DeliveryMode.ELECTRONIC:
        errors.add("delivery_mode", _("A document received on paper cannot be fully electronic."))
    if channel in (Channel.SYSTEM, Channel.EXCHANGE, Channel.EMAIL) and delivery_mode == DeliveryMode.PAPER:
        errors.add("delivery_mode", _("A document received electronically cannot be paper only."))
    if is_legal and doc_type is not None and not doc_type.may_be_legal:
        errors.add("is_legal", _("A %(type)s cannot be a legal normative document.") % {"type": doc_type.name})
    if pages is not None and not (1 <= pages <= 9999):
        errors.add("pages", _("Enter a number of pages between 1 and 9999."))
    if not uploads and delivery_mode != DeliveryMode.PAPER:
        errors.add("file", _("Attach the document's file."))
    checked = _check_files(errors, uploads)
    errors.raise_if_any()

    stored = _store_files(checked)
    if pages is None and stored:
        pages = stored[0][1].pages
    confidential = confidentiality != Confidentiality.NORMAL
    year = timezone.localtime(received_at).year
    key = numbering.code_key(number, notation) if number else ""
    issuer_key = numbering.name_key(issuer_name)

    # Outside the transaction: it only produces a warning, and keeping it out shortens the time
    # the write lock is held (one writer at a time on SQLite).
    duplicates = _possible_duplicates(agency, key, issuer_key, issued_date.year) if key else []
    with transaction.atomic():
        series = numbering.incoming_series(confidential=confidential)
        seq = next_number(agency, year, series)
        doc = Document.objects.create(
            agency=agency,
            direction=Direction.INCOMING,
            doc_type=doc_type,
            is_legal=is_legal,
            number=number,
            notation=notation,
            code_key=key,
            reg_series=series,
            reg_year=year,
            reg_seq=seq,
            issued_date=issued_date,
            issuer_name=issuer_name,
            issuer_name_key=issuer_key,
            issuer_identifier=issuer_identifier,
            subject=subject,
            pages=pages,
            description=description,
            signer_name=signer_name,
            signer_position=signer_position,
            recipients=recipients,
            due_date=due_date,
            urgency=urgency,
            confidentiality=confidentiality,
            delivery_mode=delivery_mode,
            received_at=received_at,
            channel=channel,
            handling_status=HandlingStatus.PENDING,
            created_by=actor,
        )
        files = _attach(doc, stored, actor)
        data = _audit_data(doc, files)
        data.update(arrival_number=seq, channel=channel)
        if duplicates:
            data["possible_duplicate_of"] = [d.pk for d in duplicates]
        audit.record(actor=actor, action="document.register_incoming", target=doc, data=data)
        transaction.on_commit(lambda: document_registered.send(sender=Document, document=doc, actor=actor))

    warnings = [
        _("A document %(code)s from %(issuer)s was already registered with arrival number %(n)s on %(date)s.")
        % {
            "code": d.code,
            "issuer": d.issuer_name,
            "n": d.reg_seq,
            "date": timezone.localtime(d.received_at).strftime("%d/%m/%Y") if d.received_at else "",
        }
        for d in duplicates
    ]
    return Registration(doc, warnings, duplicates)


# --- outgoing and internal ------------------------------------------------------------------


def register_outgoing(
    actor: Person,
    *,
    uploads: Sequence[Upload],
    doc_type: DocumentType | None,
    subject: str,
    signer_name: str,
    signer_position: str = "",
    issued_date: dt.date | None = None,
    unit: Unit | None = None,
    delivery_mode=None,
    urgency=Urgency.NORMAL,
    confidentiality=Confidentiality.NORMAL,
    is_legal: bool = False,
    internal: bool = False,
    recipients: str = "",
    copies: int | None = None,
    due_date: dt.date | None = None,
    description: str = "",
    pages: int | None = None,
) -> Registration:
    """Number and register a document the actor's agency issues. The number is the next in its
    series (general, secret, or the legal normative series of its type) for the year of its date;
    the notation follows Decree 30 (named types: QĐ-STTTT; official letters: UBND-VP)."""
    agency = _acting_agency(actor)
    errors = FieldErrors()
    subject = _text(errors, "subject", subject, required=True, max_length=500)
    signer_name = _text(errors, "signer_name", signer_name, required=True, max_length=50)
    signer_position = _text(errors, "signer_position", signer_position, required=False, max_length=100)
    recipients = _text(errors, "recipients", recipients, required=False, max_length=1000)
    description = _text(errors, "description", description, required=False, max_length=500)
    issued_date = issued_date or timezone.localdate()
    _not_future(errors, "issued_date", issued_date)
    if due_date and due_date < issued_date:
        errors.add("due_date", _("The deadline is before the document date."))
    if doc_type is None:
        errors.add("type", _("This field is required."))
    elif not doc_type.issuable:
        errors.add("type", _("An agency cannot issue a %(type)s.") % {"type": doc_type.name})
    urgency = _choice(errors, "urgency", urgency, Urgency, Urgency.NORMAL)
    confidentiality = _choice(errors, "confidentiality", confidentiality, Confidentiality, Confidentiality.NORMAL)
    if delivery_mode in (None, "") and doc_type is not None:
        # The plan's policy for this kind of document in this year (the clerk may choose otherwise).
        delivery_mode = policy.default_delivery_mode(doc_type.code, issued_date.year, internal=internal)
    delivery_mode = _choice(errors, "delivery_mode", delivery_mode, DeliveryMode, DeliveryMode.ELECTRONIC)
    confidential = confidentiality not in (None, Confidentiality.NORMAL)
    if is_legal and doc_type is not None and not doc_type.may_be_legal:
        errors.add("is_legal", _("A %(type)s cannot be a legal normative document.") % {"type": doc_type.name})
    if is_legal and confidential:
        errors.add("confidentiality", _("A legal normative document is published and cannot be secret."))
    if unit is not None and (unit.agency_id != agency.pk or not unit.active):
        errors.add("unit", _("Choose an active unit of your agency."))
        unit = None
    if doc_type is not None and not doc_type.abbreviation and unit is None and "unit" not in errors:
        errors.add("unit", _("An official letter's notation needs the drafting unit (e.g. UBND-VP)."))
    if copies is not None and not (1 <= copies <= 999):
        errors.add("copies", _("Enter a number of copies between 1 and 999."))
    if pages is not None and not (1 <= pages <= 9999):
        errors.add("pages", _("Enter a number of pages between 1 and 9999."))
    if not uploads and delivery_mode != DeliveryMode.PAPER:
        errors.add("file", _("Attach the document's file."))
    checked = _check_files(errors, uploads)
    errors.raise_if_any()

    stored = _store_files(checked)
    if pages is None and stored:
        pages = stored[0][1].pages
    year = issued_date.year
    series = numbering.outgoing_series(
        confidential=confidential, legal=is_legal, type_abbreviation=doc_type.abbreviation
    )
    notation = numbering.outgoing_notation(
        type_abbreviation=doc_type.abbreviation,
        agency_notation=agency.notation,
        unit_notation=unit.notation if unit else None,
        legal_year=year if is_legal else None,
    )
    with transaction.atomic():
        seq = next_number(agency, year, series)
        number = numbering.format_number(seq)
        doc = Document.objects.create(
            agency=agency,
            direction=Direction.INTERNAL if internal else Direction.OUTGOING,
            doc_type=doc_type,
            is_legal=is_legal,
            number=number,
            notation=notation,
            code_key=numbering.code_key(number, notation),
            reg_series=series,
            reg_year=year,
            reg_seq=seq,
            issued_date=issued_date,
            place=agency.place or settings.VANBAN["PROVINCE_PLACE"],
            issuer_name=agency.name,
            issuer_name_key=numbering.name_key(agency.name),
            issuer_identifier=agency.identifier,
            subject=subject,
            pages=pages,
            description=description,
            signer_name=signer_name,
            signer_position=signer_position,
            recipients=recipients,
            copies=copies,
            due_date=due_date,
            urgency=urgency,
            confidentiality=confidentiality,
            delivery_mode=delivery_mode,
            drafting_unit=unit,
            handling_status=HandlingStatus.DONE,
            created_by=actor,
        )
        files = _attach(doc, stored, actor)
        audit.record(actor=actor, action="document.register_outgoing", target=doc, data=_audit_data(doc, files))
        transaction.on_commit(lambda: document_registered.send(sender=Document, document=doc, actor=actor))
    return Registration(doc)


# --- files ----------------------------------------------------------------------------------


@dataclass
class StoredFile:
    """A checked file kept in content-addressed storage, not (yet) attached to a document: a
    draft's version, a meeting's material. `blob` is its StoredBlob row."""

    blob: StoredBlob
    name: str
    kind: str
    pages: int | None


def store_file(upload: Upload, *, kinds: Sequence[str] | None = None, field: str = "file") -> StoredFile:
    """Check one uploaded file (what it really is, its size, its name) and keep it in the store.
    `kinds` limits the accepted file kinds (codes of filetypes.KINDS, e.g. ("pdf", "docx")).
    A refusal is a ValidationError on `field`; nothing is stored."""
    errors = FieldErrors()
    checked = _check_files(errors, [upload], name=field)
    if not errors and kinds is not None and checked[0][1].kind.code not in kinds:
        errors.add(
            field,
            _("The file “%(name)s” is a %(actual)s file; accepted here: %(allowed)s.")
            % {
                "name": upload.name,
                "actual": checked[0][1].kind.label,
                "allowed": ", ".join(filetypes.KINDS[k].label for k in kinds),
            },
        )
    errors.raise_if_any()
    ((up, sniffed, d),) = _store_files(checked)
    blob, _created = StoredBlob.objects.get_or_create(
        sha256=d.sha256, defaults={"size": d.size, "mime": sniffed.kind.mime}
    )
    return StoredFile(blob=blob, name=filetypes.safe_name(up.name), kind=sniffed.kind.code, pages=sniffed.pages)


def _issued_with_file(document: Document) -> bool:
    # What the agency issued is what its recipients hold: a change is a new document that replaces
    # it (exchange: send as the replacement). A paper-only one may still get its scan, once.
    return document.direction != Direction.INCOMING and document.files.filter(role=DocumentFile.Role.MAIN).exists()


def _issued_is_final() -> str:
    return _("An issued document cannot be changed; issue a new document to replace it.")


def add_files(actor: Person, document: Document, uploads: Sequence[Upload]) -> list[DocumentFile]:
    """Attach more files to a registered incoming document of the actor's agency, or the first
    file (its scan) to a paper-only document it issued. An issued document's files never change."""
    agency = _acting_agency(actor)
    if document.agency_id != agency.pk:
        raise PermissionDenied(_("Only an agency's clerks can register documents."))
    errors = FieldErrors()
    if not uploads:
        errors.add("file", _("Attach the document's file."))
    if _issued_with_file(document):
        errors.add("file", _issued_is_final())
    checked = _check_files(errors, uploads)
    errors.raise_if_any()
    stored = _store_files(checked)
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=document.pk)
        if _issued_with_file(doc):  # a first scan attached meanwhile
            raise ValidationError({"file": [_issued_is_final()]})
        has_main = doc.files.filter(role=DocumentFile.Role.MAIN).exists()
        files = _attach(doc, stored, actor, DocumentFile.Role.ATTACHMENT if has_main else DocumentFile.Role.MAIN)
        audit.record(
            actor=actor, action="document.add_files", target=doc, data={"files": [[f.name, f.blob_id] for f in files]}
        )
    return files


def append_revision(actor: Person | None, file: DocumentFile, data: bytes, *, reason: str) -> DocumentFile:
    """Make `data` the file's current content when it only APPENDS to the current bytes (an
    incremental update, such as a PDF signature): what was there before is kept byte for byte, so
    earlier signatures stay valid and the earlier revision stays provable. Anything else is
    refused: a document's content is never rewritten. The earlier blob is kept as a FileRevision."""
    current = storage.read_verified(file.blob_id)
    if len(data) <= len(current) or not data.startswith(current):
        raise ValidationError({"file": [_("A new revision may only add to the file; its content was changed.")]})
    d = storage.digest(io.BytesIO(data))
    storage.put(io.BytesIO(data), d)
    with transaction.atomic():
        locked = DocumentFile.objects.select_for_update().get(pk=file.pk)
        if locked.blob_id != file.blob_id:  # someone appended meanwhile: the caller starts again
            raise ValidationError({"file": [_("The file changed meanwhile; try again.")]})
        mime = StoredBlob.objects.filter(pk=locked.blob_id).values_list("mime", flat=True).get()
        StoredBlob.objects.get_or_create(sha256=d.sha256, defaults={"size": d.size, "mime": mime})
        FileRevision.objects.create(file=locked, blob_id=locked.blob_id, reason=reason[:100], replaced_by=actor)
        previous = locked.blob_id
        DocumentFile.objects.filter(pk=locked.pk).update(blob_id=d.sha256)
        locked.blob_id = d.sha256
        files_stored.send(sender=Document, document=locked.document, files=[locked], revision=True)
        audit.record(
            actor=actor,
            action="document.file_revision",
            target=locked.document,
            data={"file": locked.pk, "before": previous, "after": d.sha256, "reason": reason},
        )
    file.blob_id = d.sha256
    return file


# --- changes the sender asks for (exchange) -------------------------------------------------


def withdraw(actor: Person, document: Document, *, reason: str) -> Document:
    """The sender recalled this incoming document and the clerk agreed: it stays in the register
    (numbers are never reused) marked as withdrawn."""
    _acting_agency(actor)
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=document.pk)
        if doc.agency_id != actor.agency_id:
            raise PermissionDenied(_("Only an agency's clerks can register documents."))
        doc.withdrawn_at = timezone.now()
        doc.withdrawn_reason = reason[:500]
        doc.handling_status = HandlingStatus.DONE
        doc.save(update_fields=["withdrawn_at", "withdrawn_reason", "handling_status", "updated_at"])
        audit.record(actor=actor, action="document.withdraw", target=doc, data={"reason": reason})
    return doc


def mark_replaced(document: Document, *, by: Document) -> None:
    """Note that a received document was replaced by a newer one from the same sender (called in
    the transaction that registers the replacement)."""
    Document.objects.filter(pk=document.pk).update(replaced_by=by, updated_at=timezone.now())
    audit.record(actor=None, action="document.replaced", target=document, data={"by": by.pk})


def set_handling_status(document: Document, status: str) -> None:
    """Where the handling of an incoming document stands (HandlingStatus), for the workflow, which
    calls this in the transaction of the step it audits."""
    Document.objects.filter(pk=document.pk).update(handling_status=status, updated_at=timezone.now())
    document.handling_status = status


def grant_access(document: Document, grants: list[tuple[Person | None, Unit | None]], *, reason: str) -> None:
    """Let people or units beyond the clerks and leaders read a document (the workflow's handlers),
    in the caller's transaction. A unit's grant never covers a confidential document (see
    selectors.visible_documents): the caller gives confidential work to named people."""
    DocumentAccess.objects.bulk_create(
        [DocumentAccess(document=document, person=person, unit=unit, reason=reason[:50]) for person, unit in grants]
    )


def apply_received_update(
    actor: Person,
    document: Document,
    *,
    subject: str,
    due_date,
    signer_name: str,
    signer_position: str,
    pages: int | None,
    note: str,
) -> Document:
    """The sender corrected a document's information: take the new values (audited)."""
    _acting_agency(actor)
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=document.pk)
        if doc.agency_id != actor.agency_id:
            raise PermissionDenied(_("Only an agency's clerks can register documents."))
        before = {"subject": doc.subject, "due_date": str(doc.due_date or ""), "signer_name": doc.signer_name}
        doc.subject = subject[:500]
        doc.due_date = due_date
        doc.signer_name, doc.signer_position = signer_name[:50], signer_position[:100]
        if pages:
            doc.pages = pages
        doc.description = (f"{doc.description} {note}".strip())[:500]
        doc.save()
        audit.record(
            actor=actor, action="document.update_from_sender", target=doc, data={"before": before, "note": note}
        )
    return doc
