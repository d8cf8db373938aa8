"""Drafting outgoing documents (soạn thảo): drafts and their versions, requests for comments,
the approval chains an agency configures and each draft's steps along one (trình ký)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vanban.documents.models import Confidentiality, Urgency

__all__ = [
    "ApprovalChain",
    "ApprovalStep",
    "ChainStep",
    "Comment",
    "CommentRequest",
    "Draft",
    "DraftVersion",
    "Reviewer",
]


class StepKind(models.TextChoices):
    UNIT_HEAD = "unit_head", _("Head of the drafting unit")
    LEADER = "leader", _("A leader of the agency")
    PERSON = "person", _("A named person")


class ApprovalChain(models.Model):
    """The steps a draft goes up before it is signed, e.g. unit head → deputy director → director.
    A draft's steps are copied from the chain when it is submitted: editing a chain later does not
    change drafts already on their way."""

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ChainStep(models.Model):
    Kind = StepKind

    chain = models.ForeignKey(ApprovalChain, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(_("who approves"), max_length=10, choices=StepKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("step"), max_length=200, blank=True)

    class Meta:
        ordering = ["chain", "order"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "order"], name="workflow_chainstep_order"),
            models.CheckConstraint(
                condition=Q(kind="person", person__isnull=False) | (~Q(kind="person") & Q(person__isnull=True)),
                name="workflow_chainstep_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id}.{self.order}: {self.kind}"


class Draft(models.Model):
    class State(models.TextChoices):
        DRAFTING = "drafting", _("Drafting")
        IN_APPROVAL = "in_approval", _("Submitted for approval")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved, waiting to be issued")
        ISSUED = "issued", _("Issued")

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    doc_type = models.ForeignKey("documents.DocumentType", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("subject"), max_length=500)
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    is_legal = models.BooleanField(_("legal normative document"), default=False)
    internal = models.BooleanField(_("internal document"), default=False)
    recipients_text = models.CharField(_("recipients"), max_length=1000, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFTING)
    chain = models.ForeignKey(ApprovalChain, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["agency", "state"])]

    def __str__(self) -> str:
        return self.subject[:60]

    @property
    def confidential(self) -> bool:
        return self.confidentiality != Confidentiality.NORMAL


class DraftVersion(models.Model):
    """One uploaded file of a draft. Versions are never changed or deleted."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    blob = models.ForeignKey("documents.StoredBlob", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # A version made by the last approver's digital signature on the version before (the signed
    # PDF that is issued): which signature, for the document's record of signatures at issue.
    signed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signing_identity = models.ForeignKey(
        "signing.SigningIdentity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signature_field = models.CharField(max_length=100, blank=True)
    signature_level = models.CharField(max_length=8, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["draft", "number"]
        constraints = [models.UniqueConstraint(fields=["draft", "number"], name="workflow_draftversion_number")]

    def __str__(self) -> str:
        return f"{self.draft_id} v{self.number}"


class CommentRequest(models.Model):
    """The author asks chosen people for their comments (xin ý kiến góp ý) by a deadline."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="comment_requests")
    version = models.ForeignKey(DraftVersion, on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("message"), blank=True)
    deadline = models.DateField(_("deadline"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.draft_id}: {self.deadline}"


class Reviewer(models.Model):
    request = models.ForeignKey(CommentRequest, on_delete=models.CASCADE, related_name="reviewers")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["request", "person"], name="workflow_reviewer_once")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.person_id}"


class Comment(models.Model):
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="comments")
    request = models.ForeignKey(
        CommentRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="comments"
    )
    version = models.ForeignKey(DraftVersion, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.draft_id}: {self.text[:40]}"


class ApprovalStep(models.Model):
    """One step of one submission (round) of a draft. Exactly one step is `current` while the
    draft is in approval; the steps after it wait."""

    Kind = StepKind

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CURRENT = "current", _("To act on")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        FORWARDED = "forwarded", _("Forwarded")

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveSmallIntegerField()
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=StepKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.ForeignKey(DraftVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["draft", "round", "order"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "round", "order"], name="workflow_approvalstep_order"),
            # The last line of defence against two people acting on the same step at once.
            models.UniqueConstraint(fields=["draft"], condition=Q(state="current"), name="workflow_one_current_step"),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id} r{self.round}.{self.order}: {self.state}"
