"""The OCR pipeline and text extraction. No Django.

`ocr_to_pdfa` turns a scan (PDF, PNG, JPEG, TIFF — multi-page allowed) into a PDF/A-2b copy with
a Vietnamese text layer (OCRmyPDF + Debian's tesseract, rotation and deskew) and returns the
recognised text. `extract_text` reads born-digital PDF, DOCX and ODT without OCR. `inspect`
refuses what cannot or must not be read (empty, not an image, encrypted, a "bomb", damaged) before
anything is stored or any work is queued.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pikepdf
from PIL import Image, UnidentifiedImageError

# Limits of what we accept as one scan. A4 at 600 dpi is ~35 Mpx; A0 at 300 dpi ~140 Mpx.
MAX_PAGES = 1000
MAX_PIXELS = 150_000_000  # per page (image frame)
MAX_PAGE_POINTS = 14_400  # PDF page side: 200 in, the PDF 1.x implementation limit
DEFAULT_DPI = 300  # assumed for an image that does not say its resolution

SCAN_KINDS = ("pdf", "png", "jpeg", "tiff")
TEXT_KINDS = ("pdf", "docx", "odt")

log = logging.getLogger(__name__)


class Unreadable(ValueError):
    """Input the pipeline refuses; `reason` is one of REASONS, `detail` says more."""

    REASONS = ("empty", "not_image", "encrypted", "bomb", "damaged")

    def __init__(self, reason: str, detail: str = ""):
        assert reason in self.REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class OcrResult:
    text: str
    pages: int


@dataclass(frozen=True)
class ScanInfo:
    kind: str  # one of SCAN_KINDS
    pages: int
    dpi: float | None  # images only: the resolution it declares, if any


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    return None


def inspect(fh: BinaryIO) -> ScanInfo:
    """Check a scan (seekable binary file, read from the start) without decoding its pixels.
    Raises Unreadable. Leaves the file at position 0."""
    fh.seek(0)
    head = fh.read(16)
    fh.seek(0)
    if not head:
        raise Unreadable("empty")
    kind = sniff(head)
    if kind is None:
        raise Unreadable("not_image", "not a PDF, PNG, JPEG or TIFF file")
    try:
        return _inspect_pdf(fh) if kind == "pdf" else _inspect_image(fh, kind)
    finally:
        fh.seek(0)


def _inspect_pdf(fh: BinaryIO) -> ScanInfo:
    try:
        with pikepdf.open(fh) as pdf:
            if pdf.is_encrypted:  # opened with an empty user password: still locked for OCRmyPDF
                raise Unreadable("encrypted")
            pages = len(pdf.pages)
            if pages == 0:
                raise Unreadable("damaged", "no pages")
            if pages > MAX_PAGES:
                raise Unreadable("bomb", f"{pages} pages; the limit is {MAX_PAGES}")
            for i, page in enumerate(pdf.pages, 1):
                box = [float(v) for v in page.mediabox]
                w, h = abs(box[2] - box[0]), abs(box[3] - box[1])
                if w > MAX_PAGE_POINTS or h > MAX_PAGE_POINTS:
                    raise Unreadable("bomb", f"page {i} is {w:.0f}×{h:.0f} pt")
                if w < 1 or h < 1:
                    raise Unreadable("damaged", f"page {i} has no area")
    except Unreadable:
        raise
    except pikepdf.PasswordError as exc:
        raise Unreadable("encrypted") from exc
    except (pikepdf.PdfError, ValueError, TypeError, KeyError, OSError) as exc:
        raise Unreadable("damaged", str(exc)[:200]) from exc
    return ScanInfo("pdf", pages, None)


def _inspect_image(fh: BinaryIO, kind: str) -> ScanInfo:
    try:
        with Image.open(fh) as im:
            frames = getattr(im, "n_frames", 1)
            if frames > MAX_PAGES:
                raise Unreadable("bomb", f"{frames} pages; the limit is {MAX_PAGES}")
            for i in range(frames):
                im.seek(i)
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise Unreadable("bomb", f"page {i + 1} is {w}×{h} pixels")
                if w < 1 or h < 1:
                    raise Unreadable("damaged", f"page {i + 1} has no pixels")
            im.seek(0)
            dpi = im.info.get("dpi")
            im.load()  # truncated or corrupt data fails here, not in the worker
    except Unreadable:
        raise
    except Image.DecompressionBombError as exc:
        raise Unreadable("bomb", str(exc)[:200]) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise Unreadable("damaged", str(exc)[:200]) from exc
    resolution = float(dpi[0]) if dpi and dpi[0] and float(dpi[0]) >= 10 else None
    return ScanInfo(kind, frames, resolution)


def fix_text(text: str) -> str:
    """Normalise recognised text: NFC, eth (Ð/ð, which tesseract sometimes emits) → đ/Đ."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    text = text.replace("\f", "\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def ocr_to_pdfa(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    languages: tuple[str, ...] = ("vie",),
    jobs: int = 1,
) -> OcrResult:
    """OCR one scan into a PDF/A-2b file at `output_path`; returns the recognised text.
    Raises Unreadable for input it refuses; other errors (tesseract missing, a crash) propagate.

    Vietnamese alone by default: `vie` reads Latin letters too, and adding `eng` makes tesseract
    drop diacritics on noisy pages (CER 1.2% instead of 0.26% on the shared skewed page)."""
    import ocrmypdf  # heavy import, only where OCR runs
    from ocrmypdf import exceptions as ocr_exc

    with open(input_path, "rb") as fh:
        info = inspect(fh)
    # tesseract's own OpenMP threads make it 4-5x slower here: parallelise across pages instead.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    options = dict(
        language=list(languages),
        rotate_pages=True,
        deskew=True,
        output_type="pdfa-2",
        jobs=max(1, jobs),
        progress_bar=False,
        optimize=1,
    )
    if info.kind != "pdf" and info.dpi is None:
        options["image_dpi"] = DEFAULT_DPI
    try:
        try:
            ocrmypdf.ocr(str(input_path), str(output_path), **options)
        except ocr_exc.PriorOcrFoundError:
            # Debian's Ghostscript 10.0.0 corrupts pages kept with --skip-text (OCRmyPDF refuses
            # it): a scan that already carries some text is rasterised and read again. Born-digital
            # files take `extract_text` instead (see `has_text`).
            ocrmypdf.ocr(str(input_path), str(output_path), force_ocr=True, **options)
    except ocr_exc.EncryptedPdfError as exc:
        raise Unreadable("encrypted") from exc
    except (ocr_exc.InputFileError, ocr_exc.UnsupportedImageFormatError, ocr_exc.DpiError) as exc:
        raise Unreadable("damaged", str(exc)[:200]) from exc
    text = _pdf_text(Path(output_path))
    return OcrResult(fix_text(text), info.pages)


def has_text(path: str | os.PathLike, *, min_chars: int = 20) -> bool:
    """Whether a PDF is born-digital (or already OCRed): its pages carry text to extract."""
    try:
        # "(cid:N)": glyphs without a Unicode mapping, text that cannot be extracted — OCR it.
        return len(re.sub(r"\(cid:\d+\)|\s", "", _pdf_text(Path(path)))) >= min_chars
    except Exception:  # a PDF pdfminer cannot read is treated as a scan
        return False


def _pdf_text(path: Path) -> str:
    from pdfminer.high_level import extract_text as pdfminer_text

    return pdfminer_text(str(path))


def extract_text(path: str | os.PathLike, kind: str) -> str:
    """The text of a born-digital file, without OCR. `kind`: "pdf", "docx" or "odt".
    Raises Unreadable when the file cannot be read as that kind."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise Unreadable("empty")
    if kind == "pdf":
        with open(path, "rb") as fh:
            if sniff(fh.read(16)) != "pdf":
                raise Unreadable("damaged", "not a PDF")
            _inspect_pdf(fh)
        try:
            return fix_text(_pdf_text(path))
        except Exception as exc:  # pdfminer raises many unrelated types on broken files
            raise Unreadable("damaged", str(exc)[:200]) from exc
    if kind == "docx":
        return fix_text(_docx_text(path))
    if kind == "odt":
        return fix_text(_odt_text(path))
    raise ValueError(f"no text extraction for {kind!r}")


def _docx_text(path: Path) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Unreadable("damaged", str(exc)[:200]) from exc
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


_ODT_MAX_XML = 50 * 1024 * 1024


def _odt_text(path: Path) -> str:
    from defusedxml import ElementTree

    text_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    try:
        with zipfile.ZipFile(path) as zf:
            if zf.getinfo("content.xml").file_size > _ODT_MAX_XML:
                raise Unreadable("bomb", "content.xml too large")
            root = ElementTree.fromstring(zf.read("content.xml"))
    except Unreadable:
        raise
    except Exception as exc:  # BadZipFile, KeyError, ParseError, defusedxml's refusals
        raise Unreadable("damaged", str(exc)[:200]) from exc
    lines = []
    for el in root.iter():
        if el.tag in (text_ns + "p", text_ns + "h"):
            lines.append(_odt_inline(el, text_ns))
    return "\n".join(lines)


def _odt_inline(el, ns: str) -> str:
    out = [el.text or ""]
    for child in el:
        if child.tag == ns + "s":
            out.append(" " * int(child.get(ns + "c", "1")))
        elif child.tag == ns + "tab":
            out.append("\t")
        elif child.tag == ns + "line-break":
            out.append("\n")
        else:
            out.append(_odt_inline(child, ns))
        out.append(child.tail or "")
    return "".join(out)


def write_temp(fh: BinaryIO, suffix: str) -> str:
    """Copy a binary file object to a named temporary file; the caller removes it."""
    fd, name = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as out:
        fh.seek(0)
        while chunk := fh.read(1 << 20):
            out.write(chunk)
    fh.seek(0)
    return name
