"""Every write of the exchange: dispatching (send, recall, update, replace), receiving packages and
status messages, the receiving clerk's decisions, and delivery through the outbox.

Guarantees:
- Dispatch writes the signed package to the content-addressed store, then the Dispatch, its
  Deliveries, the OutboxMessages and the delivery task in one transaction (the task queue is the
  same database): after commit nothing can be lost; before it nothing happened.
- The receiver stores a package and its signed receipt in one transaction and deduplicates it, so
  a retry after a lost receipt gets the same receipt and registers nothing twice.
- Delivery leases each message before sending and records the outcome after; a worker killed in
  between leaves the message due again, and the receiver's deduplication absorbs the resend.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.documents import services as document_services
from vanban.documents import storage
from vanban.documents.models import Confidentiality, DeliveryMode, Direction, Document
from vanban.orgs.models import Agency, Person, Role
from vanban.signing import services as signing
from vanban.signing import xmlsig
from vanban.signing.xmlsig import SignatureError

from . import edxml, mapping, messages, rows
from .models import (
    Arrival,
    BusinessType,
    Delivery,
    DeliveryEvent,
    Dispatch,
    InboxPackage,
    OutboxMessage,
    Peer,
    ReceivedStatus,
    Status,
)

log = logging.getLogger(__name__)

MAX_PACKAGE_BYTES = edxml.Limits().max_bytes


# --- who may do what ------------------------------------------------------------------------


def _clerk_of(actor: Person, agency_id: int) -> Agency:
    if actor is None or not actor.is_active or not actor.has_role(Role.CLERK) or actor.agency_id != agency_id:
        raise PermissionDenied(_("Only the agency's clerks can do this."))
    agency = actor.agency
    if not agency.is_active:
        raise PermissionDenied(_("Your agency is no longer active; it cannot register documents."))
    return agency


# --- recipients -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    identifier: str
    name: str
    agency: Agency | None = None  # ours: local delivery
    peer: Peer | None = None  # another system

    @property
    def organ(self) -> edxml.Organ:
        return mapping.organ_for(self.agency) if self.agency else edxml.Organ(self.identifier, self.name)


_PEERS_TTL_SECONDS = 30
_peers_cache: tuple[float, list[Peer]] | None = None


def clear_caches() -> None:
    global _peers_cache
    _peers_cache = None


def _active_peers(refresh: bool = False) -> list[Peer]:
    """Peers change rarely and are looked up for every package: read them at most every 30 s."""
    global _peers_cache
    now = time.monotonic()
    if refresh or _peers_cache is None or _peers_cache[0] < now:
        _peers_cache = (now + _PEERS_TTL_SECONDS, list(Peer.objects.filter(active=True).select_related("certificate")))
    return _peers_cache[1]


def route(code: str) -> Peer | None:
    """The peer that serves an identifier code, or None. A code no cached peer serves is looked
    up again at once (a peer added a moment ago counts); a deactivated one stops within 30 s."""
    for refresh in (False, True):
        for peer in _active_peers(refresh):
            if peer.serves_code(code):
                return peer
    return None


def agencies_by_code(codes: list[str]) -> dict[str, Agency]:
    """Our agencies with these identifier codes, each carrying its parent's name (`parent_name`,
    for mapping.organ_for), in one written-out statement: it runs for every package sent and
    received."""
    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    table = Agency._meta.db_table
    sql = (
        f"SELECT a.*, p.name AS parent_name FROM {table} a LEFT JOIN {table} p ON p.id = a.parent_id "  # noqa: S608
        f"WHERE a.identifier IN ({', '.join(['%s'] * len(codes))})"
    )
    return {a.identifier: a for a in Agency.objects.raw(sql, codes)}


def resolve_recipients(codes: list[str], *, sender: Agency) -> list[Recipient]:
    """Our agencies by identifier code, else the connected system that serves the code."""
    errors, out, seen = [], [], set()
    known = agencies_by_code([c.strip() for c in codes])
    for raw in codes:
        code = raw.strip()
        if not code or code in seen:
            continue
        seen.add(code)
        agency = known.get(code)
        if agency is not None:
            if agency.pk == sender.pk:
                errors.append(_("%(code)s is your own agency.") % {"code": code})
            elif not agency.is_active:
                errors.append(_("%(name)s (%(code)s) is no longer active.") % {"name": agency.name, "code": code})
            else:
                out.append(Recipient(code, agency.name, agency=agency))
            continue
        peer = route(code)
        if peer is None:
            errors.append(_("No agency or connected system has the identifier code %(code)s.") % {"code": code})
        else:
            out.append(Recipient(code, code, peer=peer))
    if errors:
        raise ValidationError({"recipients": errors})
    if not out:
        raise ValidationError({"recipients": [_("Choose at least one recipient.")]})
    return out


# --- the outbox -----------------------------------------------------------------------------


def _store_payload(data: bytes) -> storage.Digest:
    digest = storage.digest(io.BytesIO(data))
    storage.put(io.BytesIO(data), digest)
    return digest


def _queue(kind: str, digest: storage.Digest, *, sender: Agency, recipient: str, peer: Peer | None) -> OutboxMessage:
    """Put a signed message, already stored under `digest` (`_sign_and_store`), in the outbox.
    Call inside the transaction of the action."""
    message = rows.insert(
        OutboxMessage(
            kind=kind,
            peer=peer,
            recipient_identifier=recipient,
            sender_agency=sender,
            payload_sha256=digest.sha256,
            payload_size=digest.size,
            next_attempt_at=timezone.now(),
        )
    )
    wake_delivery()
    return message


def wake_delivery(run_after: dt.datetime | None = None) -> None:
    """Queue the delivery task in the current transaction (the task queue lives in the database).
    One waiting run is enough: it delivers everything due when it starts (a message that commits
    while that run is already past its last look is picked up by the worker's heartbeat)."""
    from django_tasks_db.models import DBTaskResult

    from . import tasks

    if run_after is None:
        if DBTaskResult.objects.ready().filter(task_path=tasks.deliver_due.module_path).exists():
            return
        tasks.deliver_due.enqueue()
    else:
        tasks.deliver_due.using(run_after=run_after).enqueue()


def _sign_and_store(xml: bytes, agency: Agency) -> storage.Digest:
    return _store_payload(signing.sign_xml(xml, agency))


# --- dispatch: new, recall, update, replace -------------------------------------------------


def _check_document(document: Document) -> None:
    if document.direction not in (Direction.OUTGOING, Direction.INTERNAL) or not document.number:
        raise ValidationError({"document": [_("Only documents your agency issued can be sent.")]})
    if document.confidentiality != Confidentiality.NORMAL:
        raise ValidationError({"document": [_("Secret documents are never sent through the exchange.")]})


def _dispatch(
    actor: Person,
    document: Document,
    recipients: list[Recipient],
    business: edxml.Business,
    *,
    reason: str,
    with_paper: bool,
    replaces: Document | None = None,
) -> Dispatch:
    agency = actor.agency if actor.agency_id == document.agency_id else document.agency
    agency = agencies_by_code([agency.identifier]).get(agency.identifier, agency)  # with its parent's name
    packages = []
    for r in recipients:
        pkg = mapping.package_for(document, [r.organ], business, sender=agency)
        packages.append((r, _sign_and_store(edxml.build_package(pkg), agency)))
    with transaction.atomic():
        dispatch = rows.insert(
            Dispatch(
                document=document,
                business_type=business.doc_type,
                edxml_id=mapping.document_id_for(document),
                reason=reason,
                with_paper=with_paper,
                replaces=replaces,
                created_by=actor,
            )
        )
        for r, stored in packages:
            message = _queue(OutboxMessage.Kind.PACKAGE, stored, sender=agency, recipient=r.identifier, peer=r.peer)
            rows.insert(
                Delivery(
                    dispatch=dispatch,
                    recipient_identifier=r.identifier,
                    recipient_name=r.name,
                    outbox=message,
                    status=Status.QUEUED,
                    status_at=timezone.now(),
                )
            )
        audit.record(
            actor=actor,
            action="exchange.dispatch",
            target=document,
            data={
                "business_type": business.doc_type,
                "recipients": [r.identifier for r in recipients],
                "reason": reason,
                "paper": with_paper,
            },
        )
    return dispatch


def _already_sent(document: Document, codes: list[str]) -> set[str]:
    """Which of `codes` already hold the document (sent, not refused, not undeliverable)."""
    if not codes:
        return set()
    sql = (
        f"SELECT d.recipient_identifier FROM {Delivery._meta.db_table} d "  # noqa: S608
        f"JOIN {Dispatch._meta.db_table} p ON p.id = d.dispatch_id "
        "WHERE p.document_id = %s AND p.business_type = %s AND d.status NOT IN (%s, %s) "
        f"AND d.recipient_identifier IN ({', '.join(['%s'] * len(codes))})"
    )
    params = [document.pk, BusinessType.NEW, Status.REFUSED, Status.UNDELIVERABLE, *codes]
    return {row[0] for row in rows.fetch(sql, params)}


def send(actor: Person, document: Document, recipient_codes: list[str], *, with_paper: bool | None = None) -> Dispatch:
    """Send a registered outgoing document to agencies here and on connected systems."""
    agency = _clerk_of(actor, document.agency_id)
    _check_document(document)
    recipients = resolve_recipients(recipient_codes, sender=agency)
    already = _already_sent(document, [r.identifier for r in recipients])
    if already:
        raise ValidationError(
            {
                "recipients": [
                    _("Already sent to %(codes)s: use an update to change what they received.")
                    % {"codes": ", ".join(sorted(already))}
                ]
            }
        )
    paper = document.delivery_mode == DeliveryMode.ELECTRONIC_WITH_PAPER if with_paper is None else with_paper
    business = edxml.Business(
        doc_type=BusinessType.NEW, reason="Văn bản điện tử mới", paper=paper, staff=mapping.staff_for(actor)
    )
    return _dispatch(actor, document, recipients, business, reason="", with_paper=paper)


def _earlier_recipients(document: Document) -> list[Recipient]:
    """Everyone the document was sent to and who did not refuse it."""
    deliveries = (
        Delivery.objects.filter(dispatch__document=document, dispatch__business_type=BusinessType.NEW)
        .exclude(status__in=[Status.REFUSED, Status.UNDELIVERABLE])
        .select_related("outbox__peer")
    )
    out, seen = [], set()
    for d in deliveries:
        if d.recipient_identifier in seen:
            continue
        seen.add(d.recipient_identifier)
        agency = Agency.objects.filter(identifier=d.recipient_identifier).first() if d.outbox.is_local else None
        out.append(Recipient(d.recipient_identifier, d.recipient_name, agency=agency, peer=d.outbox.peer))
    return out


def _follow_up(
    actor: Person, document: Document, business_type: int, reason: str, replaces: Document | None = None
) -> Dispatch:
    _clerk_of(actor, document.agency_id)
    _check_document(document)
    target = replaces or document
    recipients = _earlier_recipients(target)
    if not recipients:
        raise ValidationError({"document": [_("This document has not been sent to anyone yet.")]})
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    business = edxml.Business(
        doc_type=business_type,
        reason=reason,
        document_id=mapping.document_id_for(target),
        paper=target.delivery_mode == DeliveryMode.ELECTRONIC_WITH_PAPER,
        staff=mapping.staff_for(actor),
        document_info_changed=True if business_type == BusinessType.UPDATE else None,
        replacements=[edxml.ReplacementInfo(mapping.document_id_for(target), [r.identifier for r in recipients])]
        if business_type == BusinessType.REPLACE
        else [],
    )
    return _dispatch(actor, document, recipients, business, reason=reason, with_paper=business.paper, replaces=replaces)


def recall(actor: Person, document: Document, reason: str) -> Dispatch:
    """Ask every recipient to give the document back (business type 1; answered 15 or 16)."""
    return _follow_up(actor, document, BusinessType.RECALL, reason)


def send_update(actor: Person, document: Document, reason: str) -> Dispatch:
    """Send the document's corrected information to everyone who received it (business type 2)."""
    return _follow_up(actor, document, BusinessType.UPDATE, reason)


def send_replacement(actor: Person, document: Document, replaces: Document, reason: str) -> Dispatch:
    """Send `document` to everyone who received `replaces`, as its replacement (business type 3)."""
    if replaces.agency_id != document.agency_id or replaces.pk == document.pk:
        raise ValidationError({"replaces": [_("Choose another document of your agency.")]})
    return _follow_up(actor, document, BusinessType.REPLACE, reason, replaces=replaces)


# --- receiving ------------------------------------------------------------------------------


@dataclass
class Receipt:
    """What the receiver answers: an HTTP status and a signed status message."""

    http_status: int
    xml: bytes
    inbox: InboxPackage | None = None
    created: bool = False
    arrivals: list[Arrival] = field(default_factory=list)
    refusal: str = ""


class Refused(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


def _receipt_xml(*, responder: Agency, response_for: edxml.ResponseFor, code: str, description: str) -> bytes:
    status = edxml.StatusMessage(
        response_for=response_for,
        sender=mapping.organ_for(responder),
        status_code=code,
        description=description[:1000],
        timestamp=mapping.now_naive(),
        staff=edxml.StaffInfo(department=_("Document system"), staff="vanban"),
    )
    return signing.sign_xml(edxml.build_status(status), responder)


def _gateway_agency() -> Agency:
    """Who signs receipts when no addressed agency is ours: the root of the province tree."""
    return Agency.objects.filter(parent__isnull=True, status=Agency.Status.ACTIVE).order_by("pk").first()


def _negative(rule: str, message: str, response_for: edxml.ResponseFor | None, http_status: int = 422) -> Receipt:
    response_for = response_for or edxml.ResponseFor(organ_id="", code="", promulgation_date=None, document_id="")
    responder = _gateway_agency()
    xml = (
        _receipt_xml(
            responder=responder, response_for=response_for, code=Status.REFUSED, description=f"{rule}: {message}"
        )
        if responder
        else b""
    )
    return Receipt(http_status=http_status, xml=xml, refusal=rule)


def refuse_oversized() -> Receipt:
    return _negative("too_large", messages.edxml_text("too_large"), None, 413)


def _trust_for_sender(sender_code: str, via: str, peer: Peer | None, sender_is_ours: bool | None = None):
    if via == InboxPackage.Via.LOCAL:
        return signing.local_trust(), None
    if sender_is_ours is None:
        sender_is_ours = Agency.objects.filter(identifier=sender_code).exists()
    if sender_is_ours:
        return signing.local_trust(), None
    peer = peer or route(sender_code)
    if peer is None:
        return None, None
    return signing.trust_for(peer.certificate), peer


def _check_signature(data: bytes, sender_code: str, via: str, peer: Peer | None, sender_is_ours: bool | None = None):
    """(verified, note, signer, peer). HTTP and local deliveries must be signed by the sender;
    manual imports record what could be checked and let the clerk decide."""
    trust, peer = _trust_for_sender(sender_code, via, peer, sender_is_ours)
    if trust is None:
        if via == InboxPackage.Via.IMPORT:
            return False, _("Sender not connected: signature not checked."), "", None
        raise Refused("unknown_sender", messages.refusal_text("unknown_sender"))
    try:
        verified = xmlsig.verify(data, trust)
    except SignatureError as exc:
        if via == InboxPackage.Via.IMPORT:
            return False, messages.signature_text(exc.rule), "", peer
        raise Refused(f"signature_{exc.rule}", messages.signature_text(exc.rule)) from exc
    if verified.identifier and verified.identifier != sender_code:
        if via == InboxPackage.Via.IMPORT:
            return False, messages.signature_text("wrong_signer"), verified.common_name, peer
        raise Refused("signature_wrong_signer", messages.signature_text("wrong_signer"))
    if not verified.identifier and peer is not None and not peer.serves_code(sender_code):
        raise Refused("signature_wrong_signer", messages.signature_text("wrong_signer"))
    return True, "", f"{verified.common_name} ({verified.identifier})".strip(), peer


def _dedupe_key(pkg: edxml.Package, recipients: list[str]) -> str:
    """DocumentId + business type + sender (+ the addressed agencies, since we send one package
    per recipient; + the sender's timestamp for updates, which may legitimately come more than
    once). A resend of the same package always maps to the same key."""
    parts = [pkg.sender.organ_id, pkg.document_id, str(pkg.business.doc_type), ",".join(sorted(recipients))]
    if pkg.business.doc_type == BusinessType.UPDATE and pkg.traces:
        parts.append(pkg.traces[0].timestamp.isoformat())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _response_for(pkg: edxml.Package) -> edxml.ResponseFor:
    return edxml.ResponseFor(
        organ_id=pkg.sender.organ_id,
        code=f"{pkg.code_number}/{pkg.code_notation}",
        promulgation_date=pkg.promulgation_date,
        document_id=pkg.document_id,
    )


def receive(
    data: bytes, *, via: str, peer: Peer | None = None, agency: Agency | None = None, actor: Person | None = None
) -> Receipt:
    """Take in a package or a status message (from the local transport, HTTP, or an imported file
    addressed to `agency`). Never raises for bad input: returns a signed negative receipt."""
    if len(data) > MAX_PACKAGE_BYTES:
        return refuse_oversized()
    try:
        edxml.validate(data)
        parsed = edxml.parse(data)
    except edxml.EdxmlError as exc:
        return _negative(exc.rule, messages.edxml_error(exc), None)
    if isinstance(parsed, edxml.ParsedStatus):
        return _receive_status(data, parsed.status, via=via, peer=peer)
    pkg = parsed.package
    sender_code = pkg.sender.organ_id
    # One query for the addressed agencies that are ours and whether the sender is ours.
    codes = [] if agency is not None else [r.organ_id for r in pkg.recipients]
    known = agencies_by_code([*codes, sender_code])
    try:
        verified, note, signer, peer = _check_signature(data, sender_code, via, peer, sender_code in known)
        if agency is not None:
            ours = [agency]
        else:
            ours = [known[c] for c in dict.fromkeys(codes) if c in known and known[c].is_active]
            if not ours:
                raise Refused("unknown_recipient", messages.refusal_text("unknown_recipient"))
    except Refused as exc:
        return _negative(exc.rule, exc.message, _response_for(pkg))
    key = _dedupe_key(pkg, [a.identifier for a in ours])
    existing = _inbox_by_key(key)
    if existing is not None:
        return Receipt(200, existing.receipt.encode(), existing, False, list(existing.arrivals.all()))
    payload = _store_payload(data)
    receipt = _receipt_xml(
        responder=ours[0],
        response_for=_response_for(pkg),
        code=Status.ARRIVED,
        description=_("Arrived; waiting for the clerk."),
    )
    try:
        with transaction.atomic():
            inbox = rows.insert(
                InboxPackage(
                    dedupe_key=key,
                    sender_identifier=pkg.sender.organ_id,
                    sender_name=pkg.sender.name[:250],
                    document_id=pkg.document_id,
                    business_type=pkg.business.doc_type,
                    target_document_id=pkg.business.document_id,
                    payload_sha256=payload.sha256,
                    via=via,
                    peer=peer,
                    signature_verified=verified,
                    signature_note=note[:300],
                    signer=signer[:300],
                    receipt=receipt.decode(),
                )
            )
            arrivals = [
                rows.insert(
                    Arrival(
                        inbox=inbox,
                        agency=a,
                        code=f"{pkg.code_number}/{pkg.code_notation}"[:60],
                        subject=(pkg.subject or pkg.content or "—")[:500],
                        issued_date=pkg.promulgation_date,
                        urgency=mapping.urgency_of(pkg),
                        with_paper=pkg.business.paper,
                    )
                )
                for a in ours
            ]
            for arrival in arrivals:
                _apply_business(arrival, pkg)
            audit.record(
                actor=actor,
                action="exchange.receive",
                target=inbox,
                data={
                    "via": via,
                    "sender": pkg.sender.organ_id,
                    "document_id": pkg.document_id,
                    "business_type": pkg.business.doc_type,
                    "agencies": [a.identifier for a in ours],
                    "signature_verified": verified,
                },
            )
    except IntegrityError:
        # A concurrent delivery of the same package won the race: answer as for a duplicate.
        existing = _inbox_by_key(key)
        if existing is None:
            raise
        return Receipt(200, existing.receipt.encode(), existing, False, list(existing.arrivals.all()))
    return Receipt(200, receipt, inbox, True, arrivals)


_INBOX_BY_KEY = f"SELECT id FROM {InboxPackage._meta.db_table} WHERE dedupe_key = %s"  # noqa: S608


def _inbox_by_key(key: str) -> InboxPackage | None:
    """The package already received under this deduplication key (checked for every arrival,
    found only for resends)."""
    found = rows.fetch(_INBOX_BY_KEY, [key])
    return InboxPackage.objects.get(pk=found[0][0]) if found else None


def _apply_business(arrival: Arrival, pkg: edxml.Package) -> None:
    """What a recall, update or replacement does to what the agency already holds."""
    if pkg.business.doc_type == BusinessType.NEW:
        return
    target_id = pkg.business.document_id or pkg.document_id
    earlier = Arrival.objects.filter(
        agency=arrival.agency,
        inbox__document_id=target_id,
        inbox__business_type=BusinessType.NEW,
    ).exclude(pk=arrival.pk)
    if pkg.business.doc_type == BusinessType.RECALL:
        # Not registered yet: nothing to undo; the recall is agreed at once (15).
        waiting = list(earlier.filter(state=Arrival.State.WAITING))
        if waiting and not earlier.exclude(state=Arrival.State.WAITING).exists():
            earlier.filter(state=Arrival.State.WAITING).update(state=Arrival.State.RECALLED, decided_at=timezone.now())
            arrival.state = Arrival.State.RECALLED
            arrival.decided_at = timezone.now()
            arrival.decision_note = _("Recalled before it was registered.")
            arrival.save(update_fields=["state", "decided_at", "decision_note"])
            _queue_status(arrival, Status.RECALL_AGREED, arrival.decision_note, actor=None)
    elif pkg.business.doc_type in (BusinessType.UPDATE, BusinessType.REPLACE):
        # The earlier, still unregistered copy is superseded by this one.
        earlier.filter(state=Arrival.State.WAITING).update(state=Arrival.State.SUPERSEDED, decided_at=timezone.now())


# --- status messages ------------------------------------------------------------------------


def _status_destination(inbox: InboxPackage) -> Peer | None:
    if inbox.via == InboxPackage.Via.LOCAL or Agency.objects.filter(identifier=inbox.sender_identifier).exists():
        return None
    return inbox.peer or route(inbox.sender_identifier)


def _queue_status(arrival: Arrival, code: str, description: str, *, actor: Person | None) -> OutboxMessage | None:
    """Tell the sender of `arrival` where it stands (in the caller's transaction)."""
    inbox = arrival.inbox
    if inbox.via == InboxPackage.Via.IMPORT and not (
        Agency.objects.filter(identifier=inbox.sender_identifier).exists() or route(inbox.sender_identifier)
    ):
        return None  # imported from a system we cannot reach: nobody to tell
    status = edxml.StatusMessage(
        response_for=edxml.ResponseFor(
            organ_id=inbox.sender_identifier,
            code=arrival.code,
            promulgation_date=arrival.issued_date,
            document_id=inbox.document_id,
        ),
        sender=mapping.organ_for(arrival.agency),
        status_code=code,
        description=description[:1000],
        timestamp=mapping.now_naive(),
        staff=mapping.staff_for(actor),
    )
    stored = _sign_and_store(edxml.build_status(status), arrival.agency)
    return _queue(
        OutboxMessage.Kind.STATUS,
        stored,
        sender=arrival.agency,
        recipient=inbox.sender_identifier,
        peer=_status_destination(inbox),
    )


def _receive_status(data: bytes, status: edxml.StatusMessage, *, via: str, peer: Peer | None) -> Receipt:
    reporter = status.sender.organ_id
    try:
        _check_signature(data, reporter, via if via != InboxPackage.Via.IMPORT else InboxPackage.Via.HTTP, peer)
    except Refused as exc:
        return _negative(exc.rule, exc.message, status.response_for)
    sha = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        if ReceivedStatus.objects.filter(sha256=sha).exists():
            return Receipt(200, b"")
        # Recall answers belong to the recall; every other status to the latest other dispatch.
        deliveries = Delivery.objects.select_for_update().filter(
            dispatch__edxml_id=status.response_for.document_id, recipient_identifier=reporter
        )
        if status.status_code in (Status.RECALL_REQUESTED, Status.RECALL_AGREED, Status.RECALL_REFUSED):
            deliveries = deliveries.filter(dispatch__business_type=BusinessType.RECALL)
        else:
            deliveries = deliveries.exclude(dispatch__business_type=BusinessType.RECALL)
        delivery = deliveries.order_by("-dispatch__created_at", "-pk").first()
        ReceivedStatus.objects.create(sha256=sha, delivery=delivery, status_code=status.status_code)
        if delivery is not None and status.status_code in {s.value for s in Status}:
            _record_status(
                delivery,
                status.status_code,
                status.description,
                staff=status.staff.staff if status.staff else "",
                at=timezone.make_aware(status.timestamp) if status.timestamp else timezone.now(),
            )
    return Receipt(200, b"")


# Later statuses never go back to earlier ones (a late 01 after 03 changes nothing).
_ORDER = {
    Status.QUEUED: 0,
    Status.SENT: 1,
    Status.UNDELIVERABLE: 1,
    Status.ARRIVED: 2,
    Status.REFUSED: 9,
    Status.REGISTERED: 3,
    Status.ASSIGNED: 4,
    Status.IN_PROGRESS: 5,
    Status.DONE: 6,
    Status.RECALL_REQUESTED: 7,
    Status.RECALL_AGREED: 9,
    Status.RECALL_REFUSED: 8,
}


def _record_status(delivery: Delivery, code: str, description: str, *, staff: str = "", at=None) -> None:
    at = at or timezone.now()
    rows.insert(DeliveryEvent(delivery=delivery, status=code, description=description[:1000], staff=staff[:200], at=at))
    if _ORDER.get(code, 0) >= _ORDER.get(delivery.status, 0):
        delivery.status = code
        delivery.status_description = description[:1000]
        delivery.status_at = at
        rows.execute(
            _UPDATE_DELIVERY_STATUS,
            [code, delivery.status_description, connection.ops.adapt_datetimefield_value(at), delivery.pk],
        )


_UPDATE_DELIVERY_STATUS = (
    f"UPDATE {Delivery._meta.db_table} SET status = %s, status_description = %s, status_at = %s "  # noqa: S608
    "WHERE id = %s"
)


# --- the receiving clerk's decisions --------------------------------------------------------


def _waiting(actor: Person, arrival: Arrival) -> Arrival:
    _clerk_of(actor, arrival.agency_id)
    arrival = Arrival.objects.select_for_update().select_related("inbox", "agency").get(pk=arrival.pk)
    if arrival.state != Arrival.State.WAITING:
        raise ValidationError({"arrival": [_("This arrival was already handled.")]})
    return arrival


def load_package(arrival: Arrival) -> edxml.Package:
    data = storage.read_verified(arrival.inbox.payload_sha256)
    parsed = edxml.parse(data)
    assert isinstance(parsed, edxml.ParsedPackage)
    return parsed.package


def register_arrival(actor: Person, arrival: Arrival, **overrides) -> Document:
    """Register a waiting arrival in the incoming register (it gets its arrival number now) and tell
    the sender 03 in the same transaction. For an update, the registered document takes the new
    information; for a replacement, the new document is registered and the old one noted."""
    pkg = load_package(arrival)
    args = mapping.incoming_arguments(pkg)
    args.update({k: v for k, v in overrides.items() if v not in (None, "")})
    uploads = mapping.uploads_for(pkg)
    with transaction.atomic():
        arrival = _waiting(actor, arrival)
        if arrival.inbox.business_type == BusinessType.RECALL:
            raise ValidationError({"arrival": [_("A recall is answered by agreeing or refusing.")]})
        if arrival.inbox.business_type == BusinessType.UPDATE:
            doc = _apply_update(actor, arrival, args, reason=pkg.business.reason)
        else:
            result = document_services.register_incoming(actor, uploads=uploads, **args)
            doc = result.document
            if arrival.inbox.business_type == BusinessType.REPLACE:
                _note_replaced(arrival, doc)
        arrival.state = Arrival.State.REGISTERED
        arrival.document = doc
        arrival.decided_by = actor
        arrival.decided_at = timezone.now()
        arrival.save(update_fields=["state", "document", "decided_by", "decided_at"])
        _queue_status(
            arrival, Status.REGISTERED, _("Registered with arrival number %(n)s.") % {"n": doc.reg_seq}, actor=actor
        )
        audit.record(
            actor=actor,
            action="exchange.register_arrival",
            target=arrival,
            data={"document": doc.pk, "arrival_number": doc.reg_seq},
        )
    return doc


def _registered_copy(arrival: Arrival, document_id: str) -> Document | None:
    earlier = (
        Arrival.objects.filter(agency=arrival.agency, inbox__document_id=document_id, state=Arrival.State.REGISTERED)
        .exclude(pk=arrival.pk)
        .select_related("document")
        .first()
    )
    return earlier.document if earlier else None


def _apply_update(actor: Person, arrival: Arrival, args: dict, *, reason: str) -> Document:
    doc = _registered_copy(arrival, arrival.inbox.target_document_id or arrival.inbox.document_id)
    if doc is None:
        # Never registered here: the update is registered as the document itself.
        pkg = load_package(arrival)
        uploads = mapping.uploads_for(pkg)
        return document_services.register_incoming(actor, uploads=uploads, **args).document
    return document_services.apply_received_update(
        actor,
        doc,
        subject=args["subject"],
        due_date=args["due_date"],
        signer_name=args["signer_name"],
        signer_position=args["signer_position"],
        pages=args["pages"],
        note=_("Updated by the sender: %(reason)s") % {"reason": reason or arrival.inbox.document_id},
    )


def _note_replaced(arrival: Arrival, new_doc: Document) -> None:
    old = _registered_copy(arrival, arrival.inbox.target_document_id)
    if old is not None:
        document_services.mark_replaced(old, by=new_doc)


def refuse_arrival(actor: Person, arrival: Arrival, reason: str) -> Arrival:
    """Return a waiting arrival to its sender with a reason (02)."""
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    with transaction.atomic():
        arrival = _waiting(actor, arrival)
        arrival.state = Arrival.State.REFUSED
        arrival.decided_by, arrival.decided_at, arrival.decision_note = actor, timezone.now(), reason
        arrival.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        _queue_status(arrival, Status.REFUSED, reason, actor=actor)
        audit.record(actor=actor, action="exchange.refuse_arrival", target=arrival, data={"reason": reason})
    return arrival


def answer_recall(actor: Person, arrival: Arrival, *, agree: bool, note: str = "") -> Arrival:
    """Agree (15: the registered document is withdrawn) or refuse (16) a recall request."""
    with transaction.atomic():
        arrival = _waiting(actor, arrival)
        if arrival.inbox.business_type != BusinessType.RECALL:
            raise ValidationError({"arrival": [_("This arrival is not a recall.")]})
        note = " ".join((note or "").split())[:500]
        if not agree and not note:
            raise ValidationError({"reason": [_("Give the reason.")]})
        doc = _registered_copy(arrival, arrival.inbox.target_document_id or arrival.inbox.document_id)
        if agree and doc is not None:
            document_services.withdraw(actor, doc, reason=note or _("Recalled by the sender."))
        arrival.state = Arrival.State.RECALLED if agree else Arrival.State.REFUSED
        arrival.document = doc
        arrival.decided_by, arrival.decided_at, arrival.decision_note = actor, timezone.now(), note
        arrival.save(update_fields=["state", "document", "decided_by", "decided_at", "decision_note"])
        _queue_status(
            arrival,
            Status.RECALL_AGREED if agree else Status.RECALL_REFUSED,
            note or _("Recall accepted."),
            actor=actor,
        )
        audit.record(actor=actor, action="exchange.answer_recall", target=arrival, data={"agree": agree, "note": note})
    return arrival


def notify_sender(document: Document, code: str, description: str, *, actor: Person | None = None) -> int:
    """For the workflow: tell the sender of a document received through the exchange that it was
    assigned (04), is being handled (05) or is done (06). Returns the number of messages queued."""
    if code not in (Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE):
        raise ValueError(f"not a progress status: {code}")
    n = 0
    with transaction.atomic():
        for arrival in Arrival.objects.filter(document=document, state=Arrival.State.REGISTERED).select_related(
            "inbox", "agency"
        ):
            if _queue_status(arrival, code, description, actor=actor):
                n += 1
    return n


# --- delivery -------------------------------------------------------------------------------


def _backoff(attempts: int) -> dt.timedelta:
    first = settings.VANBAN["EXCHANGE_RETRY_FIRST_SECONDS"]
    cap = settings.VANBAN["EXCHANGE_RETRY_MAX_SECONDS"]
    return dt.timedelta(seconds=min(cap, first * 2 ** max(0, attempts - 1)))


def claim_due(limit: int = 200) -> list[int]:
    """Lease up to `limit` due messages (others workers skip them until the lease ends)."""
    now = timezone.now()
    lease = now + dt.timedelta(seconds=2 * settings.VANBAN["EXCHANGE_HTTP_TIMEOUT_SECONDS"] + 30)
    with transaction.atomic():
        qs = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now).order_by("pk")
        ids = list(qs.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=lease)
    return ids


_OUTBOX_TABLE = OutboxMessage._meta.db_table
_MESSAGE = f"SELECT * FROM {_OUTBOX_TABLE} WHERE id = %s"  # noqa: S608


def peers_now() -> dict[int, Peer]:
    """Every peer as the database holds it now (with its certificate), for one round of delivery:
    a changed address or certificate applies from the next round."""
    return {p.pk: p for p in Peer.objects.select_related("certificate")}


def deliver(message_id: int, peers: dict[int, Peer] | None = None) -> str:
    """Send one leased message and record the outcome. Returns the new state. `peers` is
    `peers_now()` of the caller's round (read here when not given)."""
    from . import transports

    [message] = OutboxMessage.objects.raw(_MESSAGE, [message_id])
    if message.state != OutboxMessage.State.PENDING:
        return message.state
    if message.peer_id is not None:
        if peers is None or message.peer_id not in peers:  # not given, or added since the round began
            peers = peers_now()
        message.peer = peers[message.peer_id]
    try:
        payload = storage.read_verified(message.payload_sha256)
        http_status, body = transports.send(message, payload)
    except transports.TransportError as exc:
        return _delivery_failed(message_id, str(exc))
    return _delivery_answered(message, http_status, body)


def _verified_receipt(message: OutboxMessage, body: bytes) -> edxml.StatusMessage | None:
    """The receiver's receipt if it parses and is signed under the receiver's trust (our CA for a
    local delivery, the peer's certificate otherwise), else None."""
    try:
        parsed = edxml.parse(body)
    except edxml.EdxmlError:
        return None
    if not isinstance(parsed, edxml.ParsedStatus):
        return None
    trust = signing.local_trust() if message.peer_id is None else signing.trust_for(message.peer.certificate)
    try:
        signer = xmlsig.verify(body, trust)
    except SignatureError:
        return None
    status = parsed.status
    if status.status_code == Status.ARRIVED and signer.identifier and signer.identifier != status.sender.organ_id:
        return None  # an acknowledgement must come from the agency that reports it
    return status


def _delivery_answered(message: OutboxMessage, http_status: int, body: bytes) -> str:
    """Record the receiver's answer. A package is delivered when a signed receipt comes back (01)
    and refused when it says 02 (or the receiver refuses its size, 413); anything else — a 5xx, no
    receipt, a receipt whose signature does not verify — is retried."""
    message_id = message.pk
    status = _verified_receipt(message, body) if body else None
    is_package = message.kind == OutboxMessage.Kind.PACKAGE
    final_refusal = http_status == 413
    if not final_refusal and (http_status >= 500 or (status is None and (http_status != 200 or is_package))):
        detail = body[:300].decode("utf-8", "replace") if status is None and body else ""
        if not detail:
            detail = _("no receipt whose signature verifies")
        return _delivery_failed(message_id, f"HTTP {http_status}: {detail}")
    refused = http_status >= 400 or (status is not None and status.status_code == Status.REFUSED)
    new_state = OutboxMessage.State.REFUSED if refused else OutboxMessage.State.DELIVERED
    with transaction.atomic():
        # One conditional UPDATE: whoever records the outcome first wins; a late twin does nothing.
        recorded = rows.execute(
            _RECORD_OUTCOME,
            [
                new_state,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                body.decode("utf-8", "replace")[:20000],
                (status.description if (refused and status) else "")[:2000],
                message_id,
                OutboxMessage.State.PENDING,
            ],
        )
        if not recorded:
            return OutboxMessage.objects.values_list("state", flat=True).get(pk=message_id)
        found = rows.fetch(_DELIVERY_OF_MESSAGE, [message_id])
        if found:
            delivery = Delivery(pk=found[0][0], status=found[0][1])
            if status is not None:
                _record_status(
                    delivery,
                    status.status_code,
                    status.description,
                    staff=status.staff.staff if status.staff else "",
                    at=timezone.make_aware(status.timestamp) if status.timestamp else None,
                )
            elif not refused:
                _record_status(delivery, Status.SENT, "")
    return new_state


_RECORD_OUTCOME = (
    f"UPDATE {_OUTBOX_TABLE} SET state = %s, attempts = attempts + 1, delivered_at = %s, receipt = %s, "  # noqa: S608
    "last_error = %s WHERE id = %s AND state = %s"
)
_DELIVERY_OF_MESSAGE = f"SELECT id, status FROM {Delivery._meta.db_table} WHERE outbox_id = %s ORDER BY id LIMIT 1"  # noqa: S608


def _delivery_failed(message_id: int, error: str) -> str:
    window = dt.timedelta(seconds=settings.VANBAN["EXCHANGE_RETRY_WINDOW_SECONDS"])
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.state != OutboxMessage.State.PENDING:
            return message.state
        now = timezone.now()
        message.attempts += 1
        message.last_error = error[:2000]
        if now - message.created_at > window:
            message.state = OutboxMessage.State.UNDELIVERABLE
            message.save(update_fields=["attempts", "last_error", "state"])
            delivery = Delivery.objects.filter(outbox=message).order_by().first()
            if delivery is not None:
                _record_status(delivery, Status.UNDELIVERABLE, error[:1000])
            log.warning("Outbox message %s is undeliverable: %s", message_id, error)
        else:
            message.next_attempt_at = now + _backoff(message.attempts)
            message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            wake_delivery(run_after=message.next_attempt_at)
    return message.state


def resend(actor: Person, message: OutboxMessage) -> OutboxMessage:
    """Try an undeliverable message again, from now, with a fresh retry window."""
    _clerk_of(actor, message.sender_agency_id)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if message.state != OutboxMessage.State.UNDELIVERABLE:
            raise ValidationError({"message": [_("Only undeliverable messages can be sent again.")]})
        now = timezone.now()
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.PENDING, next_attempt_at=now, created_at=now, attempts=0
        )
        delivery = Delivery.objects.filter(outbox=message).order_by().first()
        if delivery is not None:
            _record_status(delivery, Status.QUEUED, _("Sent again by %(name)s.") % {"name": actor.get_full_name()})
            Delivery.objects.filter(pk=delivery.pk).update(status=Status.QUEUED)
        wake_delivery()
        audit.record(
            actor=actor, action="exchange.resend", target=message, data={"recipient": message.recipient_identifier}
        )
    message.refresh_from_db()
    return message


def overdue_count(grace_seconds: int = 60) -> int:
    """Pending messages whose time has long come (their task was lost with a killed worker)."""
    cutoff = timezone.now() - dt.timedelta(seconds=grace_seconds)
    return OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=cutoff).count()
