import datetime as dt
import io

import pytest
from conftest import pdf_upload
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vanban.audit.models import Entry
from vanban.documents import services, storage
from vanban.documents.models import Document, DocumentFile, NumberCounter, StoredBlob
from vanban.documents.samples import png
from vanban.documents.services import Upload

pytestmark = pytest.mark.django_db


def incoming(p, **kw):
    args = dict(
        uploads=[pdf_upload("incoming")],
        doc_type=p.types["QĐ"],
        subject="Về việc triển khai phần mềm",
        issuer_name="Ủy ban nhân dân tỉnh Tiền Giang",
        issued_date=timezone.localdate(),
        original_code="15/QĐ-UBND",
        channel="exchange",
    )
    args.update(kw)
    return services.register_incoming(p.clerk_a, **args)


def outgoing(p, **kw):
    args = dict(
        uploads=[pdf_upload("outgoing")],
        doc_type=p.types["QĐ"],
        subject="Quyết định thành lập tổ công tác",
        signer_name="Phạm Văn Đức",
        issued_date=timezone.localdate(),
    )
    args.update(kw)
    return services.register_outgoing(p.clerk_a, **args)


def test_incoming_gets_consecutive_arrival_numbers(province):
    first = incoming(province).document
    second = incoming(province, original_code="16/QĐ-UBND").document
    assert (first.reg_seq, second.reg_seq) == (1, 2)
    assert first.number == "15" and first.notation == "QĐ-UBND" and first.code == "15/QĐ-UBND"
    assert first.direction == "incoming" and first.delivery_mode == "electronic" and first.channel == "exchange"
    assert first.pages == 1
    f = first.files.get()
    assert f.role == "main" and storage.read_verified(f.blob_id).startswith(b"%PDF-")


def test_outgoing_numbering_and_notation(province):
    docs = [outgoing(province).document for _ in range(11)]
    assert [d.code for d in docs[:2]] == ["01/QĐ-STTTT", "02/QĐ-STTTT"]
    assert docs[9].code == "10/QĐ-STTTT"
    assert docs[0].issuer_name == province.a.name and docs[0].issuer_identifier == "000.00.12.H58"


def test_official_letter_uses_drafting_unit_and_shares_general_series(province):
    qd = outgoing(province).document
    cv = outgoing(province, doc_type=province.types["cong-van"], unit=province.a_vp).document
    assert qd.code == "01/QĐ-STTTT"
    assert cv.code == "02/STTTT-VP"


def test_official_letter_without_unit_is_refused(province):
    with pytest.raises(ValidationError) as e:
        outgoing(province, doc_type=province.types["cong-van"])
    assert "unit" in e.value.message_dict
    assert Document.objects.count() == 0


def test_legal_and_secret_series_are_separate(province):
    year = timezone.localdate().year
    general = outgoing(province).document
    legal = outgoing(province, is_legal=True).document
    legal2 = outgoing(province, is_legal=True).document
    secret = outgoing(province, confidentiality="confidential").document
    general2 = outgoing(province).document
    assert general.code == "01/QĐ-STTTT" and general2.code == "02/QĐ-STTTT"
    assert legal.code == f"01/{year}/QĐ-STTTT" and legal2.code == f"02/{year}/QĐ-STTTT"
    assert secret.reg_series == "out:secret" and secret.number == "01"


def test_numbering_restarts_each_year(province):
    last_year = dt.date(timezone.localdate().year - 1, 12, 31)
    old = outgoing(province, issued_date=last_year).document
    new = outgoing(province).document
    old2 = outgoing(province, issued_date=last_year).document
    assert (old.number, new.number, old2.number) == ("01", "01", "02")
    assert old.reg_year == last_year.year


def test_refusal_changes_nothing(province):
    before = (
        Document.objects.count(),
        Entry.objects.count(),
        NumberCounter.objects.count(),
        StoredBlob.objects.count(),
    )
    with pytest.raises(ValidationError) as e:
        incoming(province, uploads=[Upload(io.BytesIO(png()), "scan.pdf", len(png()))])
    assert "PNG" in " ".join(e.value.message_dict["file"])
    with pytest.raises(ValidationError):
        incoming(province, subject="", original_code="15 QĐ")
    after = (Document.objects.count(), Entry.objects.count(), NumberCounter.objects.count(), StoredBlob.objects.count())
    assert before == after
    assert incoming(province).document.reg_seq == 1  # no number was consumed


def test_duplicate_incoming_warns(province):
    incoming(province)
    result = incoming(province, original_code="15/qđ-ubnd", issuer_name="ủy ban nhân dân  tỉnh Tiền Giang")
    assert result.warnings and "15/QĐ-UBND" in result.warnings[0]
    assert result.document.reg_seq == 2
    other = incoming(province, original_code="15/QĐ-UBND", issuer_name="Sở Tài chính")
    assert other.warnings == []


def test_only_clerks_register(province):
    for person in (province.leader_a, province.specialist_a, province.superuser, province.monitor):
        with pytest.raises(PermissionDenied):
            services.register_incoming(
                person,
                uploads=[pdf_upload()],
                doc_type=province.types["QĐ"],
                subject="x",
                issuer_name="y",
                issued_date=timezone.localdate(),
            )


def test_future_dates_and_contradictions_refused(province):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as e:
        incoming(province, issued_date=tomorrow)
    assert "issued_date" in e.value.message_dict
    for too_old in (dt.date(1, 1, 1), dt.date(1945, 9, 1)):
        for register in (incoming, outgoing):
            with pytest.raises(ValidationError) as e:
                register(province, issued_date=too_old)
            assert "issued_date" in e.value.message_dict
    assert not Document.objects.exists()
    assert incoming(province, issued_date=dt.date(1945, 9, 2)).document.issued_date.year == 1945
    with pytest.raises(ValidationError) as e:
        incoming(province, channel="paper", delivery_mode="electronic")
    assert "delivery_mode" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        outgoing(province, doc_type=province.types["TB"], is_legal=True)
    assert "is_legal" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        outgoing(province, doc_type=province.types["TT"])  # Thông tư: received, never issued here
    assert "type" in e.value.message_dict


def test_audit_entry_written_with_document(province):
    doc = incoming(province).document
    entry = Entry.objects.get(object_type="documents.document", object_id=str(doc.pk))
    assert entry.action == "document.register_incoming"
    assert entry.actor == "vanthu.a"


def test_same_content_stored_once(province):
    a = incoming(province, uploads=[pdf_upload("same")]).document
    b = incoming(province, uploads=[pdf_upload("same")], original_code="16/QĐ-UBND").document
    assert a.files.get().blob_id == b.files.get().blob_id
    assert StoredBlob.objects.count() == 1 and DocumentFile.objects.count() == 2


def test_a_revision_only_appends_and_keeps_the_earlier_bytes(province):
    from vanban.audit.models import Entry
    from vanban.documents import storage
    from vanban.documents.models import FileRevision

    doc = outgoing(province).document
    f = doc.files.get()
    before = storage.read_verified(f.blob_id)
    first_blob = f.blob_id
    for changed in (before[:-1] + b"X", before[:-10], before, b"%PDF-1.7 other"):
        with pytest.raises(ValidationError):
            services.append_revision(province.clerk_a, f, changed, reason="signature")
    assert DocumentFile.objects.get(pk=f.pk).blob_id == first_blob and not FileRevision.objects.exists()
    services.append_revision(province.clerk_a, f, before + b"\n% signature\n", reason="signature")
    f = DocumentFile.objects.get(pk=f.pk)
    assert storage.read_verified(f.blob_id) == before + b"\n% signature\n"
    (rev,) = FileRevision.objects.filter(file=f)
    assert (rev.blob_id, rev.reason, rev.replaced_by) == (first_blob, "signature", province.clerk_a)
    entry = Entry.objects.get(action="document.file_revision")
    import json

    data = json.loads(entry.payload)["data"]
    assert (data["before"], data["after"]) == (first_blob, f.blob_id)
    stale = DocumentFile.objects.get(pk=f.pk)
    stale.blob_id = first_blob  # someone else appended since this copy was read
    with pytest.raises(ValidationError):
        services.append_revision(province.clerk_a, stale, before + b"\n% other\n", reason="signature")
