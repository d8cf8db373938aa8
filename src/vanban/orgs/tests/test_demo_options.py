"""Options of the demo loader, on small extracts of the CSV (the full load is in test_demo)."""

import csv

import pytest
from django.core.exceptions import ValidationError

from vanban.audit.models import Entry
from vanban.orgs import demo, identifiers
from vanban.orgs.models import Agency, Person

pytestmark = pytest.mark.django_db

# The agencies the demo people work in, their parents, and a second commune of Chợ Gạo.
NEEDED = {"82", "82-VPUBND", "82-STTTT", "815", "822", "28597", "28249"}


@pytest.fixture
def small_csv(tmp_path):
    rows = [r for r in demo.read_rows() if r["code"] in NEEDED]
    assert {r["code"] for r in rows} == NEEDED
    path = tmp_path / "agencies.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_suffix_comes_from_settings(settings, small_csv):
    settings.VANBAN = {**settings.VANBAN, "PROVINCE_ID_SUFFIX": "H99"}
    demo.load("Demo-Passw0rd-2026", path=small_csv)
    codes = dict(Agency.objects.values_list("code", "identifier"))
    assert codes["82"] == "000.00.00.H99"
    assert all(c.endswith(".H99") and identifiers.is_valid(c) for c in codes.values())
    assert codes["82-VPUBND"] == "000.00.01.H99" and codes["82-STTTT"] == "000.00.02.H99"
    # communes: level 3 under their district's level-2 number, in file order
    assert codes["28249"] == "000.01.03.H99"  # first commune of Mỹ Tho (815, level 2 = 03)
    assert codes["28597"] == "000.01.04.H99"  # first commune of Chợ Gạo (822, level 2 = 04)


def test_explicit_suffix_wins_over_settings(settings, small_csv):
    settings.VANBAN = {**settings.VANBAN, "PROVINCE_ID_SUFFIX": "H99"}
    demo.load("Demo-Passw0rd-2026", suffix="T01", path=small_csv)
    assert Agency.objects.get(code="82").identifier == "000.00.00.T01"
    assert not Agency.objects.filter(identifier__endswith="H99").exists()


def test_bad_suffix_is_refused_before_anything_is_written(small_csv):
    with pytest.raises(ValueError):
        demo.load("Demo-Passw0rd-2026", suffix="h58", path=small_csv)
    assert Agency.objects.count() == 0 and Entry.objects.count() == 0


def test_a_bad_row_rolls_the_whole_load_back(small_csv):
    with open(small_csv, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["82-XYZ", "Sở Không tồn tại", "Sở KTT", "not-a-kind", "82", ""])
    with pytest.raises(ValidationError) as e:
        demo.load("Demo-Passw0rd-2026", path=small_csv)
    assert "kind" in e.value.message_dict
    assert Agency.objects.count() == 0 and Person.objects.count() == 0 and Entry.objects.count() == 0


def test_assign_identifiers_numbers_in_file_order():
    rows = [
        {"code": "82", "kind": "province_pc", "parent_code": ""},
        {"code": "82-A", "kind": "department", "parent_code": "82"},
        {"code": "801", "kind": "district_pc", "parent_code": "82"},
        {"code": "9001", "kind": "commune_pc", "parent_code": "801"},
        {"code": "82-B", "kind": "department", "parent_code": "82"},
        {"code": "9002", "kind": "commune_pc", "parent_code": "801"},
    ]
    assert demo.assign_identifiers(rows, "H58") == {
        "82": "000.00.00.H58",
        "82-A": "000.00.01.H58",
        "801": "000.00.02.H58",
        "9001": "000.01.02.H58",
        "82-B": "000.00.03.H58",
        "9002": "000.02.02.H58",
    }
