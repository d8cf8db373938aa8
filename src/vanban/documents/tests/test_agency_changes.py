"""What renaming, merging and closing an agency mean for its documents (documents may import
orgs; orgs never imports documents, so these tests live here)."""

import datetime as dt

import pytest
from conftest import pdf_upload
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from vanban.documents import selectors as doc_selectors
from vanban.documents import services as doc_services
from vanban.documents.models import Document
from vanban.orgs import services


def fresh(obj):
    """The object as stored now (people carry their agency, which a rename or merge changes)."""
    return type(obj).objects.get(pk=obj.pk)


def outgoing(p, clerk=None):
    return doc_services.register_outgoing(
        fresh(clerk or p.clerk_a),
        uploads=[pdf_upload("outgoing")],
        doc_type=p.types["QĐ"],
        subject="Quyết định thành lập tổ công tác",
        signer_name="Phạm Văn Đức",
        issued_date=timezone.localdate(),
    ).document


def visible_to(person, doc) -> bool:
    return doc_selectors.visible_documents(fresh(person)).filter(pk=doc.pk).exists()


def test_documents_keep_the_name_they_were_issued_under(province):
    before = outgoing(province)
    assert (before.issuer_name, before.code) == ("Sở Thông tin và Truyền thông tỉnh Tiền Giang", "01/QĐ-STTTT")
    services.rename_agency(
        province.superuser,
        province.a,
        name="Sở Khoa học và Công nghệ tỉnh Tiền Giang",
        short_name="Sở KH&CN",
        notation="SKHCN",
    )
    before = fresh(before)
    assert before.issuer_name == "Sở Thông tin và Truyền thông tỉnh Tiền Giang"
    assert before.code == "01/QĐ-STTTT" and before.notation == "QĐ-STTTT"
    after = outgoing(province)
    assert after.issuer_name == "Sở Khoa học và Công nghệ tỉnh Tiền Giang"
    assert after.notation == "QĐ-SKHCN" and after.code == "02/QĐ-SKHCN"
    assert after.issuer_identifier == before.issuer_identifier == "000.00.12.H58"


def test_after_a_merge_the_successor_reads_the_registers(province):
    doc = outgoing(province)
    assert not visible_to(province.clerk_b, doc)
    services.merge_agency(province.superuser, province.a, into=province.b)
    assert visible_to(province.clerk_b, doc)
    assert visible_to(province.clerk_a, doc)  # its own people keep reading it
    # the merged agency stops registering
    with pytest.raises(PermissionDenied):
        outgoing(province)
    assert Document.objects.count() == 1
    # the successor keeps registering
    assert outgoing(province, clerk=province.clerk_b).agency_id == province.b.pk


def test_merges_are_followed_for_documents(province):
    doc = outgoing(province)
    services.merge_agency(None, province.a, into=province.b)
    services.merge_agency(None, province.b, into=province.root)
    clerk_root = services.create_person(
        None, username="vanthu.tinh", full_name="Văn Thư Tỉnh", agency=province.root, roles=["clerk"]
    )
    assert visible_to(clerk_root, doc)


def test_a_closed_agency_stops_registering(province):
    doc = outgoing(province)
    services.close_agency(province.superuser, province.a, effective=dt.date(2025, 6, 30))
    with pytest.raises(PermissionDenied):
        outgoing(province)
    assert Document.objects.count() == 1
    # its registers stay readable by its own people, and nobody else's
    assert visible_to(province.clerk_a, doc)
    assert not visible_to(province.clerk_b, doc)
