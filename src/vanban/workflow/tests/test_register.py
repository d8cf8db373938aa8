"""The incoming-processing register (7 columns, page, filters, print-outs) and the document's
history panel."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from conftest import pdf_upload
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.documents import services as documents
from vanban.workflow.models import Assignment
from vanban.workflow.selectors import register as selectors
from vanban.workflow.services import assignment as work
from vanban.workflow.tests.test_assignment import TODAY, incoming

pytestmark = pytest.mark.django_db
DEADLINE = TODAY + dt.timedelta(days=3)


def d(x) -> str:
    return x.strftime("%d/%m/%Y")


def client_for(person) -> Client:
    c = Client()
    c.force_login(person)
    return c


@pytest.fixture
def book(province):
    """Three incoming documents: one handled to the end with a reply, one overdue, one never
    assigned (not in the book)."""
    p = province
    done = incoming(p, subject="Về việc triển khai chữ ký số", original_code="15/QĐ-UBND")
    top = work.assign(
        p.leader_a, done, lead=p.a_cntt, co=[p.clerk_a], deadline=DEADLINE, instruction="Khẩn trương thực hiện"
    )
    child = work.reassign(p.unithead_a, top, lead=p.specialist_a)
    progress = work.record_progress(p.specialist_a, child, "Đã dự thảo công văn trả lời")
    work.finish(p.specialist_a, child, result="Đã dự thảo xong")
    reply = documents.register_outgoing(
        p.clerk_a,
        uploads=[pdf_upload("tra loi")],
        doc_type=p.types["cong-van"],
        unit=p.a_cntt,
        subject="Về việc trả lời triển khai chữ ký số",
        signer_name="Phạm Văn Đức",
        signer_position="Giám đốc",
    ).document
    work.finish(p.unithead_a, top, result="Đã trả lời Ủy ban", reply=reply)
    late = incoming(p, subject="Về việc báo cáo số liệu quý", original_code="20/UBND-KT")
    late_work = work.assign(p.leader_a, late, lead=p.specialist_a, deadline=TODAY)
    # Two days pass (the service refuses a deadline in the past, rightly).
    Assignment.objects.filter(pk=late_work.pk).update(deadline=TODAY - dt.timedelta(days=2))
    never = incoming(p, subject="Về việc mời họp", original_code="30/GM-UBND")
    return p, done, reply, progress, late, never


def test_the_seven_columns_with_real_data(book):
    p, done, reply, progress, late, _never = book
    docs = list(selectors.processing_documents(p.clerk_a, selectors.ProcessingFilter(year=TODAY.year)))
    assert [x.pk for x in docs] == [late.pk, done.pk]  # newest first; the unassigned one is not in the book
    rows = dict((doc.pk, cells) for doc, cells in selectors.rows(docs, TODAY))
    cells = rows[done.pk]
    assert len(cells) == len(selectors.COLUMNS) == 7
    assert cells[0] == str(done.reg_seq)
    assert cells[1] == f"15/QĐ-UBND, {d(TODAY)}, Ủy ban nhân dân tỉnh Tiền Giang: Về việc triển khai chữ ký số"
    assert cells[2] == "; ".join(
        [
            _("Lead: %(names)s") % {"names": "Phòng Công nghệ thông tin"},
            _("Co-handling: %(names)s") % {"names": p.clerk_a.get_full_name()},
            _("Re-assigned to %(names)s") % {"names": p.specialist_a.get_full_name()},
        ]
    )
    assert cells[3] == d(DEADLINE)
    finished = Assignment.objects.get(document=done, parent__isnull=True).finished_at
    assert cells[4] == "\n".join(
        [
            f"{d(timezone.localtime(progress.at))}: Đã dự thảo công văn trả lời",
            _("Done on %(date)s: %(result)s")
            % {"date": d(timezone.localtime(finished)), "result": "Đã trả lời Ủy ban"},
        ]
    )
    assert cells[5] == reply.code and reply.code
    assert cells[6] == ""
    late_cells = rows[late.pk]
    assert late_cells[2] == _("Lead: %(names)s") % {"names": p.specialist_a.get_full_name()}
    assert late_cells[3] == d(TODAY - dt.timedelta(days=2))
    assert late_cells[4] == _("Being handled") and late_cells[5] == ""
    assert late_cells[6] == _("Overdue by %(n)s days") % {"n": 2}


def test_filters_overdue_year_and_dates(book):
    p, _done, _reply, _progress, late, _never = book
    f = selectors.ProcessingFilter
    assert [x.pk for x in selectors.processing_documents(p.clerk_a, f(overdue=True))] == [late.pk]
    assert not selectors.processing_documents(p.clerk_a, f(year=TODAY.year - 1)).exists()
    after = TODAY + dt.timedelta(days=1)
    assert not selectors.processing_documents(p.clerk_a, f(date_from=after)).exists()
    assert selectors.processing_documents(p.clerk_a, f(date_to=TODAY)).count() == 2


def test_only_the_agencys_clerks_and_leaders_read_it(book):
    p, _done, _reply, _progress, _late, _never = book
    f = selectors.ProcessingFilter()
    assert selectors.processing_documents(p.leader_a, f).count() == 2
    assert not selectors.processing_documents(p.specialist_a, f).exists()
    assert not selectors.processing_documents(p.clerk_b, f).exists()  # another agency


def test_the_page(book):
    p, done, reply, _progress, late, _never = book
    r = client_for(p.clerk_a).get("/so-theo-doi-giai-quyet/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Về việc triển khai chữ ký số" in body and "Về việc báo cáo số liệu quý" in body
    assert "Về việc mời họp" not in body and reply.code in body
    assert f'href="/van-ban/{done.pk}/#workflow"' in body
    r = client_for(p.leader_a).get("/so-theo-doi-giai-quyet/", {"overdue": "on"})
    assert r.status_code == 200 and [doc.pk for doc, _c in r.context["rows"]] == [late.pk]
    r = client_for(p.leader_a).get("/so-theo-doi-giai-quyet/", {"overdue": "on"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<form" not in r.content.decode()  # only the table for htmx
    assert client_for(p.specialist_a).get("/so-theo-doi-giai-quyet/").status_code == 403
    assert client_for(p.specialist_a).get("/so-theo-doi-giai-quyet/in.xlsx").status_code == 403
    r = client_for(p.clerk_b).get("/so-theo-doi-giai-quyet/")
    assert r.status_code == 200 and r.context["rows"] == []
    assert Client().get("/so-theo-doi-giai-quyet/").status_code == 302
    r = client_for(p.clerk_a).get("/so-theo-doi-giai-quyet/", {"date_from": str(TODAY), "date_to": "2000-01-01"})
    assert r.status_code == 200 and r.context["form"].errors


def test_the_menu_links_it_for_clerks_and_leaders_only(book):
    p = book[0]
    assert 'href="/so-theo-doi-giai-quyet/"' in client_for(p.leader_a).get("/cong-viec/").content.decode()
    assert 'href="/so-theo-doi-giai-quyet/"' not in client_for(p.specialist_a).get("/cong-viec/").content.decode()


def test_the_exports_open(book):
    from openpyxl import load_workbook

    p, done, reply, _progress, late, _never = book
    c = client_for(p.clerk_a)
    r = c.get("/so-theo-doi-giai-quyet/in.pdf", {"year": TODAY.year})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    r = c.get("/so-theo-doi-giai-quyet/in.xlsx", {"year": TODAY.year})
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[1][0] == _("REGISTER OF INCOMING DOCUMENT PROCESSING")
    assert values[4] == tuple(str(col.title) for col in selectors.COLUMNS)
    assert values[5] == tuple(f"({i})" for i in range(1, 8))
    # Oldest first, as the paper book is written.
    assert [row[0] for row in values[6:]] == [str(done.reg_seq), str(late.reg_seq)]
    assert values[6][5] == reply.code
    r = c.get("/so-theo-doi-giai-quyet/in.pdf", {"date_from": str(TODAY), "date_to": "2000-01-01"})
    assert r.status_code == 400


def _history(body: str) -> list[str]:
    """The lines of the document page's history section, tags stripped."""
    import html
    import re

    section = body.split('id="document-history"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item))).strip() for item in items]


def test_the_document_history_lists_who_when_what(book):
    from vanban.workflow.views.register import HISTORY_LABELS as labels

    p, done, _reply, _progress, _late, _never = book
    r = client_for(p.clerk_a).get(f"/van-ban/{done.pk}/")
    assert r.status_code == 200
    lines = _history(r.content.decode())
    expected = [
        (p.leader_a, labels["workflow.assign"], ""),
        (p.unithead_a, labels["workflow.reassign"], ""),
        (p.specialist_a, labels["workflow.progress"], "Đã dự thảo công văn trả lời"),
        (p.specialist_a, labels["workflow.finish"], ""),
        (p.unithead_a, labels["workflow.finish"], "Đã trả lời Ủy ban"),
    ]
    # The first line is the documents room's own (registration); the workflow's follow in order.
    assert len(lines) == 1 + len(expected)
    for line, (person, label, detail) in zip(lines[1:], expected, strict=True):
        assert str(label) in line
        assert person.username in line or person.get_full_name() in line
        if detail:
            assert line.endswith(detail)


def test_unknown_actions_show_their_code(book):
    from django.db import transaction

    from vanban.audit import services as audit

    p, done, *_rest = book
    with transaction.atomic():
        audit.record(actor=p.clerk_a, action="future.thing", target=done, data={})
    lines = _history(client_for(p.clerk_a).get(f"/van-ban/{done.pk}/").content.decode())
    assert lines[-1].endswith("future.thing")


def test_the_history_is_shown_only_with_the_document(book):
    p, done, _reply, _progress, late, _never = book
    for person, doc in ((p.clerk_b, done), (p.admin_a, late)):  # another agency; a unit not on that work
        assert client_for(person).get(f"/van-ban/{doc.pk}/").status_code == 404
    r = client_for(p.specialist_a).get(f"/van-ban/{late.pk}/")
    assert r.status_code == 200
    assert _history(r.content.decode())
