"""/api/v1/agencies/ and /api/v1/people/."""

import pytest
from conftest import PASSWORD
from rest_framework.test import APIClient

from vanban.orgs import services
from vanban.orgs.models import Agency, AgencyNameRecord, Person, PersonalToken

AGENCIES = "/api/v1/agencies/"
PEOPLE = "/api/v1/people/"
STRONG = "Hoa-Sen-Trang-2026"


@pytest.fixture
def api(province):
    def as_(who=None):
        client = APIClient()
        if who is not None:
            client.force_authenticate(getattr(province, who))
        return client

    return as_


def new_agency(province, **kw):
    data = {
        "code": "82-SYT",
        "identifier": "000.00.16.H58",
        "name": "Sở Y tế tỉnh Tiền Giang",
        "short_name": "Sở YT",
        "notation": "SYT",
        "kind": "department",
        "parent": province.root.pk,
    }
    data.update(kw)
    return data


def new_person(province, **kw):
    data = {
        "username": "nhanvien.moi",
        "full_name": "Nguyễn Văn Mới",
        "email": "moi@example.vn",
        "agency": province.a.pk,
        "unit": province.a_vp.pk,
        "roles": ["specialist"],
        "password": STRONG,
    }
    data.update(kw)
    return data


def codes(response):
    return {a["code"] for a in response.data["results"]}


# --- agencies: reading ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clerk_a", "specialist_a", "clerk_b", "superuser"])
def test_every_authenticated_person_reads_the_directory(api, who):
    r = api(who).get(AGENCIES)
    assert r.status_code == 200
    assert r.data["count"] == 3 and codes(r) == {"82", "82-STTTT", "82-STC"}


def test_retrieve_agency(api, province):
    r = api("clerk_b").get(f"{AGENCIES}{province.a.pk}/")
    assert r.status_code == 200
    assert r.data["identifier"] == "000.00.12.H58" and r.data["parent"] == province.root.pk
    assert r.data["status"] == "active" and r.data["successor"] is None
    assert {u["notation"] for u in r.data["units"]} == {"VP", "CNTT"}
    assert api("clerk_b").get(f"{AGENCIES}999999/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=Tài chính", {"82-STC"}),
        ("q=sở tt", {"82-STTTT"}),  # short name, any case
        ("q=000.00.12", {"82-STTTT"}),  # identifier prefix
        ("q=000.00", {"82", "82-STTTT", "82-STC"}),
        ("q=Không có", set()),
        ("kind=province_pc", {"82"}),
        ("kind=department", {"82-STTTT", "82-STC"}),
        ("kind=department&q=Tài", {"82-STC"}),
        ("kind=nonsense", set()),
        ("status=active", {"82", "82-STTTT", "82-STC"}),
        ("status=merged", set()),
    ],
)
def test_filter_agencies(api, query, expected):
    r = api("clerk_a").get(f"{AGENCIES}?{query}")
    assert r.status_code == 200 and codes(r) == expected


@pytest.mark.parametrize("url", [AGENCIES, PEOPLE, f"{PEOPLE}me/"])
def test_unauthenticated_is_refused(api, url):
    assert api().get(url).status_code in (401, 403)
    assert api().post(url, {}, format="json").status_code in (401, 403)


# --- agencies: writing ----------------------------------------------------------------------


def test_superuser_creates_agency(api, province):
    r = api("superuser").post(AGENCIES, new_agency(province), format="json")
    assert r.status_code == 201, r.data
    agency = Agency.objects.get(code="82-SYT")
    assert r.data["id"] == agency.pk and r.data["status"] == "active" and r.data["units"] == []
    assert agency.parent == province.root


@pytest.mark.parametrize("who", ["admin_a", "clerk_a", "monitor"])
def test_others_cannot_create_agency(api, province, who):
    r = api(who).post(AGENCIES, new_agency(province), format="json")
    assert r.status_code == 403
    assert not Agency.objects.filter(code="82-SYT").exists()


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"code": "82-STC"}, {"code"}),  # taken
        ({"identifier": "000.00.05.H58"}, {"identifier"}),  # taken
        ({"identifier": "12.H58"}, {"identifier"}),
        ({"notation": "S-YT"}, {"notation"}),
        ({"kind": "ministry"}, {"kind"}),
        ({"parent": 999999}, {"parent"}),
        ({"name": ""}, {"name"}),
    ],
)
def test_create_agency_invalid(api, province, data, fields):
    before = Agency.objects.count()
    r = api("superuser").post(AGENCIES, new_agency(province, **data), format="json")
    assert r.status_code == 400
    assert set(r.data) == fields
    assert all(isinstance(m, str) and m for msgs in r.data.values() for m in msgs)
    assert Agency.objects.count() == before


def test_superuser_patches_agency(api, province):
    r = api("superuser").patch(
        f"{AGENCIES}{province.b.pk}/", {"email": "stc@tiengiang.gov.vn", "address": "Mỹ Tho"}, format="json"
    )
    assert r.status_code == 200, r.data
    assert r.data["email"] == "stc@tiengiang.gov.vn"
    b = Agency.objects.get(pk=province.b.pk)
    assert (b.email, b.address) == ("stc@tiengiang.gov.vn", "Mỹ Tho")


@pytest.mark.parametrize("who", ["admin_a", "clerk_a"])
def test_others_cannot_patch_agency(api, province, who):
    r = api(who).patch(f"{AGENCIES}{province.a.pk}/", {"email": "x@example.vn"}, format="json")
    assert r.status_code == 403
    assert Agency.objects.get(pk=province.a.pk).email == ""


@pytest.mark.parametrize(("field", "value"), [("name", "Tên mới"), ("short_name", "Mới"), ("notation", "MOI")])
def test_patch_cannot_rename(api, province, field, value):
    r = api("superuser").patch(f"{AGENCIES}{province.a.pk}/", {field: value}, format="json")
    assert r.status_code == 400 and "name" in r.data
    a = Agency.objects.get(pk=province.a.pk)
    assert (a.name, a.short_name, a.notation) == (province.a.name, province.a.short_name, "STTTT")


def test_patch_read_only_fields_are_ignored(api, province):
    r = api("superuser").patch(
        f"{AGENCIES}{province.a.pk}/", {"status": "closed", "successor": province.b.pk}, format="json"
    )
    assert r.status_code == 200
    assert Agency.objects.get(pk=province.a.pk).is_active


def test_patch_invalid(api, province):
    r = api("superuser").patch(f"{AGENCIES}{province.a.pk}/", {"parent": province.a.pk}, format="json")
    assert r.status_code == 400 and set(r.data) == {"parent"}
    r = api("superuser").patch(f"{AGENCIES}{province.a.pk}/", {"identifier": "000.00.05.H58"}, format="json")
    assert r.status_code == 400 and set(r.data) == {"identifier"}
    assert Agency.objects.get(pk=province.a.pk).identifier == "000.00.12.H58"


def test_put_and_delete_are_not_allowed(api, province):
    url = f"{AGENCIES}{province.a.pk}/"
    assert api("superuser").put(url, new_agency(province), format="json").status_code == 405
    assert api("superuser").delete(url).status_code == 405
    assert Agency.objects.filter(pk=province.a.pk).exists()


def test_rename_action(api, province):
    url = f"{AGENCIES}{province.a.pk}/rename/"
    data = {
        "name": "Sở Khoa học và Công nghệ tỉnh Tiền Giang",
        "short_name": "Sở KH&CN",
        "notation": "SKHCN",
        "effective": "2025-03-01",
        "reason": "Nghị quyết 1/2025",
    }
    r = api("admin_a").post(url, data, format="json")
    assert r.status_code == 403
    assert not AgencyNameRecord.objects.exists()
    r = api("superuser").post(url, {**data, "notation": "KH-CN"}, format="json")
    assert r.status_code == 400 and set(r.data) == {"notation"}
    r = api("superuser").post(url, {"name": "Chỉ có tên"}, format="json")
    assert r.status_code == 400 and {"short_name", "notation"} <= set(r.data)
    assert not AgencyNameRecord.objects.exists()
    r = api("superuser").post(url, data, format="json")
    assert r.status_code == 200, r.data
    assert r.data["name"] == data["name"] and r.data["notation"] == "SKHCN"
    record = AgencyNameRecord.objects.get(agency=province.a)
    assert record.notation == "STTTT" and str(record.valid_to) == "2025-02-28"


def test_merge_action(api, province):
    url = f"{AGENCIES}{province.a.pk}/merge/"
    assert api("clerk_a").post(url, {"into": province.b.pk}, format="json").status_code == 403
    r = api("superuser").post(url, {"into": province.a.pk}, format="json")
    assert r.status_code == 400 and set(r.data) == {"into"}
    r = api("superuser").post(url, {"into": 999999}, format="json")
    assert r.status_code == 400 and set(r.data) == {"into"}
    assert Agency.objects.get(pk=province.a.pk).is_active
    r = api("superuser").post(url, {"into": province.b.pk, "effective": "2025-03-01"}, format="json")
    assert r.status_code == 200, r.data
    assert (r.data["status"], r.data["successor"], r.data["ended_on"]) == ("merged", province.b.pk, "2025-03-01")
    r = api("clerk_a").get(f"{AGENCIES}?status=merged")
    assert codes(r) == {"82-STTTT"}
    # merging back would make a loop (and a is no longer active)
    r = api("superuser").post(f"{AGENCIES}{province.b.pk}/merge/", {"into": province.a.pk}, format="json")
    assert r.status_code == 400 and set(r.data) == {"into"}


def test_close_action(api, province):
    url = f"{AGENCIES}{province.b.pk}/close/"
    assert api("admin_a").post(url, {}, format="json").status_code == 403
    r = api("superuser").post(url, {"effective": "2025-06-30", "reason": "Giải thể"}, format="json")
    assert r.status_code == 200 and r.data["status"] == "closed" and r.data["ended_on"] == "2025-06-30"
    r = api("superuser").post(url, {}, format="json")
    assert r.status_code == 400 and set(r.data) == {"status"}
    assert api("superuser").post(f"{AGENCIES}999999/close/", {}, format="json").status_code == 404


# --- people ---------------------------------------------------------------------------------


def usernames(response):
    return {p["username"] for p in response.data["results"]}


def test_people_list_is_scoped(api, province):
    agency_a = set(Person.objects.filter(agency=province.a).values_list("username", flat=True))
    everyone = set(Person.objects.values_list("username", flat=True))
    assert usernames(api("clerk_a").get(PEOPLE)) == agency_a
    assert usernames(api("clerk_b").get(PEOPLE)) == {"vanthu.b"}
    assert usernames(api("superuser").get(PEOPLE)) == everyone
    assert usernames(api("monitor").get(PEOPLE)) == everyone
    r = api("clerk_a").get(f"{PEOPLE}{province.clerk_b.pk}/")
    assert r.status_code == 404
    r = api("clerk_b").get(f"{PEOPLE}{province.clerk_b.pk}/")
    assert r.status_code == 200 and r.data["roles"] == ["clerk"] and "password" not in r.data


def test_me(api, province):
    r = api("unithead_a").get(f"{PEOPLE}me/")
    assert r.status_code == 200
    assert (r.data["id"], r.data["username"], r.data["agency"], r.data["unit"], r.data["roles"]) == (
        province.unithead_a.pk,
        "truongphong.a",
        province.a.pk,
        province.a_cntt.pk,
        ["unit_head"],
    )


@pytest.mark.parametrize("who", ["superuser", "admin_a"])
def test_create_person(api, province, who):
    r = api(who).post(PEOPLE, new_person(province, roles=["clerk", "leader"]), format="json")
    assert r.status_code == 201, r.data
    assert r.data["roles"] == ["clerk", "leader"] and "password" not in r.data
    person = Person.objects.get(username="nhanvien.moi")
    assert person.check_password(STRONG) and person.role_codes == {"clerk", "leader"}
    assert not person.is_superuser


@pytest.mark.parametrize(
    ("who", "agency", "unit"), [("admin_a", "b", "b_vp"), ("clerk_a", "a", "a_vp"), ("monitor", "a", "a_vp")]
)
def test_create_person_refused(api, province, who, agency, unit):
    data = new_person(province, agency=getattr(province, agency).pk, unit=getattr(province, unit).pk)
    r = api(who).post(PEOPLE, data, format="json")
    assert r.status_code == 403
    assert not Person.objects.filter(username="nhanvien.moi").exists()


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"roles": ["clerk", "president"]}, {"roles"}),
        ({"password": "123"}, {"password"}),
        ({"password": "nhanvien.moi"}, {"password"}),
        ({"unit": "b_vp"}, {"unit"}),
        ({"username": "vanthu.a"}, {"username"}),
        ({"agency": None, "unit": None}, {"agency"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"roles": "clerk"}, {"roles"}),
    ],
)
def test_create_person_invalid(api, province, data, fields):
    data = {k: getattr(province, v).pk if k == "unit" and v else v for k, v in data.items()}
    before = Person.objects.count()
    r = api("superuser").post(PEOPLE, new_person(province, **data), format="json")
    assert r.status_code == 400
    assert set(r.data) == fields
    assert all(isinstance(m, str) and m for msgs in r.data.values() for m in msgs)
    assert Person.objects.count() == before


def test_create_person_cannot_make_a_superuser(api, province):
    r = api("admin_a").post(PEOPLE, {**new_person(province), "is_superuser": True, "is_staff": True}, format="json")
    assert r.status_code == 201
    person = Person.objects.get(username="nhanvien.moi")
    assert not person.is_superuser and not person.is_staff


def test_patch_person(api, province):
    url = f"{PEOPLE}{province.clerk_a.pk}/"
    r = api("admin_a").patch(
        url, {"roles": ["clerk", "leader"], "position": "Chánh Văn phòng", "username": "doiten"}, format="json"
    )
    assert r.status_code == 200, r.data
    person = Person.objects.get(pk=province.clerk_a.pk)
    assert person.role_codes == {"clerk", "leader"} and person.position == "Chánh Văn phòng"
    assert person.username == "vanthu.a"
    r = api("admin_a").patch(url, {"password": STRONG}, format="json")
    assert r.status_code == 200
    assert Person.objects.get(pk=province.clerk_a.pk).check_password(STRONG)


def test_patch_person_refused(api, province):
    assert (
        api("admin_a").patch(f"{PEOPLE}{province.clerk_b.pk}/", {"position": "X"}, format="json").status_code == 404
    )  # not visible to a's people
    assert api("monitor").patch(f"{PEOPLE}{province.clerk_b.pk}/", {"position": "X"}, format="json").status_code == 403
    assert (
        api("clerk_a").patch(f"{PEOPLE}{province.clerk_a.pk}/", {"roles": ["admin"]}, format="json").status_code == 403
    )
    assert (
        api("admin_a").patch(f"{PEOPLE}{province.admin_a.pk}/", {"roles": ["clerk"]}, format="json").status_code == 400
    )
    r = api("admin_a").patch(
        f"{PEOPLE}{province.superuser.pk}/", {"password": STRONG, "is_active": False}, format="json"
    )
    assert r.status_code == 403
    assert Person.objects.get(pk=province.clerk_b.pk).position == ""
    assert Person.objects.get(pk=province.clerk_a.pk).role_codes == {"clerk"}
    assert Person.objects.get(pk=province.admin_a.pk).role_codes == {"admin"}
    superuser = Person.objects.get(pk=province.superuser.pk)
    assert superuser.is_active and superuser.check_password(PASSWORD)


def test_patch_person_with_a_weak_password_changes_nothing(api, province):
    r = api("superuser").patch(
        f"{PEOPLE}{province.clerk_a.pk}/",
        {"full_name": "Tên Khác", "roles": ["leader"], "password": "123"},
        format="json",
    )
    assert r.status_code == 400 and set(r.data) == {"password"}
    person = Person.objects.get(pk=province.clerk_a.pk)
    assert person.full_name == "Vanthu A" and person.role_codes == {"clerk"}
    assert person.check_password(PASSWORD)


def test_token_of_another_person_is_not_exposed(api, province):
    services.create_token(None, province.clerk_a)
    r = api("superuser").get(f"{PEOPLE}{province.clerk_a.pk}/")
    assert r.status_code == 200
    text = str(r.data)
    token = PersonalToken.objects.get()
    assert token.key_hash not in text and token.prefix not in text
