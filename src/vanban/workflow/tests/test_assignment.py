"""Assignment of incoming documents: the rules, the worklist, and the statuses the sender sees."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from conftest import PASSWORD, build_province, pdf_upload
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.utils import timezone

from vanban.audit.models import Entry
from vanban.documents import services as documents
from vanban.documents.models import Document, HandlingStatus
from vanban.exchange import services as exchange
from vanban.exchange import tasks
from vanban.exchange.models import Arrival, Delivery, Status
from vanban.orgs import services as org_services
from vanban.orgs.models import Person, Role
from vanban.workflow.models import Assignment, Handler, ProgressEntry
from vanban.workflow.selectors import assignment as selectors
from vanban.workflow.services import assignment as services

TODAY = timezone.localdate()


def incoming(p, **kw) -> Document:
    args = dict(
        uploads=[pdf_upload("den")],
        doc_type=p.types["QĐ"],
        subject="Về việc triển khai phần mềm quản lý văn bản",
        issuer_name="Ủy ban nhân dân tỉnh Tiền Giang",
        issued_date=TODAY,
        original_code="15/QĐ-UBND",
    )
    args.update(kw)
    return documents.register_incoming(p.clerk_a, **args).document


def state(doc: Document) -> tuple:
    """Everything an assignment step may write, to show that a refusal wrote nothing."""
    doc.refresh_from_db()
    return (
        Assignment.objects.count(),
        Handler.objects.count(),
        ProgressEntry.objects.count(),
        Entry.objects.count(),
        doc.handling_status,
    )


@pytest.mark.django_db
def test_assign_progress_finish_and_worklists(province):
    p = province
    doc = incoming(p)
    a = services.assign(
        p.leader_a,
        doc,
        lead=p.a_cntt,
        co=[p.clerk_a],
        readers=[p.admin_a],
        deadline=TODAY + dt.timedelta(days=5),
        instruction="Phòng CNTT chủ trì, tham mưu trả lời.",
    )
    doc.refresh_from_db()
    assert doc.handling_status == HandlingStatus.IN_PROGRESS
    assert [(h.role, h.unit_id, h.person_id) for h in a.handlers.all()] == [
        ("lead", p.a_cntt.pk, None),
        ("co", None, p.clerk_a.pk),
        ("reader", None, p.admin_a.pk),
    ]
    # The unit's people see it to handle; the co-handler and the reader in their own lists.
    assert selectors.worklist(p.specialist_a).to_handle == [a]
    assert selectors.worklist(p.clerk_a).co_handling == [a]
    assert selectors.worklist(p.admin_a).for_information == [a]  # admin_a is in CNTT too...
    assert selectors.worklist(p.admin_a).to_handle == [a]  # ...so the unit's work is also theirs
    assert selectors.worklist(p.clerk_b).to_handle == []

    child = services.reassign(p.unithead_a, a, lead=p.specialist_a, instruction="Đồng chí Chuyên viên xử lý.")
    assert child.parent == a and child.deadline == a.deadline
    assert child in selectors.worklist(p.specialist_a).to_handle

    services.record_progress(p.specialist_a, child, "Đã dự thảo văn bản trả lời.")
    services.record_progress(p.clerk_a, a, "Đã gửi ý kiến phối hợp.")
    with pytest.raises(ValidationError):  # the unit's own hand-over is still open
        services.finish(p.unithead_a, a, result="Xong")
    services.finish(p.specialist_a, child, result="Đã trình lãnh đạo phòng.")
    done = services.finish(p.unithead_a, a, result="Đã trả lời bằng văn bản.")
    assert done.state == Assignment.State.DONE and done.finished_by == p.unithead_a
    doc.refresh_from_db()
    assert doc.handling_status == HandlingStatus.DONE
    assert a in selectors.worklist(p.specialist_a).done and not selectors.worklist(p.specialist_a).to_handle
    actions = list(Entry.objects.filter(object_id=str(doc.pk)).values_list("action", flat=True))
    assert actions[-6:] == [
        "workflow.assign",
        "workflow.reassign",
        "workflow.progress",
        "workflow.progress",
        "workflow.finish",
        "workflow.finish",
    ]


@pytest.mark.django_db
def test_handlers_can_read_what_they_handle_and_confidential_work_goes_to_people(province):
    from django.http import Http404

    from vanban.documents import selectors as document_selectors

    p = province
    doc = incoming(p)
    with pytest.raises(Http404):
        document_selectors.get_document(p.specialist_a, doc.pk)
    services.assign(p.leader_a, doc, lead=p.a_cntt)
    assert document_selectors.get_document(p.specialist_a, doc.pk) == doc  # through the unit
    secret = incoming(p, confidentiality="secret", original_code="16/QĐ-UBND")
    before = state(secret)
    with pytest.raises(ValidationError):
        services.assign(p.leader_a, secret, lead=p.a_cntt)
    assert state(secret) == before
    services.assign(p.leader_a, secret, lead=p.specialist_a)
    assert document_selectors.get_document(p.specialist_a, secret.pk) == secret  # named person
    with pytest.raises(Http404):
        document_selectors.get_document(p.admin_a, secret.pk)  # same unit, not named


@pytest.mark.django_db
def test_overdue_is_flagged(province):
    p = province
    a = services.assign(p.leader_a, incoming(p), lead=p.specialist_a, deadline=TODAY)
    assert selectors.worklist(p.specialist_a, today=TODAY).overdue == []
    tomorrow = TODAY + dt.timedelta(days=1)
    assert selectors.worklist(p.specialist_a, today=tomorrow).overdue == [a]
    assert selectors.is_overdue(a, tomorrow) and not selectors.is_overdue(a, TODAY)


@pytest.mark.django_db
def test_refusals_change_nothing(province):
    p = province
    doc = incoming(p)
    before = state(doc)
    cases = [
        (PermissionDenied, lambda: services.assign(p.specialist_a, doc, lead=p.a_cntt)),  # not a leader
        (PermissionDenied, lambda: services.assign(p.clerk_b, doc, lead=p.a_cntt)),  # another agency
        (ValidationError, lambda: services.assign(p.leader_a, doc, lead=None)),  # no lead
        (ValidationError, lambda: services.assign(p.leader_a, doc, lead=p.a_cntt, co=[p.a_cntt])),  # twice
        (ValidationError, lambda: services.assign(p.leader_a, doc, lead=p.b_vp)),  # unit of another agency
        (ValidationError, lambda: services.assign(p.leader_a, doc, lead=p.clerk_b)),  # person of another agency
        (
            ValidationError,
            lambda: services.assign(p.leader_a, doc, lead=p.a_cntt, deadline=TODAY - dt.timedelta(days=1)),
        ),
    ]
    for error, call in cases:
        with pytest.raises(error):
            call()
        assert state(doc) == before
    out = documents.register_outgoing(
        p.clerk_a,
        uploads=[pdf_upload("di")],
        doc_type=p.types["cong-van"],
        unit=p.a_vp,
        subject="Về việc báo cáo",
        signer_name="Phạm Văn Đức",
        signer_position="Giám đốc",
    ).document
    with pytest.raises(ValidationError, match=r"incoming|đến"):
        services.assign(p.leader_a, out, lead=p.a_cntt)

    a = services.assign(p.clerk_a, doc, lead=p.a_cntt, deadline=TODAY + dt.timedelta(days=3))  # on the leader's behalf
    before = state(doc)
    cases = [
        (ValidationError, lambda: services.assign(p.leader_a, doc, lead=p.a_vp)),  # already assigned
        (PermissionDenied, lambda: services.reassign(p.specialist_a, a, lead=p.specialist_a)),  # not the unit head
        (ValidationError, lambda: services.reassign(p.unithead_a, a, lead=p.clerk_a)),  # not of the unit
        (
            ValidationError,
            lambda: services.reassign(p.unithead_a, a, lead=p.specialist_a, deadline=TODAY + dt.timedelta(days=9)),
        ),  # after the deadline above
        (PermissionDenied, lambda: services.record_progress(p.leader_a, a, "không phải người xử lý")),
        (ValidationError, lambda: services.record_progress(p.specialist_a, a, "   ")),
        (PermissionDenied, lambda: services.finish(p.clerk_a, a, result="không phải chủ trì")),
        (ValidationError, lambda: services.finish(p.unithead_a, a, result="")),
        (ValidationError, lambda: services.finish(p.unithead_a, a, result="Xong", reply=doc)),  # not outgoing
    ]
    for error, call in cases:
        with pytest.raises(error):
            call()
        assert state(doc) == before
    services.finish(p.unithead_a, a, result="Xong")
    before = state(doc)
    for call in (
        lambda: services.finish(p.unithead_a, a, result="Lần nữa"),
        lambda: services.record_progress(p.unithead_a, a, "Sau khi xong"),
        lambda: services.reassign(p.unithead_a, a, lead=p.specialist_a),
    ):
        with pytest.raises(ValidationError):
            call()
        assert state(doc) == before


@pytest.mark.django_db
def test_statuses_04_05_06_reach_the_sender(province):
    """A document sent by A through the exchange, registered and handled at B: A's tracking view
    shows 03, 04, 05 and 06."""
    p = province
    leader_b = org_services.create_person(
        None,
        username="lanhdao.b",
        full_name="Lãnh Đạo B",
        email="lanhdao.b@example.vn",
        agency=p.b,
        unit=p.b_vp,
        position="Giám đốc",
        roles=[Role.LEADER],
        password=PASSWORD,
    )
    sent = documents.register_outgoing(
        p.clerk_a,
        uploads=[pdf_upload("lien thong")],
        doc_type=p.types["cong-van"],
        unit=p.a_vp,
        subject="Về việc phối hợp",
        signer_name="Phạm Văn Đức",
        signer_position="Giám đốc",
    ).document
    exchange.send(p.clerk_a, sent, [p.b.identifier])
    tasks.deliver_all_due()
    received = exchange.register_arrival(p.clerk_b, Arrival.objects.get())
    tasks.deliver_all_due()
    a = services.assign(leader_b, received, lead=p.clerk_b, deadline=TODAY + dt.timedelta(days=2))
    tasks.deliver_all_due()
    services.record_progress(p.clerk_b, a, "Đang xử lý")
    services.record_progress(p.clerk_b, a, "Vẫn đang xử lý")  # only the first report is sent
    tasks.deliver_all_due()
    services.finish(p.clerk_b, a, result="Đã xử lý xong")
    tasks.deliver_all_due()
    delivery = Delivery.objects.get(dispatch__document=sent)
    assert delivery.status == Status.DONE
    assert [e.status for e in delivery.events.all()] == [
        Status.ARRIVED,
        Status.REGISTERED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.DONE,
    ]


@pytest.mark.django_db(transaction=True)
def test_two_leaders_assigning_at_once_give_one_assignment_and_one_refusal():
    p = build_province()
    leader2 = org_services.create_person(
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
    doc = incoming(p)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(username, lead):
        try:
            leader = Person.objects.get(username=username)
            barrier.wait(timeout=30)
            services.assign(leader, Document.objects.get(pk=doc.pk), lead=lead)
            outcomes.append("assigned")
        except ValidationError as exc:
            outcomes.append("refused: " + " ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(p.leader_a.username, p.a_cntt)),
        threading.Thread(target=run, args=(leader2.username, p.a_vp)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["assigned", "refused"], outcomes
    assert Assignment.objects.filter(document=doc).count() == 1
    assert Handler.objects.filter(role="lead").count() == 1
