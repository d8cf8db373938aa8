"""The demo province loaded from tien-giang-agencies.csv (loaded once for the whole module)."""

import collections
import csv
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from vanban.audit.models import Entry
from vanban.audit.selectors import verify_chain
from vanban.orgs import demo, identifiers
from vanban.orgs.models import Agency, Person, PersonRole, Unit

from .conftest import FAST_HASHERS

DEMO_PASSWORD = "Demo-Passw0rd-2026"

EXPECTED_PEOPLE = {
    # username: (agency code, roles, superuser)
    "admin": ("82-STTTT", {"admin"}, True),
    "vanthu.stttt": ("82-STTTT", {"clerk"}, False),
    "chuyenvien.stttt": ("82-STTTT", {"specialist"}, False),
    "truongphong.stttt": ("82-STTTT", {"unit_head"}, False),
    "lanhdao.stttt": ("82-STTTT", {"leader"}, False),
    "vanthu.ubndtinh": ("82", {"clerk"}, False),
    "lanhdao.ubndtinh": ("82", {"leader"}, False),
    "vanthu.mytho": ("815", {"clerk"}, False),
    "lanhdao.mytho": ("815", {"leader"}, False),
}


@pytest.fixture(scope="module")
def _loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            created = demo.load(DEMO_PASSWORD)
            yield created
            transaction.set_rollback(True)


@pytest.fixture
def loaded(_loaded, db):
    return dict(_loaded)


def csv_rows():
    with open(demo.CSV_PATH, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_row_of_the_csv_is_loaded(loaded):
    rows = csv_rows()
    assert len(rows) == 204
    assert loaded["agencies"] == 204 == Agency.objects.count()
    assert set(Agency.objects.values_list("code", flat=True)) == {r["code"] for r in rows}
    by_kind = collections.Counter(Agency.objects.values_list("kind", flat=True))
    assert by_kind == {"province_pc": 1, "province_office": 1, "department": 18, "district_pc": 11, "commune_pc": 173}
    for row in rows:
        a = Agency.objects.get(code=row["code"])
        assert (a.name, a.short_name, a.kind) == (row["name"], row["short_name"], row["kind"])
        assert (a.parent.code if a.parent else "") == row["parent_code"]
        assert a.status == Agency.Status.ACTIVE and a.place == "Tiền Giang"


def test_identifier_codes_are_valid_unique_and_follow_the_tree(loaded):
    agencies = list(Agency.objects.select_related("parent"))
    codes = [a.identifier for a in agencies]
    assert all(identifiers.is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes) == 204
    assert all(c.endswith(".H58") for c in codes)
    province = Agency.objects.get(kind="province_pc")
    assert (province.code, province.identifier) == ("82", "000.00.00.H58")
    for a in agencies:
        l4, _l3, l2, _l1 = a.identifier.split(".")
        if a.kind == "province_pc":
            assert identifiers.level(a.identifier) == 1
        elif a.kind == "commune_pc":
            assert identifiers.level(a.identifier) == 3 and l4 == "000"
            assert a.parent.kind == "district_pc"
            # under its district's level-2 number
            assert l2 == a.parent.identifier.split(".")[2]
        else:
            assert identifiers.level(a.identifier) == 2 and a.parent_id == province.pk
    # the level-3 numbers of one district's communes are 1, 2, 3, ... without gaps
    for district in Agency.objects.filter(kind="district_pc"):
        numbers = sorted(int(c.identifier.split(".")[1]) for c in district.children.all())
        assert numbers == list(range(1, len(numbers) + 1))


def test_notations(loaded):
    notation = dict(Agency.objects.values_list("code", "notation"))
    assert notation["82"] == notation["815"] == notation["28597"] == "UBND"
    assert notation["82-STTTT"] == "STTTT"
    assert notation["82-SKHDT"] == "SKHĐT"
    assert notation["82-VPUBND"] == "VPUBND"
    assert notation["82-TTT"] == "TTr"


def test_every_agency_has_a_unit(loaded):
    assert not Agency.objects.filter(units__isnull=True).exists()
    assert loaded["units"] == Unit.objects.count()
    assert set(Unit.objects.filter(agency__code="82-STTTT").values_list("notation", flat=True)) == {
        "VP",
        "CNTT",
        "BCVT",
        "TTBCXB",
        "TTr",
    }
    assert set(Unit.objects.filter(agency__code="815").values_list("notation", flat=True)) == {"VP", "NV", "TCKH"}
    assert list(Unit.objects.filter(agency__code="82-STC").values_list("notation", flat=True)) == ["VP"]


def test_demo_people(loaded):
    assert loaded["people"] == len(demo.DEMO_PEOPLE) == Person.objects.count()
    for username, (agency_code, roles, superuser) in EXPECTED_PEOPLE.items():
        person = Person.objects.get(username=username)
        assert person.agency.code == agency_code, username
        assert set(person.role_codes) == roles, username
        assert person.is_superuser is superuser and person.is_staff is superuser, username
        assert person.is_active and person.unit.agency_id == person.agency_id, username
        assert person.full_name and person.email.endswith("@tiengiang.gov.vn")
    stttt = Agency.objects.get(code="82-STTTT")
    assert stttt.name == "Sở Thông tin và Truyền thông tỉnh Tiền Giang"
    xa = Person.objects.get(username="vanthu.xa")
    assert xa.agency.kind == "commune_pc" and xa.agency.parent.code == "822"
    assert set(xa.role_codes) == {"clerk"}
    # only `admin` is a province administrator
    assert list(Person.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["admin"]


def test_demo_password_works(loaded):
    for person in Person.objects.all():
        assert person.check_password(DEMO_PASSWORD), person.username
        assert not person.check_password("wrong-" + DEMO_PASSWORD)
        assert DEMO_PASSWORD not in person.password


def test_loading_again_creates_nothing(loaded):
    counts = (
        Agency.objects.count(),
        Unit.objects.count(),
        Person.objects.count(),
        PersonRole.objects.count(),
        Entry.objects.count(),
    )
    assert demo.load(DEMO_PASSWORD) == {"agencies": 0, "units": 0, "people": 0}
    out = io.StringIO()
    call_command("load_demo", password="another-Passw0rd", stdout=out)
    assert "0 agencies, 0 units, 0 people" in out.getvalue()
    assert counts == (
        Agency.objects.count(),
        Unit.objects.count(),
        Person.objects.count(),
        PersonRole.objects.count(),
        Entry.objects.count(),
    )
    # existing accounts keep their password
    assert Person.objects.get(username="admin").check_password(DEMO_PASSWORD)


def test_loading_again_completes_a_partial_province(loaded):
    Person.objects.get(username="vanthu.xa").delete()
    Unit.objects.filter(agency__code="82-STTTT", notation="BCVT").delete()
    assert demo.load(DEMO_PASSWORD) == {"agencies": 0, "units": 1, "people": 1}
    assert Person.objects.filter(username="vanthu.xa").exists()
    assert Unit.objects.filter(agency__code="82-STTTT", notation="BCVT").exists()


def test_every_write_is_audited_and_the_chain_verifies(loaded):
    count, problem = verify_chain()
    assert problem is None
    assert count == Entry.objects.count() == loaded["agencies"] + loaded["units"] + loaded["people"]
    actions = collections.Counter(Entry.objects.values_list("action", flat=True))
    assert actions == {"agency.create": 204, "unit.create": loaded["units"], "person.create": len(demo.DEMO_PEOPLE)}
    assert not Entry.objects.exclude(actor_id=None).exists()  # the system actor
    assert not Entry.objects.filter(payload__contains=DEMO_PASSWORD).exists()


def test_reset_passwords(loaded):
    assert demo.reset_passwords("New-Demo-Passw0rd") == len(demo.DEMO_PEOPLE)
    assert all(p.check_password("New-Demo-Passw0rd") for p in Person.objects.all())
    assert demo.reset_passwords("New-Demo-Passw0rd") == 0
    # the system actor may give the demo accounts a password the validators would refuse
    assert demo.reset_passwords("demo") == len(demo.DEMO_PEOPLE)
    assert Person.objects.get(username="vanthu.stttt").check_password("demo")
    _count, problem = verify_chain()
    assert problem is None
