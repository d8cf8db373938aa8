"""A clerk registers an incoming PDF in the browser and finds it in the incoming register.

Fields are addressed by id/name, never by visible label text (translations change)."""

from __future__ import annotations

import re
import uuid

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from vanban.documents import storage
from vanban.documents.models import Direction, Document
from vanban.documents.samples import one_page_pdf, png

pytestmark = pytest.mark.e2e


def log_in(page, base_url: str, username: str = "vanthu.a") -> None:
    page.goto(f"{base_url}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    # The login form is gone: we are in.
    expect(page.locator("#id_password")).to_have_count(0)


def fill_incoming(page, *, file_path, subject: str) -> None:
    page.set_input_files("#id_file", str(file_path))
    page.select_option("#id_channel", value="paper")
    page.select_option("#id_delivery_mode", value="paper")
    page.select_option("#id_type", label="Quyết định")
    page.fill("#id_original_code", "15/QĐ-UBND")
    page.fill("#id_issued_date", timezone.localdate().isoformat())
    page.fill("#id_issuer_name", "Ủy ban nhân dân tỉnh Tiền Giang")
    page.fill("#id_subject", subject)


def submit(page) -> None:
    with page.expect_navigation():
        page.click("form.doc-form button[type=submit]")


def test_clerk_registers_incoming_pdf_and_finds_it_in_the_register(live_server, live_province, page, tmp_path):
    subject = f"Về việc thử nghiệm đăng ký văn bản đến {uuid.uuid4().hex[:8]}"
    pdf = tmp_path / "quyet-dinh-15.pdf"
    pdf.write_bytes(one_page_pdf("Quyet dinh 15/QD-UBND"))

    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/van-ban-den/moi/")
    assert page.locator("html").get_attribute("lang") == "vi"
    fill_incoming(page, file_path=pdf, subject=subject)
    submit(page)

    # The document's page, with arrival number 1.
    expect(page).to_have_url(re.compile(r"/van-ban/\d+/$"))
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.locator(".arrival-number")).to_have_text(re.compile(r"^\s*1\s*/\s*\d{4}\s*$"))
    expect(page.locator("p.subject")).to_have_text(subject)
    doc_pk = int(re.search(r"/van-ban/(\d+)/$", page.url).group(1))

    # The incoming register lists it.
    page.goto(f"{live_server.url}/so/den/")
    assert page.locator("html").get_attribute("lang") == "vi"
    row = page.locator("table.register tbody tr", has_text=subject)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("15/QĐ-UBND")
    expect(row.locator(f"a[href='/van-ban/{doc_pk}/']")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "so-den.png"), full_page=True)

    # And the database holds exactly that one incoming document, with the PDF's bytes.
    docs = Document.objects.filter(subject=subject, direction=Direction.INCOMING)
    assert docs.count() == 1
    doc = docs.get()
    assert doc.pk == doc_pk
    assert doc.reg_seq == 1
    assert doc.code == "15/QĐ-UBND"
    assert doc.agency == live_province.a
    files = list(doc.files.all())
    assert len(files) == 1
    data = storage.read_verified(files[0].blob_id)
    assert data.startswith(b"%PDF-")
    assert data == pdf.read_bytes()


def test_png_named_pdf_is_refused_next_to_the_file_input(live_server, live_province, page, tmp_path):
    subject = f"Tệp giả PDF {uuid.uuid4().hex[:8]}"
    fake = tmp_path / "gia-mao.pdf"
    fake.write_bytes(png())

    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/van-ban-den/moi/")
    fill_incoming(page, file_path=fake, subject=subject)
    submit(page)

    # Back on the form, the error sits in the file field's box.
    expect(page).to_have_url(re.compile(r"/van-ban-den/moi/$"))
    error = page.locator(".field-file .error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("gia-mao.pdf")
    # What the clerk typed is kept.
    expect(page.locator("#id_subject")).to_have_value(subject)

    assert not Document.objects.filter(subject=subject).exists()
    assert Document.objects.count() == 0
