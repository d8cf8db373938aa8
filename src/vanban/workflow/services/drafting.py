"""Every write of drafting: drafts and their versions, comments, the approval chain (trình ký)
and issuing the approved draft as a numbered outgoing document.

Each action checks who may act, validates, then writes in one transaction with its audit entry
(target: the issued document when there is one, else the draft). A refusal changes nothing.
The draft's row is the lock that actions on the same draft queue on (PostgreSQL: SELECT … FOR
UPDATE; SQLite: every atomic block takes the write lock up front), so two leaders acting on the
same step get one result and one refusal."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit
from vanban.documents import services as document_services
from vanban.documents import storage
from vanban.documents.models import Confidentiality, DocumentType, Urgency
from vanban.documents.services import Upload
from vanban.exchange import services as exchange
from vanban.fields import one_text
from vanban.orgs.models import Person, Role, Unit
from vanban.signing import document_signing
from vanban.signing import services as signing_services

from ..models import (
    ApprovalChain,
    ApprovalStep,
    ChainStep,
    Comment,
    CommentRequest,
    Draft,
    DraftVersion,
    Reviewer,
)
from ..selectors import drafting as selectors
from . import notices

DRAFT_KINDS = ("pdf", "docx")
_DRAFTERS = (Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK)


# --- helpers ----------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _clean(value: str | None, field: str, *, required: bool, max_length: int, label_required: str = "") -> str:
    return one_text(value, field, required=required, max_length=max_length, required_message=label_required)


def _active_in_agency(actor: Person | None) -> bool:
    return bool(actor is not None and actor.is_active and actor.agency_id is not None and actor.agency.is_active)


def _target(draft: Draft):
    """What the audit entry is about: the issued document once there is one."""
    return draft.document if draft.document_id else draft


def _record(actor: Person, verb: str, draft: Draft, data: dict) -> None:
    audit.record(
        actor=actor, action=f"workflow.drafting.{verb}", target=_target(draft), data={"draft": draft.pk, **data}
    )


def _url(draft: Draft) -> str:
    return reverse("draft-detail", args=[draft.pk])


def _lock(draft: Draft) -> Draft:
    """The draft's row, locked until the caller's transaction ends, as it is now."""
    return Draft.objects.select_for_update().get(pk=draft.pk)


def _store(upload: Upload | None):
    if upload is None:
        raise _invalid("file", _("Attach the draft's file (DOCX or PDF)."))
    return document_services.store_file(upload, kinds=DRAFT_KINDS, field="file")


def _new_version(draft: Draft, stored, actor: Person, note: str) -> DraftVersion:
    last = DraftVersion.objects.filter(draft=draft).order_by("-number").values_list("number", flat=True).first() or 0
    return DraftVersion.objects.create(
        draft=draft,
        number=last + 1,
        blob=stored.blob,
        name=stored.name,
        kind=stored.kind,
        pages=stored.pages,
        note=note,
        uploaded_by=actor,
    )


def _refuse_if_locked_for_edit(draft: Draft) -> None:
    if draft.state == Draft.State.ISSUED:
        raise _invalid("draft", _("An issued document cannot be edited; replace it with a new document."))
    if draft.state in (Draft.State.IN_APPROVAL, Draft.State.APPROVED):
        raise _invalid("draft", _("This draft is submitted for approval; it cannot be changed now."))


# --- drafts and versions ----------------------------------------------------------------------


def create_draft(
    actor: Person,
    *,
    upload: Upload | None,
    doc_type: DocumentType | None,
    subject: str,
    unit: Unit | None = None,
    urgency: str = Urgency.NORMAL,
    confidentiality: str = Confidentiality.NORMAL,
    is_legal: bool = False,
    internal: bool = False,
    recipients_text: str = "",
    note: str = "",
) -> Draft:
    """A new draft of an outgoing (or internal) document; its first version is `upload`."""
    if not _active_in_agency(actor) or not actor.has_role(*_DRAFTERS):
        raise PermissionDenied(_("Only the agency's specialists, unit heads, leaders and clerks can draft documents."))
    subject = _clean(subject, "subject", required=True, max_length=500)
    recipients_text = _clean(recipients_text, "recipients_text", required=False, max_length=1000)
    note = _clean(note, "note", required=False, max_length=500)
    if doc_type is None:
        raise _invalid("doc_type", _("This field is required."))
    if not doc_type.issuable:
        raise _invalid("doc_type", _("An agency cannot issue a %(type)s.") % {"type": doc_type.name})
    if urgency not in Urgency.values:
        raise _invalid("urgency", _("Choose a valid urgency."))
    if confidentiality not in Confidentiality.values:
        raise _invalid("confidentiality", _("Choose a valid confidentiality."))
    if is_legal and not doc_type.may_be_legal:
        raise _invalid("is_legal", _("A %(type)s cannot be a legal normative document.") % {"type": doc_type.name})
    if is_legal and confidentiality != Confidentiality.NORMAL:
        raise _invalid("confidentiality", _("A legal normative document is published and cannot be secret."))
    unit = unit if unit is not None else actor.unit
    if unit is not None and (unit.agency_id != actor.agency_id or not unit.active):
        raise _invalid("unit", _("Choose an active unit of your agency."))
    stored = _store(upload)
    with transaction.atomic():
        draft = Draft.objects.create(
            agency_id=actor.agency_id,
            unit=unit,
            author=actor,
            doc_type=doc_type,
            subject=subject,
            urgency=urgency,
            confidentiality=confidentiality,
            is_legal=is_legal,
            internal=internal,
            recipients_text=recipients_text,
        )
        v = _new_version(draft, stored, actor, note)
        _record(actor, "create", draft, {"subject": subject, "type": doc_type.code, "version": [v.number, v.blob_id]})
    return draft


def add_version(actor: Person, draft: Draft, *, upload: Upload | None, note: str = "") -> DraftVersion:
    """A new version of the draft (every upload is one; older versions stay readable)."""
    if not selectors.is_author_side(actor, draft):
        raise PermissionDenied(_("Only the author of the draft or the head of its unit can upload a new version."))
    _refuse_if_locked_for_edit(draft)
    note = _clean(note, "note", required=False, max_length=500)
    stored = _store(upload)
    with transaction.atomic():
        locked = _lock(draft)
        _refuse_if_locked_for_edit(locked)
        v = _new_version(locked, stored, actor, note)
        Draft.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
        _record(actor, "version", locked, {"version": [v.number, v.blob_id, v.kind], "note": note})
    return v


# --- comments ---------------------------------------------------------------------------------


def request_comments(
    actor: Person, draft: Draft, *, people: Iterable[Person], deadline: dt.date | None, message: str = ""
) -> CommentRequest:
    """The author asks colleagues for their comments by a deadline; each is told."""
    if draft.author_id != getattr(actor, "pk", None) or not _active_in_agency(actor):
        raise PermissionDenied(_("Only the author of the draft can ask for comments."))
    if draft.state in (Draft.State.ISSUED, Draft.State.APPROVED):
        raise _invalid("draft", _("This draft is already approved; it no longer takes comments."))
    people = list({p.pk: p for p in people}.values())
    if not people:
        raise _invalid("people", _("Choose the people to ask."))
    errors = []
    for p in people:
        if p.pk == actor.pk:
            errors.append(_("You cannot ask yourself for comments."))
        elif not p.is_active or p.agency_id != draft.agency_id:
            errors.append(_("%(name)s is not in your agency.") % {"name": p.get_full_name()})
    if errors:
        raise ValidationError({"people": errors})
    if deadline is None:
        raise _invalid("deadline", _("Give the deadline for comments."))
    if deadline < timezone.localdate():
        raise _invalid("deadline", _("The deadline for comments cannot be in the past."))
    message = _clean(message, "message", required=False, max_length=2000)
    with transaction.atomic():
        locked = _lock(draft)
        if locked.state in (Draft.State.ISSUED, Draft.State.APPROVED):
            raise _invalid("draft", _("This draft is already approved; it no longer takes comments."))
        version = selectors.latest_version(locked)
        req = CommentRequest.objects.create(
            draft=locked, version=version, asked_by=actor, message=message, deadline=deadline
        )
        Reviewer.objects.bulk_create([Reviewer(request=req, person=p) for p in people])
        for p in people:
            notices.notify(
                [p],
                kind="drafting.comment_request",
                text=_("%(name)s asks for your comments on the draft “%(subject)s” by %(deadline)s.")
                % {"name": actor.get_full_name(), "subject": locked.subject, "deadline": deadline.strftime("%d/%m/%Y")},
                url=_url(locked),
                key=f"drafting.comment_request.{req.pk}.{p.pk}",
            )
        _record(
            actor,
            "request_comments",
            locked,
            {
                "request": req.pk,
                "people": [p.pk for p in people],
                "deadline": deadline.isoformat(),
                "version": version.number,
            },
        )
    return req


def comment(actor: Person, draft: Draft, *, text: str) -> Comment:
    """A comment on the draft's latest version, by someone asked for one or on its approval chain."""
    if not selectors.is_reviewer(actor, draft) and not selectors.on_chain(actor, draft):
        raise PermissionDenied(_("Only the people asked for comments or on the approval chain can comment."))
    text = _clean(text, "text", required=True, max_length=4000, label_required=_("Write your comment."))
    with transaction.atomic():
        locked = _lock(draft)
        if locked.state == Draft.State.ISSUED:
            raise _invalid("draft", _("An issued document cannot be edited; replace it with a new document."))
        request = CommentRequest.objects.filter(draft=locked, reviewers__person=actor).order_by("-pk").first()
        c = Comment.objects.create(
            draft=locked, request=request, version=selectors.latest_version(locked), person=actor, text=text
        )
        notices.notify(
            [locked.author],
            kind="drafting.comment",
            text=_("%(name)s commented on your draft “%(subject)s”.")
            % {"name": actor.get_full_name(), "subject": locked.subject},
            url=_url(locked),
            key=f"drafting.comment.{c.pk}",
        )
        _record(actor, "comment", locked, {"comment": c.pk, "request": c.request_id, "version": c.version.number})
    return c


def answer_comment(actor: Person, comment_: Comment, *, text: str) -> Comment:
    """The author answers a comment (once)."""
    draft = comment_.draft
    if draft.author_id != getattr(actor, "pk", None) or not _active_in_agency(actor):
        raise PermissionDenied(_("Only the author of the draft can answer its comments."))
    text = _clean(text, "answer", required=True, max_length=4000, label_required=_("Write your answer."))
    with transaction.atomic():
        _lock(draft)
        locked = Comment.objects.select_for_update().get(pk=comment_.pk)
        if locked.answered_at is not None:
            raise _invalid("answer", _("This comment has already been answered."))
        locked.answer, locked.answered_by, locked.answered_at = text, actor, timezone.now()
        locked.save(update_fields=["answer", "answered_by", "answered_at"])
        notices.notify(
            [locked.person],
            kind="drafting.answer",
            text=_("%(name)s answered your comment on the draft “%(subject)s”.")
            % {"name": actor.get_full_name(), "subject": draft.subject},
            url=_url(draft),
            key=f"drafting.answer.{locked.pk}",
        )
        _record(actor, "answer", draft, {"comment": locked.pk})
    return locked


# --- the approval chain -----------------------------------------------------------------------


def _who_may_act(draft: Draft, step: ApprovalStep) -> list[Person]:
    people = Person.objects.filter(agency_id=draft.agency_id, is_active=True)
    if step.kind == ApprovalStep.Kind.PERSON:
        return list(people.filter(pk=step.person_id))
    if step.kind == ApprovalStep.Kind.LEADER:
        return list(people.filter(role_grants__role=Role.LEADER).distinct())
    if draft.unit_id is None:
        return []
    return list(people.filter(unit_id=draft.unit_id, role_grants__role=Role.UNIT_HEAD).distinct())


def _notify_current(draft: Draft, step: ApprovalStep) -> None:
    notices.notify(
        _who_may_act(draft, step),
        kind="drafting.approval",
        text=_("The draft “%(subject)s” is waiting for your approval.") % {"subject": draft.subject},
        url=_url(draft),
        key=f"drafting.approval.{step.pk}",
    )


def submit(actor: Person, draft: Draft, *, chain: ApprovalChain | None) -> list[ApprovalStep]:
    """Submit the draft for signing (trình ký) along a chain of the agency. Its latest version
    must be a PDF: it is the file that will be signed. Resubmitting a returned draft starts a new
    round."""
    if draft.author_id != getattr(actor, "pk", None) or not _active_in_agency(actor):
        raise PermissionDenied(_("Only the author of the draft can submit it for approval."))
    if chain is None:
        raise _invalid("chain", _("Choose an approval chain."))
    with transaction.atomic():
        locked = _lock(draft)
        # As it is now: an admin may have deactivated or changed it since the page was shown.
        chain = ApprovalChain.objects.filter(pk=chain.pk).first()
        if chain is None or chain.agency_id != locked.agency_id or not chain.active:
            raise _invalid("chain", _("Choose an active approval chain of your agency."))
        chain_steps = list(ChainStep.objects.filter(chain=chain).order_by("order"))
        if not chain_steps:
            raise _invalid("chain", _("This approval chain has no steps."))
        if locked.state not in (Draft.State.DRAFTING, Draft.State.RETURNED):
            raise _invalid("draft", _("Only a draft being written or returned can be submitted."))
        version = selectors.latest_version(locked)
        if version is None or version.kind != "pdf":
            raise _invalid(
                "file", _("Upload the draft as a PDF before submitting it: the PDF is the file that will be signed.")
            )
        last_round = (
            ApprovalStep.objects.filter(draft=locked).order_by("-round").values_list("round", flat=True).first() or 0
        )
        steps = [
            ApprovalStep(
                draft=locked,
                round=last_round + 1,
                order=i,
                kind=s.kind,
                person_id=s.person_id,
                title=s.title,
                state=ApprovalStep.State.CURRENT if i == 1 else ApprovalStep.State.WAITING,
            )
            for i, s in enumerate(chain_steps, start=1)
        ]
        for s in steps:
            if not _who_may_act(locked, s):
                raise _invalid(
                    "chain",
                    _("Nobody can act on the step “%(step)s” of this chain for this draft.")
                    % {"step": s.title or s.get_kind_display()},
                )
        for s in steps:
            s.save()
        Draft.objects.filter(pk=locked.pk).update(state=Draft.State.IN_APPROVAL, chain=chain, updated_at=timezone.now())
        locked.state, locked.chain = Draft.State.IN_APPROVAL, chain
        _notify_current(locked, steps[0])
        _record(
            actor,
            "submit",
            locked,
            {"chain": chain.pk, "round": last_round + 1, "version": version.number, "steps": len(steps)},
        )
    return steps


def _acting_step(actor: Person, draft: Draft, step: ApprovalStep | int | None) -> tuple[Draft, ApprovalStep]:
    """The locked draft and its current step, which `actor` may act on. `step` is the step the
    person saw: if it was handled meanwhile, the refusal says so (two leaders, one step)."""
    locked = _lock(draft)
    current = (
        ApprovalStep.objects.select_related("draft").filter(draft=locked, state=ApprovalStep.State.CURRENT).first()
    )
    step_pk = step.pk if isinstance(step, ApprovalStep) else step
    if locked.state != Draft.State.IN_APPROVAL or current is None or (step_pk is not None and current.pk != step_pk):
        if (
            step_pk is not None
            and ApprovalStep.objects.filter(pk=step_pk, draft=locked)
            .exclude(state__in=[ApprovalStep.State.CURRENT, ApprovalStep.State.WAITING])
            .exists()
        ):
            raise _invalid("step", _("This step has already been handled."))
        raise _invalid("step", _("This draft is not waiting for approval at this step."))
    current.draft = locked
    if not selectors.may_act(actor, current):
        raise PermissionDenied(_("You are not on the current step of this draft's approval."))
    return locked, current


def _close_step(step: ApprovalStep, actor: Person, state: str, note: str, version: DraftVersion) -> None:
    step.state, step.acted_by, step.acted_at, step.note, step.version = state, actor, timezone.now(), note, version
    step.save(update_fields=["state", "acted_by", "acted_at", "note", "version"])


def _act(fn):
    """Run an approval action in its transaction; the partial unique index on the current step
    turns a race that slipped past the lock into the same clear refusal."""

    def run(*args, **kwargs):
        try:
            with transaction.atomic():
                return fn(*args, **kwargs)
        except IntegrityError as exc:
            raise _invalid("step", _("This step has already been handled.")) from exc

    run.__doc__, run.__name__ = fn.__doc__, fn.__name__
    return run


def _sign_version(actor: Person, draft: Draft, version: DraftVersion, *, authority_prefix: str, pin) -> DraftVersion:
    """The last approver signs the approved PDF with their own certificate: the signed PDF is a
    new version (the one that will be issued)."""
    identity = document_signing.own_identity(actor)
    if version.kind != "pdf":
        raise _invalid("file", _("Only a PDF can be signed."))
    prefix = document_signing.checked_authority_line(authority_prefix)
    signed = document_signing.sign_as_person(
        identity,
        storage.read_verified(version.blob_id),
        full_name=actor.get_full_name(),
        position=actor.position,
        authority_prefix=prefix,
        pin=pin,
    )
    stored = document_services.store_file(
        Upload(io.BytesIO(signed.data), version.name, len(signed.data)), kinds=("pdf",)
    )
    new = _new_version(draft, stored, actor, _("Signed digitally by %(name)s") % {"name": actor.get_full_name()})
    DraftVersion.objects.filter(pk=new.pk).update(
        signed_from=version,
        signing_identity=identity,
        signature_field=signed.field_name,
        signature_level=signed.level,
        signed_at=signed.signed_at,
    )
    new.refresh_from_db()
    return new


@_act
def approve(
    actor: Person,
    draft: Draft,
    *,
    note: str = "",
    step: ApprovalStep | int | None = None,
    sign: bool = False,
    authority_prefix: str = "",
    pin: str | None = None,
) -> ApprovalStep:
    """Approve the current step; the next one becomes current, or, after the last, the draft is
    approved and the agency's clerks are told to issue it. With `sign`, the last approver signs
    the approved PDF in their own name at the same time (trình ký → ký số): that signed PDF is
    what `signed_file` gives the issue."""
    note = _clean(note, "note", required=False, max_length=2000)
    locked, current = _acting_step(actor, draft, step)
    version = selectors.latest_version(locked)
    nxt = (
        ApprovalStep.objects.filter(draft=locked, round=current.round, order__gt=current.order)
        .order_by("order")
        .first()
    )
    if sign:
        if nxt is not None:
            raise _invalid("step", _("The document is signed at the last step of its approval."))
        version = _sign_version(actor, locked, version, authority_prefix=authority_prefix, pin=pin)
    _close_step(current, actor, ApprovalStep.State.APPROVED, note, version)
    if nxt is not None:
        nxt.state = ApprovalStep.State.CURRENT
        nxt.save(update_fields=["state"])
        _notify_current(locked, nxt)
    else:
        Draft.objects.filter(pk=locked.pk).update(state=Draft.State.APPROVED, updated_at=timezone.now())
        locked.state = Draft.State.APPROVED
        clerks = Person.objects.filter(
            agency_id=locked.agency_id, is_active=True, role_grants__role=Role.CLERK
        ).distinct()
        notices.notify(
            clerks,
            kind="drafting.approved",
            text=_("The draft “%(subject)s” is approved and waiting to be issued.") % {"subject": locked.subject},
            url=_url(locked),
            key=f"drafting.approved.{locked.pk}.{current.round}",
        )
        notices.notify(
            [locked.author],
            kind="drafting.approved",
            text=_("Your draft “%(subject)s” is approved.") % {"subject": locked.subject},
            url=_url(locked),
            key=f"drafting.approved.{locked.pk}.{current.round}",
        )
    _record(
        actor,
        "approve",
        locked,
        {"round": current.round, "order": current.order, "note": note, "version": version.number, "final": nxt is None},
    )
    return current


@_act
def return_draft(actor: Person, draft: Draft, *, note: str, step: ApprovalStep | int | None = None) -> ApprovalStep:
    """Return the draft to its author with a note; the round ends."""
    note = _clean(note, "note", required=True, max_length=2000, label_required=_("Say why the draft is returned."))
    locked, current = _acting_step(actor, draft, step)
    version = selectors.latest_version(locked)
    _close_step(current, actor, ApprovalStep.State.RETURNED, note, version)
    Draft.objects.filter(pk=locked.pk).update(state=Draft.State.RETURNED, updated_at=timezone.now())
    locked.state = Draft.State.RETURNED
    notices.notify(
        [locked.author],
        kind="drafting.returned",
        text=_("%(name)s returned your draft “%(subject)s”: %(note)s")
        % {"name": actor.get_full_name(), "subject": locked.subject, "note": note},
        url=_url(locked),
        key=f"drafting.returned.{current.pk}",
    )
    _record(actor, "return", locked, {"round": current.round, "order": current.order, "note": note})
    return current


@_act
def forward(
    actor: Person, draft: Draft, *, to: Person | None, note: str = "", step: ApprovalStep | int | None = None
) -> ApprovalStep:
    """Forward the current step to a person of the agency: the step is marked forwarded and a new
    current step for that person is inserted right after it."""
    note = _clean(note, "note", required=False, max_length=2000)
    if to is None:
        raise _invalid("to", _("Choose the person to forward to."))
    locked, current = _acting_step(actor, draft, step)
    if not to.is_active or to.agency_id != locked.agency_id:
        raise _invalid("to", _("%(name)s is not in your agency.") % {"name": to.get_full_name()})
    if to.pk == actor.pk:
        raise _invalid("to", _("Forward to someone else."))
    version = selectors.latest_version(locked)
    _close_step(current, actor, ApprovalStep.State.FORWARDED, note, version)
    # Make room right after the current step; one row at a time, last first, so that the
    # (draft, round, order) unique constraint holds after every statement.
    later = ApprovalStep.objects.filter(draft=locked, round=current.round, order__gt=current.order).order_by("-order")
    for s in later:
        s.order += 1
        s.save(update_fields=["order"])
    inserted = ApprovalStep.objects.create(
        draft=locked,
        round=current.round,
        order=current.order + 1,
        kind=ApprovalStep.Kind.PERSON,
        person=to,
        title=_("Forwarded by %(name)s") % {"name": actor.get_full_name()},
        state=ApprovalStep.State.CURRENT,
    )
    _notify_current(locked, inserted)
    _record(actor, "forward", locked, {"round": current.round, "order": current.order, "to": to.pk, "note": note})
    return inserted


# --- issuing ----------------------------------------------------------------------------------


def _final_step(draft: Draft) -> ApprovalStep | None:
    return (
        ApprovalStep.objects.filter(draft=draft, state=ApprovalStep.State.APPROVED)
        .select_related("acted_by", "version__blob")
        .order_by("-round", "-order")
        .first()
    )


def signed_file(draft: Draft) -> Upload:
    """The file that is issued: the PDF of the version approved at the last step — the PDF the
    last approver signed (PAdES) when they signed while approving, else the approved PDF as is."""
    step = _final_step(draft)
    if step is None or step.version is None:
        raise _invalid("draft", _("This draft has not been approved."))
    data = storage.read_verified(step.version.blob_id)
    return Upload(io.BytesIO(data), step.version.name, len(data))


def issue(
    actor: Person,
    draft: Draft,
    *,
    recipient_codes: Sequence[str] = (),
    issued_date: dt.date | None = None,
    delivery_mode: str | None = None,
    copies: int | None = None,
    recipients: str | None = None,
    due_date: dt.date | None = None,
    pin: str | None = None,
):
    """The clerk issues the approved draft: the foundation numbers and registers it (Số, ký
    hiệu); when the last approver signed it, the clerk's agency signs it too (seal, and the
    attachments' stamp; `pin` for a seal on a token); the exchange sends it to the chosen agencies.
    One transaction: if signing or sending is refused, nothing is numbered."""
    if not _active_in_agency(actor) or not actor.has_role(Role.CLERK) or actor.agency_id != draft.agency_id:
        raise PermissionDenied(_("Only the agency's clerks can issue documents."))
    codes = [c.strip() for c in recipient_codes if c and c.strip()]
    with transaction.atomic():
        locked = _lock(draft)
        if locked.state == Draft.State.ISSUED:
            raise _invalid("draft", _("This draft has already been issued."))
        if locked.state != Draft.State.APPROVED:
            raise _invalid("draft", _("Only an approved draft can be issued."))
        if codes and locked.confidentiality != Confidentiality.NORMAL:
            raise _invalid("recipients", _("Secret documents are never sent through the exchange."))
        final = _final_step(locked)
        signer = final.acted_by
        registration = document_services.register_outgoing(
            actor,
            uploads=[signed_file(locked)],
            doc_type=locked.doc_type,
            subject=locked.subject,
            signer_name=signer.get_full_name()[:50],
            signer_position=signer.position,
            issued_date=issued_date,
            unit=locked.unit,
            delivery_mode=delivery_mode,
            urgency=locked.urgency,
            confidentiality=locked.confidentiality,
            is_legal=locked.is_legal,
            internal=locked.internal,
            recipients=locked.recipients_text if recipients is None else recipients,
            copies=copies,
            due_date=due_date,
        )
        document = registration.document
        # The author follows what became of the draft.
        document_services.grant_access(document, [(locked.author, None)], reason="drafting")
        if final.version.signing_identity_id:
            document_signing.record_issued_signature(actor, document, final.version)
            # The clerk signs as the agency before it goes out (Decree 30: seal after the person).
            if signing_services.seal_of_agency(actor.agency) is not None:
                document_signing.seal_document(actor, document, pin=pin)
        dispatch = exchange.send(actor, document, codes) if codes else None
        Draft.objects.filter(pk=locked.pk).update(
            state=Draft.State.ISSUED, document=document, updated_at=timezone.now()
        )
        locked.state, locked.document = Draft.State.ISSUED, document
        notices.notify(
            [locked.author],
            kind="drafting.issued",
            text=_("Your draft “%(subject)s” was issued as %(code)s.")
            % {"subject": locked.subject, "code": document.code},
            url=reverse("document-detail", args=[document.pk]),
            key=f"drafting.issued.{locked.pk}",
        )
        _record(
            actor,
            "issue",
            locked,
            {"document": document.pk, "code": document.code, "recipients": codes, "signer": signer.pk},
        )
    draft.state, draft.document = locked.state, document
    return document, dispatch


# --- chains -----------------------------------------------------------------------------------


def _chain_manager(actor: Person) -> None:
    if not _active_in_agency(actor) or not selectors.may_manage_chains(actor):
        raise PermissionDenied(_("Only the agency's administrators and leaders can manage approval chains."))


def _chain_steps(actor: Person, steps: Sequence[tuple[str, Person | None, str]]) -> list[ChainStep]:
    if not steps:
        raise _invalid("steps", _("Add at least one step."))
    out, errors = [], []
    for i, (kind, person, title) in enumerate(steps, start=1):
        title = (title or "").strip()[:200]
        if kind not in ChainStep.Kind.values:
            errors.append(_("Step %(n)d: choose who approves.") % {"n": i})
            continue
        if kind == ChainStep.Kind.PERSON:
            if person is None:
                errors.append(_("Step %(n)d: choose the person.") % {"n": i})
                continue
            if not person.is_active or person.agency_id != actor.agency_id:
                errors.append(
                    _("Step %(n)d: %(name)s is not in your agency.") % {"n": i, "name": person.get_full_name()}
                )
                continue
        else:
            person = None
        out.append(ChainStep(order=i, kind=kind, person=person, title=title))
    if errors:
        raise ValidationError({"steps": errors})
    return out


def create_chain(actor: Person, *, name: str, steps: Sequence[tuple[str, Person | None, str]]) -> ApprovalChain:
    """A new approval chain of the actor's agency, e.g. unit head → deputy director → director."""
    _chain_manager(actor)
    name = _clean(name, "name", required=True, max_length=200)
    rows = _chain_steps(actor, steps)
    with transaction.atomic():
        chain = ApprovalChain.objects.create(agency_id=actor.agency_id, name=name, created_by=actor)
        for r in rows:
            r.chain = chain
        ChainStep.objects.bulk_create(rows)
        audit.record(
            actor=actor,
            action="workflow.drafting.chain_create",
            target=chain,
            data={"name": name, "steps": [[r.kind, r.person_id, r.title] for r in rows]},
        )
    return chain


def update_chain(
    actor: Person, chain: ApprovalChain, *, name: str, steps: Sequence[tuple[str, Person | None, str]]
) -> ApprovalChain:
    """Rename a chain and replace its steps. Drafts already submitted keep the steps they were
    given (they were copied at submission)."""
    _chain_manager(actor)
    if chain.agency_id != actor.agency_id:
        raise PermissionDenied(_("Only the agency's administrators and leaders can manage approval chains."))
    name = _clean(name, "name", required=True, max_length=200)
    rows = _chain_steps(actor, steps)
    with transaction.atomic():
        locked = ApprovalChain.objects.select_for_update().get(pk=chain.pk)
        ChainStep.objects.filter(chain=locked).delete()
        for r in rows:
            r.chain = locked
        ChainStep.objects.bulk_create(rows)
        locked.name = name
        locked.save(update_fields=["name"])
        audit.record(
            actor=actor,
            action="workflow.drafting.chain_update",
            target=locked,
            data={"name": name, "steps": [[r.kind, r.person_id, r.title] for r in rows]},
        )
    return locked


def deactivate_chain(actor: Person, chain: ApprovalChain) -> ApprovalChain:
    """A chain no longer offered for new submissions (drafts on their way keep their steps)."""
    _chain_manager(actor)
    if chain.agency_id != actor.agency_id:
        raise PermissionDenied(_("Only the agency's administrators and leaders can manage approval chains."))
    with transaction.atomic():
        locked = ApprovalChain.objects.select_for_update().get(pk=chain.pk)
        if not locked.active:
            raise _invalid("chain", _("This approval chain is already inactive."))
        locked.active = False
        locked.save(update_fields=["active"])
        audit.record(
            actor=actor, action="workflow.drafting.chain_deactivate", target=locked, data={"name": locked.name}
        )
    return locked
