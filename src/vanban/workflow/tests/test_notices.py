"""In-app notices: the page, opening one, marking read, the menu badge, the API; nobody ever
sees another person's notices."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from rest_framework.test import APIClient

from vanban.workflow.models import Notice
from vanban.workflow.services import notices

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    c = Client()
    c.force_login(person)
    return c


def api_for(person) -> APIClient:
    c = APIClient()
    c.force_authenticate(person)
    return c


def seed(p):
    notices.notify([p.specialist_a], kind="test", text="Cũ đã đọc", url="/cong-viec/", key="old")
    notices.notify([p.specialist_a], kind="test", text="Việc mới cần làm", url="/cong-viec/", key="new")
    notices.notify([p.clerk_a], kind="test", text="Của văn thư", url="/cong-viec/", key="clerk")
    old = Notice.objects.get(key="old")
    notices.mark_read(p.specialist_a, [old.pk])
    return old, Notice.objects.get(key="new"), Notice.objects.get(key="clerk")


def test_notify_is_once_per_key_and_skips_inactive_people(province):
    p = province
    type(p.monitor).objects.filter(pk=p.monitor.pk).update(is_active=False)
    p.monitor.refresh_from_db()
    notices.notify([p.specialist_a, p.specialist_a, p.monitor], kind="k", text="x", key="once")
    notices.notify([p.specialist_a], kind="k", text="x", key="once")
    notices.notify([p.specialist_a], kind="k", text="no key, every time")
    notices.notify([p.specialist_a], kind="k", text="no key, every time")
    assert Notice.objects.filter(person=p.specialist_a, key="once").count() == 1
    assert Notice.objects.filter(person=p.specialist_a, key="").count() == 2
    assert not Notice.objects.filter(person=p.monitor).exists()


def test_the_page_lists_own_notices_unread_first_with_the_badge(province):
    p = province
    old, new, _clerks = seed(p)
    r = client_for(p.specialist_a).get("/thong-bao/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Việc mới cần làm" in body and "Cũ đã đọc" in body and "Của văn thư" not in body
    assert body.index("Việc mới cần làm") < body.index("Cũ đã đọc")
    assert [n.pk for n in r.context["page"]] == [new.pk, old.pk]
    assert r.context["nav"]["unread_notices"] == 1
    assert f'href="/thong-bao/{new.pk}/"' in body


def test_opening_a_notice_marks_it_read_and_follows_its_link(province):
    p = province
    _old, new, clerks = seed(p)
    c = client_for(p.specialist_a)
    r = c.get(f"/thong-bao/{new.pk}/")
    assert r.status_code == 302 and r["Location"] == "/cong-viec/"
    new.refresh_from_db()
    assert new.read_at is not None
    # Someone else's notice: not found, and left unread.
    r = c.get(f"/thong-bao/{clerks.pk}/")
    assert r.status_code == 404
    clerks.refresh_from_db()
    assert clerks.read_at is None


def test_a_notice_never_links_out_of_the_site(province):
    p = province
    notices.notify([p.specialist_a], kind="test", text="lạ", url="https://evil.example/x", key="out")
    n = Notice.objects.get(key="out")
    r = client_for(p.specialist_a).get(f"/thong-bao/{n.pk}/")
    assert r.status_code == 302 and r["Location"] == "/thong-bao/"


def test_mark_all_read_is_a_post_and_touches_only_own_notices(province):
    p = province
    _old, _new, clerks = seed(p)
    c = client_for(p.specialist_a)
    assert c.get("/thong-bao/da-doc/").status_code == 405
    assert Notice.objects.filter(person=p.specialist_a, read_at__isnull=True).count() == 1
    r = c.post("/thong-bao/da-doc/")
    assert r.status_code == 302 and r["Location"] == "/thong-bao/"
    assert not Notice.objects.filter(person=p.specialist_a, read_at__isnull=True).exists()
    clerks.refresh_from_db()
    assert clerks.read_at is None


def test_the_pages_need_a_login(province):
    r = Client().get("/thong-bao/")
    assert r.status_code == 302 and r["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert Client().post("/thong-bao/da-doc/").status_code == 302


def test_the_menu_shows_the_unread_count(province):
    p = province
    seed(p)
    body = client_for(p.specialist_a).get("/cong-viec/").content.decode()
    assert 'href="/thong-bao/"' in body and '<span class="badge">1</span>' in body


def test_api_lists_own_notices_only(province):
    p = province
    _old, new, _clerks = seed(p)
    r = api_for(p.specialist_a).get("/api/v1/workflow/notices/")
    assert r.status_code == 200
    results = r.json()["results"]
    assert [n["id"] for n in results] == [new.pk, _old.pk]
    assert set(results[0]) == {"id", "kind", "text", "url", "created_at", "read_at"}
    r = api_for(p.specialist_a).get("/api/v1/workflow/notices/?unread=1")
    assert [n["id"] for n in r.json()["results"]] == [new.pk]
    assert APIClient().get("/api/v1/workflow/notices/").status_code in (401, 403)


def test_api_mark_read_given_ids_or_all_never_others(province):
    p = province
    _old, new, clerks = seed(p)
    api = api_for(p.specialist_a)
    r = api.post("/api/v1/workflow/notices/mark-read/", {"ids": [new.pk, clerks.pk]}, format="json")
    assert r.status_code == 200 and r.json() == {"marked": 1, "unread": 0}
    clerks.refresh_from_db()
    assert clerks.read_at is None
    r = api.post("/api/v1/workflow/notices/mark-read/", {"ids": ["x"]}, format="json")
    assert r.status_code == 400 and "ids" in r.json()
    notices.notify([p.specialist_a], kind="test", text="a", key="a")
    notices.notify([p.specialist_a], kind="test", text="b", key="b")
    r = api.post("/api/v1/workflow/notices/mark-read/", {}, format="json")
    assert r.json() == {"marked": 2, "unread": 0}


def test_notices_are_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert "get" in schema["paths"]["/api/v1/workflow/notices/"]
    assert "post" in schema["paths"]["/api/v1/workflow/notices/mark-read/"]
