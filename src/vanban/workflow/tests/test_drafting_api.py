"""The drafting REST API: the same services, errors per field, scoped reads, the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from vanban.documents.samples import docx, one_page_pdf
from vanban.exchange.models import Delivery
from vanban.workflow.models import ApprovalChain, ApprovalStep, Draft
from vanban.workflow.tests.test_drafting import TODAY

pytestmark = pytest.mark.django_db


def api_for(person) -> APIClient:
    c = APIClient()
    c.force_authenticate(person)
    return c


def test_the_whole_path_through_the_api(province):
    p = province
    admin = api_for(p.admin_a)
    r = admin.post(
        "/api/v1/workflow/chains/",
        {"name": "TP → GĐ", "steps": [{"kind": "unit_head"}, {"kind": "leader", "title": "Giám đốc"}]},
        format="json",
    )
    assert r.status_code == 201, r.content
    chain_pk = r.json()["id"]
    assert [s["kind"] for s in r.json()["steps"]] == ["unit_head", "leader"]

    author = api_for(p.specialist_a)
    r = author.post(
        "/api/v1/workflow/drafts/",
        {"file": SimpleUploadedFile("du-thao.docx", docx()), "doc_type": p.types["QĐ"].pk, "subject": "Quy chế"},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert [(v["number"], v["kind"]) for v in r.json()["versions"]] == [(1, "docx")]
    r = author.post(f"/api/v1/workflow/drafts/{pk}/submit/", {"chain": chain_pk}, format="json")
    assert r.status_code == 400 and "file" in r.json()
    r = author.post(
        f"/api/v1/workflow/drafts/{pk}/versions/",
        {"file": SimpleUploadedFile("du-thao.pdf", one_page_pdf("v2"))},
        format="multipart",
    )
    assert r.status_code == 201 and len(r.json()["versions"]) == 2
    r = author.post(
        f"/api/v1/workflow/drafts/{pk}/request-comments/",
        {"people": [p.clerk_a.pk], "deadline": str(TODAY), "message": "Góp ý"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["comment_requests"][0]["people"] == [p.clerk_a.pk]
    r = api_for(p.clerk_a).post(f"/api/v1/workflow/drafts/{pk}/comment/", {"text": "Sửa Điều 1"}, format="json")
    assert r.status_code == 201
    comment_pk = r.json()["comments"][0]["id"]
    r = author.post(
        f"/api/v1/workflow/drafts/{pk}/comment/", {"text": "Đã sửa", "answer_to": comment_pk}, format="json"
    )
    assert r.status_code == 201 and r.json()["comments"][0]["answer"] == "Đã sửa"
    r = author.post(f"/api/v1/workflow/drafts/{pk}/submit/", {"chain": chain_pk}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "in_approval"

    head = api_for(p.unithead_a)
    assert [d["id"] for d in head.get("/api/v1/workflow/drafts/?tab=to_approve").json()["results"]] == [pk]
    r = head.post(f"/api/v1/workflow/drafts/{pk}/forward/", {"to": p.admin_a.pk, "note": "Nhờ xem"}, format="json")
    assert r.status_code == 200
    assert [(s["order"], s["state"]) for s in r.json()["steps"]] == [(1, "forwarded"), (2, "current"), (3, "waiting")]
    assert admin.post(f"/api/v1/workflow/drafts/{pk}/approve/", {}, format="json").status_code == 200
    leader = api_for(p.leader_a)
    r = leader.post(f"/api/v1/workflow/drafts/{pk}/return/", {"note": ""}, format="json")
    assert r.status_code == 400 and "note" in r.json()
    r = leader.post(f"/api/v1/workflow/drafts/{pk}/approve/", {"note": "Đồng ý"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved"

    assert leader.post(f"/api/v1/workflow/drafts/{pk}/issue/", {}, format="json").status_code == 403
    r = api_for(p.clerk_a).post(
        f"/api/v1/workflow/drafts/{pk}/issue/", {"recipient_codes": [p.b.identifier], "copies": 2}, format="json"
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["draft"]["state"] == "issued" and body["document"]["id"] == body["draft"]["document"]
    assert Delivery.objects.filter(dispatch_id=body["dispatch"], recipient_identifier=p.b.identifier).exists()


def test_refusals_per_field_and_change_nothing(province):
    p = province
    author = api_for(p.specialist_a)
    r = author.post(
        "/api/v1/workflow/drafts/",
        {"file": SimpleUploadedFile("a.txt", b"hello"), "doc_type": p.types["QĐ"].pk, "subject": "X"},
        format="multipart",
    )
    assert r.status_code == 400 and "file" in r.json()
    assert Draft.objects.count() == 0
    r = author.post(
        "/api/v1/workflow/drafts/",
        {"file": SimpleUploadedFile("a.pdf", one_page_pdf("x")), "doc_type": p.types["QĐ"].pk, "subject": "X"},
        format="multipart",
    )
    pk = r.json()["id"]
    r = author.post(
        f"/api/v1/workflow/drafts/{pk}/request-comments/",
        {"people": [p.clerk_a.pk], "deadline": str(TODAY - dt.timedelta(days=1))},
        format="json",
    )
    assert r.status_code == 400 and "deadline" in r.json()
    assert api_for(p.clerk_b).get(f"/api/v1/workflow/drafts/{pk}/").status_code == 404
    assert (
        api_for(p.admin_a).post(f"/api/v1/workflow/drafts/{pk}/comment/", {"text": "x"}, format="json").status_code
        == 404
    )
    assert (
        api_for(p.clerk_a).post(f"/api/v1/workflow/drafts/{pk}/comment/", {"text": "x"}, format="json").status_code
        == 403
    )
    r = api_for(p.clerk_a).post(f"/api/v1/workflow/drafts/{pk}/issue/", {}, format="json")
    assert r.status_code == 400 and "draft" in r.json()
    assert (
        api_for(p.specialist_a).post("/api/v1/workflow/chains/", {"name": "X", "steps": []}, format="json").status_code
        == 403
    )
    other = ApprovalChain.objects.create(agency=p.b, name="B", created_by=p.clerk_b)
    r = author.post(f"/api/v1/workflow/drafts/{pk}/submit/", {"chain": other.pk}, format="json")
    assert r.status_code == 400 and "chain" in r.json()
    assert api_for(p.admin_a).get(f"/api/v1/workflow/chains/{other.pk}/").status_code == 404
    assert ApprovalStep.objects.count() == 0 and Draft.objects.get().state == "drafting"


def test_actions_are_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path in (
        "/api/v1/workflow/drafts/",
        "/api/v1/workflow/drafts/{id}/",
        *(
            f"/api/v1/workflow/drafts/{{id}}/{a}/"
            for a in ("versions", "request-comments", "comment", "submit", "approve", "return", "forward", "issue")
        ),
        "/api/v1/workflow/chains/",
        "/api/v1/workflow/chains/{id}/",
        "/api/v1/workflow/chains/{id}/deactivate/",
    ):
        assert path in schema["paths"], sorted(p for p in schema["paths"] if "draft" in p or "chain" in p)
