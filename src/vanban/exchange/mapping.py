"""Between our documents and edXML packages: one place that says which field goes where."""

from __future__ import annotations

import datetime as dt
import io
import os

from django.conf import settings
from django.utils import timezone

from vanban.documents import filetypes, storage
from vanban.documents import selectors as document_selectors
from vanban.documents import services as document_services
from vanban.documents.models import DeliveryMode, Document, DocumentFile, DocumentType, StoredBlob, Urgency
from vanban.orgs.models import Agency, Person

from . import edxml, rows

# edXML DocumentType/Type codes are not confirmed by any source we found (standards notes §1.3):
# the SDK uses 1 for Công văn; others take their Decree 30 order + 1. Override with
# VANBAN["EDXML_TYPE_CODES"] = {"cong-van": 1, ...}. Receivers read TypeName first.
_DEFAULT_TYPE_CODES = {"cong-van": 1}

_URGENCY_BY_PRIORITY = {
    0: Urgency.NORMAL,
    1: Urgency.URGENT,
    2: Urgency.VERY_URGENT,
    3: Urgency.FLASH,
    4: Urgency.FLASH,
}


def type_code(doc_type: DocumentType) -> int:
    codes = {**_DEFAULT_TYPE_CODES, **settings.VANBAN.get("EDXML_TYPE_CODES", {})}
    return codes.get(doc_type.code, doc_type.order + 1)


def organ_for(agency: Agency) -> edxml.Organ:
    """The agency as an edXML organ. Agencies read with their parent's name (`parent_name`, see
    services.agencies_by_code) need no second query for it."""
    parent = getattr(agency, "parent_name", None)
    if parent is None:
        parent = agency.parent.name if agency.parent_id else ""
    return edxml.Organ(
        organ_id=agency.identifier,
        name=agency.name,
        in_charge=parent,
        address=agency.address,
        email=agency.email,
        telephone=agency.phone,
        website=agency.website,
    )


def staff_for(person: Person | None) -> edxml.StaffInfo | None:
    if person is None:
        return None
    unit = person.unit.name if person.unit_id else ""
    return edxml.StaffInfo(department=unit, staff=person.get_full_name(), email=person.email, mobile=person.phone)


def document_id_for(doc: Document) -> str:
    """The national document identifier: sender code, document date, number/notation."""
    return edxml.document_id(doc.issuer_identifier, doc.issued_date, doc.number, doc.notation)


_ROLE_LABELS = dict(DocumentFile.Role.choices)


def attachments_for(doc: Document) -> list[edxml.Attachment]:
    # Written out: it runs for every package sent (see rows.py).
    sql = (
        f"SELECT f.name, f.role, f.blob_id, b.mime FROM {DocumentFile._meta.db_table} f "  # noqa: S608
        f"JOIN {StoredBlob._meta.db_table} b ON b.sha256 = f.blob_id WHERE f.document_id = %s ORDER BY f.id"
    )
    return [
        edxml.Attachment(
            content_id=str(i),
            name=name,
            content_type=mime,
            data=storage.read_verified(sha256),
            description=str(_ROLE_LABELS.get(role, role)),
        )
        for i, (name, role, sha256, mime) in enumerate(rows.fetch(sql, [doc.pk]), start=1)
    ]


def package_for(
    doc: Document,
    recipients: list[edxml.Organ],
    business: edxml.Business,
    *,
    sender: Agency,
    with_attachments: bool = True,
) -> edxml.Package:
    """The edXML package of one of our documents (outgoing, internal, or a received one re-exported)."""
    sender_organ = (
        organ_for(sender)
        if doc.issuer_identifier == sender.identifier
        else edxml.Organ(organ_id=doc.issuer_identifier, name=doc.issuer_name)
    )
    signer = None
    if doc.signer_name or doc.signer_position:
        signer = edxml.SignerInfo(position=doc.signer_position, full_name=doc.signer_name)
    return edxml.Package(
        sender=sender_organ,
        recipients=recipients,
        document_id=document_id_for(doc),
        code_number=doc.number,
        code_notation=doc.notation,
        place=doc.place,
        promulgation_date=doc.issued_date,
        type_code=type_code(doc.doc_type),
        type_name=doc.doc_type.name,
        subject=doc.subject,
        content=doc.subject,
        signer=signer,
        due_date=doc.due_date,
        priority=Urgency(doc.urgency).level,
        promulgation_amount=doc.copies,
        page_amount=doc.pages,
        to_places=[line.strip() for line in doc.recipients.splitlines() if line.strip()],
        traces=[edxml.TraceHeader(sender.identifier, now_naive())],
        business=business,
        attachments=attachments_for(doc) if with_attachments else [],
    )


def incoming_arguments(pkg: edxml.Package) -> dict:
    """Keyword arguments of documents.services.register_incoming for a received package."""
    doc_type = document_selectors.find_document_type(pkg.type_name) or DocumentType.objects.get(code="cong-van")
    code = f"{pkg.code_number}/{pkg.code_notation}" if pkg.code_number and pkg.code_notation else ""
    today = timezone.localdate()
    issued = pkg.promulgation_date if pkg.promulgation_date and pkg.promulgation_date <= today else today
    return {
        "doc_type": doc_type,
        "subject": (pkg.subject or pkg.content or "—")[:500],
        "issuer_name": pkg.sender.name[:200] or pkg.sender.organ_id,
        "issuer_identifier": pkg.sender.organ_id if len(pkg.sender.organ_id) == 13 else "",
        "issued_date": issued,
        "original_code": code if len(code) <= 45 else "",
        "urgency": _URGENCY_BY_PRIORITY.get(pkg.priority, Urgency.NORMAL),
        "delivery_mode": DeliveryMode.ELECTRONIC_WITH_PAPER if pkg.business.paper else DeliveryMode.ELECTRONIC,
        "channel": "exchange",
        "signer_name": pkg.signer.full_name[:50] if pkg.signer else "",
        "signer_position": pkg.signer.position[:100] if pkg.signer else "",
        "due_date": pkg.due_date if pkg.due_date and pkg.due_date >= issued else None,
        "pages": pkg.page_amount if pkg.page_amount and 0 < pkg.page_amount < 10000 else None,
        "recipients": "\n".join(pkg.to_places)[:1000],
    }


def uploads_for(pkg: edxml.Package) -> list[document_services.Upload]:
    """A package's attachments as uploads for the register. Other systems name files loosely
    (no extension, `.doc` for a zip…): the name takes the extension of what the bytes are, so a
    readable file is never refused for its name; unreadable content is still refused."""
    out = []
    for a in pkg.attachments:
        name = a.name
        code = filetypes.sniff_code(io.BytesIO(a.data))
        if code is not None:
            kind = filetypes.KINDS[code]
            ext = os.path.splitext(name)[1]
            if ext.lower() not in kind.extensions:
                name = f"{name}{kind.extensions[0]}"
        out.append(document_services.Upload(io.BytesIO(a.data), name, len(a.data)))
    return out


def urgency_of(pkg: edxml.Package) -> str:
    return _URGENCY_BY_PRIORITY.get(pkg.priority, Urgency.NORMAL)


def now_naive() -> dt.datetime:
    """Timestamps in edXML are local (Vietnam) time without a zone."""
    return timezone.localtime().replace(microsecond=0, tzinfo=None)
