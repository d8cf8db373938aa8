"""Bad input answers with a clear refusal, never a server error, and changes nothing; and a
confidential invitation never shows its subject on the agency's published schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import pdf_upload
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from vanban.documents import selectors as documents
from vanban.documents import services as document_services
from vanban.workflow.models import Dossier, Handover, Notice, ScheduleEntry
from vanban.workflow.services import dossiers as dossier_services
from vanban.workflow.services import meetings as meeting_services

pytestmark = pytest.mark.django_db
BEYOND_64_BITS = 99999999999999999999


def web(person):
    c = Client(raise_request_exception=False)
    c.force_login(person)
    return c


def api(person):
    c = APIClient(raise_request_exception=False)
    c.force_authenticate(person)
    return c


@pytest.mark.parametrize("url", ["/lich-cong-tac/1/1/", "/lich-cong-tac/9999/52/", "/lich-cong-tac/2026/54/"])
def test_schedule_page_of_a_week_out_of_range_is_not_found(province, url):
    assert web(province.clerk_a).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/api/v1/workflow/schedule/0001/1/", "/api/v1/workflow/schedule/9999/52/"])
def test_schedule_api_of_a_week_out_of_range_is_not_found(province, url):
    assert api(province.clerk_a).get(url).status_code == 404


def test_an_entry_on_a_day_out_of_range_is_refused(province):
    r = web(province.clerk_a).post("/lich-cong-tac/muc/", {"day": "0001-01-01", "start_time": "08:00", "title": "x"})
    assert r.status_code == 302
    assert not ScheduleEntry.objects.exists()
    with pytest.raises(ValidationError) as refused:
        meeting_services.add_entry(province.clerk_a, day=dt.date(1999, 12, 31), start_time=dt.time(8), title="x")
    assert "day" in refused.value.message_dict


def test_changing_an_entry_removed_meanwhile_is_a_clear_refusal(province):
    p = province
    entry = meeting_services.add_entry(p.clerk_a, day=timezone.localdate(), start_time=dt.time(8), title="x")
    stale = ScheduleEntry.objects.get(pk=entry.pk)
    meeting_services.delete_entry(p.leader_a, entry)
    with pytest.raises(ValidationError) as refused:
        meeting_services.update_entry(p.clerk_a, stale, day=timezone.localdate(), start_time=dt.time(9), title="y")
    assert "entry" in refused.value.message_dict
    assert not ScheduleEntry.objects.exists()


def test_dossier_api_ignores_a_year_that_is_not_a_number(province):
    r = api(province.clerk_a).get("/api/v1/workflow/dossiers/", {"year": "²"})
    assert r.status_code == 200


def test_dossier_api_put_of_something_else_than_an_object(province):
    p = province
    d = dossier_services.open_dossier(
        p.clerk_a, year=timezone.localdate().year, notation="01.VP", title="Hồ sơ", maintenance="10 năm"
    )
    r = api(p.clerk_a).put(f"/api/v1/workflow/dossiers/{d.pk}/", [1, 2], format="json")
    assert r.status_code == 400
    d.refresh_from_db()
    assert (d.notation, d.title) == ("01.VP", "Hồ sơ")


def test_ids_beyond_64_bits_are_bad_requests(province):
    p = province
    r = api(p.clerk_a).post(
        "/api/v1/workflow/handovers/",
        {"dossiers": [BEYOND_64_BITS], "handed_on": "2025-01-01", "received_by": "x"},
        format="json",
    )
    assert r.status_code == 400 and not Handover.objects.exists()
    r = api(p.clerk_a).post("/api/v1/workflow/notices/mark-read/", {"ids": [BEYOND_64_BITS]}, format="json")
    assert r.status_code == 400
    # A web form's multi-select (Django's own field queries the database).
    r = web(p.clerk_a).post(
        "/lich-cong-tac/muc/",
        {"day": timezone.localdate().isoformat(), "start_time": "08:00", "title": "x", "people": [BEYOND_64_BITS]},
    )
    # SQLite's driver overflows (400 from the middleware); PostgreSQL finds no such person (the
    # form is refused and the page says so).
    assert r.status_code == (400 if connection.vendor == "sqlite" else 302)
    assert not ScheduleEntry.objects.exists()
    assert not Notice.objects.filter(read_at__isnull=False).exists() and not Dossier.objects.exists()


def test_a_confidential_invitation_shows_on_the_schedule_without_its_subject(province):
    p = province
    subject = "Họp bàn phương án nhân sự MẬT-XYZ"
    doc = document_services.register_incoming(
        p.clerk_a,
        uploads=[pdf_upload("gm")],
        doc_type=p.types["GM"],
        subject=subject,
        issuer_name="UBND tỉnh",
        issued_date=timezone.localdate(),
        original_code="1/GM-UBND",
        confidentiality="secret",
    ).document
    assert not documents.visible_documents(p.specialist_a).filter(pk=doc.pk).exists()
    day = timezone.localdate() + dt.timedelta(days=2)
    entry = meeting_services.add_entry_from_document(
        p.clerk_a, doc, day=day, start_time=dt.time(8), people=[p.leader_a]
    )
    assert subject not in entry.title and "UBND" not in entry.note and entry.document == doc
    y, w, _d = day.isocalendar()
    meeting_services.publish_week(p.clerk_a, p.a, y, w)
    c = web(p.specialist_a)
    html = c.get(f"/lich-cong-tac/{y}/{w}/").content.decode()
    assert str(entry.title) in html and subject not in html
    assert subject not in c.get(f"/api/v1/workflow/schedule/{y}/{w}/").content.decode()
    # Once on the schedule is enough: a second click is refused.
    with pytest.raises(ValidationError):
        meeting_services.add_entry_from_document(p.clerk_a, doc, day=day, start_time=dt.time(9), people=[])
    assert ScheduleEntry.objects.count() == 1
