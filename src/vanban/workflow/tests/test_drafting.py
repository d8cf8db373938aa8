"""Drafting: versions, comments, the approval chain, issuing — every rule, and that a refusal
changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from conftest import PASSWORD, build_province, pdf_upload
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit.models import Entry
from vanban.documents import storage
from vanban.documents.models import Direction, Document
from vanban.documents.samples import docx
from vanban.documents.services import Upload
from vanban.exchange.models import Delivery, Dispatch
from vanban.orgs import services as org_services
from vanban.orgs.models import Person, Role
from vanban.workflow.models import (
    ApprovalChain,
    ApprovalStep,
    Comment,
    CommentRequest,
    Draft,
    DraftVersion,
    Notice,
    Reviewer,
)
from vanban.workflow.selectors import drafting as selectors
from vanban.workflow.services import drafting as services

TODAY = timezone.localdate()


def docx_upload(name: str = "du-thao.docx") -> Upload:
    data = docx()
    return Upload(io.BytesIO(data), name, len(data))


def new_draft(p, author=None, **kw) -> Draft:
    args = dict(upload=pdf_upload("du thao v1"), doc_type=p.types["QĐ"], subject="Về việc ban hành quy chế")
    args.update(kw)
    return services.create_draft(author or p.specialist_a, **args)


def chain(p, *steps, name="Trưởng phòng → Giám đốc") -> ApprovalChain:
    steps = steps or (("unit_head", None, "Trưởng phòng"), ("leader", None, "Giám đốc"))
    return services.create_chain(p.admin_a, name=name, steps=list(steps))


def leader2(p) -> Person:
    return org_services.create_person(
        None,
        username="phogiamdoc.a",
        full_name="Phó Giám Đốc",
        email="pgd@example.vn",
        agency=p.a,
        unit=p.a_vp,
        position="Phó Giám đốc",
        roles=[Role.LEADER],
        password=PASSWORD,
    )


def snapshot(draft: Draft | None = None) -> tuple:
    """Everything a drafting action may write, to show that a refusal wrote nothing."""
    d = Draft.objects.filter(pk=draft.pk).values_list("state", "document_id", "chain_id").first() if draft else None
    return (
        d,
        Draft.objects.count(),
        DraftVersion.objects.count(),
        CommentRequest.objects.count(),
        Reviewer.objects.count(),
        Comment.objects.filter(answered_at__isnull=False).count(),
        Comment.objects.count(),
        list(ApprovalStep.objects.order_by("pk").values_list("state", "order")),
        Document.objects.count(),
        Dispatch.objects.count(),
        Notice.objects.count(),
        Entry.objects.count(),
    )


def refused(exc_type, fn, draft=None, field: str | None = None, message: str | None = None):
    before = snapshot(draft)
    with pytest.raises(exc_type) as info:
        fn()
    assert snapshot(draft) == before
    if field is not None:
        assert field in info.value.message_dict, info.value.message_dict
        if message is not None:
            assert info.value.message_dict[field] == [message]
    return info.value


def approved_draft(p) -> Draft:
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p))
    services.approve(p.unithead_a, d)
    services.approve(p.leader_a, d, note="Đồng ý")
    d.refresh_from_db()
    return d


# --- drafts and versions ------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_draft_docx_or_pdf_only_by_drafters(province):
    p = province
    d = new_draft(p, upload=docx_upload())
    assert d.state == Draft.State.DRAFTING and d.unit == p.a_cntt and d.agency == p.a
    (v,) = d.versions.all()
    assert (v.number, v.kind, v.name) == (1, "docx", "du-thao.docx")
    assert Entry.objects.filter(action="workflow.drafting.create", object_id=str(d.pk)).count() == 1
    png = Upload(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 64), "anh.png", 72)
    refused(ValidationError, lambda: new_draft(p, upload=png), field="file")
    refused(ValidationError, lambda: new_draft(p, upload=None), field="file")
    refused(ValidationError, lambda: new_draft(p, subject="  "), field="subject")
    refused(PermissionDenied, lambda: new_draft(p, author=p.monitor))
    refused(PermissionDenied, lambda: new_draft(p, author=p.admin_a))
    refused(ValidationError, lambda: new_draft(p, unit=p.b_vp), field="unit")
    for role_holder in (p.clerk_a, p.leader_a, p.unithead_a):
        assert new_draft(p, author=role_holder).author == role_holder


@pytest.mark.django_db
def test_versions_numbered_downloadable_unchanged_and_author_side_only(province):
    p = province
    upload = docx_upload()
    sent = upload.file.getvalue()  # a DOCX carries its build time: compare with these very bytes
    d = new_draft(p, upload=upload)
    first = d.versions.get().blob_id
    v2 = services.add_version(p.specialist_a, d, upload=pdf_upload("v2"), note="Sửa theo góp ý")
    v3 = services.add_version(p.unithead_a, d, upload=pdf_upload("v3"))  # the head of the unit may too
    assert [v.number for v in d.versions.all()] == [1, 2, 3]
    assert (v2.kind, v3.uploaded_by) == ("pdf", p.unithead_a)
    # Older versions stay readable, byte for byte.
    assert storage.read_verified(first) == sent
    assert storage.read_verified(v2.blob_id) == pdf_upload("v2").file.getvalue()
    refused(PermissionDenied, lambda: services.add_version(p.clerk_a, d, upload=pdf_upload("x")), d)
    refused(PermissionDenied, lambda: services.add_version(p.leader_a, d, upload=pdf_upload("x")), d)
    refused(ValidationError, lambda: services.add_version(p.specialist_a, d, upload=None), d, "file")


@pytest.mark.django_db
def test_no_new_version_while_in_approval_or_once_issued(province):
    p = province
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p))
    d.refresh_from_db()
    refused(ValidationError, lambda: services.add_version(p.specialist_a, d, upload=pdf_upload("x")), d, "draft")
    services.approve(p.unithead_a, d)
    services.approve(p.leader_a, d)
    d.refresh_from_db()
    refused(ValidationError, lambda: services.add_version(p.specialist_a, d, upload=pdf_upload("x")), d, "draft")
    services.issue(p.clerk_a, d)
    d.refresh_from_db()
    refused(
        ValidationError,
        lambda: services.add_version(p.specialist_a, d, upload=pdf_upload("x")),
        d,
        "draft",
        _("An issued document cannot be edited; replace it with a new document."),
    )


# --- comments -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_comments_comment_and_answer(province):
    p = province
    d = new_draft(p)
    req = services.request_comments(
        p.specialist_a, d, people=[p.unithead_a, p.clerk_a], deadline=TODAY, message="Xin ý kiến"
    )
    assert sorted(r.person_id for r in req.reviewers.all()) == sorted([p.unithead_a.pk, p.clerk_a.pk])
    assert req.version.number == 1
    assert Notice.objects.filter(kind="drafting.comment_request", person=p.clerk_a).count() == 1
    assert [x.pk for x in selectors.drafts_for(p.clerk_a)["to_comment"]] == [d.pk]
    c = services.comment(p.clerk_a, d, text="Đề nghị sửa Điều 2")
    assert (c.request, c.version.number, c.person) == (req, 1, p.clerk_a)
    assert Notice.objects.filter(kind="drafting.comment", person=p.specialist_a).count() == 1
    # Someone neither asked nor on the chain may not comment; only the author answers.
    refused(PermissionDenied, lambda: services.comment(p.admin_a, d, text="x"), d)
    refused(ValidationError, lambda: services.comment(p.clerk_a, d, text="  "), d, "text")
    refused(PermissionDenied, lambda: services.answer_comment(p.clerk_a, c, text="x"), d)
    services.answer_comment(p.specialist_a, c, text="Đã sửa")
    c.refresh_from_db()
    assert (c.answer, c.answered_by) == ("Đã sửa", p.specialist_a)
    refused(ValidationError, lambda: services.answer_comment(p.specialist_a, c, text="lại"), d, "answer")


@pytest.mark.django_db
def test_request_comments_rules(province):
    p = province
    d = new_draft(p)
    yesterday = TODAY - dt.timedelta(days=1)
    refused(
        ValidationError,
        lambda: services.request_comments(p.specialist_a, d, people=[p.clerk_a], deadline=yesterday),
        d,
        "deadline",
        _("The deadline for comments cannot be in the past."),
    )
    refused(
        ValidationError,
        lambda: services.request_comments(p.specialist_a, d, people=[p.specialist_a], deadline=TODAY),
        d,
        "people",
    )
    refused(
        ValidationError,
        lambda: services.request_comments(p.specialist_a, d, people=[p.clerk_b], deadline=TODAY),
        d,
        "people",
    )
    refused(ValidationError, lambda: services.request_comments(p.specialist_a, d, people=[], deadline=TODAY), d)
    refused(PermissionDenied, lambda: services.request_comments(p.unithead_a, d, people=[p.clerk_a], deadline=TODAY), d)


@pytest.mark.django_db
def test_people_on_the_chain_may_comment(province):
    p = province
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p))
    assert services.comment(p.leader_a, d, text="Cần bổ sung căn cứ").person == p.leader_a
    assert services.comment(p.unithead_a, d, text="OK").person == p.unithead_a


# --- the approval chain -------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_needs_pdf_active_chain_of_agency_and_the_author(province):
    p = province
    c = chain(p)
    d = new_draft(p, upload=docx_upload())
    refused(
        ValidationError,
        lambda: services.submit(p.specialist_a, d, chain=c),
        d,
        "file",
        _("Upload the draft as a PDF before submitting it: the PDF is the file that will be signed."),
    )
    services.add_version(p.specialist_a, d, upload=pdf_upload("v2"))
    refused(PermissionDenied, lambda: services.submit(p.unithead_a, d, chain=c), d)
    other = ApprovalChain.objects.create(agency=p.b, name="B", created_by=p.clerk_b)
    refused(ValidationError, lambda: services.submit(p.specialist_a, d, chain=other), d, "chain")
    refused(ValidationError, lambda: services.submit(p.specialist_a, d, chain=None), d, "chain")
    inactive = chain(p, name="Cũ")
    services.deactivate_chain(p.leader_a, inactive)
    refused(ValidationError, lambda: services.submit(p.specialist_a, d, chain=inactive), d, "chain")
    # A unit-head step for a draft of a unit without a head cannot be acted on: refused up front.
    d_vp = new_draft(p, author=p.clerk_a)
    refused(ValidationError, lambda: services.submit(p.clerk_a, d_vp, chain=c), d_vp, "chain")

    steps = services.submit(p.specialist_a, d, chain=c)
    d.refresh_from_db()
    assert d.state == Draft.State.IN_APPROVAL and d.chain == c
    assert [(s.round, s.order, s.kind, s.state) for s in steps] == [
        (1, 1, "unit_head", "current"),
        (1, 2, "leader", "waiting"),
    ]
    assert list(Notice.objects.filter(kind="drafting.approval").values_list("person_id", flat=True)) == [
        p.unithead_a.pk
    ]
    refused(ValidationError, lambda: services.submit(p.specialist_a, d, chain=c), d, "draft")


@pytest.mark.django_db
def test_only_who_may_act_on_the_current_step_acts(province):
    p = province
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p))
    # The leader's step is not current yet; the author and the clerk are not on it.
    for person in (p.leader_a, p.specialist_a, p.clerk_a, p.clerk_b):
        refused(PermissionDenied, lambda person=person: services.approve(person, d), d)
    refused(PermissionDenied, lambda: services.return_draft(p.leader_a, d, note="x"), d)
    refused(PermissionDenied, lambda: services.forward(p.leader_a, d, to=p.clerk_a), d)
    assert [x.pk for x in selectors.drafts_for(p.unithead_a)["to_approve"]] == [d.pk]
    assert list(selectors.drafts_for(p.leader_a)["to_approve"]) == []
    services.approve(p.unithead_a, d, note="Trình Giám đốc")
    assert [x.pk for x in selectors.drafts_for(p.leader_a)["to_approve"]] == [d.pk]
    refused(PermissionDenied, lambda: services.approve(p.unithead_a, d), d)
    services.approve(p.leader_a, d)
    d.refresh_from_db()
    assert d.state == Draft.State.APPROVED
    assert Notice.objects.filter(kind="drafting.approved", person=p.clerk_a).count() == 1
    assert [x.pk for x in selectors.drafts_for(p.clerk_a)["to_issue"]] == [d.pk]
    refused(ValidationError, lambda: services.approve(p.leader_a, d), d, "step")


@pytest.mark.django_db
def test_return_needs_a_note_and_resubmitting_starts_a_new_round(province):
    p = province
    c = chain(p)
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=c)
    services.approve(p.unithead_a, d)
    refused(ValidationError, lambda: services.return_draft(p.leader_a, d, note=" "), d, "note")
    services.return_draft(p.leader_a, d, note="Sửa trích yếu")
    d.refresh_from_db()
    assert d.state == Draft.State.RETURNED
    assert Notice.objects.filter(kind="drafting.returned", person=p.specialist_a).count() == 1
    # A returned draft is revised (a new version) and resubmitted: round 2, from the first step.
    services.add_version(p.specialist_a, d, upload=pdf_upload("v2"))
    services.submit(p.specialist_a, d, chain=c)
    rounds = list(ApprovalStep.objects.filter(draft=d).values_list("round", "order", "state"))
    assert rounds == [(1, 1, "approved"), (1, 2, "returned"), (2, 1, "current"), (2, 2, "waiting")]
    services.approve(p.unithead_a, d)
    step = services.approve(p.leader_a, d)
    assert step.version.number == 2


@pytest.mark.django_db
def test_forward_inserts_a_step_for_the_person(province):
    p = province
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p))
    refused(ValidationError, lambda: services.forward(p.unithead_a, d, to=p.clerk_b), d, "to")
    refused(ValidationError, lambda: services.forward(p.unithead_a, d, to=None), d, "to")
    inserted = services.forward(p.unithead_a, d, to=p.admin_a, note="Nhờ anh xem phần kỹ thuật")
    assert list(ApprovalStep.objects.filter(draft=d).values_list("order", "kind", "person_id", "state")) == [
        (1, "unit_head", None, "forwarded"),
        (2, "person", p.admin_a.pk, "current"),
        (3, "leader", None, "waiting"),
    ]
    assert inserted.order == 2
    refused(PermissionDenied, lambda: services.approve(p.unithead_a, d), d)
    services.approve(p.admin_a, d)
    assert ApprovalStep.objects.get(draft=d, order=3).state == "current"


@pytest.mark.django_db
def test_a_step_handled_meanwhile_is_refused_clearly(province):
    p = province
    other = leader2(p)
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p, ("leader", None, "PGĐ"), ("leader", None, "GĐ")))
    first = selectors.current_step(d)
    services.approve(p.leader_a, d, step=first)
    # Another leader who saw the first step acts on it: refused, the second step untouched.
    refused(
        ValidationError,
        lambda: services.approve(other, d, step=first.pk),
        d,
        "step",
        _("This step has already been handled."),
    )


@pytest.mark.django_db(transaction=True)
def test_two_leaders_approving_the_same_step_at_once_give_one_approval_and_one_refusal():
    p = build_province()
    other = leader2(p)
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p, ("leader", None, "PGĐ"), ("leader", None, "GĐ")))
    step_pk = selectors.current_step(d).pk
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(username):
        try:
            leader = Person.objects.get(username=username)
            barrier.wait(timeout=30)
            services.approve(leader, Draft.objects.get(pk=d.pk), step=step_pk)
            outcomes.append("approved")
        except ValidationError as exc:
            outcomes.append("refused: " + " ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in (p.leader_a.username, other.username)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"], outcomes
    assert [o for o in outcomes if o.startswith("refused")] == ["refused: " + _("This step has already been handled.")]
    assert list(ApprovalStep.objects.filter(draft=d).order_by("order").values_list("state", flat=True)) == [
        "approved",
        "current",
    ]
    assert Entry.objects.filter(action="workflow.drafting.approve").count() == 1


# --- issuing ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issue_numbers_and_dispatches_through_the_exchange(province):
    p = province
    d = approved_draft(p)
    p.leader_a.position = "Giám đốc"
    p.leader_a.save()
    approved_pdf = selectors.latest_version(d)
    document, dispatch = services.issue(
        p.clerk_a, d, recipient_codes=[p.b.identifier], copies=3, recipients="- Như trên;\n- Lưu: VT."
    )
    d.refresh_from_db()
    assert d.state == Draft.State.ISSUED and d.document == document
    assert document.direction == Direction.OUTGOING and document.code == "01/QĐ-STTTT"
    assert (document.signer_name, document.signer_position) == (p.leader_a.get_full_name(), "Giám đốc")
    assert (document.subject, document.copies, document.drafting_unit) == (d.subject, 3, p.a_cntt)
    # The issued file is the approved version's PDF, unchanged.
    (f,) = document.files.all()
    assert f.blob_id == approved_pdf.blob_id
    assert Delivery.objects.filter(dispatch=dispatch, recipient_identifier=p.b.identifier).count() == 1
    assert Notice.objects.filter(kind="drafting.issued", person=p.specialist_a).count() == 1
    # The author can read the document issued from their draft; the audit names the document.
    assert Document.objects.filter(pk=document.pk, access_grants__person=p.specialist_a).exists()
    assert Entry.objects.filter(action="workflow.drafting.issue", object_id=str(document.pk)).count() == 1
    refused(ValidationError, lambda: services.issue(p.clerk_a, d), d, "draft")


@pytest.mark.django_db
def test_only_clerks_issue_and_only_approved_drafts(province):
    p = province
    c = chain(p)
    d = new_draft(p)
    refused(ValidationError, lambda: services.issue(p.clerk_a, d), d, "draft")
    services.submit(p.specialist_a, d, chain=c)
    d.refresh_from_db()
    refused(ValidationError, lambda: services.issue(p.clerk_a, d), d, "draft")
    services.return_draft(p.unithead_a, d, note="Sửa")
    d.refresh_from_db()
    refused(
        ValidationError, lambda: services.issue(p.clerk_a, d), d, "draft", _("Only an approved draft can be issued.")
    )
    d2 = approved_draft(p)
    for person in (p.leader_a, p.specialist_a, p.clerk_b):
        refused(PermissionDenied, lambda person=person: services.issue(person, d2), d2)
    # A refused dispatch leaves no number behind: the whole issue rolls back.
    refused(ValidationError, lambda: services.issue(p.clerk_a, d2, recipient_codes=["000.99.99.Z99"]), d2)
    refused(ValidationError, lambda: services.issue(p.clerk_a, d2, recipient_codes=[p.a.identifier]), d2)
    document, dispatch = services.issue(p.clerk_a, d2)
    assert dispatch is None and document.code == "01/QĐ-STTTT"


@pytest.mark.django_db
def test_signed_file_is_the_approved_pdf(province):
    p = province
    d = approved_draft(p)
    up = services.signed_file(d)
    assert up.file.read() == storage.read_verified(selectors.latest_version(d).blob_id)
    assert up.name == "van-ban.pdf"


# --- visibility and chains ----------------------------------------------------------------------


@pytest.mark.django_db
def test_who_sees_a_draft(province):
    p = province
    d = new_draft(p)
    for person in (p.specialist_a, p.clerk_a, p.leader_a, p.unithead_a):
        assert selectors.get_draft(person, d.pk) == d
    for person in (p.admin_a, p.clerk_b, p.monitor):
        with pytest.raises(Http404):
            selectors.get_draft(person, d.pk)
    secret = new_draft(p, confidentiality="confidential")
    for person in (p.leader_a, p.unithead_a, p.admin_a):
        with pytest.raises(Http404):
            selectors.get_draft(person, secret.pk)
    assert selectors.get_draft(p.clerk_a, secret.pk) == secret
    services.request_comments(p.specialist_a, secret, people=[p.admin_a], deadline=TODAY)
    assert selectors.get_draft(p.admin_a, secret.pk) == secret
    services.submit(p.specialist_a, secret, chain=chain(p))
    assert selectors.get_draft(p.unithead_a, secret.pk) == secret
    assert selectors.get_draft(p.leader_a, secret.pk) == secret  # a leader's step: approvers see it


@pytest.mark.django_db
def test_chains_managed_by_admins_and_leaders_only(province):
    p = province
    c = chain(p)
    assert [(s.order, s.kind) for s in c.steps.all()] == [(1, "unit_head"), (2, "leader")]
    services.update_chain(
        p.leader_a, c, name="Trưởng phòng → PGĐ → GĐ", steps=[("unit_head", None, ""), ("person", p.leader_a, "GĐ")]
    )
    assert [(s.kind, s.person_id) for s in c.steps.all()] == [("unit_head", None), ("person", p.leader_a.pk)]
    before = ApprovalChain.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_chain(p.specialist_a, name="X", steps=[("leader", None, "")])
    with pytest.raises(ValidationError):
        services.create_chain(p.admin_a, name="X", steps=[])
    with pytest.raises(ValidationError):
        services.create_chain(p.admin_a, name="X", steps=[("person", None, "")])
    with pytest.raises(ValidationError):
        services.create_chain(p.admin_a, name="X", steps=[("person", p.clerk_b, "")])
    with pytest.raises(ValidationError):
        services.create_chain(p.admin_a, name="X", steps=[("boss", None, "")])
    assert ApprovalChain.objects.count() == before
    with pytest.raises(PermissionDenied):
        services.deactivate_chain(p.clerk_a, c)
    services.deactivate_chain(p.admin_a, c)
    assert list(selectors.chains_of(p.a, active_only=True)) == []
    with pytest.raises(ValidationError):
        services.deactivate_chain(p.admin_a, c)
