"""`vanban capture import` and `vanban ocr`."""

import io
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from vanban.capture import services
from vanban.capture.models import Capture
from vanban.documents.samples import png

from . import helpers

DATA = Path("/work/shared/data/ocr")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "kho"
    (root / "hop-01" / "hs-02").mkdir(parents=True)
    (root / "a.png").write_bytes(png(2, 3))
    (root / "hop-01" / "b.png").write_bytes(png(4, 5))
    (root / "hop-01" / "hs-02" / "c.tif").write_bytes(helpers.tiff_pages(2))
    (root / "hop-01" / "hs-02" / "d.pdf").write_bytes(helpers.many_pages_pdf(2))
    (root / "hop-01" / "ghi-chu.png").write_bytes(b"just a note")
    (root / "hop-01" / "rong.jpg").write_bytes(b"")
    return root


def _import(root, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command("capture", "import", str(root), "--agency", "82-STTTT", *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_is_resumable_and_says_what_it_did(province, archive):
    out, err = _import(archive)
    assert out.splitlines()[0] == "imported 4, skipped 0, refused 2"
    assert "refused hop-01/ghi-chu.png: “ghi-chu.png” is not a scan" in out
    assert "refused hop-01/rong.jpg: The file “rong.jpg” is empty." in out
    assert "6/6" in err and "[####" in err  # the progress bar goes to stderr
    captures = Capture.objects.order_by("original_name")
    assert [c.original_name for c in captures] == ["a.png", "b.png", "c.tif", "d.pdf"]
    assert {c.agency_id for c in captures} == {province.a.pk}
    assert all(c.document is None and c.status == "queued" for c in captures)
    assert [c.page_amount for c in captures] == [1, 1, 2, 2]
    assert DBTaskResult.objects.filter(task_path="vanban.capture.tasks.run_ocr").count() == 4

    (archive / "copy-of-a.png").write_bytes(png(2, 3))  # same content, other name: skipped
    out, _err = _import(archive)
    assert out.splitlines()[0] == "imported 0, skipped 5, refused 2"
    assert Capture.objects.count() == 4
    assert DBTaskResult.objects.filter(task_path="vanban.capture.tasks.run_ocr").count() == 4


def test_an_interrupted_import_finishes_with_every_file_imported_once(province, archive, monkeypatch):
    real = services.import_scan
    calls = []

    def dies_on_the_third(*args, **kwargs):
        calls.append(kwargs["path"])
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator's ^C, or a killed process, mid-import
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_scan", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        _import(archive)
    assert Capture.objects.count() == 2
    monkeypatch.setattr(services, "import_scan", real)
    out, _err = _import(archive)
    assert out.splitlines()[0] == "imported 2, skipped 2, refused 2"
    assert Capture.objects.count() == 4
    assert sorted(DBTaskResult.objects.values_list("args_kwargs__args", flat=True)) == sorted(
        [[pk] for pk in Capture.objects.values_list("pk", flat=True)]
    )


def test_import_now_runs_the_ocr_inline(province, archive, monkeypatch):
    seen = []

    def recognise(source, kind, workdir):
        seen.append(kind)
        return services.Recognised(f"text of a {kind}", None)

    monkeypatch.setattr(services, "_recognise", recognise)
    out, _err = _import(archive, "--now")
    assert out.splitlines()[0] == "imported 4, skipped 0, refused 2"
    assert sorted(seen) == ["pdf", "png", "png", "tiff"]
    assert set(Capture.objects.values_list("status", "digitised")) == {("done", True)}


def test_import_refuses_an_unknown_agency_or_directory(province, archive, tmp_path):
    with pytest.raises(CommandError) as exc:
        call_command("capture", "import", str(archive), "--agency", "nope", stdout=io.StringIO())
    assert exc.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("capture", "import", str(tmp_path / "none"), "--agency", "82-STTTT", stdout=io.StringIO())
    assert not Capture.objects.exists()


def test_vanban_ocr_prints_the_text_of_a_real_page(tmp_path):
    if shutil.which("tesseract") is None:
        pytest.fail("tesseract is missing: install tesseract-ocr-vie")
    out = io.StringIO()
    call_command(
        "ocr", str(DATA / "bao-cao-200dpi.png"), "--jobs", "1", "--output", str(tmp_path / "o.pdf"), stdout=out
    )
    truth = (DATA / "bao-cao-200dpi.txt").read_text(encoding="utf-8")
    assert helpers.cer(out.getvalue(), truth) <= 0.01
    assert (tmp_path / "o.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("data", [b"", b"not an image", helpers.encrypted_pdf()])
def test_vanban_ocr_exits_1_for_input_it_cannot_read(tmp_path, data):
    bad = tmp_path / "scan.png"
    bad.write_bytes(data)
    with pytest.raises(CommandError) as exc:
        call_command("ocr", str(bad), stdout=io.StringIO())
    assert exc.value.returncode == 1
    assert "cannot read" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        call_command("ocr", os.fspath(tmp_path / "missing.png"), stdout=io.StringIO())
    assert exc.value.returncode == 1
