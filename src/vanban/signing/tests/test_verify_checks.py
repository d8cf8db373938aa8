"""The Django side of verification: checks stored on arrival (the files_stored hook and
its task), the badge and the detail page, a clerk's "check again", `vanban signature verify`."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pytest
from conftest import PASSWORD
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from vanban.audit.models import Entry
from vanban.documents import services as documents
from vanban.documents.samples import one_page_pdf, png
from vanban.signing import crypto, tasks, verification
from vanban.signing import services as signing_services
from vanban.signing.models import FileCheck

from .test_verify import _encrypted_pdf, hierarchy, sign  # noqa: F401 (module-scoped PKI fixture)


@pytest.fixture
def trusted(db, hierarchy):  # noqa: F811
    signing_services.add_trust_root(None, crypto.cert_to_pem(hierarchy.root.certificate))
    return hierarchy


@pytest.fixture
def signed_pdf(hierarchy):  # noqa: F811
    return sign(hierarchy, one_page_pdf("Cong van so 5"), hierarchy.leader, "LanhDao")


def _register(province, files: list[tuple[str, bytes]], capture):
    uploads = [documents.Upload(io.BytesIO(data), name, len(data)) for name, data in files]
    with capture(execute=True) if capture else contextlib.nullcontext():
        reg = documents.register_incoming(
            province.clerk_a,
            uploads=uploads,
            doc_type=province.types["cong-van"],
            subject="Về việc triển khai chữ ký số",
            issuer_name="Sở Tài chính",
            issued_date=dt.date.today(),
        )
    return reg.document


def _run_queued(document):
    queued = DBTaskResult.objects.filter(task_path="vanban.signing.tasks.verify_document")
    assert [r.args_kwargs["args"] for r in queued] == [[document.pk]]
    return tasks.verify_document.call(document.pk)


def test_registering_a_signed_pdf_queues_a_check_that_stores_the_verdict(
    province, trusted, signed_pdf, django_capture_on_commit_callbacks
):
    doc = _register(
        province, [("cong-van.pdf", signed_pdf), ("phu-luc.png", png())], django_capture_on_commit_callbacks
    )
    assert not FileCheck.objects.exists()  # the request does not wait: a task does it
    result = _run_queued(doc)
    pdf_file = doc.files.get(name="cong-van.pdf")
    [check] = FileCheck.objects.all()
    assert check.file == pdf_file and check.verdict == "valid" and check.by is None
    assert result == {str(pdf_file.pk): "valid"}
    assert check.report["signatures"][0]["signer"]["common_name"] == "Nguyễn Văn An"
    # The image carries no signature: no row, nothing said about it.
    assert verification.latest_pdf_checks(doc) == [(pdf_file, check)]
    entry = Entry.objects.filter(action="signing.check_signatures").get()
    assert entry.actor_id is None and entry.object_id == str(doc.pk)


def test_a_document_without_pdf_queues_nothing(province, trusted, django_capture_on_commit_callbacks):
    _register(province, [("anh.png", png())], django_capture_on_commit_callbacks)
    assert not DBTaskResult.objects.filter(task_path="vanban.signing.tasks.verify_document").exists()


def test_the_check_is_queued_with_the_files_and_never_without_them(province, trusted, signed_pdf):
    """Queued inside the transaction that stores the files: added files are checked too, and a
    registration that rolls back leaves no check behind (nor a check lost after a commit)."""
    from django.db import transaction

    from vanban.documents.services import Upload, add_files

    queued = DBTaskResult.objects.filter(task_path="vanban.signing.tasks.verify_document")
    with pytest.raises(RuntimeError), transaction.atomic():
        doc = _register(province, [("cong-van.pdf", signed_pdf)], None)
        assert queued.count() == 1  # already there, in the same transaction
        raise RuntimeError("the registration fails after storing its files")
    assert not queued.exists()
    doc = _register(province, [("anh.png", png())], None)
    assert not queued.exists()
    add_files(province.clerk_a, doc, [Upload(io.BytesIO(signed_pdf), "phu-luc.pdf", len(signed_pdf))])
    assert [r.args_kwargs["args"] for r in queued] == [[doc.pk]]


def test_untrusted_when_the_root_is_not_configured(province, hierarchy, signed_pdf):  # noqa: F811
    doc = _register_quietly(province, signed_pdf)
    [check] = verification.check_document(doc)
    assert check.verdict == "untrusted"


def test_an_unsigned_pdf_is_recorded_as_unsigned(province, trusted):
    doc = _register_quietly(province, one_page_pdf("khong ky"))
    [check] = verification.check_document(doc)
    assert check.verdict == "unsigned"


def _register_quietly(province, data: bytes, name: str = "van-ban.pdf"):
    return documents.register_incoming(
        province.clerk_a,
        uploads=[documents.Upload(io.BytesIO(data), name, len(data))],
        doc_type=province.types["cong-van"],
        subject="Văn bản",
        issuer_name="Sở Tài chính",
        issued_date=dt.date.today(),
    ).document


# --- pages ------------------------------------------------------------------------------------


def test_badge_on_the_document_page_and_detail_page(client, province, trusted, signed_pdf):
    doc = _register_quietly(province, signed_pdf)
    verification.check_document(doc)
    f = doc.files.get()
    client.login(username="vanthu.a", password=PASSWORD)
    page = client.get(reverse("document-detail", args=[doc.pk])).content.decode()
    assert 'data-verdict="valid"' in page
    assert reverse("signature-check", args=[doc.pk, f.pk]) in page
    detail = client.get(reverse("signature-check", args=[doc.pk, f.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Nguyễn Văn An" in text and crypto.fingerprint(trusted.leader.certificate) in text
    assert reverse("signature-check-again", args=[doc.pk, f.pk]) in text  # a clerk may check again


def test_no_panel_when_the_document_has_no_pdf(client, province, trusted):
    doc = _register_quietly(province, png(), name="anh.png")
    client.login(username="vanthu.a", password=PASSWORD)
    page = client.get(reverse("document-detail", args=[doc.pk])).content.decode()
    assert 'id="signatures"' not in page


def test_detail_page_is_not_found_for_who_cannot_read_the_document(client, province, trusted, signed_pdf):
    doc = _register_quietly(province, signed_pdf)
    verification.check_document(doc)
    f = doc.files.get()
    url = reverse("signature-check", args=[doc.pk, f.pk])
    for username in ("vanthu.b", "chuyenvien.a"):  # another agency; a specialist not given the document
        client.login(username=username, password=PASSWORD)
        assert client.get(url).status_code == 404
        assert client.post(reverse("signature-check-again", args=[doc.pk, f.pk])).status_code == 404
    assert FileCheck.objects.count() == 1


def test_check_again_by_a_clerk_stores_a_new_check(client, province, trusted, signed_pdf):
    doc = _register_quietly(province, signed_pdf)
    verification.check_document(doc)
    f = doc.files.get()
    client.login(username="vanthu.a", password=PASSWORD)
    response = client.post(reverse("signature-check-again", args=[doc.pk, f.pk]))
    assert response.status_code == 302
    latest = verification.latest_check(f)
    assert FileCheck.objects.count() == 2 and latest.by == province.clerk_a


def test_check_again_is_for_clerks_only(client, province, trusted, signed_pdf):
    doc = _register_quietly(province, signed_pdf)
    client.login(username="lanhdao.a", password=PASSWORD)  # a leader reads it, but is not its clerk
    f = doc.files.get()
    assert client.get(reverse("signature-check", args=[doc.pk, f.pk])).status_code == 200
    assert client.post(reverse("signature-check-again", args=[doc.pk, f.pk])).status_code == 403
    assert not FileCheck.objects.exists()


# --- the command line -------------------------------------------------------------------------


def _cli(path) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("signature", "verify", str(path), stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_cli_valid_then_modified(tmp_path, trusted, signed_pdf):
    path = tmp_path / "ky.pdf"
    path.write_bytes(signed_pdf)
    code, out = _cli(path)
    assert code == 0 and out.splitlines()[0] == "valid"
    assert "signature 1 (LanhDao): valid" in out and "Nguyễn Văn An" in out
    at = signed_pdf.index(b"Cong van so 5")
    path.write_bytes(signed_pdf[:at] + b"Cong van so 6" + signed_pdf[at + 13 :])
    code, out = _cli(path)
    assert code == 1 and out.splitlines()[0] == "modified"


def test_cli_unsigned_exits_1(tmp_path, trusted):
    path = tmp_path / "trang.pdf"
    path.write_bytes(one_page_pdf("x"))
    assert _cli(path) == (1, "unsigned\n")


@pytest.mark.parametrize("kind", ["not_pdf", "encrypted", "damaged"])
def test_cli_unreadable_exits_2_and_stores_nothing(tmp_path, trusted, signed_pdf, kind):
    data = {"not_pdf": b"hello", "encrypted": _encrypted_pdf(), "damaged": signed_pdf[:500]}[kind]
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    with pytest.raises(CommandError) as exc:
        call_command("signature", "verify", str(path), stdout=io.StringIO())
    assert exc.value.returncode == 2 and f"({kind})" in str(exc.value)
    assert not FileCheck.objects.exists() and not Entry.objects.filter(action="signing.check_signatures").exists()
