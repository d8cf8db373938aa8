"""What a file really is, from its bytes. No Django.

Accepted: PDF, DOCX, XLSX, ODT, PNG, JPEG, TIFF. The name's extension must agree with the content.
"""

from __future__ import annotations

import os
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    mime: str
    extensions: tuple[str, ...]


KINDS = {
    k.code: k
    for k in (
        Kind("pdf", "PDF", "application/pdf", (".pdf",)),
        Kind("docx", "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
        Kind("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
        Kind("odt", "ODT", "application/vnd.oasis.opendocument.text", (".odt",)),
        Kind("png", "PNG", "image/png", (".png",)),
        Kind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg")),
        Kind("tiff", "TIFF", "image/tiff", (".tif", ".tiff")),
    )
}
_BY_EXTENSION = {ext: k for k in KINDS.values() for ext in k.extensions}
MAX_NAME_LEN = 200


class FileRejected(ValueError):
    """Refusal with a stable `reason` code and parameters for the user's message."""

    def __init__(self, reason: str, **params):
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Sniffed:
    kind: Kind
    pages: int | None  # PDF page count


def safe_name(name: str) -> str:
    """The file name to keep: no directories, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    if len(name) > MAX_NAME_LEN:
        stem, ext = os.path.splitext(name)
        name = stem[: MAX_NAME_LEN - len(ext)] + ext
    return name


def _sniff_zip(fh: BinaryIO) -> str | None:
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mimetype = zf.read("mimetype")[:100].strip()
                if mimetype == b"application/vnd.oasis.opendocument.text":
                    return "odt"
                return None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def sniff_code(fh: BinaryIO) -> str | None:
    """The kind code of the content of `fh` (seekable, read from the start), or None."""
    fh.seek(0)
    head = fh.read(16)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(fh)
    return None


def check(fh: BinaryIO, name: str, size: int, max_bytes: int) -> Sniffed:
    """Accept or refuse one uploaded file. Raises FileRejected with the reason."""
    clean = safe_name(name)
    if not clean:
        raise FileRejected("no_name")
    if size <= 0:
        raise FileRejected("empty", name=clean)
    if size > max_bytes:
        raise FileRejected("too_large", name=clean, size_mb=round(size / 1048576, 1), max_mb=max_bytes // 1048576)
    ext = os.path.splitext(clean)[1].lower()
    expected = _BY_EXTENSION.get(ext)
    if expected is None:
        raise FileRejected(
            "bad_extension", name=clean, ext=ext or "?", allowed=", ".join(sorted({k.label for k in KINDS.values()}))
        )
    actual_code = sniff_code(fh)
    if actual_code is None:
        raise FileRejected("unknown_content", name=clean, expected=expected.label)
    if actual_code != expected.code:
        raise FileRejected("mismatch", name=clean, expected=expected.label, actual=KINDS[actual_code].label)
    pages = None
    if actual_code == "pdf":
        fh.seek(0)
        try:
            with pikepdf.open(fh) as pdf:
                pages = len(pdf.pages)
        except pikepdf.PasswordError as exc:
            raise FileRejected("pdf_encrypted", name=clean) from exc
        except (pikepdf.PdfError, ValueError, OSError) as exc:
            raise FileRejected("pdf_broken", name=clean) from exc
        if pages == 0:
            raise FileRejected("pdf_broken", name=clean)
    fh.seek(0)
    return Sniffed(KINDS[actual_code], pages)
