"""Capture services and the OCR task: what is stored, queued, retried and refused."""

import datetime as dt
import io
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from vanban.audit.models import Entry
from vanban.capture import selectors, services, tasks
from vanban.capture.models import MAX_ATTEMPTS, Capture
from vanban.documents import services as documents
from vanban.documents import storage
from vanban.documents.models import StoredBlob
from vanban.documents.samples import one_page_pdf, png

from . import helpers

TASK = "vanban.capture.tasks.run_ocr"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _upload(data: bytes, name: str) -> documents.Upload:
    return documents.Upload(io.BytesIO(data), name, len(data))


def _queued():
    return [r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path=TASK).order_by("enqueued_at")]


def _files(settings) -> list[str]:
    root = settings.STORAGES["documents"]["OPTIONS"]["location"]
    return [f for _d, _s, names in os.walk(root) for f in names]


def _incoming(province):
    return documents.register_incoming(
        province.clerk_a,
        uploads=[_upload(one_page_pdf("cong van"), "cong-van.pdf")],
        doc_type=province.types["cong-van"],
        subject="Về việc số hóa tài liệu",
        issuer_name="Sở Tài chính",
        issued_date=dt.date.today(),
    ).document


def test_a_clerks_scan_is_stored_unchanged_and_its_ocr_queued_with_it(province):
    data = png(40, 60)
    capture = services.capture_scan(
        province.clerk_a, upload=_upload(data, "trang-1.png"), metadata={"OrganId": "82.01", "DocOrdinal": 4}
    )
    assert capture.status == Capture.Status.QUEUED and not capture.digitised
    assert storage.read_verified(capture.original_id) == data
    assert (capture.agency, capture.document, capture.kind) == (province.a, None, "png")
    assert (capture.organ_id, capture.doc_ordinal, capture.page_amount) == ("82.01", 4, 1)
    assert _queued() == [capture.pk]
    assert Entry.objects.filter(action="capture.create", object_id=str(capture.pk)).exists()
    assert list(selectors.visible_captures(province.clerk_a)) == [capture]
    assert not selectors.visible_captures(province.clerk_b).exists()
    assert not selectors.visible_captures(province.specialist_a).exists()


def test_a_scan_for_a_document_of_the_clerks_agency_only(province):
    doc = _incoming(province)
    capture = services.capture_scan(province.clerk_a, upload=_upload(png(), "scan.png"), document=doc)
    assert capture.document == doc
    before = (Capture.objects.count(), DBTaskResult.objects.filter(task_path=TASK).count())
    with pytest.raises(PermissionDenied):
        services.capture_scan(province.clerk_b, upload=_upload(png(3, 3), "scan.png"), document=doc)
    assert (Capture.objects.count(), DBTaskResult.objects.filter(task_path=TASK).count()) == before


@pytest.mark.parametrize("who", ["specialist_a", "leader_a"])
def test_only_clerks_capture_and_nothing_is_stored_otherwise(province, settings, who):
    with pytest.raises(PermissionDenied):
        services.capture_scan(getattr(province, who), upload=_upload(png(), "scan.png"))
    assert not Capture.objects.exists() and not _queued() and not _files(settings)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("trong.png", b"", "is empty"),
        ("anh.png", b"this is not a picture at all", "is not a scan"),
        ("mat.pdf", helpers.encrypted_pdf(), "password-protected"),
        ("bom.pdf", helpers.many_pages_pdf(1001), "too many pages"),
        ("bom-khung.pdf", helpers.huge_page_pdf(), "too many pages or pages too large"),
        ("bom.png", helpers.huge_png(), "too large"),
        ("hong.png", helpers.truncated_png(), "damaged"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_half_stored(province, settings, name, data, message):
    blobs = StoredBlob.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.capture_scan(province.clerk_a, upload=_upload(data, name))
    assert message in " ".join(exc.value.message_dict["file"])
    assert StoredBlob.objects.count() == blobs
    assert not Capture.objects.exists() and not _queued() and not _files(settings)
    assert not Entry.objects.filter(action="capture.create").exists()


def test_bad_metadata_is_refused_before_anything_is_stored(province, settings):
    with pytest.raises(ValidationError) as exc:
        services.capture_scan(province.clerk_a, upload=_upload(png(), "a.png"), metadata={"PageAmount": "ba"})
    assert "page_amount" in exc.value.message_dict
    assert not Capture.objects.exists() and not _files(settings)


def test_the_same_archival_scan_twice_is_refused(province):
    services.capture_scan(province.clerk_a, upload=_upload(png(), "a.png"))
    with pytest.raises(ValidationError):
        services.capture_scan(province.clerk_a, upload=_upload(png(), "b.png"))
    assert Capture.objects.count() == 1 and len(_queued()) == 1


def _fake_recognise(text="Văn bản điện tử"):
    def recognise(source, kind, workdir):
        out = os.path.join(workdir, "pdfa.pdf")
        with open(out, "wb") as fh:
            fh.write(helpers.text_pdf("ocr copy"))
        return services.Recognised(text, out)

    return recognise


def test_the_task_stores_the_pdfa_and_text_and_hands_a_documents_text_to_search(province, monkeypatch):
    doc = _incoming(province)
    capture = services.capture_scan(province.clerk_a, upload=_upload(png(), "scan.png"), document=doc)
    monkeypatch.setattr(services, "_recognise", _fake_recognise())
    from vanban.search import services as search

    assert search.search(province.clerk_a, "van ban dien tu").total == 0
    assert tasks.run_ocr.call(capture.pk) == Capture.Status.DONE
    capture.refresh_from_db()
    assert (capture.status, capture.digitised, capture.text, capture.attempts) == ("done", True, "Văn bản điện tử", 1)
    assert storage.read_verified(capture.pdfa_id) == helpers.text_pdf("ocr copy")
    assert storage.read_verified(capture.original_id) == png()  # the original, unchanged
    # The recognised text is searchable (diacritics or not), by who may read the document only.
    assert [h.document_id for h in search.search(province.clerk_a, "van ban dien tu").hits] == [doc.pk]
    assert search.search(province.clerk_b, "van ban dien tu").total == 0
    assert tasks.run_ocr.call(capture.pk) == "done"  # a duplicate run changes nothing
    assert capture.attempts == Capture.objects.get().attempts


def test_a_documents_scan_hands_its_text_to_the_document(province):
    from vanban.search.models import RecordEntry, SearchEntry

    doc = _incoming(province)
    services.index_text(Capture(document=doc, agency=province.a, text="Biên bản bàn giao"))
    assert SearchEntry.objects.get(document=doc).text == "Biên bản bàn giao"
    assert not RecordEntry.objects.exists()  # a document's scan is not an archival record


def test_an_archival_record_is_searchable_by_metadata_at_once_and_by_text_after_ocr(province, monkeypatch):
    from vanban.search import services as search

    capture = services.capture_scan(
        province.clerk_a,
        upload=_upload(png(), "ho-so-1998.png"),
        metadata={"Subject": "Quyết định giao đất Chợ Gạo", "CodeNumber": "45", "CodeNotation": "QĐ-UBND"},
    )
    hits = services.search_archive(province.clerk_a, "quyet dinh giao DAT")
    assert [h.source_id for h in hits.hits] == [capture.pk] and hits.total == 1
    assert "<mark>" in hits.hits[0].snippet and "Quyết" in hits.hits[0].snippet  # original diacritics
    assert services.search_archive(province.clerk_a, "45/QĐ-UBND").total == 1
    assert services.search_archive(province.clerk_a, "đường điện").total == 0
    monkeypatch.setattr(services, "_recognise", _fake_recognise("Đường điện trung thế xã Bình Phan"))
    assert tasks.run_ocr.call(capture.pk) == Capture.Status.DONE
    found = services.search_archive(province.clerk_a, "duong dien binh ph*")
    assert [h.source_id for h in found.hits] == [capture.pk]
    assert "<mark>Đường</mark>" in found.hits[0].snippet
    # Only the agency's clerks and administrators: not another agency, not a specialist — no count either.
    for outsider in (province.clerk_b, province.specialist_a):
        assert services.search_archive(outsider, "duong dien").total == 0
    # Never among documents: archival records are not documents.
    assert search.search(province.clerk_a, "duong dien").total == 0
    assert search.check_index().ok


def test_search_check_and_reindex_cover_archival_records(province):
    import io as _io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from vanban.search import services as search
    from vanban.search.models import RecordEntry

    one = services.capture_scan(province.clerk_a, upload=_upload(png(), "a.png"), metadata={"Subject": "Sổ địa chính"})
    two = services.capture_scan(province.clerk_a, upload=_upload(png(5, 5), "b.png"))
    assert search.check_index().ok
    Capture.objects.filter(pk=one.pk).update(subject="Sổ mục kê")  # behind the services' back
    RecordEntry.objects.filter(source_id=two.pk).delete()
    report = search.check_index()
    assert (report.stale_records, report.missing_records) == ([("capture", one.pk)], [("capture", two.pk)])
    out = _io.StringIO()
    with pytest.raises(CommandError):
        call_command("search", "check", stdout=out)
    assert f"stale\tcapture {one.pk}" in out.getvalue() and f"missing\tcapture {two.pk}" in out.getvalue()
    call_command("search", "reindex", stdout=_io.StringIO())
    assert search.check_index().ok
    assert [h.source_id for h in services.search_archive(province.clerk_a, "so muc ke").hits] == [one.pk]
    assert services.search_archive(province.clerk_a, "so dia chinh").total == 0
    # A record gone behind the services' back is an orphan; reindex drops it from the index.
    Capture.objects.filter(pk=one.pk).delete()
    assert search.check_index().orphan_records == [("capture", one.pk)]
    search.reindex_all()
    assert search.check_index().ok and not RecordEntry.objects.filter(source_id=one.pk).exists()


def test_a_run_holds_a_lease_a_killed_workers_capture_is_queued_again_then_fails(province, monkeypatch, settings):
    from django.utils import timezone

    capture = services.capture_scan(province.clerk_a, upload=_upload(png(), "scan.png"))
    now = timezone.now()
    # A worker took it (attempt 1) and holds a live lease: a second task leaves it alone.
    Capture.objects.filter(pk=capture.pk).update(
        status="running", attempts=1, lease_until=now + dt.timedelta(minutes=1)
    )
    monkeypatch.setattr(services, "_recognise", _fake_recognise())
    assert tasks.run_ocr.call(capture.pk) == "running"
    assert Capture.objects.get(pk=capture.pk).attempts == 1
    assert services.recover_stalled(now) == 0
    # The worker is killed: its lease runs out, recovery queues the capture again, once.
    later = now + dt.timedelta(minutes=2)
    before = len(_queued())
    assert services.recover_stalled(later) == 1 and services.recover_stalled(later) == 0
    c = Capture.objects.get(pk=capture.pk)
    assert (c.status, c.attempts, c.lease_until) == ("queued", 1, None) and "attempt 1" in c.last_error
    assert _queued()[before:] == [capture.pk]
    # Killed on every attempt: failed with the reason after MAX_ATTEMPTS.
    Capture.objects.filter(pk=capture.pk).update(status="running", attempts=MAX_ATTEMPTS, lease_until=now)
    assert services.recover_stalled(later) == 1
    c = Capture.objects.get(pk=capture.pk)
    assert c.status == "failed" and f"attempt {MAX_ATTEMPTS}" in c.last_error


@pytest.mark.parametrize("takeover", ["recovered", "rerun by a clerk"])
def test_a_run_taken_over_after_its_lease_ran_out_stores_nothing(province, monkeypatch, caplog, takeover):
    from django.db.models import F

    capture = services.capture_scan(province.clerk_a, upload=_upload(png(), "scan.png"))

    def slow_then_overtaken(source, kind, workdir):
        # Meanwhile the lease ran out and another worker started a run of its own: after the
        # recovery (attempt 2), or after a clerk's re-run (attempts start again at 1).
        attempts = 2 if takeover == "recovered" else 1
        Capture.objects.filter(pk=capture.pk).update(attempts=attempts, runs=F("runs") + 1)
        return _fake_recognise("stale result")(source, kind, workdir)

    monkeypatch.setattr(services, "_recognise", slow_then_overtaken)
    blobs = StoredBlob.objects.count()
    assert tasks.run_ocr.call(capture.pk) == "running"
    c = Capture.objects.get(pk=capture.pk)
    assert (c.status, c.text, c.pdfa_id, c.last_error, c.runs) == ("running", "", None, "", 2)
    assert StoredBlob.objects.count() == blobs
    assert "result dropped" in caplog.text and "failed" not in caplog.text  # dropped, not an error


def test_a_failing_ocr_is_retried_then_failed_with_the_reason_and_can_be_rerun(province, monkeypatch):
    capture = services.capture_scan(province.clerk_a, upload=_upload(png(), "scan.png"))

    def broken(source, kind, workdir):
        raise RuntimeError("tesseract crashed")

    monkeypatch.setattr(services, "_recognise", broken)
    for attempt in range(1, MAX_ATTEMPTS):
        assert tasks.run_ocr.call(capture.pk) == Capture.Status.QUEUED
        capture.refresh_from_db()
        assert capture.attempts == attempt and "tesseract crashed" in capture.last_error
        assert _queued() == [capture.pk] * (attempt + 1)  # re-queued for the next attempt
    assert tasks.run_ocr.call(capture.pk) == Capture.Status.FAILED
    capture.refresh_from_db()
    assert (capture.status, capture.attempts, capture.digitised) == ("failed", MAX_ATTEMPTS, False)
    assert capture.last_error == "RuntimeError: tesseract crashed"
    assert len(_queued()) == MAX_ATTEMPTS  # no more retries
    assert tasks.run_ocr.call(capture.pk) == "failed"  # a stale queued run does nothing

    with pytest.raises(PermissionDenied):
        services.rerun(province.clerk_b, capture)
    again = services.rerun(province.clerk_a, capture)
    assert (again.status, again.attempts, again.last_error) == ("queued", 0, "")
    assert len(_queued()) == MAX_ATTEMPTS + 1
    with pytest.raises(ValidationError):
        services.rerun(province.clerk_a, again)  # already queued
    monkeypatch.setattr(services, "_recognise", _fake_recognise())
    assert tasks.run_ocr.call(capture.pk) == "done"


def test_input_the_ocr_refuses_fails_at_once_without_retries(province, monkeypatch):
    capture = services.capture_scan(province.clerk_a, upload=_upload(png(), "scan.png"))

    def refuse(source, kind, workdir):
        from vanban.capture.ocr import Unreadable

        raise Unreadable("damaged", "bad strip")

    monkeypatch.setattr(services, "_recognise", refuse)
    assert tasks.run_ocr.call(capture.pk) == "failed"
    capture.refresh_from_db()
    assert capture.attempts == 1 and capture.last_error.startswith("damaged: ")
    assert len(_queued()) == 1


def test_a_born_digital_pdf_gets_its_text_without_ocr(province, monkeypatch):
    import ocrmypdf

    monkeypatch.setattr(ocrmypdf, "ocr", lambda *a, **k: pytest.fail("OCR ran on a born-digital PDF"))
    data = helpers.text_pdf("Cong van so 15 ve chuyen doi so")
    capture = services.capture_scan(province.clerk_a, upload=_upload(data, "cv.pdf"))
    assert tasks.run_ocr.call(capture.pk) == "done"
    capture.refresh_from_db()
    assert capture.text == "Cong van so 15 ve chuyen doi so"
    assert capture.pdfa is None and capture.digitised
