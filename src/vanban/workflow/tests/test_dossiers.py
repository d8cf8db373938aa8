"""Work dossiers: the rules of opening, filing, closing, hand-over and its reminder, and what each
person may see of a dossier's documents."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from conftest import PASSWORD, build_province, pdf_upload
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.http import Http404

from vanban.audit.models import Entry
from vanban.documents import services as documents
from vanban.documents.models import Document
from vanban.orgs import services as org_services
from vanban.orgs.models import Person, Role
from vanban.workflow.models import Dossier, DossierItem, Handover, Notice
from vanban.workflow.models.dossiers import add_years
from vanban.workflow.selectors import dossiers as selectors
from vanban.workflow.services import dossiers as services
from vanban.workflow.tests.test_assignment import TODAY, incoming

YEAR = TODAY.year


def dossier(p, actor=None, **kw) -> Dossier:
    args = dict(year=YEAR, notation="01.CNTT", title="Hồ sơ triển khai phần mềm", maintenance="10 năm")
    args.update(kw)
    return services.open_dossier(actor or p.specialist_a, **args)


def readable_doc(p, reader=None, **kw) -> Document:
    """An incoming document of agency A, granted to `reader` (the specialist by default)."""
    doc = incoming(p, **kw)
    documents.grant_access(doc, [(reader or p.specialist_a, None)], reason="test")
    return doc


def snapshot() -> tuple:
    """Everything a dossier action may write, to show that a refusal wrote nothing."""
    return (
        list(Dossier.objects.order_by("pk").values_list("pk", "notation", "title", "state", "end_date", "handover_id")),
        list(DossierItem.objects.order_by("pk").values_list("dossier_id", "document_id", "ordinal")),
        Handover.objects.count(),
        Entry.objects.count(),
    )


def refused(exc_type, fn, *args, **kw):
    before = snapshot()
    with pytest.raises(exc_type) as info:
        fn(*args, **kw)
    assert snapshot() == before
    return info.value


@pytest.mark.django_db
def test_open_fills_the_decree_30_metadata_and_the_file_code(province):
    p = province
    d = dossier(p, description="Ghi chú")
    assert d.creator == p.specialist_a and d.unit == p.a_cntt and d.agency == p.a
    assert d.file_code == f"000.00.12.H58.{YEAR}.01.CNTT"
    assert (d.state, d.language, d.rights) == ("open", "Tiếng Việt", "restricted")
    assert d.doc_total == 0 and d.page_total == 0
    e = Entry.objects.order_by("-seq").first()
    assert e.action == "workflow.dossiers.open" and e.object_type == "workflow.dossier" and e.object_id == str(d.pk)


@pytest.mark.django_db
def test_notation_is_unique_per_agency_and_year(province):
    p = province
    dossier(p)
    err = refused(ValidationError, dossier, p, p.clerk_a, notation="01.cntt")
    assert list(err.message_dict) == ["notation"]
    # Another year, another agency: free.
    dossier(p, year=YEAR - 1)
    b = org_services.create_person(
        None,
        username="chuyenvien.b",
        full_name="Chuyen Vien B",
        email="cvb@example.vn",
        agency=p.b,
        unit=p.b_vp,
        position="",
        roles=[Role.SPECIALIST],
        password=PASSWORD,
    )
    dossier(p, b)
    # Renaming onto a taken notation is refused too.
    other = dossier(p, notation="02.CNTT")
    err = refused(ValidationError, services.update_dossier, p.specialist_a, other, notation="01.CNTT")
    assert list(err.message_dict) == ["notation"]


@pytest.mark.django_db
def test_metadata_is_validated(province):
    p = province
    err = refused(
        ValidationError,
        dossier,
        p,
        notation="x" * 21,
        title="",
        maintenance="3 năm",
        rights="secret",
        year=1990,
        creator=p.clerk_b,
    )
    # The unit defaults to the keeper's, of another agency here.
    assert set(err.message_dict) == {"notation", "title", "maintenance", "rights", "year", "creator", "unit"}


@pytest.mark.django_db
def test_who_may_open_and_modify(province):
    p = province
    refused(PermissionDenied, dossier, p, p.admin_a)
    refused(PermissionDenied, dossier, p, p.monitor)
    d = dossier(p)
    other_unit_specialist = org_services.create_person(
        None,
        username="chuyenvien.vp",
        full_name="Chuyen Vien VP",
        email="cvvp@example.vn",
        agency=p.a,
        unit=p.a_vp,
        position="",
        roles=[Role.SPECIALIST],
        password=PASSWORD,
    )
    for outsider in (p.admin_a, other_unit_specialist, p.clerk_b):
        refused(PermissionDenied, services.update_dossier, outsider, d, title="Đổi tên")
        assert not selectors.may_modify(outsider, d)
    for n, insider in enumerate((p.specialist_a, p.unithead_a, p.clerk_a, p.leader_a)):
        services.update_dossier(insider, d, title=f"Tên {n}")
        d.refresh_from_db()
        assert d.title == f"Tên {n}"
    refused(ValidationError, services.update_dossier, p.clerk_a, d, state="closed")


@pytest.mark.django_db
def test_filing_documents_ordinals_and_totals(province):
    p = province
    d = dossier(p)
    docs = [readable_doc(p, subject=f"Văn bản {i}", original_code=f"{i}/CV-UBND") for i in range(3)]
    for doc in docs:
        services.add_document(p.specialist_a, d, doc)
    assert list(DossierItem.objects.filter(dossier=d).values_list("document_id", "ordinal")) == [
        (docs[0].pk, 1),
        (docs[1].pk, 2),
        (docs[2].pk, 3),
    ]
    d = selectors.get_dossier(p.specialist_a, d.pk)
    assert d.doc_total == 3 and d.page_total == 3  # one page each
    err = refused(ValidationError, services.add_document, p.specialist_a, d, docs[0])
    assert list(err.message_dict) == ["document"]
    services.remove_document(p.specialist_a, d, docs[0])
    assert list(DossierItem.objects.filter(dossier=d).values_list("document_id", "ordinal")) == [
        (docs[1].pk, 1),
        (docs[2].pk, 2),
    ]
    refused(ValidationError, services.remove_document, p.specialist_a, d, docs[0])
    assert [e.action for e in Entry.objects.filter(object_type="workflow.dossier").order_by("seq")][-2:] == [
        "workflow.dossiers.add_document",
        "workflow.dossiers.remove_document",
    ]


@pytest.mark.django_db
def test_only_readable_documents_of_the_agency_are_filed(province):
    p = province
    d = dossier(p)
    not_granted = incoming(p)
    err = refused(ValidationError, services.add_document, p.specialist_a, d, not_granted)
    assert list(err.message_dict) == ["document"]
    foreign = documents.register_incoming(
        p.clerk_b,
        uploads=[pdf_upload("b")],
        doc_type=p.types["QĐ"],
        subject="Văn bản của Sở Tài chính",
        issuer_name="UBND tỉnh",
        issued_date=TODAY,
        original_code="9/QĐ-UBND",
    ).document
    # Even the clerk of A, who reads everything of A, cannot file B's document.
    refused(ValidationError, services.add_document, p.clerk_a, d, foreign)
    documents.grant_access(not_granted, [(p.specialist_a, None)], reason="test")
    services.add_document(p.specialist_a, d, not_granted)
    assert d.items.count() == 1


@pytest.mark.django_db
def test_close_sets_dates_and_closed_dossiers_are_immutable_until_reopened(province):
    p = province
    d = dossier(p)
    old = readable_doc(p, issued_date=TODAY - dt.timedelta(days=40), original_code="1/CV-UBND")
    new = readable_doc(p, issued_date=TODAY - dt.timedelta(days=10), original_code="2/CV-UBND")
    services.add_document(p.specialist_a, d, old)
    services.add_document(p.specialist_a, d, new)
    refused(ValidationError, services.close_dossier, p.specialist_a, d, end_date=TODAY + dt.timedelta(days=1))
    refused(ValidationError, services.close_dossier, p.specialist_a, d, end_date=TODAY - dt.timedelta(days=41))
    refused(PermissionDenied, services.close_dossier, p.admin_a, d)
    services.close_dossier(p.specialist_a, d)
    d.refresh_from_db()
    assert (d.state, d.start_date, d.end_date) == ("closed", old.issued_date, new.issued_date)
    assert d.handover_due == add_years(new.issued_date, 1) and d.closed_at is not None
    third = readable_doc(p, original_code="3/CV-UBND")
    refused(ValidationError, services.add_document, p.specialist_a, d, third)
    refused(ValidationError, services.remove_document, p.specialist_a, d, old)
    refused(ValidationError, services.update_dossier, p.specialist_a, d, title="Sửa")
    refused(ValidationError, services.close_dossier, p.specialist_a, d)
    services.reopen(p.specialist_a, d)
    d.refresh_from_db()
    assert (d.state, d.end_date, d.closed_at) == ("open", None, None)
    refused(ValidationError, services.reopen, p.specialist_a, d)
    services.add_document(p.specialist_a, d, third)


@pytest.mark.django_db
def test_an_empty_dossier_closes_today(province):
    p = province
    d = dossier(p)
    refused(ValidationError, services.close_dossier, p.specialist_a, d, end_date=dt.date(1, 1, 1))
    d = services.close_dossier(p.specialist_a, d)
    assert (d.start_date, d.end_date) == (TODAY, TODAY)


@pytest.mark.django_db
def test_hand_over_only_closed_dossiers_all_or_nothing_then_immutable(province):
    p = province
    closed = services.close_dossier(p.specialist_a, dossier(p))
    still_open = dossier(p, notation="02.CNTT")
    args = dict(handed_on=TODAY, received_by="Nguyễn Văn Lưu", note="")
    refused(PermissionDenied, services.hand_over, p.specialist_a, [closed], **args)
    err = refused(ValidationError, services.hand_over, p.clerk_a, [closed, still_open], **args)
    assert list(err.message_dict) == ["dossiers"]
    refused(ValidationError, services.hand_over, p.clerk_a, [], **args)
    refused(ValidationError, services.hand_over, p.clerk_a, [closed], handed_on=TODAY, received_by=" ")
    refused(ValidationError, services.hand_over, p.clerk_b, [closed], **args)  # another agency's
    h = services.hand_over(p.leader_a, [closed], **args)
    closed.refresh_from_db()
    assert (closed.state, closed.handover) == ("handed_over", h)
    assert list(h.dossiers.all()) == [closed]
    doc = readable_doc(p)
    for fn, a, kw in (
        (services.reopen, (), {}),
        (services.update_dossier, (), {"title": "Sửa"}),
        (services.add_document, (doc,), {}),
        (services.close_dossier, (), {}),
        (services.hand_over, None, args),
    ):
        if a is None:
            refused(ValidationError, fn, p.clerk_a, [closed], **kw)
        else:
            refused(ValidationError, fn, p.clerk_a, closed, *a, **kw)


@pytest.mark.django_db
def test_remind_handover_within_30_days_once(province):
    p = province
    d = services.close_dossier(p.specialist_a, dossier(p), end_date=TODAY - dt.timedelta(days=100))
    due = d.handover_due
    # 31 days before the due date: too early.
    assert services.remind_handover(due - dt.timedelta(days=31)) == 0
    assert Notice.objects.count() == 0
    # 30 days before: the keeper and the agency's clerk (not B's clerk, not the leader).
    assert services.remind_handover(due - dt.timedelta(days=30)) == 2
    notices = Notice.objects.all()
    assert {n.person for n in notices} == {p.specialist_a, p.clerk_a}
    assert all(n.kind == "dossier.handover" and n.key == f"dossier.handover:{d.pk}" for n in notices)
    assert d.file_code in notices[0].text and notices[0].url == f"/ho-so/{d.pk}/"
    # Again, and past due: nothing new.
    services.remind_handover(due - dt.timedelta(days=30))
    services.remind_handover(due + dt.timedelta(days=5))
    assert Notice.objects.count() == 2
    # Handed over, or still open: no reminder.
    services.hand_over(p.clerk_a, [d], handed_on=TODAY, received_by="Lưu trữ")
    other = services.close_dossier(
        p.specialist_a, dossier(p, notation="02", year=YEAR - 2), end_date=TODAY - dt.timedelta(days=400)
    )
    services.reopen(p.specialist_a, other)
    Notice.objects.all().delete()
    assert services.remind_handover(TODAY + dt.timedelta(days=400)) == 0


@pytest.mark.django_db
def test_a_confidential_document_in_a_dossier_stays_hidden(province):
    p = province
    d = dossier(p, p.clerk_a, notation="05.VP")
    secret = incoming(p, confidentiality="confidential", original_code="7/QĐ-UBND")
    plain = readable_doc(p, original_code="8/QĐ-UBND")
    services.add_document(p.clerk_a, d, secret)
    services.add_document(p.clerk_a, d, plain)
    # The specialist sees the dossier (agency-wide) and its totals, not the confidential document.
    seen = selectors.get_dossier(p.specialist_a, d.pk)
    assert seen.doc_total == 2
    assert [i.document for i in selectors.items_visible(p.specialist_a, d)] == [plain]
    assert [i.document for i in selectors.items_visible(p.clerk_a, d)] == [secret, plain]
    assert selectors.dossiers_of_document(p.specialist_a, secret) == []
    assert selectors.dossiers_of_document(p.clerk_a, secret) == [d]
    documents.grant_access(secret, [(p.specialist_a, None)], reason="test")
    assert len(selectors.items_visible(p.specialist_a, d)) == 2
    # Other agencies see nothing of it.
    with pytest.raises(Http404):
        selectors.get_dossier(p.clerk_b, d.pk)
    assert list(selectors.dossiers_for(p.clerk_b)) == []


@pytest.mark.django_db
def test_catalog_groups_by_unit_in_notation_order(province):
    p = province
    dossier(p, notation="10.CNTT")
    dossier(p, notation="2.CNTT")
    dossier(p, p.clerk_a, notation="1.VP")
    dossier(p, notation="3.CNTT", year=YEAR - 1)
    sections = selectors.catalog(p.a, YEAR)
    assert [(s.unit.name, [d.notation for d in s.dossiers]) for s in sections] == [
        ("Phòng Công nghệ thông tin", ["2.CNTT", "10.CNTT"]),
        ("Văn phòng", ["1.VP"]),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_people_filing_at_once_get_distinct_ordinals_and_hand_over_once():
    p = build_province()
    d = dossier(p, p.clerk_a)
    docs = [incoming(p, original_code=f"{i}/CV-UBND") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(username, fn):
        try:
            person = Person.objects.get(username=username)
            barrier.wait(timeout=30)
            fn(person)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append("refused: " + " ".join(exc.messages))
        finally:
            connections.close_all()

    def both(jobs):
        outcomes.clear()
        threads = [threading.Thread(target=run, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return sorted(o.split(":")[0] for o in outcomes)

    fresh = lambda: Dossier.objects.get(pk=d.pk)  # noqa: E731
    assert both(
        [
            (p.clerk_a.username, lambda who: services.add_document(who, fresh(), docs[0])),
            (p.leader_a.username, lambda who: services.add_document(who, fresh(), docs[1])),
        ]
    ) == ["ok", "ok"]
    assert sorted(DossierItem.objects.filter(dossier=d).values_list("ordinal", flat=True)) == [1, 2]
    services.close_dossier(p.clerk_a, fresh())
    hand = lambda who: services.hand_over(who, [fresh()], handed_on=TODAY, received_by="Lưu trữ")  # noqa: E731
    assert both([(p.clerk_a.username, hand), (p.leader_a.username, hand)]) == ["ok", "refused"]
    assert Handover.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_one_notation_in_two_cases(province):
    """The last guard when two people open "01.CNTT" and "01.cntt" at the same moment."""
    from django.db import IntegrityError

    p = province
    d = dossier(p)
    with pytest.raises(IntegrityError):
        Dossier.objects.create(
            agency=d.agency,
            year=d.year,
            notation=d.notation.lower(),
            title="x",
            maintenance=d.maintenance,
            creator=p.specialist_a,
        )
    assert Dossier.objects.count() == 1
