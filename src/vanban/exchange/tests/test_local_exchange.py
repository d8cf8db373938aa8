"""Exchange between two agencies of the same installation (local transport), end to end through
the services and the outbox, and the receiving side's refusals."""

from __future__ import annotations

import pytest
from conftest import pdf_upload
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vanban.documents import services as documents
from vanban.documents import storage
from vanban.documents.models import Document
from vanban.exchange import edxml, services, tasks
from vanban.exchange.models import (
    Arrival,
    BusinessType,
    Delivery,
    InboxPackage,
    OutboxMessage,
    Status,
)
from vanban.signing import services as signing

pytestmark = pytest.mark.django_db


def outgoing(p, **kw):
    args = dict(
        uploads=[pdf_upload("gui lien thong")],
        doc_type=p.types["cong-van"],
        unit=p.a_vp,
        subject="Về việc phối hợp triển khai phần mềm",
        signer_name="Phạm Văn Đức",
        signer_position="Giám đốc",
        issued_date=timezone.localdate(),
    )
    args.update(kw)
    return documents.register_outgoing(p.clerk_a, **args).document


def deliver_all():
    return tasks.deliver_all_due()


def delivery_of(doc) -> Delivery:
    return Delivery.objects.filter(dispatch__document=doc).latest("pk")


def test_send_register_and_statuses(province):
    p = province
    doc = outgoing(p)
    dispatch = services.send(p.clerk_a, doc, [p.b.identifier])
    d = dispatch.deliveries.get()
    assert d.status == Status.QUEUED and d.outbox.state == OutboxMessage.State.PENDING
    assert Arrival.objects.count() == 0  # nothing moves before the worker delivers

    deliver_all()
    d.refresh_from_db()
    assert d.status == Status.ARRIVED and d.outbox.state == OutboxMessage.State.DELIVERED
    arrival = Arrival.objects.get()
    assert arrival.agency == p.b and arrival.state == Arrival.State.WAITING
    assert arrival.inbox.signature_verified and arrival.code == doc.code
    [attachment] = services.load_package(arrival).attachments
    assert attachment.description == "Văn bản chính" and attachment.name == doc.files.get().name
    assert attachment.data == storage.read_verified(doc.files.get().blob_id)

    incoming = services.register_arrival(p.clerk_b, arrival)
    assert incoming.direction == "incoming" and incoming.agency == p.b and incoming.reg_seq == 1
    assert incoming.code == doc.code and incoming.channel == "exchange" and incoming.issuer_identifier == p.a.identifier
    assert incoming.files.get().blob_id == doc.files.get().blob_id  # the same bytes arrived
    deliver_all()
    d.refresh_from_db()
    assert d.status == Status.REGISTERED
    assert [e.status for e in d.events.all()] == [Status.ARRIVED, Status.REGISTERED]


def test_refuse_with_reason(province):
    p = province
    doc = outgoing(p)
    services.send(p.clerk_a, doc, [p.b.identifier])
    deliver_all()
    arrival = Arrival.objects.get()
    with pytest.raises(ValidationError):
        services.refuse_arrival(p.clerk_b, arrival, "  ")
    services.refuse_arrival(p.clerk_b, arrival, "Không thuộc thẩm quyền")
    deliver_all()
    d = delivery_of(doc)
    assert d.status == Status.REFUSED and d.status_description == "Không thuộc thẩm quyền"
    assert not Document.objects.filter(agency=p.b).exists()


def test_only_the_recipients_clerk_decides(province):
    p = province
    services.send(p.clerk_a, outgoing(p), [p.b.identifier])
    deliver_all()
    arrival = Arrival.objects.get()
    for person in (p.clerk_a, p.leader_a):
        with pytest.raises(PermissionDenied):
            services.register_arrival(person, arrival)
    services.register_arrival(p.clerk_b, arrival)
    with pytest.raises(ValidationError):
        services.register_arrival(p.clerk_b, arrival)  # once


def test_sending_rules(province):
    p = province
    doc = outgoing(p)
    with pytest.raises(ValidationError) as e:
        services.send(p.clerk_a, doc, ["000.99.99.H99"])
    assert "recipients" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.send(p.clerk_a, doc, [p.a.identifier])  # itself
    with pytest.raises(PermissionDenied):
        services.send(p.leader_a, doc, [p.b.identifier])
    secret = outgoing(p, confidentiality="confidential")
    with pytest.raises(ValidationError) as e:
        services.send(p.clerk_a, secret, [p.b.identifier])
    assert "document" in e.value.message_dict
    services.send(p.clerk_a, doc, [p.b.identifier])
    with pytest.raises(ValidationError):
        services.send(p.clerk_a, doc, [p.b.identifier])  # already sent: an update is the way
    assert OutboxMessage.objects.count() == 1


def test_retry_of_the_same_package_registers_once(province):
    p = province
    services.send(p.clerk_a, outgoing(p), [p.b.identifier])
    message = OutboxMessage.objects.get()
    from vanban.documents import storage

    payload = storage.read_verified(message.payload_sha256)
    first = services.receive(payload, via=InboxPackage.Via.LOCAL)
    again = services.receive(payload, via=InboxPackage.Via.LOCAL)
    assert first.created and not again.created and again.xml == first.xml
    deliver_all()  # the real delivery after a "lost receipt"
    assert Arrival.objects.count() == 1 and InboxPackage.objects.count() == 1
    assert OutboxMessage.objects.get().state == OutboxMessage.State.DELIVERED


def test_recall_before_registration_is_agreed_at_once(province):
    p = province
    doc = outgoing(p)
    services.send(p.clerk_a, doc, [p.b.identifier])
    deliver_all()
    services.recall(p.clerk_a, doc, "Ban hành nhầm")
    deliver_all()
    states = sorted(Arrival.objects.values_list("state", flat=True))
    assert states == [Arrival.State.RECALLED, Arrival.State.RECALLED]
    deliver_all()
    recall_delivery = delivery_of(doc)
    assert recall_delivery.dispatch.business_type == BusinessType.RECALL
    assert recall_delivery.status == Status.RECALL_AGREED


@pytest.mark.parametrize("agree", [True, False])
def test_recall_after_registration_is_answered_by_the_clerk(province, agree):
    p = province
    doc = outgoing(p)
    services.send(p.clerk_a, doc, [p.b.identifier])
    deliver_all()
    incoming = services.register_arrival(p.clerk_b, Arrival.objects.get())
    services.recall(p.clerk_a, doc, "Ban hành nhầm")
    deliver_all()
    recall_arrival = Arrival.objects.get(inbox__business_type=BusinessType.RECALL)
    assert recall_arrival.state == Arrival.State.WAITING
    with pytest.raises(ValidationError):
        services.register_arrival(p.clerk_b, recall_arrival)
    services.answer_recall(p.clerk_b, recall_arrival, agree=agree, note="" if agree else "Đã xử lý xong")
    deliver_all()
    incoming.refresh_from_db()
    assert (incoming.withdrawn_at is not None) is agree
    assert delivery_of(doc).status == (Status.RECALL_AGREED if agree else Status.RECALL_REFUSED)


def test_update_and_replacement(province):
    p = province
    old = outgoing(p, subject="Về việc cũ")
    services.send(p.clerk_a, old, [p.b.identifier])
    deliver_all()
    registered = services.register_arrival(p.clerk_b, Arrival.objects.get())
    Document.objects.filter(pk=old.pk).update(subject="Về việc cũ (đã sửa)")
    old.refresh_from_db()
    services.send_update(p.clerk_a, old, "Sửa trích yếu")
    deliver_all()
    update_arrival = Arrival.objects.get(inbox__business_type=BusinessType.UPDATE)
    same = services.register_arrival(p.clerk_b, update_arrival)
    assert same.pk == registered.pk
    registered.refresh_from_db()
    assert registered.subject == "Về việc cũ (đã sửa)"

    new = outgoing(p, subject="Về việc thay thế")
    services.send_replacement(p.clerk_a, new, old, "Thay thế văn bản cũ")
    deliver_all()
    replacement = Arrival.objects.get(inbox__business_type=BusinessType.REPLACE)
    new_incoming = services.register_arrival(p.clerk_b, replacement)
    registered.refresh_from_db()
    assert registered.replaced_by_id == new_incoming.pk


def test_progress_statuses_for_the_workflow(province):
    p = province
    doc = outgoing(p)
    services.send(p.clerk_a, doc, [p.b.identifier])
    deliver_all()
    incoming = services.register_arrival(p.clerk_b, Arrival.objects.get())
    for code in (Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE):
        assert services.notify_sender(incoming, code, f"bước {code}") == 1
    deliver_all()
    d = delivery_of(doc)
    assert d.status == Status.DONE
    assert [e.status for e in d.events.all()][-3:] == [Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE]
    with pytest.raises(ValueError):
        services.notify_sender(incoming, "03", "x")


def _package_for_b(p, **changes) -> bytes:
    pkg = edxml.Package(
        sender=edxml.Organ(p.a.identifier, p.a.name),
        recipients=[edxml.Organ(p.b.identifier, p.b.name)],
        document_id=edxml.document_id(p.a.identifier, timezone.localdate(), "07", "STTTT-VP"),
        code_number="07",
        code_notation="STTTT-VP",
        place="Tiền Giang",
        promulgation_date=timezone.localdate(),
        type_code=1,
        type_name="Công văn",
        subject="Thử nghiệm",
        attachments=[edxml.Attachment("1", "a.pdf", "application/pdf", b"%PDF-1.4 test")],
    )
    for k, v in changes.items():
        setattr(pkg, k, v)
    return edxml.build_package(pkg)


def test_refusals_name_the_rule_and_store_nothing(province):
    p = province
    unsigned = _package_for_b(p)
    signed = signing.sign_xml(unsigned, p.a)
    tampered = signed.replace("Thử nghiệm".encode(), b"Thu nghiem")
    other = signing.sign_xml(_package_for_b(p, recipients=[edxml.Organ("000.99.99.H99", "Nowhere")]), p.a)
    spoofed = signing.sign_xml(unsigned, p.b)  # signed by another agency than the sender
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b"<edXML>&lol2;</edXML>"
    )
    cases = {
        "signature_unsigned": unsigned,
        "signature_bad_signature": tampered,
        "unknown_recipient": other,
        "signature_wrong_signer": spoofed,
        "entity": bomb,
        "doctype": b'<?xml version="1.0"?><!DOCTYPE edXML SYSTEM "http://example.com/x.dtd"><edXML/>',
        "not_xml": b"not xml at all",
    }
    for rule, data in cases.items():
        receipt = services.receive(data, via=InboxPackage.Via.LOCAL)
        assert receipt.refusal == rule, (rule, receipt.refusal)
        assert receipt.http_status >= 400
        parsed = edxml.parse(receipt.xml)
        assert parsed.status.status_code == "02" and rule in parsed.status.description
    assert InboxPackage.objects.count() == 0 and Arrival.objects.count() == 0
    assert services.receive(signed, via=InboxPackage.Via.LOCAL).created


def test_undeliverable_then_resend(province, settings):
    p = province
    from vanban.exchange.models import Peer
    from vanban.signing import crypto

    settings.VANBAN = {**settings.VANBAN, "EXCHANGE_RETRY_WINDOW_SECONDS": 0, "EXCHANGE_HTTP_TIMEOUT_SECONDS": 2}
    other_ca = crypto.make_ca("other system")
    trusted = signing.add_trusted_certificate(None, name="other", pem=crypto.cert_to_pem(other_ca.certificate))
    Peer.objects.create(
        name="other", url="http://127.0.0.1:9/api/v1/exchange/inbox/", serves=".H99", certificate=trusted
    )
    doc = outgoing(p)
    services.send(p.clerk_a, doc, ["000.00.01.H99"])
    deliver_all()
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.UNDELIVERABLE and message.attempts == 1 and message.last_error
    assert delivery_of(doc).status == Status.UNDELIVERABLE
    services.resend(p.clerk_a, message)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING
    assert delivery_of(doc).status == Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_dispatch_queues_the_delivery_task_in_its_transaction_once():
    from conftest import build_province
    from django_tasks_db.models import DBTaskResult

    p = build_province()
    path = tasks.deliver_due.module_path
    services.send(p.clerk_a, outgoing(p), [p.b.identifier])
    services.send(p.clerk_a, outgoing(p), [p.b.identifier])
    assert DBTaskResult.objects.ready().filter(task_path=path).count() == 1
    # The real worker runs it and both are delivered.
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.DELIVERED).count() == 2
