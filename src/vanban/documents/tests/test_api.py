import datetime as dt

import pytest
from conftest import django_pdf
from django.utils import timezone
from rest_framework.test import APIClient

from vanban.audit.models import Entry
from vanban.documents.models import Document, StoredBlob
from vanban.documents.samples import png
from vanban.orgs import services as org_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(province):
    client = APIClient()
    _token, key = org_services.create_token(None, province.clerk_a, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def today():
    return timezone.localdate().isoformat()


def post_incoming(api, **overrides):
    data = {
        "file": django_pdf("api incoming"),
        "type": "QĐ",
        "subject": "Về việc ban hành quy chế",
        "issuer_name": "Ủy ban nhân dân tỉnh Tiền Giang",
        "original_code": "15/QĐ-UBND",
        "issued_date": today(),
        "urgency": "normal",
        "confidentiality": "normal",
        "delivery_mode": "electronic",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return api.post("/api/v1/documents/incoming/", data, format="multipart")


def post_outgoing(api, **overrides):
    data = {
        "file": django_pdf("api outgoing"),
        "type": "QĐ",
        "subject": "Quyết định thành lập ban",
        "signer_name": "Phạm Văn Đức",
        "issued_date": today(),
        "delivery_mode": "electronic_with_paper",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return api.post("/api/v1/documents/outgoing/", data, format="multipart")


def test_register_incoming(api):
    r = post_incoming(api)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["arrival_number"] == 1 and body["code"] == "15/QĐ-UBND" and body["direction"] == "incoming"
    assert body["type"]["abbreviation"] == "QĐ" and body["delivery_mode"] == "electronic"
    assert body["files"][0]["mime"] == "application/pdf" and len(body["files"][0]["sha256"]) == 64
    assert post_incoming(api, original_code="16/QĐ-UBND").json()["arrival_number"] == 2


def test_register_outgoing_gets_code(api, province):
    r = post_outgoing(api)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["number"], body["notation"], body["code"]) == ("01", "QĐ-STTTT", "01/QĐ-STTTT")
    assert body["delivery_mode"] == "electronic_with_paper"
    letter = post_outgoing(api, type="Công văn", unit="VP").json()
    assert letter["code"] == "02/STTTT-VP"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("QĐ", "Quyết định"),
        ("Công văn", "Công văn"),
        ("cong van", "Công văn"),
        ("TB", "Thông báo"),
        ("KH", "Kế hoạch"),
        ("quyet-dinh", "Quyết định"),
    ],
)
def test_type_accepts_abbreviation_or_name(api, value, expected):
    r = post_incoming(api, type=value)
    assert r.status_code == 201, r.content
    assert r.json()["type"]["name"] == expected


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("urgency", "Khẩn", "urgent"),
        ("urgency", "flash", "flash"),
        ("urgency", "thượng khẩn", "very_urgent"),
        ("confidentiality", "Mật", "confidential"),
        ("confidentiality", "top_secret", "top_secret"),
    ],
)
def test_levels_accept_codes_and_vietnamese(api, field, value, stored):
    r = post_incoming(api, **{field: value})
    assert r.status_code == 201, r.content
    assert r.json()[field] == stored


def test_duplicate_is_reported_in_warnings(api):
    post_incoming(api)
    r = post_incoming(api)
    assert r.status_code == 201 and len(r.json()["warnings"]) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "Không tồn tại"}, "type"),
        ({"subject": ""}, "subject"),
        ({"issued_date": "31/12/2025"}, "issued_date"),
        ({"issued_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat()}, "issued_date"),
        ({"original_code": "15 QĐ UBND"}, "original_code"),
        ({"urgency": "very"}, "urgency"),
        ({"confidentiality": "x"}, "confidentiality"),
        ({"delivery_mode": "fax"}, "delivery_mode"),
        ({"file": None}, "file"),
        ({"issuer_identifier": "H58"}, "issuer_identifier"),
    ],
)
def test_bad_incoming_is_400_per_field_and_changes_nothing(api, overrides, field):
    before = (Document.objects.count(), Entry.objects.count(), StoredBlob.objects.count())
    r = post_incoming(api, **overrides)
    assert r.status_code == 400, r.content
    assert field in r.json(), r.json()
    assert all(isinstance(m, str) and m for m in r.json()[field])
    assert (Document.objects.count(), Entry.objects.count(), StoredBlob.objects.count()) == before


def test_bad_file_is_refused(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Document.objects.count()
    r = post_incoming(api, file=SimpleUploadedFile("scan.pdf", png(), content_type="application/pdf"))
    assert r.status_code == 400 and "file" in r.json()
    r = post_incoming(api, file=SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"))
    assert r.status_code == 400 and "file" in r.json()
    assert Document.objects.count() == before


def test_oversize_file_refused(api, settings):
    settings.VANBAN = {**settings.VANBAN, "MAX_UPLOAD_BYTES": 300}
    r = post_incoming(api)
    assert r.status_code == 400 and "file" in r.json()
    assert Document.objects.count() == 0


def test_bad_outgoing(api):
    r = post_outgoing(api, type="Công văn")
    assert r.status_code == 400 and "unit" in r.json()
    r = post_outgoing(api, type="Công văn", unit="XYZ")
    assert r.status_code == 400 and "unit" in r.json()
    r = post_outgoing(api, signer_name="")
    assert r.status_code == 400 and "signer_name" in r.json()
    assert Document.objects.count() == 0


def test_non_clerk_gets_403(province):
    client = APIClient()
    client.force_authenticate(province.leader_a)
    r = post_incoming(client)
    assert r.status_code == 403
    assert Document.objects.count() == 0


def test_list_filters_and_detail(api):
    post_incoming(api)
    post_outgoing(api)
    r = api.get("/api/v1/documents/?direction=incoming")
    assert [d["direction"] for d in r.json()["results"]] == ["incoming"]
    r = api.get("/api/v1/documents/?direction=sideways")
    assert r.status_code == 400 and "direction" in r.json()
    r = api.get("/api/v1/documents/?type=QĐ&year=" + str(timezone.localdate().year))
    assert r.json()["count"] == 2
    doc_id = r.json()["results"][0]["id"]
    detail = api.get(f"/api/v1/documents/{doc_id}/").json()
    content = api.get(detail["files"][0]["url"])
    assert content.status_code == 200 and b"".join(content.streaming_content).startswith(b"%PDF-")


def test_corrupted_file_is_not_served(api, province, settings):
    import os

    from vanban.documents import storage

    doc_id = post_incoming(api).json()["id"]
    f = Document.objects.get(pk=doc_id).files.get()
    path = os.path.join(settings.STORAGES["documents"]["OPTIONS"]["location"], storage.path_for(f.blob_id))
    with open(path, "r+b") as fh:
        fh.seek(20)
        fh.write(b"X")
    r = api.get(f"/api/v1/documents/{doc_id}/files/{f.pk}/content/")
    assert r.status_code == 500


def test_schema_is_valid_openapi(client):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert "/api/v1/documents/incoming/" in schema["paths"]
    assert "/api/v1/documents/outgoing/" in schema["paths"]
    r = client.get("/api/schema/")
    assert r.status_code == 200
