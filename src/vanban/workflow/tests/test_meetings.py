"""Meetings, invitations (inside the agency and, with a Giấy mời through the exchange, to other
agencies), answers, and the leaders' weekly work schedule: the rules of the services and selectors."""

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

from vanban.audit.models import Entry
from vanban.documents.models import Direction, Document, StoredBlob
from vanban.documents.services import Upload
from vanban.exchange import services as exchange
from vanban.exchange import tasks
from vanban.exchange.models import Arrival, Delivery, Dispatch, Status
from vanban.orgs import services as org_services
from vanban.orgs.models import Person, Role
from vanban.workflow.models import (
    Meeting,
    MeetingMaterial,
    Notice,
    Participant,
    ScheduleEntry,
    SchedulePublication,
)
from vanban.workflow.selectors import meetings as selectors
from vanban.workflow.services import meetings as services


def at(days: int, hour: int = 8, minute: int = 0) -> dt.datetime:
    """An aware local datetime `days` from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def week_of(when: dt.datetime) -> tuple[int, int]:
    y, w, _d = timezone.localtime(when).date().isocalendar()
    return y, w


def meeting(p, **kw) -> Meeting:
    args = dict(
        title="Họp triển khai phần mềm quản lý văn bản",
        agenda="1. Báo cáo tiến độ\n2. Thảo luận",
        location="Phòng họp số 1",
        starts_at=at(3, 8),
        ends_at=at(3, 11),
        chair=p.leader_a,
        participants=[p.specialist_a, p.unithead_a],
    )
    args.update(kw)
    return services.create_meeting(kw.pop("actor", p.clerk_a), **{k: v for k, v in args.items() if k != "actor"})


def state() -> tuple:
    """Everything a meetings action may write, to show that a refusal wrote nothing."""
    return (
        list(Meeting.objects.order_by("pk").values_list("pk", "title", "location", "starts_at", "state", "invitation")),
        list(Participant.objects.order_by("pk").values_list("pk", "person", "agency", "answer", "note")),
        MeetingMaterial.objects.count(),
        StoredBlob.objects.count(),
        list(ScheduleEntry.objects.order_by("pk").values_list("pk", "day", "title")),
        list(SchedulePublication.objects.values_list("pk", "published_at")),
        Notice.objects.count(),
        Entry.objects.count(),
        Document.objects.count(),
        Dispatch.objects.count(),
    )


def docx_upload() -> Upload:
    """A minimal DOCX (a ZIP with the Word content types) for a material."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document/>")
    data = buf.getvalue()
    return Upload(io.BytesIO(data), "du-thao.docx", len(data))


def leader_b(p) -> Person:
    return org_services.create_person(
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


# --- creating ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_meeting_invites_and_notifies_participants(province):
    p = province
    m = meeting(p, materials=[pdf_upload("bao cao", "bao-cao.pdf")])
    assert m.organiser == p.clerk_a and m.state == Meeting.State.PLANNED and m.agency_id == p.a.pk
    assert sorted(m.participants.values_list("person_id", "answer")) == sorted(
        [(p.specialist_a.pk, "pending"), (p.unithead_a.pk, "pending")]
    )
    assert [(x.name, x.kind) for x in m.materials.all()] == [("bao-cao.pdf", "pdf")]
    url = f"/cuoc-hop/{m.pk}/"
    for who in (p.specialist_a, p.unithead_a):
        n = Notice.objects.get(person=who, kind="meeting.invitation")
        assert n.url == url and m.title in n.text and n.key == f"meeting:{m.pk}:invite:{who.pk}"
    assert Notice.objects.get(person=p.leader_a).kind == "meeting.chair"
    assert Entry.objects.filter(action="workflow.meetings.create", object_id=str(m.pk)).count() == 1
    # Leaders and unit heads may call meetings too.
    meeting(p, actor=p.leader_a, participants=[])
    meeting(p, actor=p.unithead_a, participants=[p.specialist_a])
    assert Meeting.objects.count() == 3


@pytest.mark.django_db
def test_who_may_create_participants_and_times_are_checked_and_refusals_change_nothing(province):
    p = province
    before = state()
    cases = [
        (PermissionDenied, dict(actor=p.specialist_a)),
        (PermissionDenied, dict(actor=p.admin_a)),
        (ValidationError, dict(participants=[p.clerk_b])),  # another agency
        (ValidationError, dict(chair=p.clerk_b)),
        (ValidationError, dict(starts_at=at(-1, 8), ends_at=None)),  # in the past
        (ValidationError, dict(ends_at=at(3, 7))),  # ends before it starts
        (ValidationError, dict(ends_at=at(3, 8))),  # ends as it starts
        (ValidationError, dict(title="  ")),
        (ValidationError, dict(location="")),
        (ValidationError, dict(materials=[pdf_upload(), Upload(io.BytesIO(b"MZ\x90\x00"), "virus.exe", 4)])),
    ]
    for error, kw in cases:
        with pytest.raises(error):
            meeting(p, **kw)
        assert state() == before, kw
    p.specialist_a.is_active = False
    p.specialist_a.save()
    with pytest.raises(ValidationError, match=r"Chuyenvien|Chuyên"):
        meeting(p)
    assert state() == before


@pytest.mark.django_db
def test_materials_accept_office_files(province):
    p = province
    m = meeting(p, materials=[])
    services.add_material(p.leader_a, m, upload=docx_upload())
    assert [x.kind for x in m.materials.all()] == ["docx"]
    before = state()
    with pytest.raises(PermissionDenied):
        services.add_material(p.specialist_a, m, upload=pdf_upload())
    with pytest.raises(ValidationError):
        services.add_material(p.clerk_a, m, upload=Upload(io.BytesIO(b"hello"), "a.txt", 5))
    assert state() == before


# --- answers ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_invitees_answer_and_may_change_their_mind_decline_needs_a_reason(province):
    p = province
    m = meeting(p)
    before = state()
    with pytest.raises(ValidationError) as exc:
        services.answer(p.specialist_a, m, accept=False, note="  ")
    assert "note" in exc.value.message_dict
    with pytest.raises(PermissionDenied):  # not invited
        services.answer(p.admin_a, m, accept=True)
    with pytest.raises(PermissionDenied):  # the chair is not an invitee who answers
        services.answer(p.leader_a, m, accept=True)
    assert state() == before
    a = services.answer(p.specialist_a, m, accept=True)
    assert a.answer == "accepted" and a.answered_at is not None
    a = services.answer(p.specialist_a, m, accept=False, note="Đi công tác")
    assert (a.answer, a.note) == ("declined", "Đi công tác")
    assert Notice.objects.filter(person=p.clerk_a, kind="meeting.declined").count() == 1
    assert selectors.invitations_pending(p.specialist_a) == 0
    assert selectors.invitations_pending(p.unithead_a) == 1


@pytest.mark.django_db
def test_no_answer_once_the_meeting_has_started(province):
    p = province
    m = meeting(p)
    Meeting.objects.filter(pk=m.pk).update(starts_at=timezone.now() - dt.timedelta(minutes=1), ends_at=None)
    m.refresh_from_db()
    before = state()
    with pytest.raises(ValidationError, match=r"bắt đầu|started"):
        services.answer(p.specialist_a, m, accept=True)
    assert state() == before
    assert selectors.invitations_pending(p.specialist_a) == 0


@pytest.mark.django_db
def test_a_cancelled_meeting_is_frozen(province):
    p = province
    m = meeting(p)
    with pytest.raises(PermissionDenied):
        services.cancel_meeting(p.specialist_a, m, reason="Không phải người tổ chức")
    with pytest.raises(ValidationError):
        services.cancel_meeting(p.clerk_a, m, reason="")
    services.cancel_meeting(p.clerk_a, m, reason="Lãnh đạo đi công tác")
    m.refresh_from_db()
    assert m.state == "cancelled" and m.cancel_reason == "Lãnh đạo đi công tác"
    told = set(Notice.objects.filter(kind="meeting.cancelled").values_list("person_id", flat=True))
    assert told == {p.specialist_a.pk, p.unithead_a.pk, p.leader_a.pk}
    before = state()
    for call in (
        lambda: services.answer(p.specialist_a, m, accept=True),
        lambda: services.cancel_meeting(p.clerk_a, m, reason="Lần nữa"),
        lambda: services.update_meeting(p.clerk_a, m, title="Mới", location="X", starts_at=at(4)),
        lambda: services.add_participants(p.clerk_a, m, people=[p.admin_a]),
        lambda: services.add_material(p.clerk_a, m, upload=pdf_upload()),
        lambda: services.invite_agencies(
            p.clerk_a, m, agency_codes=["82-STC"], upload=pdf_upload(), signer_name="Phạm Văn Đức"
        ),
        lambda: services.record_agency_answer(p.clerk_a, m, p.b, accept=True),
    ):
        with pytest.raises(ValidationError):
            call()
        assert state() == before


@pytest.mark.django_db
def test_update_and_add_participants(province):
    p = province
    m = meeting(p, participants=[p.specialist_a])
    services.update_meeting(
        p.leader_a, m, title="Họp (dời lịch)", location="Hội trường", starts_at=at(4, 14), chair=p.leader_a
    )
    m.refresh_from_db()
    assert (m.title, m.location, m.starts_at) == ("Họp (dời lịch)", "Hội trường", at(4, 14))
    assert Notice.objects.filter(person=p.specialist_a, kind="meeting.changed").count() == 1
    services.add_participants(p.clerk_a, m, people=[p.admin_a])
    assert Notice.objects.filter(person=p.admin_a, kind="meeting.invitation").count() == 1
    before = state()
    for error, call in (
        (ValidationError, lambda: services.add_participants(p.clerk_a, m, people=[p.admin_a])),  # already
        (ValidationError, lambda: services.add_participants(p.clerk_a, m, people=[p.clerk_b])),  # other agency
        (PermissionDenied, lambda: services.add_participants(p.specialist_a, m, people=[p.monitor])),
        (PermissionDenied, lambda: services.update_meeting(p.clerk_b, m, title="x", location="x", starts_at=at(5))),
        (
            ValidationError,
            lambda: services.update_meeting(p.clerk_a, m, title="x", location="x", starts_at=at(-2)),
        ),  # moved into the past
    ):
        with pytest.raises(error):
            call()
        assert state() == before


# --- other agencies -------------------------------------------------------------------------


@pytest.mark.django_db
def test_invite_agencies_registers_a_numbered_giay_moi_and_sends_it(province):
    p = province
    m = meeting(p)
    before = state()
    for error, kw in (
        (PermissionDenied, dict(actor=p.leader_a)),  # clerks only
        (PermissionDenied, dict(actor=p.clerk_b)),
        (ValidationError, dict(agency_codes=["82-XYZ"])),
        (ValidationError, dict(agency_codes=["82-STTTT"])),  # own agency
        (ValidationError, dict(agency_codes=[])),
        (ValidationError, dict(signer_name="")),
    ):
        args = dict(actor=p.clerk_a, agency_codes=["82-STC"], upload=pdf_upload("giay moi"), signer_name="Phạm Văn Đức")
        args.update(kw)
        with pytest.raises(error):
            services.invite_agencies(args.pop("actor"), m, **args)
        assert state() == before, kw

    doc = services.invite_agencies(
        p.clerk_a,
        m,
        agency_codes=["82-STC"],
        upload=pdf_upload("giay moi"),
        signer_name="Phạm Văn Đức",
        signer_position="Giám đốc",
    )
    m.refresh_from_db()
    assert m.invitation == doc
    assert doc.direction == Direction.OUTGOING and doc.doc_type.code == "giay-moi"
    assert doc.number and doc.code.startswith(f"{doc.number}/GM-STTTT") and doc.subject == m.title
    dispatch = Dispatch.objects.get(document=doc)
    assert [d.recipient_identifier for d in dispatch.deliveries.all()] == [p.b.identifier]
    assert list(m.participants.filter(agency__isnull=False).values_list("agency_id", "answer")) == [(p.b.pk, "pending")]
    with pytest.raises(ValidationError, match="Sở Tài chính"):  # invited once
        services.invite_agencies(p.clerk_a, m, agency_codes=["82-STC"], upload=pdf_upload(), signer_name="A")

    # It arrives at the other agency like any document sent through the exchange.
    tasks.deliver_all_due()
    arrival = Arrival.objects.get(agency=p.b)
    received = exchange.register_arrival(p.clerk_b, arrival)
    assert received.direction == Direction.INCOMING and received.subject == m.title
    assert received.doc_type.code == "giay-moi" and selectors.is_incoming_invitation(received)
    tasks.deliver_all_due()
    assert Delivery.objects.get(dispatch=dispatch).status == Status.REGISTERED

    # The organiser records the agency's answer given by phone.
    with pytest.raises(PermissionDenied):
        services.record_agency_answer(p.specialist_a, m, p.b, accept=True)
    with pytest.raises(ValidationError):
        services.record_agency_answer(p.clerk_a, m, p.b, accept=False)
    with pytest.raises(ValidationError):
        services.record_agency_answer(p.clerk_a, m, p.root, accept=True)  # not invited
    services.record_agency_answer(p.clerk_a, m, p.b, accept=True, note="Cử Phó Giám đốc dự")
    assert m.participants.get(agency=p.b).answer == "accepted"

    # At the receiving agency, the clerk puts the invitation on its leaders' schedule.
    lb = leader_b(p)
    day = timezone.localdate() + dt.timedelta(days=3)
    with pytest.raises(PermissionDenied):
        services.add_entry_from_document(p.clerk_a, received, day=day, start_time=dt.time(8))
    entry = services.add_entry_from_document(
        p.clerk_b, received, day=day, start_time=dt.time(8), location="Sở TT&TT", people=[lb]
    )
    assert entry.title == m.title and entry.document == received and entry.agency_id == p.b.pk
    assert doc.code in entry.note
    y, w, _d = day.isocalendar()
    week = selectors.week_schedule(p.b, y, w, person=lb)
    rows = next(d for d in week.days if d.date == day).rows
    assert [(r.title, r.leaders, r.source) for r in rows] == [(m.title, ["Lãnh Đạo B"], "entry")]
    # An outgoing document is not an invitation received.
    with pytest.raises(ValidationError):
        services.add_entry_from_document(p.clerk_a, doc, day=day, start_time=dt.time(8))


# --- the schedule -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_week_schedule_is_built_from_leaders_meetings_and_entries(province):
    p = province
    chaired = meeting(p, starts_at=at(7, 14), ends_at=at(7, 16), title="Họp giao ban")
    invited = meeting(p, starts_at=at(7, 8), ends_at=None, chair=None, participants=[p.leader_a], title="Họp A")
    declined = meeting(p, starts_at=at(7, 9), chair=None, ends_at=None, participants=[p.leader_a], title="Họp B")
    services.answer(p.leader_a, declined, accept=False, note="Trùng lịch")
    meeting(p, starts_at=at(7, 10), ends_at=None, chair=p.unithead_a, participants=[p.specialist_a], title="Phòng")
    cancelled = meeting(p, starts_at=at(7, 15), ends_at=None, title="Đã hủy")
    services.cancel_meeting(p.clerk_a, cancelled, reason="Hoãn")
    day = timezone.localdate() + dt.timedelta(days=7)
    entry = services.add_entry(
        p.leader_a,
        day=day,
        start_time=dt.time(7, 30),
        end_time=dt.time(11),
        title="Tiếp đoàn công tác của Bộ",
        location="Trụ sở",
        people=[p.leader_a],
    )
    y, w = week_of(at(7))
    week = selectors.week_schedule(p.a, y, w, person=p.clerk_a)
    assert [d.date.weekday() for d in week.days] == list(range(7)) and not week.hidden
    rows = next(d for d in week.days if d.date == day).rows
    leader = p.leader_a.get_full_name()
    assert [(r.start, r.title, r.leaders, r.source) for r in rows] == [
        (dt.time(7, 30), "Tiếp đoàn công tác của Bộ", [leader], "entry"),
        (dt.time(8), "Họp A", [leader], "meeting"),
        (dt.time(14), "Họp giao ban", [leader], "meeting"),
    ]
    assert rows[2].end == dt.time(16) and rows[2].location == "Phòng họp số 1" and rows[2].pk == chaired.pk
    assert rows[1].pk == invited.pk and rows[0].pk == entry.pk
    assert sum(len(d.rows) for d in week.days) == 3  # nothing else that week
    # An unpublished week is hidden from a specialist; a leader sees it.
    hidden = selectors.week_schedule(p.a, y, w, person=p.specialist_a)
    assert hidden.hidden and all(not d.rows for d in hidden.days)
    assert not selectors.week_schedule(p.a, y, w, person=p.leader_a).hidden
    assert selectors.week_schedule(p.a, y, w, person=p.clerk_b).hidden  # another agency

    before = state()
    with pytest.raises(PermissionDenied):
        services.publish_week(p.specialist_a, p.a, y, w)
    with pytest.raises(PermissionDenied):
        services.publish_week(p.clerk_b, p.a, y, w)
    with pytest.raises(ValidationError):
        services.publish_week(p.clerk_a, p.a, 2025, 60)
    assert state() == before
    pub = services.publish_week(p.clerk_a, p.a, y, w, note="Bản chính thức")
    shown = selectors.week_schedule(p.a, y, w, person=p.specialist_a)
    assert not shown.hidden and shown.publication == pub and sum(len(d.rows) for d in shown.days) == 3
    first_at = pub.published_at
    again = services.publish_week(p.leader_a, p.a, y, w)
    assert again.pk == pub.pk and again.published_by == p.leader_a and again.published_at >= first_at
    assert SchedulePublication.objects.count() == 1
    assert Entry.objects.filter(action="workflow.meetings.publish_week").count() == 2
    assert selectors.week_schedule(p.a, y, w, person=p.clerk_b).hidden


@pytest.mark.django_db
def test_schedule_entries_rules(province):
    p = province
    day = timezone.localdate()
    before = state()
    for error, call in (
        (PermissionDenied, lambda: services.add_entry(p.specialist_a, day=day, start_time=dt.time(8), title="x")),
        (PermissionDenied, lambda: services.add_entry(p.unithead_a, day=day, start_time=dt.time(8), title="x")),
        (ValidationError, lambda: services.add_entry(p.clerk_a, day=day, start_time=dt.time(8), title="")),
        (ValidationError, lambda: services.add_entry(p.clerk_a, day=None, start_time=dt.time(8), title="x")),
        (
            ValidationError,
            lambda: services.add_entry(p.clerk_a, day=day, start_time=dt.time(8), end_time=dt.time(7), title="x"),
        ),
        (
            ValidationError,
            lambda: services.add_entry(p.clerk_a, day=day, start_time=dt.time(8), title="x", people=[p.clerk_b]),
        ),
    ):
        with pytest.raises(error):
            call()
        assert state() == before
    e = services.add_entry(p.clerk_a, day=day, start_time=dt.time(8), title="Đi cơ sở", people=[p.leader_a])
    services.update_entry(p.leader_a, e, day=day, start_time=dt.time(9), title="Đi cơ sở huyện", people=[])
    e.refresh_from_db()
    assert (e.start_time, e.title, list(e.people.all())) == (dt.time(9), "Đi cơ sở huyện", [])
    with pytest.raises(PermissionDenied):
        services.delete_entry(p.clerk_b, e)
    services.delete_entry(p.clerk_a, e)
    assert ScheduleEntry.objects.count() == 0
    actions = list(
        Entry.objects.filter(action__startswith="workflow.meetings.").values_list("action", flat=True).order_by("seq")
    )
    assert actions == [
        "workflow.meetings.add_entry",
        "workflow.meetings.update_entry",
        "workflow.meetings.delete_entry",
    ]


@pytest.mark.django_db
def test_meetings_for_and_get_meeting_are_scoped(province):
    p = province
    m = meeting(p, participants=[p.specialist_a])
    other = meeting(p, actor=p.unithead_a, chair=None, participants=[])
    past = meeting(p, participants=[p.specialist_a])
    Meeting.objects.filter(pk=past.pk).update(starts_at=at(-3), ends_at=None)
    assert list(selectors.meetings_for(p.specialist_a)) == [m]
    assert list(selectors.meetings_for(p.specialist_a, upcoming=False)) == [past]
    assert set(selectors.meetings_for(p.clerk_a)) == {m, other}
    assert list(selectors.meetings_for(p.unithead_a)) == [other]  # organises it, not invited to m
    assert list(selectors.meetings_for(p.clerk_b)) == []
    assert selectors.get_meeting(p.leader_a, other.pk) == other
    for who, pk in ((p.specialist_a, other.pk), (p.clerk_b, m.pk), (p.admin_a, m.pk)):
        with pytest.raises(Http404):
            selectors.get_meeting(who, pk)


@pytest.mark.django_db(transaction=True)
def test_two_publishers_and_a_late_answer_race_cleanly():
    """Two clerks publishing the same week at once give one publication row."""
    p = build_province()
    clerk2 = org_services.create_person(
        None,
        username="vanthu2.a",
        full_name="Văn Thư Hai",
        email="vt2@example.vn",
        agency=p.a,
        unit=p.a_vp,
        position="",
        roles=[Role.CLERK],
        password=PASSWORD,
    )
    y, w = week_of(at(0))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(username):
        try:
            who = Person.objects.get(username=username)
            barrier.wait(timeout=30)
            services.publish_week(who, who.agency, y, w)
            outcomes.append("published")
        except Exception as exc:  # the test reports whatever went wrong
            outcomes.append(f"error: {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in (p.clerk_a.username, clerk2.username)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes == ["published", "published"], outcomes
    assert SchedulePublication.objects.filter(agency=p.a, year=y, week=w).count() == 1
