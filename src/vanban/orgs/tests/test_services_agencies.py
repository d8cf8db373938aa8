"""Creating, changing, renaming, merging and closing agencies."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vanban.audit.models import Entry
from vanban.orgs import selectors, services
from vanban.orgs.models import Agency, AgencyNameRecord, Person


def fresh(obj):
    """The object as stored now (people carry their agency, which a rename or merge changes)."""
    return type(obj).objects.get(pk=obj.pk)


def new_agency_fields(**kw):
    fields = dict(
        code="82-SYT",
        identifier="000.00.16.H58",
        name="Sở Y tế tỉnh Tiền Giang",
        short_name="Sở YT",
        notation="SYT",
        kind="department",
        place="Tiền Giang",
        email="syt@tiengiang.gov.vn",
    )
    fields.update(kw)
    return fields


def payload(entry: Entry) -> dict:
    return json.loads(entry.payload)


# --- permissions ----------------------------------------------------------------------------


def test_only_active_superusers_and_the_system_manage_agencies(province):
    assert services.can_manage_agencies(None)
    assert services.can_manage_agencies(province.superuser)
    for person in (province.admin_a, province.clerk_a, province.leader_a, province.monitor):
        assert not services.can_manage_agencies(person)
    province.superuser.is_active = False
    assert not services.can_manage_agencies(province.superuser)


# --- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["superuser", None])
def test_create_agency(province, audit_log, actor):
    actor = getattr(province, actor) if actor else None
    agency = services.create_agency(actor, parent=province.root, **new_agency_fields())
    agency = fresh(agency)
    assert (agency.code, agency.identifier, agency.notation, agency.parent) == (
        "82-SYT",
        "000.00.16.H58",
        "SYT",
        province.root,
    )
    assert agency.status == Agency.Status.ACTIVE and agency.successor is None
    [entry] = audit_log.entries()
    assert entry.action == "agency.create" and entry.object_id == str(agency.pk)
    assert entry.actor_id == (actor.pk if actor else None)
    assert payload(entry)["data"]["identifier"] == "000.00.16.H58"
    assert payload(entry)["data"]["parent"] == province.root.pk


@pytest.mark.parametrize("who", ["admin_a", "clerk_a", "leader_a", "monitor"])
def test_create_agency_refused_to_others(province, audit_log, who):
    before = Agency.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_agency(getattr(province, who), **new_agency_fields())
    assert Agency.objects.count() == before
    assert audit_log.actions() == []


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"code": "82-STC"}, "code"),  # taken by p.b
        ({"identifier": "000.00.05.H58"}, "identifier"),  # taken by p.b
        ({"identifier": "000.00.16.h58"}, "identifier"),
        ({"identifier": "٠٠٠.00.16.H58"}, "identifier"),  # Unicode digits
        ({"notation": "S-YT"}, "notation"),
        ({"notation": "S YT"}, "notation"),
        ({"kind": "ministry"}, "kind"),
        ({"name": ""}, "name"),
        ({"email": "not an email"}, "email"),
    ],
)
def test_create_agency_validates(province, audit_log, fields, error_field):
    before = Agency.objects.count()
    with pytest.raises(ValidationError) as e:
        services.create_agency(province.superuser, **new_agency_fields(**fields))
    assert error_field in e.value.message_dict
    assert Agency.objects.count() == before
    assert audit_log.actions() == []


# --- update ---------------------------------------------------------------------------------


def test_update_agency_records_only_what_changed(province, audit_log):
    services.update_agency(province.superuser, province.b, email="stc@tiengiang.gov.vn", address="Mỹ Tho", phone="")
    b = fresh(province.b)
    assert (b.email, b.address) == ("stc@tiengiang.gov.vn", "Mỹ Tho")
    [entry] = audit_log.entries()
    assert entry.action == "agency.update" and entry.object_id == str(b.pk)
    assert payload(entry)["data"] == {"email": "stc@tiengiang.gov.vn", "address": "Mỹ Tho"}


def test_update_agency_without_change_writes_nothing(province, audit_log):
    services.update_agency(province.superuser, province.b, email=province.b.email, parent=province.root)
    assert audit_log.actions() == []


def test_update_agency_refused_to_agency_admin(province, audit_log):
    with pytest.raises(PermissionDenied):
        services.update_agency(province.admin_a, province.a, email="x@example.vn")
    assert fresh(province.a).email == ""
    assert audit_log.actions() == []


@pytest.mark.parametrize("field", ["name", "short_name", "notation", "status", "successor"])
def test_update_agency_cannot_rename_or_merge(province, field):
    with pytest.raises(ValueError):
        services.update_agency(province.superuser, province.a, **{field: "X"})


def test_update_agency_validates(province, audit_log):
    with pytest.raises(ValidationError) as e:
        services.update_agency(province.superuser, province.a, identifier="000.00.05.H58")
    assert "identifier" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.update_agency(province.superuser, province.a, parent=province.a)
    assert "parent" in e.value.message_dict
    assert fresh(province.a).identifier == "000.00.12.H58" and fresh(province.a).parent == province.root
    assert audit_log.actions() == []


def test_update_agency_refuses_a_loop_in_the_tree(province, audit_log):
    """A cannot go under B when B is (through others) under A."""
    c = services.create_agency(None, parent=province.a, **new_agency_fields())
    audit_log.mark()
    with pytest.raises(ValidationError) as e:
        services.update_agency(province.superuser, province.a, parent=c)
    assert "parent" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.update_agency(province.superuser, province.root, parent=c)
    assert fresh(province.a).parent == province.root and fresh(province.root).parent is None
    assert audit_log.actions() == []
    services.update_agency(province.superuser, c, parent=province.b)  # no loop: fine
    assert fresh(c).parent == province.b


# --- rename ---------------------------------------------------------------------------------


def test_rename_keeps_the_former_name(province, audit_log):
    effective = dt.date(2025, 3, 1)
    services.rename_agency(
        province.superuser,
        province.a,
        name=" Sở Khoa học và Công nghệ tỉnh Tiền Giang ",
        short_name="Sở KH&CN",
        notation="SKHCN",
        effective=effective,
        reason="Nghị quyết 1/2025",
    )
    a = fresh(province.a)
    assert (a.name, a.short_name, a.notation) == ("Sở Khoa học và Công nghệ tỉnh Tiền Giang", "Sở KH&CN", "SKHCN")
    assert a.identifier == "000.00.12.H58" and a.code == "82-STTTT"
    [record] = AgencyNameRecord.objects.filter(agency=a)
    assert (record.name, record.short_name, record.notation) == (
        "Sở Thông tin và Truyền thông tỉnh Tiền Giang",
        "Sở TT&TT",
        "STTTT",
    )
    assert record.valid_to == dt.date(2025, 2, 28) and record.reason == "Nghị quyết 1/2025"
    [entry] = audit_log.entries()
    assert entry.action == "agency.rename"
    data = payload(entry)["data"]
    assert data["from"]["notation"] == "STTTT" and data["to"]["notation"] == "SKHCN"
    assert data["effective"] == "2025-03-01"


def test_rename_defaults_to_today(province):
    services.rename_agency(None, province.b, name="Sở Tài chính", short_name="Sở TC", notation="STC")
    assert AgencyNameRecord.objects.get(agency=province.b).valid_to == timezone.localdate() - dt.timedelta(days=1)


def test_rename_to_the_same_name_writes_nothing(province, audit_log):
    services.rename_agency(
        province.superuser,
        province.a,
        name=province.a.name,
        short_name=province.a.short_name,
        notation=province.a.notation,
    )
    assert not AgencyNameRecord.objects.exists()
    assert audit_log.actions() == []


def test_rename_refused_to_agency_admin(province, audit_log):
    with pytest.raises(PermissionDenied):
        services.rename_agency(province.admin_a, province.a, name="Tên mới", short_name="Mới", notation="MOI")
    assert fresh(province.a).name == province.a.name
    assert not AgencyNameRecord.objects.exists()
    assert audit_log.actions() == []


def test_rename_validates_and_rolls_back(province, audit_log):
    with pytest.raises(ValidationError) as e:
        services.rename_agency(province.superuser, province.a, name="Tên mới", short_name="Mới", notation="KH-CN")
    assert "notation" in e.value.message_dict
    assert fresh(province.a).notation == "STTTT"
    assert not AgencyNameRecord.objects.exists()
    assert audit_log.actions() == []


# --- merge ----------------------------------------------------------------------------------


def test_merge(province, audit_log):
    services.merge_agency(
        province.superuser, province.a, into=province.b, effective=dt.date(2025, 3, 1), reason="Nghị quyết 1/2025"
    )
    a = fresh(province.a)
    assert a.status == Agency.Status.MERGED and a.successor == province.b and a.ended_on == dt.date(2025, 3, 1)
    assert not a.is_active and fresh(province.b).is_active
    [entry] = audit_log.entries()
    assert entry.action == "agency.merge" and entry.object_id == str(a.pk)
    assert payload(entry)["data"]["into"] == province.b.pk
    assert payload(entry)["data"]["into_identifier"] == "000.00.05.H58"


def test_merges_are_followed_transitively(province):
    c = services.create_agency(None, **new_agency_fields())
    services.merge_agency(None, province.a, into=province.b)
    services.merge_agency(None, province.b, into=c)
    assert sorted(selectors.agency_scope_ids(c.pk)) == sorted([c.pk, province.a.pk, province.b.pk])
    assert selectors.agency_scope_ids(province.a.pk) == [province.a.pk]
    assert selectors.agency_scope_ids(None) == []


def test_merge_into_itself_is_refused(province, audit_log):
    with pytest.raises(ValidationError) as e:
        services.merge_agency(province.superuser, province.a, into=province.a)
    assert "into" in e.value.message_dict
    assert fresh(province.a).is_active
    assert audit_log.actions() == []


def test_merge_into_an_inactive_agency_is_refused(province, audit_log):
    services.close_agency(None, province.b)
    audit_log.mark()
    with pytest.raises(ValidationError) as e:
        services.merge_agency(province.superuser, province.a, into=province.b)
    assert "into" in e.value.message_dict
    assert fresh(province.a).is_active and fresh(province.a).successor is None
    assert audit_log.actions() == []


def test_merging_back_is_refused(province, audit_log):
    """a into b, then b into a would make a loop."""
    services.merge_agency(None, province.a, into=province.b)
    audit_log.mark()
    with pytest.raises(ValidationError) as e:
        services.merge_agency(province.superuser, province.b, into=province.a)
    assert "into" in e.value.message_dict
    assert fresh(province.b).is_active and fresh(province.b).successor is None
    with pytest.raises(ValidationError):  # and a is no longer active anyway
        services.merge_agency(province.superuser, province.a, into=province.root)
    assert fresh(province.a).successor == province.b
    assert audit_log.actions() == []


@pytest.mark.parametrize("who", ["admin_a", "clerk_a", "leader_a"])
def test_merge_refused_to_others(province, audit_log, who):
    with pytest.raises(PermissionDenied):
        services.merge_agency(getattr(province, who), province.a, into=province.b)
    assert fresh(province.a).is_active
    assert audit_log.actions() == []


# --- close ----------------------------------------------------------------------------------


def test_close(province, audit_log):
    services.close_agency(province.superuser, province.a, effective=dt.date(2025, 6, 30), reason="Giải thể")
    a = fresh(province.a)
    assert a.status == Agency.Status.CLOSED and a.ended_on == dt.date(2025, 6, 30) and a.successor is None
    [entry] = audit_log.entries()
    assert entry.action == "agency.close"
    assert payload(entry)["data"] == {"effective": "2025-06-30", "reason": "Giải thể"}


def test_close_twice_is_refused(province, audit_log):
    services.close_agency(None, province.a)
    audit_log.mark()
    with pytest.raises(ValidationError) as e:
        services.close_agency(province.superuser, province.a)
    assert "status" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.merge_agency(province.superuser, province.a, into=province.b)
    assert fresh(province.a).status == Agency.Status.CLOSED
    assert audit_log.actions() == []


@pytest.mark.parametrize("who", ["admin_a", "clerk_a"])
def test_close_refused_to_others(province, audit_log, who):
    with pytest.raises(PermissionDenied):
        services.close_agency(getattr(province, who), province.a)
    assert fresh(province.a).is_active
    assert audit_log.actions() == []


def test_people_of_a_closed_agency_cannot_be_given_work(province):
    services.close_agency(None, province.a)
    with pytest.raises(ValidationError) as e:
        services.create_person(province.superuser, username="moi", full_name="Người Mới", agency=fresh(province.a))
    assert "agency" in e.value.message_dict
    # but they can be disabled
    services.update_person(province.superuser, province.clerk_a, is_active=False)
    assert not Person.objects.get(pk=province.clerk_a.pk).is_active
