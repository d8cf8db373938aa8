import io

import pytest

from vanban.documents import filetypes, samples
from vanban.documents.filetypes import FileRejected

MB = 1024 * 1024


def check(data: bytes, name: str, max_bytes: int = 50 * MB):
    return filetypes.check(io.BytesIO(data), name, len(data), max_bytes)


@pytest.mark.parametrize(
    ("maker", "name", "code"),
    [
        (lambda: samples.one_page_pdf("x"), "a.pdf", "pdf"),
        (samples.docx, "a.docx", "docx"),
        (samples.xlsx, "a.xlsx", "xlsx"),
        (samples.odt, "a.odt", "odt"),
        (samples.png, "a.PNG", "png"),
        (samples.jpeg, "a.jpg", "jpeg"),
        (samples.jpeg, "a.jpeg", "jpeg"),
        (samples.tiff, "a.tif", "tiff"),
    ],
)
def test_accepted_kinds(maker, name, code):
    assert check(maker(), name).kind.code == code


def test_pdf_pages_are_counted():
    assert check(samples.one_page_pdf("x"), "a.pdf").pages == 1


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "a.pdf", "empty"),
        (b"%PDF-1.4 garbage that is not a pdf", "a.pdf", "pdf_broken"),
        (samples.png(), "a.pdf", "mismatch"),
        (samples.one_page_pdf("x"), "a.docx", "mismatch"),
        (samples.docx(), "a.xlsx", "mismatch"),
        (b"MZ\x90\x00 an executable", "a.pdf", "unknown_content"),
        (samples.one_page_pdf("x"), "a.exe", "bad_extension"),
        (samples.one_page_pdf("x"), "noextension", "bad_extension"),
        (b"PK\x03\x04 not really a zip", "a.docx", "unknown_content"),
        (samples.one_page_pdf("x"), "", "no_name"),
    ],
)
def test_refusals(data, name, reason):
    with pytest.raises(FileRejected) as e:
        check(data, name)
    assert e.value.reason == reason


def test_oversize_refused_before_reading():
    class Exploding(io.BytesIO):
        def read(self, *a):
            raise AssertionError("must not read an oversize file")

    with pytest.raises(FileRejected) as e:
        filetypes.check(Exploding(), "big.pdf", 51 * MB, 50 * MB)
    assert e.value.reason == "too_large" and e.value.params["max_mb"] == 50


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\a\\Quyết định.pdf", "Quyết định.pdf"),
        ("..hidden.pdf", "hidden.pdf"),
        ("a\x00b\nc.pdf", "abc.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_names_are_never_paths(name, safe):
    assert filetypes.safe_name(name) == safe
