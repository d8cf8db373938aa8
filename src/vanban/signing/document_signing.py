"""Signing documents (services): a competent person signs a document's PDF in their own name, the
clerk then signs it as the agency (the seal) and signs each attachment file with the text stamp.

Each signature is an incremental update appended to the file (`documents.services.append_revision`
refuses anything else), recorded as a `DocumentSignature` (who, as whom, when, which certificate)
and audited; storing the new revision queues its verification (documents.files_stored). The PDF
work itself is `pdf.py`; keys and the timestamp authority are `services.py`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.documents import services as document_services
from vanban.documents import storage
from vanban.documents.models import Direction, Document, DocumentFile
from vanban.orgs.models import Person, Role

from . import crypto, images, pdf, services
from .models import DocumentSignature, SigningIdentity

PDF_MIME = "application/pdf"
# Prefixes of the authority line (Decree 30, Phụ lục I): on behalf of, deputy for, by order of…
AUTHORITY_PREFIXES = ("TM.", "Q.", "KT.", "TL.", "TUQ.")


@dataclass(frozen=True)
class Signed:
    """What one signing produced: the new PDF bytes and the PAdES level reached."""

    data: bytes
    field_name: str
    level: str
    signed_at: dt.datetime
    identity: SigningIdentity


# --- the pieces every signature needs ---------------------------------------------------------


def timestamper():
    """The timestamp authority: the configured one (VANBAN_TSA_URL), else this installation's own
    demo TSA in process. Every signature carries a timestamp (PAdES B-T): without a TSA, refuse."""
    if settings.VANBAN.get("TSA_URL"):
        return services.timestamper()
    local = services.local_timestamper()
    if local is None:
        raise ValidationError(
            {"timestamp": [_("No timestamp authority is configured; ask the administrator (vanban pki demo).")]}
        )
    return local


def _refused(exc: Exception) -> ValidationError:
    reason = getattr(exc, "reason", "")
    messages = {
        "not_pdf": _("The document's file is not a PDF; only a PDF can be signed."),
        "encrypted": _("The PDF is password-protected; it cannot be signed."),
        "damaged": _("The PDF is damaged and cannot be signed."),
        "no_field": _("The person's signature was not found: the agency signs after the competent person."),
        "bad_image": _("The signature or seal image is not a usable PNG."),
        "revoked": _("The certificate has been revoked; it cannot sign."),
        "expired": _("The certificate is not valid now; it cannot sign."),
        "untrusted": _("The certificate does not lead to a trusted root; it cannot sign."),
        "invalid": _("The certificate cannot sign documents."),
    }
    return ValidationError({"file": [messages.get(reason, _("The PDF could not be signed."))]})


def _sign(identity: SigningIdentity, pin: str | None, do) -> pdf.SignResult:
    """Run `do(signer)` with the identity's signer (a token session is closed afterwards)."""
    try:
        with services.signing_session(identity, pin=pin) as signer:
            return do(signer)
    except (pdf.PdfRefused, pdf.CertificateRefused) as exc:
        raise _refused(exc) from exc


def sign_as_person(
    identity: SigningIdentity,
    data: bytes,
    *,
    full_name: str,
    position: str,
    authority_prefix: str = "",
    pin: str | None = None,
) -> Signed:
    """The person's PAdES signature with the Decree 30 appearance on `data` (no database write:
    the callers store it). Its image is the identity's signature image (a demo one when none)."""
    image = bytes(identity.image) if identity.image else images.signature_png(full_name)
    now = timezone.now()
    result = _sign(
        identity,
        pin,
        lambda signer: pdf.sign_person_ex(
            data,
            signer=signer,
            full_name=full_name,
            position=position,
            authority_prefix=authority_prefix,
            image_png=image,
            timestamper=timestamper(),
            validation_context=services.validation_context(),
        ),
    )
    return Signed(result.pdf, result.field_name, result.level, now, identity)


def sign_as_agency(identity: SigningIdentity, data: bytes, *, pin: str | None = None) -> Signed:
    """The agency's signature: its red seal at real size over the left third of the person's
    signature image (the person signs first)."""
    agency = identity.agency
    image = bytes(identity.image) if identity.image else images.seal_png(agency.name)
    now = timezone.now()
    result = _sign(
        identity,
        pin,
        lambda signer: pdf.sign_seal_ex(
            data,
            signer=signer,
            seal_png=image,
            seal_diameter_mm=identity.image_width_mm or 36,
            timestamper=timestamper(),
            validation_context=services.validation_context(),
        ),
    )
    return Signed(result.pdf, result.field_name, result.level, now, identity)


def sign_attachment_file(identity: SigningIdentity, data: bytes, *, code: str, pin: str | None = None) -> Signed:
    """An attachment in its own file, signed by the agency with the text stamp (number and
    notation, signing time in ISO 8601 with the Vietnam zone), no image."""
    now = timezone.now()
    result = _sign(
        identity,
        pin,
        lambda signer: pdf.sign_attachment_ex(
            data,
            signer=signer,
            code=code,
            when=timezone.localtime(now),
            timestamper=timestamper(),
            validation_context=services.validation_context(),
        ),
    )
    return Signed(result.pdf, result.field_name, result.level, now, identity)


# --- documents ----------------------------------------------------------------------------------


def own_identity(actor: Person) -> SigningIdentity:
    """The actor's own usable signing identity (a person never signs with anyone else's)."""
    identity = services.identity_of_person(actor)
    if identity is None or not services.may_sign_with(actor, identity):
        raise PermissionDenied(_("You have no valid signing certificate of your own."))
    return identity


def checked_authority_line(text: str) -> str:
    """The authority line above the position (Decree 30: TM., Q., KT., TL., TUQ.), or ""."""
    prefix = (text or "").strip()
    if prefix and not prefix.upper().startswith(AUTHORITY_PREFIXES):
        raise ValidationError(
            {"authority_prefix": [_("The authority line starts with TM., Q., KT., TL. or TUQ. (e.g. KT. GIÁM ĐỐC).")]}
        )
    return prefix


def _pdf_files(document: Document, role: str) -> list[DocumentFile]:
    return [f for f in document.files.select_related("blob").filter(role=role) if f.blob.mime == PDF_MIME]


def _issued_by_agency_of(actor: Person, document: Document) -> None:
    if document.agency_id != actor.agency_id or document.direction == Direction.INCOMING:
        raise PermissionDenied(_("Only documents your agency issues are signed here."))


def _record(actor: Person, document: Document, file: DocumentFile, signed: Signed, kind: str, before: str) -> None:
    document_services.append_revision(actor, file, signed.data, reason=f"signature:{kind}")
    identity = signed.identity
    row = DocumentSignature.objects.create(
        document=document,
        file=file,
        kind=kind,
        identity=identity,
        signed_by=actor,
        agency_id=identity.agency_id if identity.agency_id else None,
        field_name=signed.field_name,
        certificate_fingerprint=identity.fingerprint,
        signed_at=signed.signed_at,
        timestamped=signed.level in ("B-T", "B-LT"),
        long_term=signed.level == "B-LT",
        blob_before=before,
        blob_after=file.blob_id,
    )
    audit.record(
        actor=actor,
        action=f"signing.sign_{kind}",
        target=document,
        data={
            "file": file.pk,
            "field": signed.field_name,
            "certificate": identity.fingerprint,
            "level": signed.level,
            "signature": row.pk,
        },
    )


def record_issued_signature(actor: Person, document: Document, version) -> DocumentSignature:
    """Record, on a document just issued from a draft, the signature its last approver made on
    the draft (`version` is the signed draft version: its PDF is the document's main file)."""
    file = document.files.get(role=DocumentFile.Role.MAIN)
    if file.blob_id != version.blob_id:  # the issued file must be the signed PDF, unchanged
        raise ValidationError({"file": [_("The issued file is not the signed version.")]})
    identity = version.signing_identity
    row = DocumentSignature.objects.create(
        document=document,
        file=file,
        kind=DocumentSignature.Kind.PERSON,
        identity=identity,
        signed_by=version.uploaded_by,
        agency=None,
        field_name=version.signature_field,
        certificate_fingerprint=identity.fingerprint,
        signed_at=version.signed_at,
        timestamped=version.signature_level in ("B-T", "B-LT"),
        long_term=version.signature_level == "B-LT",
        blob_before=version.signed_from.blob_id,
        blob_after=file.blob_id,
    )
    audit.record(
        actor=actor,
        action="signing.sign_person",
        target=document,
        data={
            "file": file.pk,
            "field": row.field_name,
            "certificate": identity.fingerprint,
            "signature": row.pk,
            "signed_by": version.uploaded_by_id,
            "from_draft_version": version.pk,
        },
    )
    return row


def person_has_signed(document: Document) -> bool:
    return DocumentSignature.objects.filter(document=document, kind=DocumentSignature.Kind.PERSON).exists()


def sign_document(
    actor: Person, document: Document, *, authority_prefix: str = "", position: str | None = None, pin=None
) -> DocumentSignature:
    """The competent person signs the main PDF of a document their agency issues, with their own
    certificate (never someone else's), once."""
    _issued_by_agency_of(actor, document)
    identity = own_identity(actor)
    prefix = checked_authority_line(authority_prefix)
    files = _pdf_files(document, DocumentFile.Role.MAIN)
    if not files:
        raise ValidationError({"file": [_("The document has no PDF to sign.")]})
    if DocumentSignature.objects.filter(
        document=document, kind=DocumentSignature.Kind.PERSON, signed_by=actor
    ).exists():
        raise ValidationError({"file": [_("You have already signed this document.")]})
    if DocumentSignature.objects.filter(document=document, kind=DocumentSignature.Kind.SEAL).exists():
        raise ValidationError({"file": [_("The agency has already signed this document; nobody signs after it.")]})
    file = files[0]
    before = file.blob_id
    signed = sign_as_person(
        identity,
        storage.read_verified(before),
        full_name=actor.get_full_name(),
        position=position if position is not None else actor.position,
        authority_prefix=prefix,
        pin=pin,
    )
    with transaction.atomic():
        _record(actor, document, file, signed, DocumentSignature.Kind.PERSON, before)
    return DocumentSignature.objects.filter(document=document, kind=DocumentSignature.Kind.PERSON).latest("pk")


def seal_document(actor: Person, document: Document, *, pin=None) -> list[DocumentSignature]:
    """The clerk signs as the agency: the seal on the main PDF (after the competent person's
    signature) and the text stamp on each attachment PDF not signed yet."""
    _issued_by_agency_of(actor, document)
    if not actor.has_role(Role.CLERK):
        raise PermissionDenied(_("Only the agency's clerks sign with its seal."))
    identity = services.seal_of_agency(actor.agency)
    if identity is None or not services.may_sign_with(actor, identity):
        raise PermissionDenied(_("Your agency has no valid seal certificate."))
    if not person_has_signed(document):
        raise ValidationError({"file": [_("The competent person has not signed this document yet.")]})
    work = _unsealed(document)
    if not work:
        raise ValidationError({"file": [_("The agency has already signed this document.")]})
    # Sign every file first: a refusal on any of them (an attachment that cannot be signed)
    # leaves the document as it was. Then record them all at once.
    signed = []
    for file, kind in work:
        before = file.blob_id
        data = storage.read_verified(before)
        if kind == DocumentSignature.Kind.SEAL:
            signed.append((file, kind, before, sign_as_agency(identity, data, pin=pin)))
        else:
            signed.append((file, kind, before, sign_attachment_file(identity, data, code=document.code, pin=pin)))
    with transaction.atomic():
        # The document's row serialises two clerks sealing at once: the second finds the seal.
        list(Document.objects.select_for_update().filter(pk=document.pk).values_list("pk", flat=True))
        if {f.pk for f, _k in _unsealed(document)} != {f.pk for f, _k in work}:
            raise ValidationError({"file": [_("The agency has already signed this document.")]})
        for file, kind, before, result in signed:
            _record(actor, document, file, result, kind, before)
    return list(
        DocumentSignature.objects.filter(document=document, file__in=[f for f, *_ in signed])
        .exclude(kind=DocumentSignature.Kind.PERSON)
        .order_by("pk")
    )


def _unsealed(document: Document) -> list[tuple[DocumentFile, str]]:
    """The document's PDFs the agency has not signed yet: the main file (seal) and attachments."""
    done = set(
        DocumentSignature.objects.filter(document=document)
        .exclude(kind=DocumentSignature.Kind.PERSON)
        .values_list("file_id", flat=True)
    )
    work = [(f, DocumentSignature.Kind.SEAL) for f in _pdf_files(document, DocumentFile.Role.MAIN)[:1]]
    work += [(f, DocumentSignature.Kind.ATTACHMENT) for f in _pdf_files(document, DocumentFile.Role.ATTACHMENT)]
    return [(f, kind) for f, kind in work if f.pk not in done]


def signatures_of(document: Document) -> list[DocumentSignature]:
    return list(DocumentSignature.objects.filter(document=document).select_related("signed_by", "agency"))


def describe_certificate(identity: SigningIdentity) -> str:
    cert = crypto.cert_from_pem(identity.certificate_pem)
    return f"{crypto.common_name_of(cert)} ({identity.fingerprint[:16]}…)"
