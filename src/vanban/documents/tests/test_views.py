import datetime as dt
import io

import pikepdf
import pytest
from conftest import PASSWORD, django_pdf, pdf_upload
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from vanban.documents import services
from vanban.documents.models import Document
from vanban.documents.samples import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client, province):
    assert client.login(username="vanthu.a", password=PASSWORD)
    return client


def _incoming(p, subject, **kw):
    args = dict(
        uploads=[pdf_upload(subject)],
        doc_type=p.types["cong-van"],
        subject=subject,
        issuer_name="Sở Tài chính",
        issued_date=timezone.localdate(),
        original_code="10/STC-VP",
    )
    args.update(kw)
    return services.register_incoming(p.clerk_a, **args).document


def test_login_page_is_vietnamese(client, db):
    r = client.get("/dang-nhap/")
    assert r.status_code == 200 and b'<html lang="vi">' in r.content


def test_register_incoming_through_the_form(clerk, province):
    r = clerk.post(
        "/van-ban-den/moi/",
        {
            "file": django_pdf("form"),
            "channel": "paper",
            "delivery_mode": "electronic_with_paper",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "type": province.types["QĐ"].pk,
            "original_code": "15/QĐ-UBND",
            "issued_date": timezone.localdate().isoformat(),
            "issuer_name": "Ủy ban nhân dân tỉnh Tiền Giang",
            "subject": "Quyết định về việc thử nghiệm",
            "urgency": "urgent",
            "confidentiality": "normal",
        },
    )
    doc = Document.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/van-ban/{doc.pk}/"
    assert doc.reg_seq == 1 and doc.channel == "paper" and doc.delivery_mode == "electronic_with_paper"
    detail = clerk.get(r["Location"]).content.decode()
    assert "15/QĐ-UBND" in detail and "Quyết định về việc thử nghiệm" in detail
    page = clerk.get("/so/den/").content.decode()
    assert "Quyết định về việc thử nghiệm" in page


def test_form_errors_are_shown_and_nothing_is_stored(clerk, province):
    r = clerk.post(
        "/van-ban-den/moi/",
        {
            "file": io.BytesIO(png()),
            "channel": "exchange",
            "delivery_mode": "electronic",
            "type": province.types["QĐ"].pk,
            "original_code": "15 QĐ",
            "issued_date": timezone.localdate().isoformat(),
            "issuer_name": "UBND",
            "subject": "x",
            "urgency": "normal",
            "confidentiality": "normal",
        },
    )
    assert r.status_code == 200
    form = r.context["form"]
    assert "original_code" in form.errors
    assert Document.objects.count() == 0


def test_register_outgoing_through_the_form(clerk, province):
    r = clerk.post(
        "/van-ban-di/moi/",
        {
            "file": django_pdf("out"),
            "internal": "0",
            "type": province.types["cong-van"].pk,
            "unit": province.a_vp.pk,
            "issued_date": timezone.localdate().isoformat(),
            "subject": "Về việc góp ý dự thảo",
            "signer_name": "Phạm Văn Đức",
            "signer_position": "Giám đốc",
            "urgency": "normal",
            "confidentiality": "normal",
            "delivery_mode": "electronic",
            "recipients": "Như trên;\nLưu: VT, VP.",
            "copies": "3",
        },
    )
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    doc = Document.objects.get()
    assert doc.code == "01/STTTT-VP" and doc.copies == 3
    page = clerk.get("/so/di/").content.decode()
    assert "01/STTTT-VP" in page and "Về việc góp ý dự thảo" in page


def test_non_clerk_cannot_open_the_forms(client, province):
    client.login(username="lanhdao.a", password=PASSWORD)
    assert client.get("/van-ban-den/moi/").status_code == 403
    assert client.get("/van-ban-di/moi/").status_code == 403


def test_register_filters_and_htmx_partial(clerk, province):
    _incoming(province, "Thường một")
    _incoming(province, "Khẩn hai", urgency="urgent")
    last_year = timezone.localdate().replace(month=6, day=1) - dt.timedelta(days=366)
    _incoming(
        province,
        "Năm trước",
        issued_date=last_year,
        received_at=timezone.make_aware(dt.datetime.combine(last_year, dt.time(9, 0))),
    )
    page = clerk.get("/so/den/", {"urgent": "on", "year": timezone.localdate().year}).content.decode()
    assert "Khẩn hai" in page and "Thường một" not in page and "Năm trước" not in page
    page = clerk.get("/so/den/", {"year": last_year.year}).content.decode()
    assert "Năm trước" in page and "Khẩn hai" not in page
    partial = clerk.get("/so/den/", {"year": timezone.localdate().year}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Thường một" in partial
    bad = clerk.get("/so/den/", {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and "date_to" in bad.context["form"].errors


def test_register_pagination(clerk, province):
    for i in range(55):
        _incoming(province, f"Văn bản số {i:03d}", original_code=f"{i + 1}/STC-VP")
    first = clerk.get("/so/den/").content.decode()
    second = clerk.get("/so/den/", {"year": timezone.localdate().year, "page": 2}).content.decode()
    assert "Văn bản số 054" in first and "Văn bản số 000" not in first
    assert "Văn bản số 000" in second


def test_register_prints_as_pdf_in_decree_layout(clerk, province):
    _incoming(province, "Trích yếu để in sổ")
    r = clerk.get("/so/den/in.pdf", {"year": timezone.localdate().year})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(r.content)) as pdf:
        assert len(pdf.pages) >= 1
        assert pdf.pages[0].mediabox[2] > pdf.pages[0].mediabox[3]  # landscape


def test_register_exports_xlsx_with_ten_columns(clerk, province):
    doc = _incoming(province, "Trích yếu để xuất")
    r = clerk.get("/so/den/in.xlsx", {"year": timezone.localdate().year})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[4]
    assert len([c for c in header if c]) == 10
    assert rows[5][:3] == ("(1)", "(2)", "(3)")
    data = rows[6]
    assert data[1] == str(doc.reg_seq) and data[3] == "10/STC-VP" and "Trích yếu để xuất" in data[5]
    out = clerk.get("/so/di/in.xlsx")
    assert out.status_code == 200


def test_outgoing_register_row_matches_columns(province):
    from vanban.documents import registers

    doc = services.register_outgoing(
        province.clerk_a,
        uploads=[pdf_upload()],
        doc_type=province.types["QĐ"],
        subject="Quyết định",
        signer_name="Phạm Văn Đức",
        signer_position="Giám đốc",
        copies=2,
        unit=province.a_vp,
    ).document
    row = registers.outgoing_row(doc)
    assert len(row) == len(registers.OUTGOING_COLUMNS) == 10
    assert row[0] == "01/QĐ-STTTT" and row[3] == "Giám đốc Phạm Văn Đức" and row[5] == "VT, VP" and row[6] == "2"
    assert len(registers.incoming_row(_incoming(province, "x"))) == len(registers.INCOMING_COLUMNS) == 10


def test_add_files_and_download(clerk, province):
    doc = _incoming(province, "Có phụ lục")
    r = clerk.post(f"/van-ban/{doc.pk}/tep/", {"files": [django_pdf("phu luc", "phu-luc.pdf")]})
    assert r.status_code == 302
    files = list(doc.files.order_by("id"))
    assert [f.role for f in files] == ["main", "attachment"]
    download = clerk.get(f"/van-ban/{doc.pk}/tep/{files[1].pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")
    r = clerk.post(f"/van-ban/{doc.pk}/tep/", {"files": [io.BytesIO(b"")]})
    assert doc.files.count() == 2


def test_an_issued_document_cannot_be_changed_but_a_paper_one_gets_its_scan(clerk, province):
    from vanban.audit.models import Entry

    issued = services.register_outgoing(
        province.clerk_a,
        uploads=[pdf_upload("quyet dinh")],
        doc_type=province.types["QĐ"],
        subject="Quyết định đã ban hành",
        signer_name="Phạm Văn Đức",
    ).document
    entries = Entry.objects.count()
    r = clerk.post(f"/van-ban/{issued.pk}/tep/", {"files": [django_pdf("them", "them.pdf")]})
    assert r.status_code in (200, 302, 400)
    assert issued.files.count() == 1
    assert Entry.objects.count() == entries
    with pytest.raises(ValidationError) as refused:
        services.add_files(province.clerk_a, issued, [pdf_upload("them")])
    assert "file" in refused.value.message_dict
    assert issued.files.count() == 1

    paper = services.register_outgoing(
        province.clerk_a,
        uploads=[],
        doc_type=province.types["QĐ"],
        subject="Quyết định bản giấy",
        signer_name="Phạm Văn Đức",
        delivery_mode="paper",
    ).document
    services.add_files(province.clerk_a, paper, [pdf_upload("ban quet")])
    assert [f.role for f in paper.files.all()] == ["main"]


def test_home_counts(clerk, province):
    _incoming(province, "Một")
    _incoming(province, "Hai", urgency="flash")
    r = clerk.get("/")
    assert r.context["counts"] == {"incoming": 2, "incoming_unhandled": 2, "incoming_urgent": 1, "outgoing": 0}


def test_oversize_request_refused_early(clerk, settings):
    settings.VANBAN = {**settings.VANBAN, "MAX_UPLOAD_BYTES": 1024}
    r = clerk.post("/van-ban-den/moi/", {"file": io.BytesIO(b"x" * (2 * 1024 * 1024))})
    assert r.status_code == 413
