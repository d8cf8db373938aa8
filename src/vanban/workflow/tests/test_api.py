"""The workflow's REST API: the same services, errors per field in Vietnamese, scoped reads."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from vanban.workflow.models import Assignment
from vanban.workflow.tests.test_assignment import TODAY, incoming

pytestmark = pytest.mark.django_db


def api_for(person) -> APIClient:
    c = APIClient()
    c.force_authenticate(person)
    return c


def test_assign_progress_finish_and_worklist(province):
    p = province
    doc = incoming(p)
    leader = api_for(p.leader_a)
    r = leader.post(
        f"/api/v1/workflow/assignments/documents/{doc.pk}/assign/",
        {"lead": {"unit": p.a_cntt.pk}, "readers": [{"person": p.clerk_a.pk}], "deadline": str(TODAY)},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert [h["role"] for h in body["handlers"]] == ["lead", "reader"] and body["state"] == "open"
    pk = body["id"]
    specialist = api_for(p.specialist_a)
    assert [a["id"] for a in specialist.get("/api/v1/workflow/assignments/mine/").json()["to_handle"]] == [pk]
    r = specialist.post(f"/api/v1/workflow/assignments/{pk}/progress/", {"note": "Đang làm"}, format="json")
    assert r.status_code == 200 and r.json()["progress"][0]["note"] == "Đang làm"
    r = specialist.post(f"/api/v1/workflow/assignments/{pk}/finish/", {"result": "Xong"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "done"


def test_errors_are_per_field_in_vietnamese_and_change_nothing(province):
    p = province
    doc = incoming(p)
    leader = api_for(p.leader_a)
    url = f"/api/v1/workflow/assignments/documents/{doc.pk}/assign/"
    r = leader.post(url, {"lead": {"unit": p.a_cntt.pk}, "deadline": str(TODAY - dt.timedelta(days=1))}, format="json")
    assert r.status_code == 400 and r.json()["deadline"] == ["Hạn xử lý không được trước ngày giao."]
    r = leader.post(url, {"lead": {"team": 1}}, format="json")
    assert r.status_code == 400 and "lead" in r.json()
    r = leader.post(url, {"lead": {"person": 999999}}, format="json")
    assert r.status_code == 400 and "lead" in r.json()
    assert api_for(p.specialist_a).post(url, {"lead": {"unit": p.a_cntt.pk}}, format="json").status_code == 404
    assert api_for(p.clerk_a).post(url, {"lead": {"unit": p.a_cntt.pk}}, format="json").status_code == 201
    r = leader.post(url, {"lead": {"unit": p.a_vp.pk}}, format="json")
    assert r.status_code == 400 and r.json()["document"] == ["Văn bản này đã được giao xử lý."]
    pk = Assignment.objects.get().pk
    r = api_for(p.leader_a).post(f"/api/v1/workflow/assignments/{pk}/finish/", {"result": "x"}, format="json")
    assert r.status_code == 403
    assert api_for(p.clerk_b).get(f"/api/v1/workflow/assignments/{pk}/").status_code == 404
    assert Assignment.objects.count() == 1


def test_actions_are_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path in (
        "/api/v1/workflow/assignments/documents/{document_pk}/assign/",
        "/api/v1/workflow/assignments/{id}/reassign/",
        "/api/v1/workflow/assignments/{id}/progress/",
        "/api/v1/workflow/assignments/{id}/finish/",
        "/api/v1/workflow/assignments/mine/",
    ):
        assert path in schema["paths"], sorted(p for p in schema["paths"] if "workflow" in p)
