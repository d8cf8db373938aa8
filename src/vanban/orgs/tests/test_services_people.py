"""Units, people, passwords and personal tokens."""

import hashlib
import json

import pytest
from conftest import PASSWORD
from django.core.exceptions import PermissionDenied, ValidationError

from vanban.audit.models import Entry
from vanban.orgs import selectors, services
from vanban.orgs.models import Person, PersonalToken, PersonRole, Role, Unit

STRONG = "Hoa-Sen-Trang-2026"


def fresh(person):
    return Person.objects.get(pk=person.pk)


def payload(entry: Entry) -> dict:
    return json.loads(entry.payload)


def new_person(actor, p, **kw):
    args = dict(
        username="nhanvien.moi",
        full_name="Nguyễn Văn Mới",
        email="moi@example.vn",
        agency=p.a,
        unit=p.a_vp,
        position="Chuyên viên",
        roles=[Role.SPECIALIST],
        password=STRONG,
    )
    args.update(kw)
    return services.create_person(actor, **args)


# --- units ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["superuser", "admin_a", None])
def test_create_unit(province, audit_log, who):
    actor = getattr(province, who) if who else None
    unit = services.create_unit(actor, province.a, name=" Phòng Bưu chính, Viễn thông ", notation=" BCVT ")
    unit = Unit.objects.get(pk=unit.pk)
    assert (unit.agency, unit.name, unit.notation, unit.active) == (
        province.a,
        "Phòng Bưu chính, Viễn thông",
        "BCVT",
        True,
    )
    [entry] = audit_log.entries()
    assert entry.action == "unit.create" and entry.object_id == str(unit.pk)
    assert payload(entry)["data"] == {
        "agency": province.a.pk,
        "name": "Phòng Bưu chính, Viễn thông",
        "notation": "BCVT",
    }


@pytest.mark.parametrize(
    ("who", "agency"), [("admin_a", "b"), ("clerk_a", "a"), ("leader_a", "a"), ("monitor", "a"), ("clerk_b", "b")]
)
def test_create_unit_refused(province, audit_log, who, agency):
    before = Unit.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_unit(getattr(province, who), getattr(province, agency), name="Phòng Mới", notation="PM")
    assert Unit.objects.count() == before
    assert audit_log.actions() == []


def test_unit_notation_is_unique_within_an_agency(province, audit_log):
    with pytest.raises(ValidationError):
        services.create_unit(province.superuser, province.a, name="Văn phòng 2", notation="VP")
    assert Unit.objects.filter(agency=province.a, notation="VP").count() == 1
    assert audit_log.actions() == []
    # another agency may use the same notation
    services.create_unit(province.superuser, province.b, name="Phòng Công nghệ thông tin", notation="CNTT")
    assert Unit.objects.filter(notation="CNTT").count() == 2
    assert audit_log.actions() == ["unit.create"]


@pytest.mark.parametrize(
    ("name", "notation"), [("Phòng A", "P-A"), ("Phòng A", "P A"), ("Phòng A", ""), ("", "PA"), ("Phòng A", "X" * 21)]
)
def test_create_unit_validates(province, audit_log, name, notation):
    with pytest.raises(ValidationError):
        services.create_unit(province.superuser, province.a, name=name, notation=notation)
    assert audit_log.actions() == []


def test_update_unit(province, audit_log):
    services.update_unit(province.admin_a, province.a_cntt, name="Phòng CNTT", notation="CNTT", active=False)
    unit = Unit.objects.get(pk=province.a_cntt.pk)
    assert (unit.name, unit.active) == ("Phòng CNTT", False)
    assert audit_log.actions() == ["unit.update"]
    assert selectors.units_of(province.a.pk).filter(pk=unit.pk).count() == 0
    assert selectors.units_of(province.a.pk, active_only=False).filter(pk=unit.pk).count() == 1


def test_update_unit_refuses_a_taken_notation_and_other_agencies(province, audit_log):
    with pytest.raises(ValidationError):
        services.update_unit(province.superuser, province.a_cntt, name="Phòng CNTT", notation="VP")
    with pytest.raises(PermissionDenied):
        services.update_unit(province.admin_a, province.b_vp, name="Văn phòng Sở", notation="VP")
    assert Unit.objects.get(pk=province.a_cntt.pk).notation == "CNTT"
    assert Unit.objects.get(pk=province.b_vp.pk).name == "Văn phòng"
    assert audit_log.actions() == []


# --- people ---------------------------------------------------------------------------------


def test_create_person(province, audit_log):
    person = fresh(new_person(province.superuser, province, roles=[Role.CLERK, Role.LEADER, Role.CLERK]))
    assert (person.username, person.agency, person.unit) == ("nhanvien.moi", province.a, province.a_vp)
    assert person.role_codes == {"clerk", "leader"} and person.has_role(Role.LEADER)
    assert person.check_password(STRONG) and not person.is_superuser and not person.is_staff
    [entry] = audit_log.entries()
    assert entry.action == "person.create" and entry.actor_id == province.superuser.pk
    data = payload(entry)["data"]
    assert data["roles"] == ["clerk", "leader"] and data["username"] == "nhanvien.moi"
    assert "password" not in data
    assert STRONG not in entry.payload and person.password not in entry.payload


def test_create_person_without_password(province):
    person = fresh(new_person(province.superuser, province, password=None))
    assert not person.has_usable_password()


def test_create_province_administrator(province):
    person = fresh(new_person(province.superuser, province, is_superuser=True, roles=[Role.ADMIN]))
    assert person.is_superuser and person.is_staff


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"roles": ["clerk", "president"]}, "roles"),
        ({"unit": "b_vp"}, "unit"),  # a unit of another agency
        ({"agency": None, "unit": None}, "agency"),
        ({"username": "vanthu.a"}, "username"),  # taken
        ({"username": "có dấu cách"}, "username"),
        ({"full_name": ""}, "full_name"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_create_person_validates(province, audit_log, kw, field):
    kw = {k: getattr(province, v) if k == "unit" and v else v for k, v in kw.items()}
    before = Person.objects.count()
    with pytest.raises(ValidationError) as e:
        new_person(province.superuser, province, **kw)
    assert field in e.value.message_dict
    assert Person.objects.count() == before
    assert not PersonRole.objects.filter(person__username="nhanvien.moi").exists()
    assert audit_log.actions() == []


@pytest.mark.parametrize("password", ["123", "password", "nhanvien.moi", "12345678901"])
def test_weak_password_refused_for_a_person(province, audit_log, password):
    with pytest.raises(ValidationError) as e:
        new_person(province.superuser, province, password=password)
    assert list(e.value.message_dict) == ["password"]
    assert not Person.objects.filter(username="nhanvien.moi").exists()
    assert audit_log.actions() == []


def test_weak_password_accepted_for_the_system(province, audit_log):
    person = new_person(None, province, password="123")
    assert fresh(person).check_password("123")
    assert audit_log.actions() == ["person.create"]


def test_agency_admin_manages_its_own_agency(province, audit_log):
    person = new_person(province.admin_a, province)
    services.update_person(province.admin_a, person, roles=[Role.UNIT_HEAD], position="Trưởng phòng")
    person = fresh(person)
    assert person.role_codes == {"unit_head"} and person.position == "Trưởng phòng"
    assert audit_log.actions() == ["person.create", "person.update"]
    assert payload(audit_log.entries()[1])["data"] == {"position": "Trưởng phòng", "roles": ["unit_head"]}


@pytest.mark.parametrize("who", ["clerk_a", "leader_a", "unithead_a", "monitor", "clerk_b"])
def test_only_administrators_create_people(province, audit_log, who):
    with pytest.raises(PermissionDenied):
        new_person(getattr(province, who), province)
    assert not Person.objects.filter(username="nhanvien.moi").exists()
    assert audit_log.actions() == []


def test_agency_admin_cannot_manage_another_agency(province, audit_log):
    with pytest.raises(PermissionDenied):
        new_person(province.admin_a, province, agency=province.b, unit=province.b_vp)
    with pytest.raises(PermissionDenied):
        services.update_person(province.admin_a, province.clerk_b, full_name="Đổi Tên")
    with pytest.raises(PermissionDenied):  # nor move its own people there
        services.update_person(province.admin_a, province.clerk_a, agency=province.b, unit=province.b_vp)
    with pytest.raises(PermissionDenied):
        services.set_password(province.admin_a, province.clerk_b, STRONG)
    clerk_b, clerk_a = fresh(province.clerk_b), fresh(province.clerk_a)
    assert clerk_b.full_name == "Vanthu B" and clerk_b.check_password(PASSWORD)
    assert clerk_a.agency == province.a
    assert audit_log.actions() == []


def test_agency_admin_cannot_create_a_province_administrator(province, audit_log):
    with pytest.raises(PermissionDenied):
        new_person(province.admin_a, province, is_superuser=True)
    assert not Person.objects.filter(username="nhanvien.moi").exists()
    assert audit_log.actions() == []


def test_agency_admin_cannot_touch_a_province_administrator_of_its_agency(province, audit_log):
    """The province administrator `admin` works in agency a; a's administrator must not be able to
    take the account over (new password, token) or lock it out."""
    superuser = province.superuser
    assert superuser.agency_id == province.admin_a.agency_id
    with pytest.raises(PermissionDenied):
        services.set_password(province.admin_a, superuser, STRONG)
    with pytest.raises(PermissionDenied):
        services.create_token(province.admin_a, superuser, "takeover")
    with pytest.raises(PermissionDenied):
        services.update_person(province.admin_a, superuser, is_active=False)
    with pytest.raises(PermissionDenied):
        services.update_person(province.admin_a, superuser, email="attacker@example.vn")
    superuser = fresh(superuser)
    assert superuser.check_password(PASSWORD) and superuser.is_active and superuser.email == "admin@example.vn"
    assert not PersonalToken.objects.filter(person=superuser).exists()
    assert superuser not in selectors.people_manageable_by(province.admin_a)
    assert audit_log.actions() == []
    # another province administrator may
    other = new_person(None, province, username="admin2", is_superuser=True, agency=None, unit=None)
    services.update_person(other, superuser, email="admin@tiengiang.gov.vn")
    assert fresh(superuser).email == "admin@tiengiang.gov.vn"


def test_agency_admin_cannot_remove_its_own_admin_role(province, audit_log):
    with pytest.raises(ValidationError) as e:
        services.update_person(province.admin_a, province.admin_a, roles=[Role.CLERK])
    assert "roles" in e.value.message_dict
    assert fresh(province.admin_a).role_codes == {"admin"}
    assert audit_log.actions() == []
    # adding a role while keeping admin is fine; a province administrator may remove it
    services.update_person(province.admin_a, province.admin_a, roles=[Role.ADMIN, Role.CLERK])
    assert fresh(province.admin_a).role_codes == {"admin", "clerk"}
    services.update_person(province.superuser, province.admin_a, roles=[Role.CLERK])
    assert fresh(province.admin_a).role_codes == {"clerk"}
    assert audit_log.actions() == ["person.update", "person.update"]


def test_update_person_validates(province, audit_log):
    with pytest.raises(ValidationError) as e:
        services.update_person(province.superuser, province.clerk_a, roles=["boss"])
    assert "roles" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.update_person(province.superuser, province.clerk_a, unit=province.b_vp)
    assert "unit" in e.value.message_dict
    with pytest.raises(ValueError):
        services.update_person(province.superuser, province.clerk_a, username="khac")
    with pytest.raises(ValueError):
        services.update_person(province.superuser, province.clerk_a, is_superuser=True)
    clerk = fresh(province.clerk_a)
    assert clerk.role_codes == {"clerk"} and clerk.unit == province.a_vp and not clerk.is_superuser
    assert audit_log.actions() == []


def test_update_person_without_change_writes_nothing(province, audit_log):
    services.update_person(province.superuser, province.clerk_a, full_name=" Vanthu A ", roles=[Role.CLERK])
    assert audit_log.actions() == []


def test_disabled_administrator_manages_nothing(province, audit_log):
    services.update_person(None, province.admin_a, is_active=False)
    admin = fresh(province.admin_a)
    audit_log.mark()
    with pytest.raises(PermissionDenied):
        new_person(admin, province)
    assert audit_log.actions() == []


# --- passwords ------------------------------------------------------------------------------


def test_set_own_password(province, audit_log):
    services.set_password(province.clerk_a, province.clerk_a, STRONG)
    assert fresh(province.clerk_a).check_password(STRONG)
    [entry] = audit_log.entries()
    assert entry.action == "person.set_password" and payload(entry)["data"] == {}
    assert STRONG not in entry.payload


def test_set_password_of_someone_else(province, audit_log):
    with pytest.raises(PermissionDenied):
        services.set_password(province.clerk_a, province.leader_a, STRONG)
    assert fresh(province.leader_a).check_password(PASSWORD)
    services.set_password(province.admin_a, province.leader_a, STRONG)
    assert fresh(province.leader_a).check_password(STRONG)
    assert audit_log.actions() == ["person.set_password"]


def test_weak_password_rules(province, audit_log):
    with pytest.raises(ValidationError) as e:
        services.set_password(province.clerk_a, province.clerk_a, "123")
    assert list(e.value.message_dict) == ["password"]
    with pytest.raises(ValidationError):  # the system validates too, unless told not to
        services.set_password(None, province.clerk_a, "123")
    with pytest.raises(ValidationError):  # only the system may skip the rules
        services.set_password(province.superuser, province.clerk_a, "123", validate=False)
    assert fresh(province.clerk_a).check_password(PASSWORD)
    assert audit_log.actions() == []
    services.set_password(None, province.clerk_a, "123", validate=False)
    assert fresh(province.clerk_a).check_password("123")
    assert audit_log.actions() == ["person.set_password"]


# --- visibility -----------------------------------------------------------------------------


def test_people_visible_to(province):
    def names(reader):
        return set(selectors.people_visible_to(reader).values_list("username", flat=True))

    everyone = set(Person.objects.values_list("username", flat=True))
    agency_a = set(Person.objects.filter(agency=province.a).values_list("username", flat=True))
    assert names(province.clerk_a) == agency_a and "vanthu.b" not in agency_a
    assert names(province.clerk_b) == {"vanthu.b"}
    assert names(province.superuser) == everyone
    assert names(province.monitor) == everyone


def test_people_manageable_by(province):
    def names(reader):
        return set(selectors.people_manageable_by(reader).values_list("username", flat=True))

    assert names(province.superuser) == set(Person.objects.values_list("username", flat=True))
    assert names(province.admin_a) == set(
        Person.objects.filter(agency=province.a, is_superuser=False).values_list("username", flat=True)
    )
    assert names(province.clerk_a) == set()


# --- tokens ---------------------------------------------------------------------------------


def test_create_token(province, audit_log):
    token, key = services.create_token(province.clerk_a, province.clerk_a, " cổng dịch vụ công ")
    assert key.startswith("vb_") and len(key) > 40
    token = PersonalToken.objects.get(pk=token.pk)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:9] and token.name == "cổng dịch vụ công"
    stored = [getattr(token, f.attname) for f in PersonalToken._meta.fields]
    assert not any(key in str(v) for v in stored)
    [entry] = audit_log.entries()
    assert entry.action == "token.create" and entry.object_id == str(province.clerk_a.pk)
    assert key not in entry.payload and token.key_hash not in entry.payload


def test_tokens_are_distinct_and_named_by_default(province):
    (t1, k1), (t2, k2) = (services.create_token(None, province.clerk_a) for _ in range(2))
    assert k1 != k2 and t1.key_hash != t2.key_hash
    assert t1.name  # a default label, whatever the language
    long_name = services.create_token(None, province.clerk_a, "x" * 300)[0].name
    assert len(long_name) == 100


def test_create_token_for_someone_else(province, audit_log):
    with pytest.raises(PermissionDenied):
        services.create_token(province.clerk_a, province.leader_a)
    with pytest.raises(PermissionDenied):
        services.create_token(province.admin_a, province.clerk_b)
    assert not PersonalToken.objects.exists()
    assert audit_log.actions() == []
    services.create_token(province.admin_a, province.clerk_a)
    assert PersonalToken.objects.filter(person=province.clerk_a).count() == 1


def test_no_token_for_a_disabled_account(province, audit_log):
    services.update_person(None, province.clerk_a, is_active=False)
    audit_log.mark()
    with pytest.raises(ValidationError) as e:
        services.create_token(None, fresh(province.clerk_a))
    assert "person" in e.value.message_dict
    assert not PersonalToken.objects.exists()
    assert audit_log.actions() == []


def test_revoke_token(province, audit_log):
    token, _key = services.create_token(province.clerk_a, province.clerk_a)
    audit_log.mark()
    with pytest.raises(PermissionDenied):
        services.revoke_token(province.clerk_b, token)
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is None
    assert audit_log.actions() == []
    services.revoke_token(province.clerk_a, token)
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None
    services.revoke_token(province.clerk_a, token)  # again: nothing more happens
    assert audit_log.actions() == ["token.revoke"]
    assert list(selectors.tokens_of(province.clerk_a)) == [token]
    assert list(selectors.tokens_of(province.clerk_b)) == []


def test_agency_admin_revokes_its_peoples_tokens(province, audit_log):
    token, _key = services.create_token(None, province.clerk_a)
    other, _key = services.create_token(None, province.clerk_b)
    services.revoke_token(province.admin_a, token)
    with pytest.raises(PermissionDenied):
        services.revoke_token(province.admin_a, other)
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None
    assert PersonalToken.objects.get(pk=other.pk).revoked_at is None
