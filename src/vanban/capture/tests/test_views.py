"""The capture pages, the capture API and the watched folder."""

import datetime as dt
import io

import pytest
from conftest import PASSWORD
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from vanban.capture import services, tasks
from vanban.capture.models import Capture
from vanban.documents import services as documents
from vanban.documents.models import StoredBlob
from vanban.documents.samples import one_page_pdf, png
from vanban.orgs import services as org_services

from . import helpers

pytestmark = pytest.mark.django_db
TASK = "vanban.capture.tasks.run_ocr"


def _fake_recognise(text="Văn bản điện tử số hóa"):
    def recognise(source, kind, workdir):
        out = f"{workdir}/pdfa.pdf"
        with open(out, "wb") as fh:
            fh.write(helpers.text_pdf("ocr copy"))
        return services.Recognised(text, out)

    return recognise


def _login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def _incoming(p):
    data = one_page_pdf("cong van")
    return documents.register_incoming(
        p.clerk_a,
        uploads=[documents.Upload(io.BytesIO(data), "cong-van.pdf", len(data))],
        doc_type=p.types["cong-van"],
        subject="Về việc số hóa tài liệu lưu trữ",
        issuer_name="Sở Tài chính",
        issued_date=dt.date.today(),
    ).document


def _scan(p, data=None, name="trang.png", **kw):
    data = data or png(30, 40)
    return services.capture_scan(p.clerk_a, upload=documents.Upload(io.BytesIO(data), name, len(data)), **kw)


def _done(capture, monkeypatch):
    monkeypatch.setattr(services, "_recognise", _fake_recognise())
    assert tasks.run_ocr.call(capture.pk) == "done"
    capture.refresh_from_db()
    return capture


# --- pages --------------------------------------------------------------------------------------


def test_a_clerk_uploads_an_archival_scan_with_its_metadata(client, province):
    _login(client, "vanthu.a")
    r = client.get("/so-hoa/")
    assert r.status_code == 200
    assert "Số hóa" in r.content.decode() and 'href="/so-hoa/"' in r.content.decode()  # the menu link
    data = helpers.tiff_pages(3)
    r = client.post(
        "/so-hoa/",
        {
            "file": SimpleUploadedFile("hop-01.tif", data, content_type="image/tiff"),
            "target": "archive",
            "organ_id": "82.01",
            "file_notation": "HS-12",
            "doc_ordinal": "4",
            "issued_date": "2019-05-02",
            "format": "Giấy ố vàng",
        },
    )
    capture = Capture.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/so-hoa/{capture.pk}/"
    assert (capture.agency, capture.document, capture.kind, capture.page_amount) == (province.a, None, "tiff", 3)
    assert (capture.organ_id, capture.file_notation, capture.doc_ordinal) == ("82.01", "HS-12", 4)
    assert (capture.issued_date, capture.format, capture.created_by) == (
        dt.date(2019, 5, 2),
        "Giấy ố vàng",
        province.clerk_a,
    )
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1
    page = client.get("/so-hoa/").content.decode()
    assert "hop-01.tif" in page and "Đang chờ" in page


def test_a_clerk_attaches_a_scan_to_an_incoming_document(client, province):
    doc = _incoming(province)
    _login(client, "vanthu.a")
    r = client.get(f"/so-hoa/?document={doc.pk}")
    assert "Về việc số hóa tài liệu lưu trữ" in r.content.decode()
    r = client.post("/so-hoa/", {"file": SimpleUploadedFile("scan.pdf", one_page_pdf("x")), "target": "document"})
    assert r.status_code == 200 and not Capture.objects.exists()  # the document is required then
    r = client.post(
        "/so-hoa/",
        {"file": SimpleUploadedFile("scan.pdf", one_page_pdf("x")), "target": "document", "document": doc.pk},
    )
    assert r.status_code == 302 and Capture.objects.get().document == doc
    # Another agency's document cannot be chosen.
    client.logout()
    _login(client, "vanthu.b")
    r = client.post(
        "/so-hoa/",
        {"file": SimpleUploadedFile("scan.png", png(5, 5)), "target": "document", "document": doc.pk},
    )
    assert r.status_code == 200 and Capture.objects.count() == 1


def test_a_refused_file_shows_the_vietnamese_reason_and_stores_nothing(client, province, settings):
    _login(client, "vanthu.a")
    blobs = StoredBlob.objects.count()
    r = client.post("/so-hoa/", {"file": SimpleUploadedFile("ghi-chu.png", b"just a note"), "target": "archive"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "“ghi-chu.png” không phải bản quét: chỉ nhận tệp PDF, PNG, JPEG và TIFF." in body
    assert not Capture.objects.exists() and StoredBlob.objects.count() == blobs
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()
    r = client.post(
        "/so-hoa/", {"file": SimpleUploadedFile("bi-mat.pdf", helpers.encrypted_pdf()), "target": "archive"}
    )
    assert "mật khẩu" in r.content.decode() and not Capture.objects.exists()


def test_detail_shows_the_text_and_serves_both_files_byte_identical(client, province, monkeypatch):
    data = png(50, 70)
    capture = _done(_scan(province, data), monkeypatch)
    _login(client, "vanthu.a")
    page = client.get(f"/so-hoa/{capture.pk}/").content.decode()
    assert "Văn bản điện tử số hóa" in page and "PDF/A" in page
    r = client.get(f"/so-hoa/{capture.pk}/ban-goc/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == data
    assert r["Content-Type"] == "image/png" and "attachment" in r["Content-Disposition"]
    r = client.get(f"/so-hoa/{capture.pk}/pdfa/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == helpers.text_pdf("ocr copy")
    assert r["Content-Type"] == "application/pdf"


def test_a_failed_scan_shows_its_reason_and_runs_again(client, province, monkeypatch):
    capture = _scan(province)

    def boom(source, kind, workdir):
        raise RuntimeError("tesseract crashed")

    monkeypatch.setattr(services, "_recognise", boom)
    while tasks.run_ocr.call(capture.pk) == "queued":
        pass
    _login(client, "vanthu.a")
    page = client.get("/so-hoa/").content.decode()
    assert "RuntimeError: tesseract crashed" in page and f'action="/so-hoa/{capture.pk}/chay-lai/"' in page
    r = client.post(f"/so-hoa/{capture.pk}/chay-lai/", {"next": "list"})
    assert r.status_code == 302 and r["Location"] == "/so-hoa/"
    capture.refresh_from_db()
    assert (capture.status, capture.attempts, capture.last_error) == ("queued", 0, "")
    # Queued already: refused with a message, nothing changes.
    r = client.post(f"/so-hoa/{capture.pk}/chay-lai/", follow=True)
    assert "đang chờ" in r.content.decode().lower()


def test_a_stuck_run_offers_to_run_again_a_live_one_does_not(client, province):
    capture = _scan(province)
    rerun = f'action="/so-hoa/{capture.pk}/chay-lai/"'
    Capture.objects.filter(pk=capture.pk).update(
        status="running", lease_until=timezone.now() + dt.timedelta(minutes=2), attempts=1
    )
    _login(client, "vanthu.a")
    assert rerun not in client.get("/so-hoa/").content.decode()
    client.post(f"/so-hoa/{capture.pk}/chay-lai/", follow=True)  # refused while a worker holds it
    assert Capture.objects.get(pk=capture.pk).status == "running"
    Capture.objects.filter(pk=capture.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert rerun in client.get("/so-hoa/").content.decode()
    client.post(f"/so-hoa/{capture.pk}/chay-lai/")
    assert Capture.objects.get(pk=capture.pk).status == "queued"


def test_other_agencies_and_non_clerks(client, province):
    capture = _scan(province)
    _login(client, "vanthu.b")
    assert "trang.png" not in client.get("/so-hoa/").content.decode()
    for url in ("", "ban-goc/", "pdfa/"):
        assert client.get(f"/so-hoa/{capture.pk}/{url}").status_code == 404
    assert client.post(f"/so-hoa/{capture.pk}/chay-lai/").status_code == 404
    client.logout()
    _login(client, "chuyenvien.a")
    assert client.get("/so-hoa/").status_code == 403
    assert client.get(f"/so-hoa/{capture.pk}/").status_code == 404
    r = client.post("/so-hoa/", {"file": SimpleUploadedFile("a.png", png(3, 3)), "target": "archive"})
    assert r.status_code == 403
    client.logout()
    # An administrator sees the agency's scans but neither uploads nor re-runs.
    _login(client, "quantri.a")
    page = client.get("/so-hoa/").content.decode()
    assert "trang.png" in page and 'id="capture-form"' not in page
    assert client.get(f"/so-hoa/{capture.pk}/").status_code == 200
    r = client.post("/so-hoa/", {"file": SimpleUploadedFile("a.png", png(3, 3)), "target": "archive"})
    assert r.status_code == 403
    assert client.post(f"/so-hoa/{capture.pk}/chay-lai/").status_code == 403
    assert Capture.objects.count() == 1
    client.logout()
    assert client.get("/so-hoa/").status_code == 302  # to the login page


# --- API ----------------------------------------------------------------------------------------


def _api(person):
    api = APIClient()
    _token, key = org_services.create_token(None, person, "test")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_api_create_list_retrieve_download_and_rerun(province, monkeypatch):
    api = _api(province.clerk_a)
    doc = _incoming(province)
    data = png(20, 20)
    r = api.post(
        "/api/v1/capture/captures/",
        {"file": SimpleUploadedFile("scan.png", data), "document": doc.pk, "OrganId": "x"},
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["document"], body["status"], body["kind"], body["page_amount"]) == (doc.pk, "queued", "png", 1)
    r = api.post(
        "/api/v1/capture/captures/",
        {"file": SimpleUploadedFile("hs.pdf", one_page_pdf("x")), "file_notation": "HS-1", "doc_ordinal": 2},
        format="multipart",
    )
    assert r.status_code == 201 and (r.json()["document"], r.json()["file_notation"]) == (None, "HS-1")
    assert [c["id"] for c in api.get("/api/v1/capture/captures/").json()["results"]] == [r.json()["id"], body["id"]]
    assert api.get("/api/v1/capture/captures/?status=failed").json()["count"] == 0
    assert api.get("/api/v1/capture/captures/?status=nope").status_code == 400
    capture = _done(Capture.objects.get(pk=body["id"]), monkeypatch)
    got = api.get(f"/api/v1/capture/captures/{capture.pk}/").json()
    assert (got["status"], got["text"], got["digitised"]) == ("done", "Văn bản điện tử số hóa", True)
    r = api.get(f"/api/v1/capture/captures/{capture.pk}/original/")
    assert b"".join(r.streaming_content) == data
    r = api.get(got["pdfa_url"])
    assert b"".join(r.streaming_content) == helpers.text_pdf("ocr copy")
    r = api.post(f"/api/v1/capture/captures/{capture.pk}/rerun/")
    assert r.status_code == 200 and (r.json()["status"], r.json()["attempts"]) == ("queued", 0)
    assert api.post(f"/api/v1/capture/captures/{capture.pk}/rerun/").status_code == 400


def test_api_refusals_and_scope(province):
    api = _api(province.clerk_a)
    r = api.post("/api/v1/capture/captures/", {"file": SimpleUploadedFile("rong.jpg", b"")}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()
    r = api.post(
        "/api/v1/capture/captures/",
        {"file": SimpleUploadedFile("a.png", png(3, 3)), "doc_ordinal": "bốn"},
        format="multipart",
    )
    assert r.status_code == 400 and "doc_ordinal" in r.json()
    assert not Capture.objects.exists()
    capture = _scan(province)
    other = _api(province.clerk_b)
    assert other.get("/api/v1/capture/captures/").json()["count"] == 0
    assert other.get(f"/api/v1/capture/captures/{capture.pk}/").status_code == 404
    assert other.post(f"/api/v1/capture/captures/{capture.pk}/rerun/").status_code == 404
    # Another agency's document is not a valid choice.
    doc = _incoming(province)
    r = other.post(
        "/api/v1/capture/captures/",
        {"file": SimpleUploadedFile("a.png", png(4, 4)), "document": doc.pk},
        format="multipart",
    )
    assert r.status_code == 400 and "document" in r.json()
    specialist = _api(province.specialist_a)
    assert specialist.get("/api/v1/capture/captures/").json()["count"] == 0
    r = specialist.post(
        "/api/v1/capture/captures/", {"file": SimpleUploadedFile("a.png", png(5, 5))}, format="multipart"
    )
    assert r.status_code == 403
    assert APIClient().get("/api/v1/capture/captures/").status_code in (401, 403)
    assert Capture.objects.count() == 1


def test_the_schema_describes_the_capture_api():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/capture/captures/"])
    assert "multipart/form-data" in paths["/api/v1/capture/captures/"]["post"]["requestBody"]["content"]
    assert "post" in paths["/api/v1/capture/captures/{id}/rerun/"]
    assert "get" in paths["/api/v1/capture/captures/{id}/"]


# --- watched folder -----------------------------------------------------------------------------


def test_watch_once_imports_new_scans_and_nothing_twice(province, tmp_path):
    folder = tmp_path / "may-quet"
    (folder / "lo-2").mkdir(parents=True)
    (folder / "a.png").write_bytes(png(2, 3))
    (folder / "lo-2" / "b.tif").write_bytes(helpers.tiff_pages(2))
    (folder / "ghi-chu.png").write_bytes(b"not a scan")
    (folder / ".tam.png").write_bytes(png(9, 9))  # hidden: a scanner's temporary file
    out = io.StringIO()
    call_command("capture", "watch", str(folder), "--agency", "82-STTTT", "--once", stdout=out)
    assert "imported 2, skipped 0, refused 1" in out.getvalue()
    assert sorted(Capture.objects.values_list("original_name", flat=True)) == ["a.png", "b.tif"]
    assert set(Capture.objects.values_list("agency", flat=True)) == {province.a.pk}
    assert sorted(p.name for p in folder.rglob("*")) == [".tam.png", "a.png", "b.tif", "ghi-chu.png", "lo-2"]
    out = io.StringIO()
    call_command("capture", "watch", str(folder), "--agency", "82-STTTT", "--once", stdout=out)
    assert "imported 0, skipped 2, refused 1" in out.getvalue() and Capture.objects.count() == 2
    # A new file is picked up by the next run, alone.
    (folder / "c.png").write_bytes(png(7, 7))
    out = io.StringIO()
    call_command("capture_watch", str(folder), "--agency", "82-STTTT", "--once", stdout=out)
    assert "imported 1, skipped 2, refused 1" in out.getvalue() and Capture.objects.count() == 3
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 3


def test_watch_waits_for_a_file_to_settle(province, tmp_path):
    from vanban.capture.management.commands.capture_watch import Watcher

    folder = tmp_path / "may-quet"
    folder.mkdir()
    (folder / "a.png").write_bytes(png(2, 3))
    watcher = Watcher(str(folder), province.a, io.StringIO())
    assert watcher.poll(settle=False) == (1, 0, 0)
    (folder / "b.png").write_bytes(png(3, 3))
    assert watcher.poll(settle=True) == (0, 0, 0)  # new since the last poll: not yet
    assert watcher.poll(settle=True) == (1, 0, 0)
    assert watcher.poll(settle=True) == (0, 0, 0)  # nothing rehashed


def test_watch_refuses_an_unknown_agency_or_folder(province, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("capture", "watch", str(tmp_path), "--agency", "nope", "--once")
    with pytest.raises(CommandError):
        call_command("capture", "watch", str(tmp_path / "missing"), "--agency", "82-STTTT", "--once")


def test_the_archive_is_searched_on_the_page_and_through_the_api(client, province, monkeypatch):
    def scan(name, subject):
        upload = documents.Upload(io.BytesIO(png(len(name), 4)), name, len(png(len(name), 4)))
        return services.capture_scan(province.clerk_a, upload=upload, metadata={"Subject": subject})

    land = scan("dat.png", "Hồ sơ giao đất năm 1998")
    scan("luong.png", "Bảng lương cán bộ")
    monkeypatch.setattr(services, "_recognise", _fake_recognise("Biên bản đo đạc thửa đất ở Chợ Gạo"))
    tasks.run_ocr.call(land.pk)
    _login(client, "vanthu.a")
    page = client.get("/so-hoa/", {"q": "CHO GAO"}).content.decode()
    assert 'id="archive-hits"' in page and "dat.png" in page and "luong.png" not in page
    assert "<mark>Chợ</mark> <mark>Gạo</mark>" in page
    page = client.get("/so-hoa/", {"q": "khong co dau"}).content.decode()
    assert "dat.png" not in page and "luong.png" not in page
    assert client.get("/so-hoa/", {"q": "dat", "page": "x"}).status_code == 200  # a bad page number is page 1

    api = APIClient()
    api.force_authenticate(province.clerk_a)
    r = api.get("/api/v1/capture/captures/search/", {"q": "giao dat"})
    assert r.status_code == 200, r.content
    assert r.json()["count"] == 1 and r.json()["results"][0]["id"] == land.pk
    assert r.json()["results"][0]["file"] == "dat.png"
    assert api.get("/api/v1/capture/captures/search/").status_code == 400  # q is required
    assert api.get("/api/v1/capture/captures/search/", {"q": "dat", "limit": 0}).status_code == 400
    api.force_authenticate(province.clerk_b)  # another agency: nothing, not even a count
    assert api.get("/api/v1/capture/captures/search/", {"q": "giao dat"}).json() == {
        "count": 0,
        "more": False,
        "results": [],
    }
