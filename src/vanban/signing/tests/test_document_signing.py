"""Signing documents: the leader signs the main PDF, the clerk signs as the agency (seal on the
main PDF, text stamp on each attachment); every signature an incremental update, recorded, audited
and verified valid; every refusal changes nothing."""

from __future__ import annotations

import io

import pytest
from conftest import pdf_upload
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vanban.audit.models import Entry
from vanban.documents import services as documents
from vanban.documents import storage
from vanban.documents.models import DocumentFile, FileRevision
from vanban.signing import document_signing as signing
from vanban.signing import services, verification
from vanban.signing.models import DocumentSignature

pytestmark = pytest.mark.django_db


@pytest.fixture
def pki(province):
    services.demo_pki(base_url=services.public_url())
    return province


def issued(p, *, attachments: int = 0):
    uploads = [pdf_upload("Cong van so 12")] + [pdf_upload(f"Phu luc {i}") for i in range(attachments)]
    return documents.register_outgoing(
        p.clerk_a,
        uploads=uploads,
        doc_type=p.types["cong-van"],
        unit=p.a_vp,
        subject="Về việc triển khai chữ ký số",
        signer_name=p.leader_a.get_full_name(),
        signer_position="Giám đốc",
    ).document


def state() -> tuple:
    return (
        tuple(DocumentFile.objects.order_by("pk").values_list("pk", "blob_id")),
        DocumentSignature.objects.count(),
        FileRevision.objects.count(),
        Entry.objects.filter(action__startswith="signing.sign").count(),
    )


def refused(exc_type, fn, *args, **kw):
    before = state()
    with pytest.raises(exc_type) as info:
        fn(*args, **kw)
    assert state() == before
    return info.value


def test_leader_then_agency_both_valid_incremental_and_recorded(pki):
    p = pki
    doc = issued(p, attachments=1)
    main, attachment = doc.files.order_by("pk")
    original = storage.read_verified(main.blob_id)

    row = signing.sign_document(p.leader_a, doc, authority_prefix="KT. GIÁM ĐỐC", position="PHÓ GIÁM ĐỐC")
    main.refresh_from_db()
    after_leader = storage.read_verified(main.blob_id)
    assert after_leader.startswith(original) and len(after_leader) > len(original)
    assert (row.kind, row.signed_by, row.agency, row.timestamped) == ("person", p.leader_a, None, True)
    assert row.blob_before == FileRevision.objects.get(file=main).blob_id and row.blob_after == main.blob_id

    rows = signing.seal_document(p.clerk_a, doc)
    assert [r.kind for r in rows] == ["seal", "attachment"]
    assert all(r.agency == p.a and r.signed_by == p.clerk_a and r.timestamped for r in rows)
    main.refresh_from_db()
    attachment.refresh_from_db()
    assert storage.read_verified(main.blob_id).startswith(after_leader)

    # Verified like any PDF entering the system: both signatures of the main file valid.
    report = verification.check_bytes(storage.read_verified(main.blob_id))
    assert report.verdict == "valid" and len(report.signatures) == 2
    assert verification.check_bytes(storage.read_verified(attachment.blob_id)).verdict == "valid"
    assert Entry.objects.filter(action="signing.sign_person").count() == 1
    assert Entry.objects.filter(action__in=["signing.sign_seal", "signing.sign_attachment"]).count() == 2


def test_who_may_sign_and_in_which_order(pki):
    p = pki
    doc = issued(p)
    # The seal comes after the competent person.
    refused(ValidationError, signing.seal_document, p.clerk_a, doc)
    # Nobody signs with another's certificate: a person without one is refused.
    refused(PermissionDenied, signing.sign_document, p.specialist_a, doc)
    # Another agency's people do not sign this agency's documents.
    refused(PermissionDenied, signing.sign_document, p.clerk_b, doc)
    refused(ValidationError, signing.sign_document, p.leader_a, doc, authority_prefix="Thay mặt")
    signing.sign_document(p.leader_a, doc)
    refused(ValidationError, signing.sign_document, p.leader_a, doc)  # once
    # Only clerks apply the seal.
    refused(PermissionDenied, signing.seal_document, p.leader_a, doc)
    signing.seal_document(p.clerk_a, doc)
    refused(ValidationError, signing.seal_document, p.clerk_a, doc)  # once


def test_incoming_documents_are_not_signed_here(pki):
    p = pki
    doc = documents.register_incoming(
        p.clerk_a,
        uploads=[pdf_upload("den")],
        doc_type=p.types["cong-van"],
        subject="Văn bản đến",
        issuer_name="Sở Tài chính",
        original_code="5/STC-VP",
        issued_date=timezone.localdate(),
    ).document
    refused(PermissionDenied, signing.sign_document, p.leader_a, doc)


def test_a_revoked_certificate_cannot_sign(pki):
    p = pki
    doc = issued(p)
    services.revoke(p.superuser, services.identity_of_person(p.leader_a), reason="key_compromise")
    refused(PermissionDenied, signing.sign_document, p.leader_a, doc)


def test_without_a_timestamp_authority_nothing_is_signed(province):
    p = province
    # A certificate exists, but no demo TSA and no VANBAN_TSA_URL.
    from vanban.signing import pki as pki_module

    root = pki_module.make_root("Root")
    ca = pki_module.make_issuing_ca(root, "CA")
    leaf = pki_module.issue_signer(ca, p.leader_a.get_full_name(), organization="Sở")
    import cryptography.hazmat.primitives.serialization as ser
    from cryptography.hazmat.primitives.serialization import pkcs12

    data = pkcs12.serialize_key_and_certificates(
        b"leader", leaf.key, leaf.certificate, [ca.certificate], ser.BestAvailableEncryption(b"pw")
    )
    services.import_pkcs12(p.superuser, owner_person=p.leader_a, data=data, password="pw")
    doc = issued(p)
    refused(ValidationError, signing.sign_document, p.leader_a, doc)


def test_a_damaged_pdf_is_refused_and_nothing_stored(pki):
    p = pki
    doc = issued(p)
    main = doc.files.get()
    data = storage.read_verified(main.blob_id)
    # A paper-only document's scan that is not a readable PDF cannot reach here (uploads are
    # checked), so damage the stored revision's copy the signer reads instead.
    d = storage.digest(io.BytesIO(data[: len(data) // 2]))
    storage.put(io.BytesIO(data[: len(data) // 2]), d)
    from vanban.documents.models import StoredBlob

    StoredBlob.objects.create(sha256=d.sha256, size=d.size, mime="application/pdf")
    DocumentFile.objects.filter(pk=main.pk).update(blob_id=d.sha256)
    refused(ValidationError, signing.sign_document, p.leader_a, doc)


def _client(person):
    from django.test import Client

    c = Client()
    c.force_login(person)
    return c


def test_signing_from_the_document_page(pki):
    p = pki
    doc = issued(p, attachments=1)
    url = f"/van-ban/{doc.pk}/"
    leader, clerk, specialist = _client(p.leader_a), _client(p.clerk_a), _client(p.specialist_a)
    assert 'name="sign"' in leader.get(url).content.decode()
    assert 'name="seal"' not in clerk.get(url).content.decode()  # the person signs first
    assert specialist.post(f"/van-ban/{doc.pk}/ky-so/").status_code == 404  # not theirs to read
    assert not DocumentSignature.objects.exists()

    r = leader.post(f"/van-ban/{doc.pk}/ky-so/", {"authority_prefix": "KT. GIÁM ĐỐC", "position": "PHÓ GIÁM ĐỐC"})
    assert r.status_code == 302 and DocumentSignature.objects.get().signed_by == p.leader_a
    assert 'name="sign"' not in leader.get(url).content.decode()  # once
    body = clerk.get(url).content.decode()
    assert 'name="seal"' in body
    assert clerk.post(f"/van-ban/{doc.pk}/ky-so-co-quan/").status_code == 302
    assert sorted(DocumentSignature.objects.values_list("kind", flat=True)) == ["attachment", "person", "seal"]
    body = clerk.get(url).content.decode()
    assert 'name="seal"' not in body and body.count('data-kind="') == 3
    # Another agency cannot even see the document.
    assert _client(p.clerk_b).post(f"/van-ban/{doc.pk}/ky-so-co-quan/").status_code == 404


def test_signing_through_the_api_and_the_schema(pki):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.test import APIClient

    p = pki
    doc = issued(p)

    def api(person):
        c = APIClient()
        c.force_authenticate(person)
        return c

    base = f"/api/v1/signing/documents/{doc.pk}/"
    assert api(p.clerk_a).post(base + "seal/", {}, format="json").status_code == 400  # person first
    assert api(p.clerk_b).post(base + "sign/", {}, format="json").status_code == 404
    r = api(p.leader_a).post(base + "sign/", {"authority_prefix": "Thay mặt"}, format="json")
    assert r.status_code == 400 and "authority_prefix" in r.json()
    r = api(p.leader_a).post(base + "sign/", {"position": "GIÁM ĐỐC"}, format="json")
    assert r.status_code == 200 and [s["kind"] for s in r.json()["signatures"]] == ["person"]
    assert api(p.leader_a).post(base + "seal/", {}, format="json").status_code == 403
    r = api(p.clerk_a).post(base + "seal/", {}, format="json")
    assert r.status_code == 200 and [s["kind"] for s in r.json()["signatures"]] == ["person", "seal"]
    assert api(p.clerk_a).get(base).json()["signatures"][1]["agency"] == p.a.name

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path in ("/api/v1/signing/documents/{id}/sign/", "/api/v1/signing/documents/{id}/seal/"):
        assert "post" in schema["paths"][path]


def test_the_command_line_signs_as_a_person_then_as_the_agency(pki, tmp_path):
    from django.core.management import CommandError, call_command

    from vanban.documents.samples import one_page_pdf

    p = pki
    source, person, sealed = tmp_path / "cv.pdf", tmp_path / "cv-ld.pdf", tmp_path / "cv-ld-vt.pdf"
    source.write_bytes(one_page_pdf("Cong van 7"))
    out = io.StringIO()
    call_command(
        "signature",
        "sign",
        str(source),
        "--as",
        p.leader_a.username,
        "--out",
        str(person),
        "--authority-line",
        "KT. GIÁM ĐỐC",
        stdout=out,
    )
    assert "B-T" in out.getvalue() or "B-LT" in out.getvalue()
    call_command("signature", "sign", str(person), "--as", p.clerk_a.username, "--seal", "--out", str(sealed))
    data = sealed.read_bytes()
    assert data.startswith(person.read_bytes()) and person.read_bytes().startswith(source.read_bytes())
    report = verification.check_bytes(data)
    assert report.verdict == "valid" and len(report.signatures) == 2
    # A clerk has no personal certificate; a leader cannot apply the seal; not a PDF: exit 2.
    for args in (
        [str(source), "--as", p.clerk_a.username, "--out", str(tmp_path / "x.pdf")],
        [str(source), "--as", p.leader_a.username, "--seal", "--out", str(tmp_path / "x.pdf")],
    ):
        with pytest.raises(CommandError) as refused_:
            call_command("signature", "sign", *args)
        assert refused_.value.returncode == 2
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    with pytest.raises(CommandError) as refused_:
        call_command("signature", "sign", str(junk), "--as", p.leader_a.username, "--out", str(tmp_path / "x.pdf"))
    assert refused_.value.returncode == 2
    assert not (tmp_path / "x.pdf").exists()


def test_an_attachment_that_cannot_be_signed_leaves_the_whole_document_as_it_was(pki):
    """Sealing is all or nothing: the main file is not left sealed when an attachment fails."""
    import pikepdf

    from vanban.documents.samples import one_page_pdf

    p = pki
    locked = io.BytesIO()
    with pikepdf.open(io.BytesIO(one_page_pdf("phu luc"))) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="", R=4))
    doc = issued(p)
    data = locked.getvalue()
    # An encrypted attachment cannot be uploaded (it is refused); put one in the store directly,
    # as an older import might have.
    from vanban.documents.models import StoredBlob

    d = storage.digest(io.BytesIO(data))
    storage.put(io.BytesIO(data), d)
    StoredBlob.objects.create(sha256=d.sha256, size=d.size, mime="application/pdf")
    DocumentFile.objects.create(document=doc, blob_id=d.sha256, name="phu-luc.pdf", role="attachment")
    signing.sign_document(p.leader_a, doc)
    refused(ValidationError, signing.seal_document, p.clerk_a, doc)


def test_nobody_signs_after_the_seal_and_the_agency_signs_a_file_once(pki):
    from django.db import IntegrityError, transaction

    p = pki
    doc = issued(p)
    signing.sign_document(p.leader_a, doc)
    (seal,) = signing.seal_document(p.clerk_a, doc)
    # The leader signing again (or another person) after the seal is refused.
    DocumentSignature.objects.filter(kind="person").delete()
    refused(ValidationError, signing.sign_document, p.leader_a, doc)
    # Two clerks at once: the database keeps one agency signature per file.
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentSignature.objects.create(
            document=doc,
            file=seal.file,
            kind="seal",
            identity=seal.identity,
            signed_by=p.clerk_a,
            agency=p.a,
            field_name="ConDau2",
            certificate_fingerprint="x",
            signed_at=seal.signed_at,
            blob_before="a",
            blob_after="b",
        )


def test_a_broken_or_huge_image_is_a_clear_refusal():
    import struct
    import zlib

    from vanban.signing.services import _check_image

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    huge = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0))
    bad_crc = bytearray(huge)
    bad_crc[-1] ^= 0xFF
    for image in (huge, bytes(bad_crc)):
        with pytest.raises(ValidationError) as e:
            _check_image(image)
        assert "image" in e.value.message_dict


def test_pki_endpoints_refuse_a_non_numeric_content_length(pki):
    from django.test import Client

    r = Client().generic("POST", "/pki/tsa/", b"x", content_type="application/timestamp-query", CONTENT_LENGTH="abc")
    assert r.status_code < 500


def test_a_signature_revision_is_checked_again_but_not_reindexed(pki):
    from django_tasks_db.models import DBTaskResult

    p = pki
    doc = issued(p)

    def queued():
        return sorted(DBTaskResult.objects.values_list("task_path", flat=True))

    before = queued()
    signing.sign_document(p.leader_a, doc)
    added = queued()
    for path in before:
        added.remove(path)
    # Only the verification of the new revision is queued (no second text extraction).
    assert added == ["vanban.signing.tasks.verify_document"]
