"""Exchange between agencies (liên thông): what was sent to whom and how far it got, what arrived
and what the receiving clerk did with it, and the outbox that delivers both."""

from __future__ import annotations

import fnmatch

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BusinessType(models.IntegerChoices):
    """edXML TraceHeaderList/Bussiness/BussinessDocType."""

    NEW = 0, _("New document")
    RECALL = 1, _("Recall")
    UPDATE = 2, _("Update")
    REPLACE = 3, _("Replacement")


class Status(models.TextChoices):
    """edXML status codes (standards notes §1.4) plus the sender's own transport states."""

    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent, no answer yet")
    UNDELIVERABLE = "undeliverable", _("Could not be delivered")
    ARRIVED = "01", _("Arrived")
    REFUSED = "02", pgettext_lazy("edxml status", "Refused")
    REGISTERED = "03", _("Registered")
    ASSIGNED = "04", _("Assigned")
    IN_PROGRESS = "05", _("Being handled")
    DONE = "06", pgettext_lazy("edxml status", "Done")
    RECALL_REQUESTED = "13", _("Recall requested")
    RECALL_AGREED = "15", _("Recall accepted")
    RECALL_REFUSED = "16", _("Recall refused")


EDXML_STATUS_CODES = {"01", "02", "03", "04", "05", "06", "13", "15", "16"}


class Peer(models.Model):
    """Another document system reached over HTTPS: the identifier codes it serves, its inbox URL and
    the certificate its packages are signed under."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("inbox URL"), max_length=300)
    serves = models.TextField(
        _("identifier codes served"),
        help_text=_("One pattern per line: an exact code, a code ending (e.g. .H59) or a wildcard (*.H59)."),
    )
    certificate = models.ForeignKey("signing.TrustedCertificate", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("exchange peer")

    def __str__(self) -> str:
        return self.name

    @property
    def patterns(self) -> list[str]:
        return [p.strip() for p in self.serves.replace(",", "\n").splitlines() if p.strip()]

    def serves_code(self, code: str) -> bool:
        for pattern in self.patterns:
            if any(ch in pattern for ch in "*?["):
                if fnmatch.fnmatchcase(code, pattern):
                    return True
            elif code == pattern or code.endswith(pattern if pattern.startswith(".") else "." + pattern):
                return True
        return False


class OutboxMessage(models.Model):
    """A signed package or status message on its way, written in the transaction of the action that
    produced it and delivered by the worker until the receiver acknowledges it."""

    class Kind(models.TextChoices):
        PACKAGE = "package", _("Document package")
        STATUS = "status", _("Status message")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        REFUSED = "refused", _("Refused by the receiver")
        UNDELIVERABLE = "undeliverable", _("Undeliverable")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    peer = models.ForeignKey(Peer, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox")
    recipient_identifier = models.CharField(max_length=40)
    sender_agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    payload_sha256 = models.CharField(max_length=64)
    payload_size = models.PositiveIntegerField()
    state = models.CharField(max_length=14, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    receipt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_identifier} ({self.state})"

    @property
    def is_local(self) -> bool:
        return self.peer_id is None


class Dispatch(models.Model):
    """One action of the sender on one of its documents: send it (new), recall, update or replace."""

    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="dispatches")
    business_type = models.PositiveSmallIntegerField(choices=BusinessType.choices)
    edxml_id = models.CharField(max_length=120)  # edXML DocumentId of the document concerned
    reason = models.CharField(max_length=500, blank=True)
    with_paper = models.BooleanField(default=False)
    replaces = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_business_type_display()} {self.edxml_id}"


class Delivery(models.Model):
    """One recipient of a dispatch and how far the document got there (live status)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="deliveries")
    recipient_identifier = models.CharField(max_length=40)
    recipient_name = models.CharField(max_length=250)
    outbox = models.OneToOneField(OutboxMessage, on_delete=models.PROTECT, related_name="delivery")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.QUEUED)
    status_description = models.CharField(max_length=1000, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dispatch", "recipient_name"]

    def __str__(self) -> str:
        return f"{self.recipient_identifier}: {self.status}"


class DeliveryEvent(models.Model):
    """Every status a recipient reported (or the transport noted), oldest first."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=14, choices=Status.choices)
    description = models.CharField(max_length=1000, blank=True)
    staff = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.status}"


class InboxPackage(models.Model):
    """A package received (through the local transport, HTTP or a manual import), once: a retry of
    the same package finds this row and gets the same receipt again."""

    class Via(models.TextChoices):
        LOCAL = "local", _("This system")
        HTTP = "http", _("Connected system")
        IMPORT = "import", _("Imported file")

    dedupe_key = models.CharField(max_length=64, unique=True)
    sender_identifier = models.CharField(max_length=40)
    sender_name = models.CharField(max_length=250)
    document_id = models.CharField(max_length=120)
    business_type = models.PositiveSmallIntegerField(choices=BusinessType.choices)
    target_document_id = models.CharField(max_length=120, blank=True)
    payload_sha256 = models.CharField(max_length=64)
    via = models.CharField(max_length=8, choices=Via.choices)
    peer = models.ForeignKey(Peer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signature_verified = models.BooleanField(default=False)
    signature_note = models.CharField(max_length=300, blank=True)
    signer = models.CharField(max_length=300, blank=True)
    receipt = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["document_id", "sender_identifier"])]

    def __str__(self) -> str:
        return f"{self.document_id} ({self.get_business_type_display()})"


class Arrival(models.Model):
    """A received package waiting at one of our agencies (chờ tiếp nhận) until its clerk registers
    it, refuses it, or (for recalls) agrees or not."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        REGISTERED = "registered", _("Registered")
        REFUSED = "refused", pgettext_lazy("arrival state", "Refused")
        RECALLED = "recalled", _("Recalled by the sender")
        SUPERSEDED = "superseded", _("Superseded")

    inbox = models.ForeignKey(InboxPackage, on_delete=models.PROTECT, related_name="arrivals")
    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="arrivals")
    state = models.CharField(max_length=12, choices=State.choices, default=State.WAITING)
    # Copied from the package for lists; the package itself stays the reference.
    code = models.CharField(max_length=60, blank=True)
    subject = models.CharField(max_length=500)
    issued_date = models.DateField(null=True, blank=True)
    urgency = models.CharField(max_length=12, blank=True)
    with_paper = models.BooleanField(default=False)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="arrivals"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["inbox", "agency"], name="arrival_once_per_agency")]
        indexes = [models.Index(fields=["agency", "state"])]

    def __str__(self) -> str:
        return f"{self.code} → {self.agency_id} ({self.state})"

    @property
    def business_type(self) -> int:
        return self.inbox.business_type


class ReceivedStatus(models.Model):
    """A status message received, once (deduplicated by its content)."""

    sha256 = models.CharField(max_length=64, unique=True)
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status_code = models.CharField(max_length=4)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.status_code} ({self.sha256[:12]})"
