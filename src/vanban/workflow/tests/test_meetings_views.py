"""Meetings and the work schedule through the web pages and the REST API."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import django_pdf, pdf_upload
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from vanban.documents.models import Document
from vanban.exchange import services as exchange
from vanban.exchange import tasks
from vanban.exchange.models import Arrival, Dispatch
from vanban.workflow.models import Meeting, MeetingMaterial, Participant, ScheduleEntry, SchedulePublication
from vanban.workflow.services import meetings as services
from vanban.workflow.tests.test_meetings import at, leader_b, meeting, week_of

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    c = Client()
    c.force_login(person)
    return c


def api_for(person) -> APIClient:
    c = APIClient()
    c.force_authenticate(person)
    return c


def local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


# --- pages ----------------------------------------------------------------------------------


def test_clerk_calls_a_meeting_through_the_page_and_a_specialist_may_not(province):
    p = province
    clerk = client_for(p.clerk_a)
    html = clerk.get(reverse("meetings")).content.decode()
    assert 'id="new-meeting"' in html
    r = clerk.post(
        reverse("meetings"),
        {
            "title": "Họp giao ban tuần",
            "location": "Phòng họp 2",
            "starts_at": local(at(2, 8)),
            "ends_at": local(at(2, 10)),
            "chair": p.leader_a.pk,
            "participants": [p.specialist_a.pk],
            "agenda": "Giao ban",
            "material": django_pdf("tai lieu", "tai-lieu.pdf"),
        },
    )
    m = Meeting.objects.get()
    assert r.status_code == 302 and r.url == reverse("meeting-detail", args=[m.pk])
    assert m.starts_at == at(2, 8) and m.organiser == p.clerk_a and m.materials.get().name == "tai-lieu.pdf"
    # A start in the past is refused; the form comes back with the error, nothing is created.
    r = clerk.post(reverse("meetings"), {"title": "X", "location": "Y", "starts_at": local(at(-1, 8))})
    assert r.status_code == 400 and 'class="error"' in r.content.decode()
    assert Meeting.objects.count() == 1
    specialist = client_for(p.specialist_a)
    assert 'id="new-meeting"' not in specialist.get(reverse("meetings")).content.decode()
    r = specialist.post(reverse("meetings"), {"title": "X", "location": "Y", "starts_at": local(at(2, 8))})
    assert r.status_code == 403 and Meeting.objects.count() == 1


def test_invitee_sees_the_meeting_answers_and_downloads_materials(province):
    p = province
    m = meeting(p, materials=[pdf_upload("chuong trinh", "chuong-trinh.pdf")])
    specialist = client_for(p.specialist_a)
    html = specialist.get(reverse("meetings")).content.decode()
    assert m.title in html and reverse("meeting-answer", args=[m.pk]) in html
    html = specialist.get(reverse("meeting-detail", args=[m.pk])).content.decode()
    assert 'id="answer"' in html and "chuong-trinh.pdf" in html and 'id="manage"' not in html
    material = MeetingMaterial.objects.get()
    r = specialist.get(reverse("meeting-material-download", args=[m.pk, material.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
    # Declining without a reason is refused with a message; nothing changes.
    r = specialist.post(reverse("meeting-answer", args=[m.pk]), {"accept": "0", "note": ""}, follow=True)
    assert 'class="msg-error"' in r.content.decode()
    assert Participant.objects.get(person=p.specialist_a).answer == "pending"
    r = specialist.post(reverse("meeting-answer", args=[m.pk]), {"accept": "1", "next": "list"})
    assert r.status_code == 302 and r.url == reverse("meetings")
    assert Participant.objects.get(person=p.specialist_a).answer == "accepted"
    # Someone not invited neither sees it nor its materials, nor can answer.
    admin = client_for(p.admin_a)
    assert admin.get(reverse("meeting-detail", args=[m.pk])).status_code == 404
    assert admin.get(reverse("meeting-material-download", args=[m.pk, material.pk])).status_code == 404
    assert admin.post(reverse("meeting-answer", args=[m.pk]), {"accept": "1"}).status_code == 404
    assert client_for(p.clerk_b).get(reverse("meeting-detail", args=[m.pk])).status_code == 404


def test_manage_cancel_and_invite_agencies_through_the_page(province):
    p = province
    m = meeting(p)
    clerk = client_for(p.clerk_a)
    html = clerk.get(reverse("meeting-detail", args=[m.pk])).content.decode()
    assert 'id="manage"' in html and 'id="invite-agencies"' in html
    html = client_for(p.leader_a).get(reverse("meeting-detail", args=[m.pk])).content.decode()
    assert 'id="manage"' in html and 'id="invite-agencies"' not in html  # clerks only
    r = clerk.post(
        reverse("meeting-invite-agencies", args=[m.pk]),
        {
            "agency_codes": ["82-STC"],
            "file": django_pdf("giay moi", "giay-moi.pdf"),
            "signer_name": "Phạm Văn Đức",
            "signer_position": "Giám đốc",
        },
    )
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.invitation is not None and Dispatch.objects.filter(document=m.invitation).exists()
    agency = Participant.objects.get(meeting=m, agency=p.b)
    clerk.post(reverse("meeting-agency-answer", args=[m.pk, agency.pk]), {"accept": "1", "note": "Đồng ý"})
    agency.refresh_from_db()
    assert agency.answer == "accepted"
    clerk.post(reverse("meeting-participants", args=[m.pk]), {"people": [p.admin_a.pk]})
    assert Participant.objects.filter(meeting=m, person=p.admin_a).exists()
    clerk.post(
        reverse("meeting-edit", args=[m.pk]),
        {"edit-title": "Họp (đổi phòng)", "edit-location": "Hội trường", "edit-starts_at": local(m.starts_at)},
    )
    m.refresh_from_db()
    assert (m.title, m.location) == ("Họp (đổi phòng)", "Hội trường")
    r = client_for(p.specialist_a).post(reverse("meeting-cancel", args=[m.pk]), {"reason": "x"}, follow=True)
    assert 'class="msg-error"' in r.content.decode()
    m.refresh_from_db()
    assert m.state == "planned"
    clerk.post(reverse("meeting-cancel", args=[m.pk]), {"reason": "Hoãn"})
    m.refresh_from_db()
    assert m.state == "cancelled"
    html = client_for(p.specialist_a).get(reverse("meeting-detail", args=[m.pk])).content.decode()
    assert "Hoãn" in html and reverse("meeting-answer", args=[m.pk]) not in html


def test_schedule_page_hidden_until_published_then_shown(province):
    p = province
    m = meeting(p, starts_at=at(7, 14), ends_at=at(7, 16), title="Họp giao ban lãnh đạo")
    y, w = week_of(at(7))
    url = reverse("schedule-week", args=[y, w])
    clerk = client_for(p.clerk_a)
    html = clerk.get(url).content.decode()
    assert m.title in html and p.leader_a.get_full_name() in html and 'id="unpublished"' in html
    assert reverse("schedule-publish", args=[y, w]) in html
    day = timezone.localdate() + dt.timedelta(days=7)
    r = clerk.post(
        reverse("schedule-entry-add"),
        {"day": day.isoformat(), "start_time": "07:30", "title": "Tiếp công dân", "people": [p.leader_a.pk]},
    )
    assert r.status_code == 302 and r.url == url
    entry = ScheduleEntry.objects.get()
    specialist = client_for(p.specialist_a)
    html = specialist.get(url).content.decode()
    assert m.title not in html and "Tiếp công dân" not in html and 'id="unpublished"' in html
    assert reverse("schedule-publish", args=[y, w]) not in html
    r = specialist.post(reverse("schedule-publish", args=[y, w]), follow=True)
    assert 'class="msg-error"' in r.content.decode() and not SchedulePublication.objects.exists()
    clerk.post(reverse("schedule-publish", args=[y, w]), {"note": "Chính thức"})
    html = specialist.get(url).content.decode()
    assert m.title in html and "Tiếp công dân" in html and 'id="unpublished"' not in html
    assert html.index("Tiếp công dân") < html.index(m.title)  # 07:30 before 14:00
    assert client_for(p.leader_a).get(reverse("schedule")).status_code == 200
    assert specialist.get(reverse("schedule-week", args=[2025, 60])).status_code == 404
    # Changing an entry: the clerk through its page; a specialist cannot even see the form.
    edit = reverse("schedule-entry-edit", args=[entry.pk])
    assert specialist.get(edit).status_code == 404
    assert specialist.post(edit, {"day": day.isoformat(), "start_time": "09:00", "title": "x"}).status_code == 404
    assert 'name="title"' in clerk.get(edit).content.decode() and edit in clerk.get(url).content.decode()
    r = clerk.post(edit, {"day": day.isoformat(), "start_time": "16:00", "end_time": "15:00", "title": "Tiếp dân"})
    assert r.status_code == 200 and 'name="end_time"' in r.content.decode()  # refused, shown again
    entry.refresh_from_db()
    assert (entry.title, entry.start_time) == ("Tiếp công dân", dt.time(7, 30))
    r = clerk.post(edit, {"day": day.isoformat(), "start_time": "16:00", "title": "Tiếp công dân định kỳ"})
    assert r.status_code == 302 and r.url == url
    entry.refresh_from_db()
    assert (entry.title, entry.start_time, list(entry.people.all())) == ("Tiếp công dân định kỳ", dt.time(16), [])
    assert specialist.post(reverse("schedule-entry-delete", args=[entry.pk])).status_code == 404
    clerk.post(reverse("schedule-entry-delete", args=[entry.pk]))
    assert not ScheduleEntry.objects.exists()


def test_received_invitation_panel_puts_it_on_the_schedule(province):
    p = province
    m = meeting(p)
    services.invite_agencies(p.clerk_a, m, agency_codes=["82-STC"], upload=pdf_upload(), signer_name="Phạm Văn Đức")
    tasks.deliver_all_due()
    received = exchange.register_arrival(p.clerk_b, Arrival.objects.get(agency=p.b))
    lb = leader_b(p)
    page = reverse("document-detail", args=[received.pk])
    clerk_b = client_for(p.clerk_b)
    html = clerk_b.get(page).content.decode()
    assert 'id="meeting-schedule"' in html and reverse("document-to-schedule", args=[received.pk]) in html
    day = timezone.localdate() + dt.timedelta(days=3)
    r = clerk_b.post(
        reverse("document-to-schedule", args=[received.pk]),
        {
            "sched-day": day.isoformat(),
            "sched-start_time": "08:00",
            "sched-location": "Sở TT&TT",
            "sched-people": [lb.pk],
        },
    )
    assert r.status_code == 302 and r.url == page
    entry = ScheduleEntry.objects.get()
    assert entry.title == m.title and entry.agency_id == p.b.pk and list(entry.people.all()) == [lb]
    assert "Sở TT&amp;TT" in clerk_b.get(page).content.decode()
    # The sender's own outgoing invitation has no such panel.
    m.refresh_from_db()
    html = client_for(p.clerk_a).get(reverse("document-detail", args=[m.invitation_id])).content.decode()
    assert 'id="meeting-schedule"' not in html


# --- API --------------------------------------------------------------------------------------


def test_api_create_answer_cancel_and_materials(province):
    p = province
    clerk = api_for(p.clerk_a)
    r = clerk.post(
        "/api/v1/workflow/meetings/",
        {
            "title": "Họp qua API",
            "location": "Phòng 3",
            "starts_at": at(2, 9).isoformat(),
            "chair": p.leader_a.pk,
            "participants": [p.specialist_a.pk],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert [x["person"] for x in r.json()["participants"]] == [p.specialist_a.pk]
    r = clerk.post(
        "/api/v1/workflow/meetings/",
        {"title": "X", "location": "Y", "starts_at": at(2).isoformat(), "participants": [p.clerk_b.pk]},
        format="json",
    )
    assert r.status_code == 400 and "participants" in r.json()
    r = api_for(p.specialist_a).post(
        "/api/v1/workflow/meetings/", {"title": "X", "location": "Y", "starts_at": at(2).isoformat()}, format="json"
    )
    assert r.status_code == 403 and Meeting.objects.count() == 1

    specialist = api_for(p.specialist_a)
    assert [m["id"] for m in specialist.get("/api/v1/workflow/meetings/").json()["results"]] == [pk]
    r = specialist.post(f"/api/v1/workflow/meetings/{pk}/answer/", {"accept": False}, format="json")
    assert r.status_code == 400 and "note" in r.json()
    r = specialist.post(f"/api/v1/workflow/meetings/{pk}/answer/", {"accept": False, "note": "Ốm"}, format="json")
    assert r.status_code == 200 and r.json()["participants"][0]["answer"] == "declined"
    r = clerk.post(f"/api/v1/workflow/meetings/{pk}/materials/", {"file": django_pdf()}, format="multipart")
    assert r.status_code == 201 and r.json()["kind"] == "pdf"
    assert specialist.get(f"/api/v1/workflow/meetings/{pk}/").json()["materials"][0]["url"].startswith("/cuoc-hop/")
    assert api_for(p.admin_a).get(f"/api/v1/workflow/meetings/{pk}/").status_code == 404
    assert specialist.post(f"/api/v1/workflow/meetings/{pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    r = clerk.post(f"/api/v1/workflow/meetings/{pk}/cancel/", {"reason": "Hoãn"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    r = specialist.post(f"/api/v1/workflow/meetings/{pk}/answer/", {"accept": True}, format="json")
    assert r.status_code == 400


def test_api_invite_agencies_and_the_schedule(province):
    p = province
    m = meeting(p, starts_at=at(7, 14), ends_at=None)
    leader = api_for(p.leader_a)
    url = f"/api/v1/workflow/meetings/{m.pk}/invite-agencies/"
    data = {"agency_codes": ["82-STC"], "signer_name": "Phạm Văn Đức"}
    assert leader.post(url, {**data, "file": django_pdf()}, format="multipart").status_code == 403
    before = Document.objects.count()
    clerk = api_for(p.clerk_a)
    r = clerk.post(url, {**data, "file": django_pdf()}, format="multipart")
    assert r.status_code == 200, r.content
    assert r.json()["invitation"] and Document.objects.count() == before + 1
    r = clerk.post(
        f"/api/v1/workflow/meetings/{m.pk}/agency-answer/", {"agency": p.b.pk, "accept": True}, format="json"
    )
    assert r.status_code == 200 and [x["answer"] for x in r.json()["participants"] if x["agency"]] == ["accepted"]

    y, w = week_of(at(7))
    specialist = api_for(p.specialist_a)
    body = specialist.get(f"/api/v1/workflow/schedule/{y}/{w}/").json()
    assert body["hidden"] and not any(d["rows"] for d in body["days"])
    day = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    r = clerk.post(
        "/api/v1/workflow/schedule-entries/",
        {"day": day, "start_time": "07:00", "title": "Đi cơ sở", "people": [p.leader_a.pk]},
        format="json",
    )
    assert r.status_code == 201, r.content
    entry_pk = r.json()["id"]
    assert (
        specialist.post(
            "/api/v1/workflow/schedule-entries/", {"day": day, "start_time": "07:00", "title": "x"}, format="json"
        ).status_code
        == 403
    )
    assert specialist.post(f"/api/v1/workflow/schedule/{y}/{w}/publish/", {}, format="json").status_code == 403
    r = leader.post(f"/api/v1/workflow/schedule/{y}/{w}/publish/", {"note": "Tuần này"}, format="json")
    assert r.status_code == 200 and r.json()["publication"]["published_by"] == p.leader_a.pk
    body = specialist.get(f"/api/v1/workflow/schedule/{y}/{w}/").json()
    rows = next(d["rows"] for d in body["days"] if d["date"] == day)
    assert [(x["title"], x["source"]) for x in rows] == [("Đi cơ sở", "entry"), (m.title, "meeting")]
    entry_url = f"/api/v1/workflow/schedule-entries/{entry_pk}/"
    assert specialist.patch(entry_url, {"title": "y"}, format="json").status_code == 404
    assert clerk.patch(entry_url, {"start_time": "25:00"}, format="json").status_code == 400
    r = clerk.patch(entry_url, {"location": "Huyện Cái Bè"}, format="json")
    assert r.status_code == 200 and (r.json()["location"], r.json()["title"]) == ("Huyện Cái Bè", "Đi cơ sở")
    assert r.json()["people"] == [p.leader_a.pk]
    assert ScheduleEntry.objects.get(pk=entry_pk).location == "Huyện Cái Bè"
    assert specialist.delete(entry_url).status_code == 404
    assert clerk.delete(f"/api/v1/workflow/schedule-entries/{entry_pk}/").status_code == 204
    assert not ScheduleEntry.objects.exists()
    assert specialist.get("/api/v1/workflow/schedule/2025/60/").status_code == 404


def test_meetings_api_is_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path, method in (
        ("/api/v1/workflow/meetings/", "get"),
        ("/api/v1/workflow/meetings/", "post"),
        ("/api/v1/workflow/meetings/{id}/", "get"),
        ("/api/v1/workflow/meetings/{id}/answer/", "post"),
        ("/api/v1/workflow/meetings/{id}/cancel/", "post"),
        ("/api/v1/workflow/meetings/{id}/invite-agencies/", "post"),
        ("/api/v1/workflow/meetings/{id}/agency-answer/", "post"),
        ("/api/v1/workflow/meetings/{id}/materials/", "post"),
        ("/api/v1/workflow/schedule/{year}/{week}/", "get"),
        ("/api/v1/workflow/schedule/{year}/{week}/publish/", "post"),
        ("/api/v1/workflow/schedule-entries/", "post"),
        ("/api/v1/workflow/schedule-entries/{id}/", "delete"),
        ("/api/v1/workflow/schedule-entries/{id}/", "put"),
        ("/api/v1/workflow/schedule-entries/{id}/", "patch"),
    ):
        assert method in schema["paths"].get(path, {}), (path, sorted(p for p in schema["paths"] if "workflow" in p))
