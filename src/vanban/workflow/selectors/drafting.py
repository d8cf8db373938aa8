"""Reads of drafts, scoped to the person asking.

Who sees a draft of their agency: its author, the people asked for comments, the people on its
approval steps (named, acted, or who may act on a leader's or unit head's step), the agency's
clerks (they issue it), and — unless it is confidential — the agency's leaders and the head of
the drafting unit."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from vanban.orgs.models import Agency, Person, Role

from ..models import ApprovalChain, ApprovalStep, Comment, CommentRequest, Draft, DraftVersion, Reviewer

TABS = ("mine", "to_comment", "to_approve", "to_issue", "issued")


def _active(person: Person | None) -> bool:
    return bool(person is not None and person.is_authenticated and person.is_active and person.agency_id)


def _may_act_q(person: Person, prefix: str = "") -> Q:
    """Steps (or, with prefix "steps__", drafts with a step) the person may act on, whatever
    their state."""
    q = Q(**{f"{prefix}kind": ApprovalStep.Kind.PERSON, f"{prefix}person": person})
    if person.has_role(Role.LEADER):
        q |= Q(**{f"{prefix}kind": ApprovalStep.Kind.LEADER})
    if person.has_role(Role.UNIT_HEAD) and person.unit_id:
        unit_field = "unit_id" if prefix else "draft__unit_id"
        q |= Q(**{f"{prefix}kind": ApprovalStep.Kind.UNIT_HEAD, unit_field: person.unit_id})
    return q


def visible_drafts(person: Person) -> QuerySet[Draft]:
    if not _active(person):
        return Draft.objects.none()
    base = Draft.objects.filter(agency_id=person.agency_id)
    if person.has_role(Role.CLERK):
        return base
    reviewed = Reviewer.objects.filter(person=person).values("request__draft_id")
    on_steps = ApprovalStep.objects.filter(
        Q(draft__agency_id=person.agency_id) & (_may_act_q(person) | Q(acted_by=person))
    ).values("draft_id")
    allowed = Q(author=person) | Q(pk__in=reviewed) | Q(pk__in=on_steps)
    if person.has_role(Role.LEADER):
        allowed |= Q(confidentiality="normal")
    if person.has_role(Role.UNIT_HEAD) and person.unit_id:
        allowed |= Q(confidentiality="normal", unit_id=person.unit_id)
    return base.filter(allowed)


def get_draft(person: Person, pk) -> Draft:
    """The draft if the person may see it; 404 otherwise, so that its existence is not told."""
    try:
        return (
            visible_drafts(person)
            .select_related("agency", "unit", "author", "doc_type", "chain", "document")
            .get(pk=pk)
        )
    except (Draft.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def drafts_for(person: Person) -> dict[str, QuerySet[Draft]]:
    """The drafts page's tabs: my drafts (not yet issued); asked for my comment; waiting for my
    approval (a current step I may act on); approved, waiting to be issued (clerks); issued."""
    visible = visible_drafts(person).select_related("author", "doc_type", "unit")
    if not _active(person):
        return dict.fromkeys(TABS, visible)
    asked = Reviewer.objects.filter(person=person).values("request__draft_id")
    current = ApprovalStep.objects.filter(
        Q(state=ApprovalStep.State.CURRENT, draft__agency_id=person.agency_id) & _may_act_q(person)
    ).values("draft_id")
    return {
        "mine": visible.filter(author=person).exclude(state=Draft.State.ISSUED),
        "to_comment": visible.filter(pk__in=asked).exclude(state=Draft.State.ISSUED),
        "to_approve": visible.filter(pk__in=current, state=Draft.State.IN_APPROVAL),
        "to_issue": visible.filter(state=Draft.State.APPROVED) if person.has_role(Role.CLERK) else visible.none(),
        "issued": visible.filter(state=Draft.State.ISSUED).select_related("document"),
    }


def waiting_count(person: Person) -> int:
    """Drafts waiting for the person's approval (for the menu's badge)."""
    if not _active(person):
        return 0
    return drafts_for(person)["to_approve"].count()


# --- who may do what (the services enforce these; the pages use them to show the actions) ------


def may_act(person: Person | None, step: ApprovalStep) -> bool:
    """The person may approve, return or forward this step now."""
    if not _active(person) or step.state != ApprovalStep.State.CURRENT:
        return False
    draft = step.draft
    if person.agency_id != draft.agency_id:
        return False
    if step.kind == ApprovalStep.Kind.PERSON:
        return step.person_id == person.pk
    if step.kind == ApprovalStep.Kind.LEADER:
        return person.has_role(Role.LEADER)
    return person.has_role(Role.UNIT_HEAD) and draft.unit_id is not None and person.unit_id == draft.unit_id


def current_step(draft: Draft) -> ApprovalStep | None:
    return ApprovalStep.objects.filter(draft=draft, state=ApprovalStep.State.CURRENT).select_related("draft").first()


def is_author_side(person: Person | None, draft: Draft) -> bool:
    """The author, or the head of the drafting unit, who may add versions."""
    if not _active(person) or person.agency_id != draft.agency_id:
        return False
    return draft.author_id == person.pk or (
        draft.unit_id is not None and person.unit_id == draft.unit_id and person.has_role(Role.UNIT_HEAD)
    )


def is_reviewer(person: Person | None, draft: Draft) -> bool:
    return _active(person) and Reviewer.objects.filter(request__draft=draft, person=person).exists()


def on_chain(person: Person | None, draft: Draft) -> bool:
    """The person is on one of the draft's approval steps (named, acted, or may act on its kind)."""
    if not _active(person) or person.agency_id != draft.agency_id:
        return False
    return ApprovalStep.objects.filter(Q(draft=draft) & (_may_act_q(person) | Q(acted_by=person))).exists()


def may_comment(person: Person | None, draft: Draft) -> bool:
    return draft.state != Draft.State.ISSUED and (is_reviewer(person, draft) or on_chain(person, draft))


def may_issue(person: Person | None, draft: Draft) -> bool:
    return (
        _active(person)
        and person.has_role(Role.CLERK)
        and person.agency_id == draft.agency_id
        and draft.state == Draft.State.APPROVED
    )


def may_manage_chains(person: Person | None) -> bool:
    return _active(person) and person.has_role(Role.ADMIN, Role.LEADER)


# --- the parts of a draft's page ----------------------------------------------------------------


def versions_of(draft: Draft) -> list[DraftVersion]:
    return list(DraftVersion.objects.filter(draft=draft).select_related("uploaded_by").order_by("number"))


def is_last_step(step: ApprovalStep) -> bool:
    """No step of the same round comes after this one."""
    return not ApprovalStep.objects.filter(draft_id=step.draft_id, round=step.round, order__gt=step.order).exists()


def latest_version(draft: Draft) -> DraftVersion | None:
    return DraftVersion.objects.filter(draft=draft).order_by("-number").first()


def get_version(person: Person, draft_pk, number) -> DraftVersion:
    draft = get_draft(person, draft_pk)
    try:
        return DraftVersion.objects.select_related("blob").get(draft=draft, number=number)
    except (DraftVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def comment_requests_of(draft: Draft) -> list[CommentRequest]:
    return list(
        CommentRequest.objects.filter(draft=draft)
        .select_related("asked_by", "version")
        .prefetch_related("reviewers__person")
        .order_by("pk")
    )


def comments_of(draft: Draft) -> list[Comment]:
    return list(Comment.objects.filter(draft=draft).select_related("person", "answered_by", "version").order_by("pk"))


def get_comment(person: Person, draft: Draft, pk) -> Comment:
    try:
        return Comment.objects.get(draft=draft, pk=pk)
    except (Comment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def steps_by_round(draft: Draft) -> list[tuple[int, list[ApprovalStep]]]:
    """Every round's steps, newest round first."""
    rounds: dict[int, list[ApprovalStep]] = {}
    for s in ApprovalStep.objects.filter(draft=draft).select_related("person", "acted_by", "version", "draft"):
        rounds.setdefault(s.round, []).append(s)
    return sorted(rounds.items(), reverse=True)


def chains_of(agency: Agency | int, *, active_only: bool = False) -> QuerySet[ApprovalChain]:
    qs = (
        ApprovalChain.objects.filter(agency=agency)
        .prefetch_related("steps__person")
        .annotate(n_steps=Count("steps"))
        .order_by("-active", "name", "pk")
    )
    return qs.filter(active=True) if active_only else qs


def get_chain(person: Person, pk) -> ApprovalChain:
    if not _active(person):
        raise Http404
    try:
        return ApprovalChain.objects.prefetch_related("steps__person").get(agency_id=person.agency_id, pk=pk)
    except (ApprovalChain.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def colleagues(person: Person) -> QuerySet[Person]:
    """Active people of the person's agency (reviewers, forwarding, named steps)."""
    if not _active(person):
        return Person.objects.none()
    return (
        Person.objects.filter(agency_id=person.agency_id, is_active=True).select_related("unit").order_by("full_name")
    )


def issue_recipients(agency: Agency) -> QuerySet[Agency]:
    """The province's active agencies a clerk may send an issued document to."""
    return Agency.objects.filter(status=Agency.Status.ACTIVE).exclude(pk=agency.pk).order_by("identifier")


def draft_of_document(person: Person, document) -> Draft | None:
    """The draft an issued document came from, if the person may see it."""
    return visible_drafts(person).filter(document=document).first()
