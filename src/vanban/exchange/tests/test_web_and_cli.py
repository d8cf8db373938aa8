"""The exchange through its pages, its REST API, its inbox endpoint and its command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import PASSWORD, pdf_upload
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from vanban.documents import services as documents
from vanban.exchange import edxml, services, tasks
from vanban.exchange.models import Arrival, Delivery, InboxPackage, Peer, Status
from vanban.signing import crypto, xmlsig

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).parent / "data" / "edoc_new.edxml"


def outgoing(p):
    return documents.register_outgoing(
        p.clerk_a,
        uploads=[pdf_upload("web")],
        doc_type=p.types["cong-van"],
        unit=p.a_vp,
        subject="Về việc thử",
        signer_name="Phạm Văn Đức",
        issued_date=timezone.localdate(),
    ).document


def run(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue() + str(exc)
    return 0, out.getvalue() + err.getvalue()


def test_pages_send_receive_register(client, province):
    p = province
    doc = outgoing(p)
    client.login(username="vanthu.a", password=PASSWORD)
    page = client.get(f"/van-ban/{doc.pk}/").content.decode()
    assert 'id="exchange"' in page and f"/van-ban/{doc.pk}/lien-thong/gui/" in page  # the panel and its form
    r = client.post(f"/van-ban/{doc.pk}/lien-thong/gui/", {"agencies": [p.b.pk], "codes": ""})
    assert r.status_code == 302
    tasks.deliver_all_due()
    assert Delivery.objects.get().status == Status.ARRIVED
    fragment = client.get(f"/van-ban/{doc.pk}/lien-thong/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section class="card" id="exchange"') and p.b.name in fragment

    client.logout()
    client.login(username="vanthu.b", password=PASSWORD)
    listing = client.get("/lien-thong/cho-tiep-nhan/").content.decode()
    arrival = Arrival.objects.get()
    assert doc.code in listing and f"/lien-thong/den/{arrival.pk}/" in listing
    assert client.get(f"/lien-thong/den/{arrival.pk}/").status_code == 200
    assert client.get(f"/lien-thong/den/{arrival.pk}/tep/0/").content.startswith(b"%PDF-")
    r = client.post(f"/lien-thong/den/{arrival.pk}/vao-so/")
    arrival.refresh_from_db()
    assert arrival.state == Arrival.State.REGISTERED and r["Location"] == f"/van-ban/{arrival.document_id}/"
    # The other agency's clerk cannot see this arrival.
    client.logout()
    client.login(username="vanthu.a", password=PASSWORD)
    assert client.get(f"/lien-thong/den/{arrival.pk}/").status_code == 404


def test_api_send_and_arrivals(province):
    p = province
    doc = outgoing(p)
    a, b = APIClient(), APIClient()
    a.force_authenticate(p.clerk_a)
    b.force_authenticate(p.clerk_b)
    r = a.post(f"/api/v1/exchange/documents/{doc.pk}/send/", {"recipients": ["000.77.77.H77"]}, format="json")
    assert r.status_code == 400 and "recipients" in r.json()
    r = a.post(f"/api/v1/exchange/documents/{doc.pk}/send/", {"recipients": [p.b.identifier]}, format="json")
    assert r.status_code == 201 and r.json()["deliveries"][0]["status"] == "queued"
    tasks.deliver_all_due()
    waiting = b.get("/api/v1/exchange/arrivals/").json()["results"]
    assert len(waiting) == 1 and waiting[0]["signature_verified"]
    r = b.post(f"/api/v1/exchange/arrivals/{waiting[0]['id']}/refuse/", {"reason": ""}, format="json")
    assert r.status_code == 400
    r = b.post(f"/api/v1/exchange/arrivals/{waiting[0]['id']}/register/")
    assert r.status_code == 200 and r.json()["state"] == "registered"
    tasks.deliver_all_due()
    dispatches = a.get(f"/api/v1/exchange/documents/{doc.pk}/dispatches/").json()
    assert dispatches[0]["deliveries"][0]["status"] == "03"
    assert b.get(f"/api/v1/exchange/documents/{doc.pk}/dispatches/").status_code == 404


def test_inbox_endpoint_answers_with_signed_receipts(client, province):
    """A connected system POSTs to /api/v1/exchange/inbox/; its packages are signed under its CA."""
    p = province
    other_ca = crypto.make_ca("Hệ thống tỉnh khác")
    pem = crypto.cert_to_pem(other_ca.certificate)
    path = Path(__file__).parent / "_tmp_peer.pem"
    try:
        path.write_text(pem)
        code, out = run(
            "exchange",
            "peer",
            "add",
            "tinh-khac",
            "--url",
            "https://peer.example/api/v1/exchange/inbox/",
            "--cert",
            str(path),
            "--serves",
            ".H59",
        )
    finally:
        path.unlink()
    assert code == 0 and ".H59" in out
    assert Peer.objects.get().serves_code("000.00.03.H59")
    sender = crypto.issue(other_ca, common_name="Sở X tỉnh khác", identifier="000.00.03.H59")
    pkg = edxml.Package(
        sender=edxml.Organ("000.00.03.H59", "Sở X tỉnh khác"),
        recipients=[edxml.Organ(p.a.identifier, p.a.name)],
        document_id=edxml.document_id("000.00.03.H59", timezone.localdate(), "12", "SX-VP"),
        code_number="12",
        code_notation="SX-VP",
        place="Trà Vinh",
        promulgation_date=timezone.localdate(),
        type_code=1,
        type_name="Công văn",
        subject="Văn bản từ tỉnh khác",
        attachments=[edxml.Attachment("1", "../../etc/passwd", "application/pdf", b"%PDF-1.4 x")],
    )
    signed = xmlsig.sign(edxml.build_package(pkg), sender.key, [sender.certificate, other_ca.certificate])
    for _ in range(2):
        r = client.post("/api/v1/exchange/inbox/", data=signed, content_type="application/xml")
        assert r.status_code == 200
        status = edxml.parse(r.content).status
        assert status.status_code == "01" and status.sender.organ_id == p.a.identifier
        xmlsig.verify(r.content, xmlsig.Trust(authorities=(crypto.cert_from_pem(run("exchange", "ca")[1]),)))
    assert InboxPackage.objects.count() == 1 and Arrival.objects.count() == 1
    assert services.load_package(Arrival.objects.get()).attachments[0].name == "passwd"
    # Signed by a key the peer's CA did not issue: refused, nothing stored.
    stranger = crypto.make_ca("Kẻ lạ")
    forged = crypto.issue(stranger, common_name="giả", identifier="000.00.03.H59")
    pkg.subject = "Giả mạo"
    bad = xmlsig.sign(edxml.build_package(pkg), forged.key, [forged.certificate])
    r = client.post("/api/v1/exchange/inbox/", data=bad, content_type="application/xml")
    assert r.status_code == 422 and "untrusted" in edxml.parse(r.content).status.description
    assert InboxPackage.objects.count() == 1
    assert client.get("/api/v1/exchange/inbox/").status_code == 405


def test_cli_validate_import_export(province, tmp_path):
    p = province
    code, out = run("edxml", "validate", str(SAMPLE))
    assert code == 0 and out.startswith("valid") and "placeholder" in out
    broken = tmp_path / "broken.edxml"
    broken.write_bytes(
        SAMPLE.read_bytes()
        .replace(b"<edXML:Subject>", b"<edXML:Subjekt>", 1)
        .replace(b"</edXML:Subject>", b"</edXML:Subjekt>", 1)
    )
    code, out = run("edxml", "validate", str(broken))
    assert code == 1 and "line" in out
    code, out = run("edxml", "import", str(SAMPLE), "--agency", p.a.identifier)
    assert code == 0
    arrival = Arrival.objects.get()
    assert out.split()[0] == str(arrival.pk) and not arrival.inbox.signature_verified
    code, out = run("edxml", "import", str(SAMPLE), "--agency", p.a.identifier)
    assert code == 0 and "already" in out and Arrival.objects.count() == 1
    code, out = run("edxml", "import", str(broken), "--agency", p.a.identifier)
    assert code == 1 and Arrival.objects.count() == 1
    code, _ = run("edxml", "import", str(SAMPLE), "--agency", "000.99.99.Z99")
    assert code == 1

    doc = outgoing(p)
    target = tmp_path / "out.edxml"
    code, _ = run("edxml", "export", str(doc.pk), "--out", str(target))
    assert code == 0
    data = target.read_bytes()
    edxml.validate(data)
    assert edxml.parse(data).package.code_notation == doc.notation
    # The exported file imports at another agency as a verified arrival.
    code, out = run("edxml", "import", str(target), "--agency", p.b.identifier)
    assert code == 0 and Arrival.objects.get(agency=p.b).inbox.signature_verified
