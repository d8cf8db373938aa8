"""Test inputs: bad scans of every kind, and the character error rate."""

import io
import re
import unicodedata
import zipfile

import pikepdf
from PIL import Image

from vanban.documents.samples import one_page_pdf


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def cer(got: str, truth: str) -> float:
    got, truth = fold(got), fold(truth)
    return levenshtein(got, truth) / len(truth)


def encrypted_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(one_page_pdf("secret"))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="user"))
    return out.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def huge_page_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].MediaBox = pikepdf.Array([0, 0, 200_000, 200_000])
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 10_000), 1).save(out, "PNG")
    return out.getvalue()


def truncated_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), (255, 0, 0)).save(out, "PNG")
    return out.getvalue()[:120]


def odt(paragraphs: list[str]) -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        f"{body}</office:text></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", content)
    return out.getvalue()


def text_pdf(text: str) -> bytes:
    """A born-digital PDF whose text extracts (standard Helvetica, WinAnsi)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 770 Td ({text}) Tj ET".encode("latin-1"))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)  # the same text gives the same bytes (tests compare them)
    return out.getvalue()


def tiff_pages(pages: int, dpi: int | None = 300) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("L", (100, 140), 255) for _ in range(pages)]
    extra = {"dpi": (dpi, dpi)} if dpi else {}
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], **extra)
    return out.getvalue()
