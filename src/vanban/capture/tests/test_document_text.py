"""Born-digital files of registered documents get their text extracted (no OCR) and searchable,
queued in the transaction that stores them."""

from __future__ import annotations

import io

import pytest
from django_tasks_db.models import DBTaskResult

from vanban.capture import tasks
from vanban.documents import services as documents
from vanban.documents.samples import one_page_pdf
from vanban.search import services as search

pytestmark = pytest.mark.django_db


def test_a_registered_pdf_with_text_is_searchable_by_its_words(province):
    p = province
    data = one_page_pdf("Ke hoach chuyen doi so nam 2026 tinh Tien Giang")
    doc = documents.register_incoming(
        p.clerk_a,
        uploads=[documents.Upload(io.BytesIO(data), "ke-hoach.pdf", len(data))],
        doc_type=p.types["cong-van"],
        subject="Về việc triển khai",
        issuer_name="Sở Tài chính",
        original_code="9/STC-VP",
        issued_date=__import__("datetime").date.today(),
    ).document
    queued = DBTaskResult.objects.filter(task_path="vanban.capture.tasks.extract_text")
    assert [r.args_kwargs["args"] for r in queued] == [[doc.pk]]
    # Not yet extracted: the body's words do not find it; after the task they do.
    assert search.search(p.clerk_a, "chuyen doi so").total == 0
    assert tasks.extract_text.call(doc.pk) > 0
    results = search.search(p.clerk_a, "chuyển đổi số")
    assert [h.document_id for h in results.hits] == [doc.pk]
    assert search.search(p.clerk_b, "chuyển đổi số").total == 0  # another agency never sees it
