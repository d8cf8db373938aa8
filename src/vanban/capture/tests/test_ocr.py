"""The pipeline without Django: refusals, text extraction, and one real OCR page."""

import io
import shutil
from pathlib import Path

import docx
import pikepdf
import pytest

from vanban.capture import ocr
from vanban.documents.samples import one_page_pdf, png

from . import helpers

DATA = Path("/work/shared/data/ocr")


def _require_tesseract():
    missing = [tool for tool in ("tesseract", "gs") if shutil.which(tool) is None]
    if missing:  # CI must have them: fail loudly, never skip
        pytest.fail(f"OCR tools missing: {', '.join(missing)} (install tesseract-ocr-vie and ghostscript)")


def test_real_ocr_of_a_clean_vietnamese_page_has_at_most_1_percent_cer(tmp_path):
    _require_tesseract()
    out = tmp_path / "out.pdf"
    result = ocr.ocr_to_pdfa(DATA / "cong-van-300dpi-clean.png", out)
    truth = (DATA / "cong-van-300dpi-clean.txt").read_text(encoding="utf-8")
    assert result.pages == 1
    assert helpers.cer(result.text, truth) <= 0.01, result.text
    assert "\u00d0" not in result.text
    with pikepdf.open(out) as pdf:  # a PDF/A-2b file, one page
        assert len(pdf.pages) == 1
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"


def test_levenshtein_and_cer():
    assert helpers.levenshtein("kitten", "sitting") == 3
    assert helpers.levenshtein("", "abc") == 3
    assert helpers.cer("Văn  bản\nđiện tử", "Va\u0306n bản điện tử") == 0  # NFC, spaces folded
    assert helpers.cer("van ban", "văn bản") == pytest.approx(2 / 7)


def test_eth_is_mapped_to_d_with_stroke():
    assert ocr.fix_text("\u00d0\u1ea0I H\u1eccC \u00f0i") == "ĐẠI HỌC đi"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"this is a text file, not a picture", "not_image"),
        (helpers.encrypted_pdf(), "encrypted"),
        (helpers.many_pages_pdf(ocr.MAX_PAGES + 1), "bomb"),
        (helpers.huge_page_pdf(), "bomb"),
        (helpers.huge_png(), "bomb"),
        (helpers.truncated_png(), "damaged"),
        (b"%PDF-1.7\n garbage", "damaged"),
    ],
    ids=["empty", "not-image", "encrypted", "pages-bomb", "mediabox-bomb", "pixel-bomb", "truncated", "broken-pdf"],
)
def test_inspect_refuses_with_a_reason(data, reason):
    with pytest.raises(ocr.Unreadable) as exc:
        ocr.inspect(io.BytesIO(data))
    assert exc.value.reason == reason


def test_inspect_accepts_scans_and_reads_their_pages_and_resolution():
    assert ocr.inspect(io.BytesIO(png())) == ocr.ScanInfo("png", 1, None)
    assert ocr.inspect(io.BytesIO(helpers.tiff_pages(3))) == ocr.ScanInfo("tiff", 3, 300.0)
    assert ocr.inspect(io.BytesIO(helpers.many_pages_pdf(3))) == ocr.ScanInfo("pdf", 3, None)
    assert ocr.inspect(io.BytesIO(helpers.many_pages_pdf(ocr.MAX_PAGES))).pages == ocr.MAX_PAGES


def test_refused_input_never_reaches_ocrmypdf(tmp_path, monkeypatch):
    import ocrmypdf

    monkeypatch.setattr(ocrmypdf, "ocr", lambda *a, **k: pytest.fail("OCR ran on refused input"))
    bad = tmp_path / "scan.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(ocr.Unreadable):
        ocr.ocr_to_pdfa(bad, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


def test_extract_text_of_born_digital_files(tmp_path):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(helpers.text_pdf("Cong van so 15 ve chuyen doi so"))
    assert "Cong van so 15" in ocr.extract_text(pdf, "pdf")
    assert ocr.has_text(pdf)
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(helpers.many_pages_pdf(1))
    assert not ocr.has_text(blank)
    unmapped = tmp_path / "unmapped.pdf"  # glyphs without Unicode mapping: only OCR reads them
    unmapped.write_bytes(one_page_pdf("Cong van so 15 ve chuyen doi so"))
    assert not ocr.has_text(unmapped)

    d = docx.Document()
    d.add_paragraph("Văn bản điện tử")
    d.add_table(rows=1, cols=2).rows[0].cells[0].text = "Ô bảng"
    d.save(tmp_path / "a.docx")
    text = ocr.extract_text(tmp_path / "a.docx", "docx")
    assert "Văn bản điện tử" in text
    assert "Ô bảng" in text

    (tmp_path / "a.odt").write_bytes(helpers.odt(["Thông báo số 7", "Đ\u00e0 Nẵng"]))
    assert ocr.extract_text(tmp_path / "a.odt", "odt") == "Thông báo số 7\nĐà Nẵng"


@pytest.mark.parametrize("kind", ["pdf", "docx", "odt"])
def test_extract_text_refuses_broken_files(tmp_path, kind):
    path = tmp_path / f"x.{kind}"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ocr.Unreadable):
        ocr.extract_text(path, kind)
    path.write_bytes(b"")
    with pytest.raises(ocr.Unreadable) as exc:
        ocr.extract_text(path, kind)
    assert exc.value.reason == "empty"
