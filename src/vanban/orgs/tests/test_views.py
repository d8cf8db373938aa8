"""Login page, administration pages and the profile page (personal tokens)."""

import re

import pytest
from conftest import PASSWORD
from django.urls import reverse

from vanban.orgs import services
from vanban.orgs.models import Agency, AgencyNameRecord, Person, PersonalToken, Unit

STRONG = "Hoa-Sen-Trang-2026"


@pytest.fixture
def web(province, client):
    def as_(who):
        client.force_login(getattr(province, who))
        return client

    return as_


def agency_fields(**kw):
    data = {
        "code": "82-SYT",
        "identifier": "000.00.16.H58",
        "name": "Sở Y tế tỉnh Tiền Giang",
        "short_name": "Sở YT",
        "notation": "SYT",
        "kind": "department",
        "parent": "",
        "place": "Tiền Giang",
        "address": "",
        "email": "",
        "phone": "",
        "website": "",
    }
    data.update(kw)
    return data


def person_fields(p, **kw):
    data = {
        "username": "nhanvien.moi",
        "full_name": "Nguyễn Văn Mới",
        "email": "moi@example.vn",
        "agency": p.a.pk,
        "unit": p.a_vp.pk,
        "position": "Chuyên viên",
        "phone": "",
        "roles": ["specialist"],
        "is_active": "on",
        "password": STRONG,
    }
    data.update(kw)
    return data


# --- login ----------------------------------------------------------------------------------


def test_login_page_is_vietnamese(client, db):
    r = client.get(reverse("login"))
    assert r.status_code == 200
    assert '<html lang="vi">' in r.content.decode()
    assert 'name="username"' in r.content.decode() and 'name="password"' in r.content.decode()


def test_login_and_redirect(client, province):
    r = client.post(reverse("login"), {"username": "vanthu.a", "password": "wrong"})
    assert r.status_code == 200 and "_auth_user_id" not in client.session
    r = client.post(reverse("login"), {"username": "vanthu.a", "password": PASSWORD})
    assert r.status_code == 302 and r.url == reverse("home")
    assert client.session["_auth_user_id"] == str(province.clerk_a.pk)


@pytest.mark.parametrize("name", ["agency-list", "agency-create", "person-list", "person-create", "profile"])
def test_anonymous_is_sent_to_login(client, db, name):
    r = client.get(reverse(name))
    assert r.status_code == 302 and r.url.startswith(reverse("login"))


# --- agencies: province administrator -------------------------------------------------------


def test_agency_list(web, province):
    r = web("superuser").get(reverse("agency-list"))
    assert r.status_code == 200
    assert [a.code for a in r.context["page"]] == ["82", "82-STC", "82-STTTT"]  # by identifier
    assert r.context["can_create"]
    html = r.content.decode()
    assert province.b.name in html and reverse("agency-create") in html
    r = web("superuser").get(reverse("agency-list"), {"q": "Tài chính"})
    assert [a.code for a in r.context["page"]] == ["82-STC"]
    r = web("superuser").get(reverse("agency-list"), {"kind": "province_pc"})
    assert [a.code for a in r.context["page"]] == ["82"]
    r = web("superuser").get(reverse("agency-list"), {"kind": "nonsense"})
    assert len(r.context["page"]) == 3


def test_agency_detail(web, province):
    services.rename_agency(
        None,
        province.a,
        name="Sở Khoa học và Công nghệ tỉnh Tiền Giang",
        short_name="Sở KH&CN",
        notation="SKHCN",
        reason="Nghị quyết 1/2025",
    )
    r = web("superuser").get(reverse("agency-detail", args=[province.a.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Sở Khoa học và Công nghệ tỉnh Tiền Giang" in html
    assert "Sở Thông tin và Truyền thông tỉnh Tiền Giang" in html  # former name
    assert "000.00.12.H58" in html and "Phòng Công nghệ thông tin" in html and "vanthu.a" in html
    assert reverse("agency-rename", args=[province.a.pk]) in html
    assert web("superuser").get(reverse("agency-detail", args=[999999])).status_code == 404


def test_agency_create(web, province):
    client = web("superuser")
    assert client.get(reverse("agency-create")).status_code == 200
    r = client.post(reverse("agency-create"), agency_fields(parent=province.root.pk))
    agency = Agency.objects.get(code="82-SYT")
    assert r.status_code == 302 and r.url == reverse("agency-detail", args=[agency.pk])
    assert agency.parent == province.root and agency.identifier == "000.00.16.H58"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "82-STC"}, "code"),
        ({"identifier": "000.00.05.H58"}, "identifier"),
        ({"identifier": "0.0.16.H58"}, "identifier"),
        ({"notation": "S-YT"}, "notation"),
    ],
)
def test_agency_create_invalid(web, data, field):
    before = Agency.objects.count()
    r = web("superuser").post(reverse("agency-create"), agency_fields(**data))
    assert r.status_code == 200
    assert field in r.context["form"].errors
    assert Agency.objects.count() == before


def test_agency_edit(web, province):
    url = reverse("agency-edit", args=[province.b.pk])
    r = web("superuser").get(url)
    assert r.status_code == 200 and r.context["form"]["code"].value() == "82-STC"
    r = web("superuser").post(
        url,
        agency_fields(
            code="82-STC",
            identifier="000.00.05.H58",
            name="Tên bị bỏ qua",
            short_name="Sở TC",
            notation="STC",
            parent=province.root.pk,
            email="stc@tiengiang.gov.vn",
        ),
    )
    assert r.status_code == 302 and r.url == reverse("agency-detail", args=[province.b.pk])
    b = Agency.objects.get(pk=province.b.pk)
    assert b.email == "stc@tiengiang.gov.vn"
    assert b.name == "Sở Tài chính tỉnh Tiền Giang"  # names change only through the rename page
    # an agency cannot be its own parent: not even offered
    r = web("superuser").post(url, agency_fields(code="82-STC", identifier="000.00.05.H58", parent=province.b.pk))
    assert r.status_code == 200 and "parent" in r.context["form"].errors


def test_agency_rename(web, province):
    url = reverse("agency-rename", args=[province.a.pk])
    r = web("superuser").get(url)
    assert r.status_code == 200 and r.context["form"]["name"].value() == province.a.name
    r = web("superuser").post(
        url,
        {
            "name": "Sở Khoa học và Công nghệ tỉnh Tiền Giang",
            "short_name": "Sở KH&CN",
            "notation": "KH-CN",
            "effective": "",
            "reason": "",
        },
    )
    assert r.status_code == 200 and "notation" in r.context["form"].errors
    r = web("superuser").post(
        url,
        {
            "name": "Sở Khoa học và Công nghệ tỉnh Tiền Giang",
            "short_name": "Sở KH&CN",
            "notation": "SKHCN",
            "effective": "2025-03-01",
            "reason": "NQ 1/2025",
        },
    )
    assert r.status_code == 302
    assert Agency.objects.get(pk=province.a.pk).notation == "SKHCN"
    assert AgencyNameRecord.objects.get(agency=province.a).name == "Sở Thông tin và Truyền thông tỉnh Tiền Giang"


def test_agency_merge(web, province):
    url = reverse("agency-merge", args=[province.a.pk])
    r = web("superuser").get(url)
    assert r.status_code == 200
    assert set(r.context["form"].fields["into"].queryset) == {province.root, province.b}  # not itself
    r = web("superuser").post(url, {"into": province.a.pk})
    assert r.status_code == 200 and "into" in r.context["form"].errors
    r = web("superuser").post(url, {"into": province.b.pk, "effective": "2025-03-01", "reason": ""})
    assert r.status_code == 302
    a = Agency.objects.get(pk=province.a.pk)
    assert a.status == "merged" and a.successor == province.b
    html = web("superuser").get(reverse("agency-detail", args=[province.b.pk])).content.decode()
    assert province.a.name in html  # listed among the agencies merged into b


def test_agency_close(web, province):
    url = reverse("agency-close", args=[province.b.pk])
    assert web("superuser").get(url).status_code == 200
    r = web("superuser").post(url, {"effective": "2025-06-30", "reason": "Giải thể"})
    assert r.status_code == 302
    assert Agency.objects.get(pk=province.b.pk).status == "closed"
    r = web("superuser").post(url, {"effective": "", "reason": ""})  # closing twice
    assert r.status_code == 200 and r.context["form"].errors


def test_unit_create_and_edit(web, province):
    url = reverse("unit-create", args=[province.a.pk])
    assert web("superuser").get(url).status_code == 200
    r = web("superuser").post(url, {"name": "Phòng Bưu chính, Viễn thông", "notation": "BCVT", "active": "on"})
    assert r.status_code == 302
    unit = Unit.objects.get(agency=province.a, notation="BCVT")
    r = web("superuser").post(url, {"name": "Văn phòng 2", "notation": "VP", "active": "on"})
    assert r.status_code == 200 and r.context["form"].errors
    assert Unit.objects.filter(agency=province.a, notation="VP").count() == 1
    url = reverse("unit-edit", args=[unit.pk])
    r = web("superuser").get(url)
    assert r.status_code == 200 and r.context["form"]["notation"].value() == "BCVT"
    r = web("superuser").post(url, {"name": "Phòng BCVT", "notation": "BCVT"})  # unchecked: inactive
    assert r.status_code == 302
    unit = Unit.objects.get(pk=unit.pk)
    assert unit.name == "Phòng BCVT" and not unit.active


def test_person_list_and_create(web, province):
    r = web("superuser").get(reverse("person-list"))
    assert r.status_code == 200
    assert {p.username for p in r.context["page"]} == set(Person.objects.values_list("username", flat=True))
    r = web("superuser").get(reverse("person-list"), {"q": "vanthu"})
    assert {p.username for p in r.context["page"]} == {"vanthu.a", "vanthu.b"}
    assert web("superuser").get(reverse("person-create")).status_code == 200
    r = web("superuser").post(reverse("person-create"), person_fields(province, roles=["clerk", "leader"]))
    assert r.status_code == 302 and r.url == reverse("agency-detail", args=[province.a.pk])
    person = Person.objects.get(username="nhanvien.moi")
    assert person.role_codes == {"clerk", "leader"} and person.check_password(STRONG)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"password": "123"}, "password"),
        ({"unit": "b_vp"}, "unit"),
        ({"username": "vanthu.b"}, "username"),
        ({"roles": ["x"]}, "roles"),
    ],
)
def test_person_create_invalid(web, province, data, field):
    data = {k: getattr(province, v).pk if k == "unit" else v for k, v in data.items()}
    r = web("superuser").post(reverse("person-create"), person_fields(province, **data))
    assert r.status_code == 200 and field in r.context["form"].errors
    assert not Person.objects.filter(username="nhanvien.moi").exists()


def test_person_edit(web, province):
    url = reverse("person-edit", args=[province.clerk_a.pk])
    r = web("superuser").get(url)
    assert r.status_code == 200
    assert r.context["form"]["username"].value() == "vanthu.a" and r.context["form"]["roles"].value() == ["clerk"]
    r = web("superuser").post(
        url,
        person_fields(province, username="doi.ten", full_name="Huỳnh Thị Mai", roles=["clerk", "leader"], password=""),
    )
    assert r.status_code == 302
    person = Person.objects.get(pk=province.clerk_a.pk)
    assert person.username == "vanthu.a"  # disabled field
    assert person.full_name == "Huỳnh Thị Mai" and person.role_codes == {"clerk", "leader"}
    assert person.check_password(PASSWORD)  # empty: kept
    r = web("superuser").post(url, person_fields(province, full_name="Huỳnh Thị Mai", roles=["clerk"]))
    assert r.status_code == 302
    assert Person.objects.get(pk=province.clerk_a.pk).check_password(STRONG)


def test_person_edit_with_a_weak_password_changes_nothing(web, province):
    url = reverse("person-edit", args=[province.clerk_a.pk])
    r = web("superuser").post(url, person_fields(province, full_name="Tên Khác", roles=["leader"], password="123"))
    assert r.status_code == 200 and "password" in r.context["form"].errors
    person = Person.objects.get(pk=province.clerk_a.pk)
    assert person.full_name == "Vanthu A" and person.role_codes == {"clerk"} and person.check_password(PASSWORD)


# --- agency administrator -------------------------------------------------------------------


def test_agency_admin_sees_only_its_agency(web, province):
    client = web("admin_a")
    r = client.get(reverse("agency-list"))
    assert r.status_code == 200 and [a.pk for a in r.context["page"]] == [province.a.pk]
    assert not r.context["can_create"]
    r = client.get(reverse("agency-detail", args=[province.a.pk]))
    assert r.status_code == 200
    assert reverse("agency-rename", args=[province.a.pk]) not in r.content.decode()
    assert reverse("unit-create", args=[province.a.pk]) in r.content.decode()
    for name in ("agency-detail", "agency-edit", "agency-rename", "agency-merge", "agency-close", "unit-create"):
        assert client.get(reverse(name, args=[province.b.pk])).status_code == 404, name
    assert client.get(reverse("unit-edit", args=[province.b_vp.pk])).status_code == 404
    assert client.get(reverse("person-edit", args=[province.clerk_b.pk])).status_code == 404


def test_agency_admin_cannot_change_its_agency(web, province):
    client = web("admin_a")
    url = reverse("agency-edit", args=[province.a.pk])
    r = client.post(url, agency_fields(code="82-STTTT", identifier="000.00.12.H58", email="x@example.vn"))
    assert r.status_code == 403
    r = client.post(
        reverse("agency-rename", args=[province.a.pk]), {"name": "Tên mới", "short_name": "Mới", "notation": "MOI"}
    )
    assert r.status_code == 403
    r = client.post(reverse("agency-merge", args=[province.a.pk]), {"into": province.b.pk})
    assert r.status_code == 403
    r = client.post(reverse("agency-close", args=[province.a.pk]), {"effective": "", "reason": ""})
    assert r.status_code == 403
    r = client.post(reverse("agency-create"), agency_fields())
    assert r.status_code == 403
    a = Agency.objects.get(pk=province.a.pk)
    assert a.is_active and a.email == "" and a.name == province.a.name
    assert not Agency.objects.filter(code="82-SYT").exists()


def test_agency_admin_manages_its_units_and_people(web, province):
    client = web("admin_a")
    r = client.post(
        reverse("unit-create", args=[province.a.pk]), {"name": "Phòng Mới", "notation": "PM", "active": "on"}
    )
    assert r.status_code == 302 and Unit.objects.filter(agency=province.a, notation="PM").exists()
    r = client.get(reverse("person-list"))
    listed = {p.username for p in r.context["page"]}
    assert listed == set(
        Person.objects.filter(agency=province.a, is_superuser=False).values_list("username", flat=True)
    )
    r = client.get(reverse("person-create"))
    assert set(r.context["form"].fields["agency"].queryset) == {province.a}
    r = client.post(reverse("person-create"), person_fields(province))
    assert r.status_code == 302 and Person.objects.filter(username="nhanvien.moi", agency=province.a).exists()
    r = client.post(
        reverse("person-create"),
        person_fields(province, username="sang.b", agency=province.b.pk, unit=province.b_vp.pk),
    )
    assert r.status_code == 200 and "agency" in r.context["form"].errors
    assert not Person.objects.filter(username="sang.b").exists()
    r = client.post(
        reverse("person-edit", args=[province.admin_a.pk]),
        person_fields(province, full_name="Quản Trị A", roles=["clerk"], password=""),
    )
    assert r.status_code == 200 and "roles" in r.context["form"].errors
    assert Person.objects.get(pk=province.admin_a.pk).role_codes == {"admin"}


def test_agency_admin_cannot_edit_the_province_administrator(web, province):
    client = web("admin_a")
    assert client.get(reverse("person-edit", args=[province.superuser.pk])).status_code == 404
    r = client.post(
        reverse("person-edit", args=[province.superuser.pk]), person_fields(province, password=STRONG, is_active="")
    )
    assert r.status_code == 404
    assert Person.objects.get(pk=province.superuser.pk).check_password(PASSWORD)
    html = client.get(reverse("agency-detail", args=[province.a.pk])).content.decode()
    assert reverse("person-edit", args=[province.superuser.pk]) not in html
    assert reverse("person-edit", args=[province.clerk_a.pk]) in html


# --- everyone else --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clerk_a", "leader_a", "monitor"])
def test_administration_is_forbidden_to_others(web, province, who):
    client = web(who)
    pages = [reverse(n) for n in ("agency-list", "agency-create", "person-list", "person-create")]
    pages += [
        reverse(n, args=[province.a.pk])
        for n in ("agency-detail", "agency-edit", "agency-rename", "agency-merge", "agency-close", "unit-create")
    ]
    pages += [reverse("unit-edit", args=[province.a_vp.pk]), reverse("person-edit", args=[province.clerk_a.pk])]
    for url in pages:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("agency-close", args=[province.a.pk]), {}).status_code == 403
    assert Agency.objects.get(pk=province.a.pk).is_active
    assert reverse("agency-list") not in client.get(reverse("profile")).content.decode()


# --- profile and tokens ---------------------------------------------------------------------


def test_profile_creates_a_token_and_shows_it_once(web, province):
    client = web("clerk_a")
    r = client.get(reverse("profile"))
    assert r.status_code == 200 and r.context["new_key"] is None
    assert "vanthu.a" in r.content.decode()
    r = client.post(reverse("profile"), {"name": "phần mềm kế toán"})
    assert r.status_code == 200
    key = r.context["new_key"]
    assert key.startswith("vb_")
    html = r.content.decode()
    assert re.search(r'id="new-token">\s*' + re.escape(key), html)
    token = PersonalToken.objects.get(person=province.clerk_a)
    assert token.name == "phần mềm kế toán" and token.key_hash == PersonalToken.hash_key(key)
    html = client.get(reverse("profile")).content.decode()
    assert key not in html and token.prefix in html and "phần mềm kế toán" in html


def test_revoke_own_token(web, province):
    token, _key = services.create_token(None, province.clerk_a, "cũ")
    client = web("clerk_a")
    url = reverse("token-revoke", args=[token.pk])
    assert client.get(url).status_code == 405
    r = client.post(url)
    assert r.status_code == 302 and r.url == reverse("profile")
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None


def test_cannot_revoke_someone_elses_token(web, province):
    token, _key = services.create_token(None, province.clerk_a)
    for who in ("clerk_b", "admin_a", "superuser"):
        r = web(who).post(reverse("token-revoke", args=[token.pk]))
        assert r.status_code == 404, who
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is None


def test_password_change_keeps_the_session_and_is_audited(client, province):
    from vanban.audit.models import Entry

    assert client.login(username="vanthu.a", password=PASSWORD)
    r = client.post("/ca-nhan/mat-khau/", {"old_password": "wrong", "new_password1": "x", "new_password2": "x"})
    assert r.status_code == 200 and "old_password" in r.context["form"].errors
    new = "Mot-mat-khau-moi-2026"
    r = client.post("/ca-nhan/mat-khau/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert r.status_code == 302
    assert client.get("/ca-nhan/").status_code == 200  # still logged in
    province.clerk_a.refresh_from_db()
    assert province.clerk_a.check_password(new)
    assert Entry.objects.filter(action="person.set_password", object_id=str(province.clerk_a.pk)).exists()
