"""Dossier pages, the DOCX lists, the document panel, and the REST API with its OpenAPI schema."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document as Docx
from rest_framework.test import APIClient

from vanban.workflow.models import Dossier, DossierItem, Handover
from vanban.workflow.services import dossiers as services
from vanban.workflow.tests.test_assignment import TODAY, incoming
from vanban.workflow.tests.test_dossiers import YEAR, dossier, readable_doc

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    c = Client()
    c.force_login(person)
    return c


def api_for(person) -> APIClient:
    c = APIClient()
    c.force_authenticate(person)
    return c


def docx_text(content: bytes) -> str:
    doc = Docx(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_open_file_close_reopen_through_the_pages(province):
    p = province
    c = client_for(p.specialist_a)
    page = c.get(reverse("dossier-list"))
    assert page.status_code == 200 and 'id="new-dossier"' in page.content.decode()
    assert reverse("dossier-list") in page.content.decode()  # the menu link
    r = c.post(
        reverse("dossier-list"),
        {
            "year": YEAR,
            "notation": "07.CNTT",
            "title": "Hồ sơ chuyển đổi số",
            "maintenance": "20 năm",
            "rights": "restricted",
            "creator": p.specialist_a.pk,
            "unit": p.a_cntt.pk,
            "language": "Tiếng Việt",
        },
    )
    d = Dossier.objects.get()
    assert r.status_code == 302 and r.url == reverse("dossier-detail", args=[d.pk])
    # The same notation again: the form comes back with the error, nothing opened.
    r = c.post(
        reverse("dossier-list"),
        {"year": YEAR, "notation": "07.CNTT", "title": "x", "maintenance": "20 năm", "rights": "public",
         "creator": p.specialist_a.pk, "language": "Tiếng Việt"},
    )  # fmt: skip
    assert r.status_code == 400 and Dossier.objects.count() == 1

    doc = readable_doc(p, subject="Kế hoạch chuyển đổi số năm nay")
    detail = c.get(reverse("dossier-detail", args=[d.pk]), {"q": "chuyển đổi số"}).content.decode()
    assert d.file_code in detail and "Kế hoạch chuyển đổi số năm nay" in detail
    r = c.post(reverse("dossier-add-document", args=[d.pk]), {"document": doc.pk})
    assert r.status_code == 302 and DossierItem.objects.filter(dossier=d, document=doc, ordinal=1).exists()
    detail = c.get(reverse("dossier-detail", args=[d.pk])).content.decode()
    assert '<dd class="doc-total">1</dd>' in detail and '<dd class="page-total">1</dd>' in detail
    r = c.post(reverse("dossier-edit", args=[d.pk]), {**_form_of(d), "title": "Tên mới"})
    d.refresh_from_db()
    assert d.title == "Tên mới"
    c.post(reverse("dossier-close", args=[d.pk]), {"end_date": ""})
    d.refresh_from_db()
    assert d.state == "closed" and d.end_date == doc.issued_date
    c.post(reverse("dossier-reopen", args=[d.pk]))
    d.refresh_from_db()
    assert d.state == "open"
    c.post(reverse("dossier-remove-document", args=[d.pk, doc.pk]))
    assert not DossierItem.objects.filter(dossier=d).exists()


def _form_of(d: Dossier) -> dict:
    return {
        "notation": d.notation,
        "title": d.title,
        "maintenance": d.maintenance,
        "rights": d.rights,
        "creator": d.creator_id,
        "unit": d.unit_id or "",
        "language": d.language,
        "start_date": "",
        "description": d.description,
    }


def test_page_refusals_change_nothing(province):
    p = province
    d = dossier(p)
    doc = readable_doc(p)
    # Another agency: 404 on every page of the dossier.
    other = client_for(p.clerk_b)
    assert other.get(reverse("dossier-detail", args=[d.pk])).status_code == 404
    assert other.post(reverse("dossier-add-document", args=[d.pk]), {"document": doc.pk}).status_code == 404
    # Same agency, not allowed to change it: refused with a message, nothing filed, no action shown.
    admin = client_for(p.admin_a)
    html = admin.get(reverse("dossier-detail", args=[d.pk])).content.decode()
    assert reverse("dossier-close", args=[d.pk]) not in html
    assert 'id="new-dossier"' not in admin.get(reverse("dossier-list")).content.decode()
    r = admin.post(reverse("dossier-add-document", args=[d.pk]), {"document": doc.pk}, follow=True)
    assert r.status_code == 200 and not DossierItem.objects.exists()
    assert admin.post(reverse("dossier-close", args=[d.pk])).status_code == 302
    d.refresh_from_db()
    assert d.state == "open"
    # Anonymous: to the login page.
    assert Client().get(reverse("dossier-list")).status_code == 302


def test_document_panel_lists_dossiers_and_files_the_document(province):
    p = province
    d = dossier(p)
    doc = readable_doc(p)
    c = client_for(p.specialist_a)
    html = c.get(reverse("document-detail", args=[doc.pk])).content.decode()
    assert 'id="dossiers"' in html and reverse("document-file-in-dossier", args=[doc.pk]) in html
    r = c.post(reverse("document-file-in-dossier", args=[doc.pk]), {"dossier": d.pk})
    assert r.status_code == 302 and DossierItem.objects.filter(dossier=d, document=doc).exists()
    html = c.get(reverse("document-detail", args=[doc.pk])).content.decode()
    assert reverse("dossier-detail", args=[d.pk]) in html
    # A confidential document filed by the clerk: the specialist cannot open its page, and the
    # dossier page does not show it.
    secret = incoming(p, confidentiality="confidential", original_code="9/QĐ-UBND")
    services.add_document(p.clerk_a, d, secret)
    assert c.get(reverse("document-detail", args=[secret.pk])).status_code == 404
    detail = c.get(reverse("dossier-detail", args=[d.pk])).content.decode()
    assert reverse("document-detail", args=[secret.pk]) not in detail
    assert (
        reverse("document-detail", args=[secret.pk])
        in client_for(p.clerk_a).get(reverse("dossier-detail", args=[d.pk])).content.decode()
    )


def test_catalog_page_and_docx(province):
    p = province
    dossier(p, notation="2.CNTT", title="Hồ sơ hạ tầng mạng")
    dossier(p, p.clerk_a, notation="1.VP", title="Hồ sơ văn thư", description="Ghi chú VP")
    c = client_for(p.specialist_a)
    html = c.get(reverse("dossier-catalog", args=[YEAR])).content.decode()
    assert "Hồ sơ hạ tầng mạng" in html and "Hồ sơ văn thư" in html
    r = c.get(reverse("dossier-catalog-docx", args=[YEAR]))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    text = docx_text(r.content)
    for expected in (str(YEAR), "2.CNTT", "Hồ sơ hạ tầng mạng", "10 năm", "1.VP", "Ghi chú VP", "Văn phòng"):
        assert expected in text
    assert "Hồ sơ" not in docx_text(client_for(p.clerk_b).get(reverse("dossier-catalog-docx", args=[YEAR])).content)


def test_hand_over_page_content_list_and_docx(province):
    p = province
    d = services.close_dossier(p.specialist_a, dossier(p, title="Hồ sơ đã xong"))
    dossier(p, notation="99.OPEN")
    # A specialist sees past hand-overs but has no form and cannot post.
    s = client_for(p.specialist_a)
    assert 'id="hand-over"' not in s.get(reverse("dossier-handovers")).content.decode()
    assert s.post(reverse("dossier-handovers"), {"dossiers": [d.pk]}).status_code == 403
    c = client_for(p.clerk_a)
    html = c.get(reverse("dossier-handovers")).content.decode()
    assert d.file_code in html and "99.OPEN" not in html  # only closed dossiers are offered
    r = c.post(
        reverse("dossier-handovers"),
        {"dossiers": [d.pk], "handed_on": TODAY.isoformat(), "received_by": "Nguyễn Thị Lưu", "note": ""},
    )
    h = Handover.objects.get()
    assert r.status_code == 302 and r.url == reverse("dossier-handover", args=[h.pk])
    html = c.get(r.url).content.decode()
    assert d.file_code in html and "Nguyễn Thị Lưu" in html
    text = docx_text(c.get(reverse("dossier-handover-docx", args=[h.pk])).content)
    assert d.file_code in text and "Hồ sơ đã xong" in text and "Nguyễn Thị Lưu" in text
    assert client_for(p.clerk_b).get(reverse("dossier-handover", args=[h.pk])).status_code == 404


def test_api_dossier_actions_and_handover(province):
    p = province
    api = api_for(p.specialist_a)
    r = api.post(
        "/api/v1/workflow/dossiers/",
        {"year": YEAR, "notation": "01.API", "title": "Hồ sơ qua API", "maintenance": "5 năm"},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    pk = body["id"]
    assert body["file_code"] == f"000.00.12.H58.{YEAR}.01.API" and body["creator"] == p.specialist_a.pk
    r = api.post("/api/v1/workflow/dossiers/", {**_api_body(), "notation": "01.api"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["notation"]
    doc = readable_doc(p)
    r = api.post(f"/api/v1/workflow/dossiers/{pk}/add-document/", {"document": doc.pk}, format="json")
    assert r.status_code == 200 and [i["document"] for i in r.json()["items"]] == [doc.pk]
    assert r.json()["doc_total"] == 1
    hidden = incoming(p, original_code="77/QĐ-UBND")
    r = api.post(f"/api/v1/workflow/dossiers/{pk}/add-document/", {"document": hidden.pk}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["document"]
    r = api.patch(f"/api/v1/workflow/dossiers/{pk}/", {"title": "Đổi tên"}, format="json")
    assert r.status_code == 200 and r.json()["title"] == "Đổi tên"
    assert (
        api_for(p.admin_a).patch(f"/api/v1/workflow/dossiers/{pk}/", {"title": "x"}, format="json").status_code == 403
    )
    assert api_for(p.clerk_b).get(f"/api/v1/workflow/dossiers/{pk}/").status_code == 404
    r = api.post(f"/api/v1/workflow/dossiers/{pk}/remove-document/", {"document": doc.pk}, format="json")
    assert r.status_code == 200 and r.json()["items"] == []
    api.post(f"/api/v1/workflow/dossiers/{pk}/add-document/", {"document": doc.pk}, format="json")
    r = api.post(f"/api/v1/workflow/dossiers/{pk}/close/", {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["end_date"] == str(doc.issued_date)
    assert [d["id"] for d in api.get("/api/v1/workflow/dossiers/", {"state": "closed"}).json()["results"]] == [pk]
    assert api.get("/api/v1/workflow/dossiers/", {"state": "open"}).json()["results"] == []
    r = api.post(f"/api/v1/workflow/dossiers/{pk}/reopen/", format="json")
    assert r.status_code == 200 and r.json()["state"] == "open"
    body = {"dossiers": [pk], "handed_on": str(TODAY), "received_by": "Lưu trữ cơ quan"}
    assert api_for(p.clerk_a).post("/api/v1/workflow/handovers/", body, format="json").status_code == 400
    api.post(f"/api/v1/workflow/dossiers/{pk}/close/", {}, format="json")
    assert api.post("/api/v1/workflow/handovers/", body, format="json").status_code == 403
    assert api_for(p.clerk_b).post("/api/v1/workflow/handovers/", body, format="json").status_code == 400
    r = api_for(p.clerk_a).post("/api/v1/workflow/handovers/", body, format="json")
    assert r.status_code == 201 and [d["id"] for d in r.json()["dossiers"]] == [pk]
    assert r.json()["dossiers"][0]["state"] == "handed_over"
    hid = r.json()["id"]
    assert api.get(f"/api/v1/workflow/handovers/{hid}/").status_code == 200
    assert api_for(p.clerk_b).get(f"/api/v1/workflow/handovers/{hid}/").status_code == 404
    assert api.post(f"/api/v1/workflow/dossiers/{pk}/reopen/", format="json").status_code == 400


def _api_body() -> dict:
    return {"year": YEAR, "notation": "01.API", "title": "Hồ sơ qua API", "maintenance": "5 năm"}


def test_dossier_api_is_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    for path, methods in (
        ("/api/v1/workflow/dossiers/", {"get", "post"}),
        ("/api/v1/workflow/dossiers/{id}/", {"get", "put", "patch"}),
        ("/api/v1/workflow/dossiers/{id}/add-document/", {"post"}),
        ("/api/v1/workflow/dossiers/{id}/remove-document/", {"post"}),
        ("/api/v1/workflow/dossiers/{id}/close/", {"post"}),
        ("/api/v1/workflow/dossiers/{id}/reopen/", {"post"}),
        ("/api/v1/workflow/handovers/", {"get", "post"}),
        ("/api/v1/workflow/handovers/{id}/", {"get"}),
    ):
        assert path in paths, sorted(p for p in paths if "workflow" in p)
        assert methods <= set(paths[path]), (path, set(paths[path]))
