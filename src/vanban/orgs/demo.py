"""The demo province: Tiền Giang as it stood in 2015 (every row of tien-giang-agencies.csv),
units inside the agencies the demo uses, and demo people.

Identifier codes: the provincial People's Committee is `000.00.00.<suffix>` (suffix H58 by
default, configurable: only inferred, see the standards notes); its office, departments and
district People's Committees take level-2 codes `000.00.NN.<suffix>` in file order; communes take
level-3 codes `000.MM.NN.<suffix>` under their district's NN.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import identifiers, services
from .models import Agency, Person, Role

CSV_PATH = Path(__file__).resolve().parent / "data" / "tien-giang-agencies.csv"

# Conventional notations of the departments (the CSV's provisional codes are ASCII).
DEPARTMENT_NOTATIONS = {
    "82-VPUBND": "VPUBND",
    "82-SKHDT": "SKHĐT",
    "82-SGDDT": "SGDĐT",
    "82-SLDTBXH": "SLĐTBXH",
    "82-TTT": "TTr",
    "82-SNGV": "SNgV",
    "82-SNNPTNT": "SNNPTNT",
}
PC_KINDS = {Agency.Kind.PROVINCE_PC, Agency.Kind.DISTRICT_PC, Agency.Kind.COMMUNE_PC}

# Units of the agencies the demo people work in; every other agency gets an office (VP).
DEMO_UNITS = {
    "82-STTTT": [
        ("Văn phòng", "VP"),
        ("Phòng Công nghệ thông tin", "CNTT"),
        ("Phòng Bưu chính, Viễn thông", "BCVT"),
        ("Phòng Thông tin - Báo chí - Xuất bản", "TTBCXB"),
        ("Thanh tra Sở", "TTr"),
    ],
    "82": [
        ("Văn phòng", "VP"),
        ("Khối Kinh tế", "KT"),
        ("Khối Văn xã", "VX"),
        ("Khối Nội chính", "NC"),
        ("Khối Tổng hợp", "TH"),
    ],
    "815": [("Văn phòng HĐND và UBND", "VP"), ("Phòng Nội vụ", "NV"), ("Phòng Tài chính - Kế hoạch", "TCKH")],
}
DEFAULT_UNIT = ("Văn phòng", "VP")
DEMO_COMMUNE_CODE = "28597"  # xã Trung Hòa, huyện Chợ Gạo


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    agency_code: str
    unit: str
    position: str
    roles: tuple[str, ...]
    superuser: bool = False


DEMO_PEOPLE = (
    DemoPerson("admin", "Quản trị hệ thống", "82-STTTT", "CNTT", "Quản trị viên", (Role.ADMIN,), superuser=True),
    DemoPerson("vanthu.stttt", "Nguyễn Thị Thu Hà", "82-STTTT", "VP", "Văn thư", (Role.CLERK,)),
    DemoPerson("chuyenvien.stttt", "Trần Văn Minh", "82-STTTT", "CNTT", "Chuyên viên", (Role.SPECIALIST,)),
    DemoPerson("truongphong.stttt", "Lê Hoàng Nam", "82-STTTT", "CNTT", "Trưởng phòng", (Role.UNIT_HEAD,)),
    DemoPerson("lanhdao.stttt", "Phạm Văn Đức", "82-STTTT", "VP", "Giám đốc", (Role.LEADER,)),
    DemoPerson("giamsat.stttt", "Võ Thị Kim Ngân", "82-STTTT", "CNTT", "Chuyên viên theo dõi", (Role.MONITOR,)),
    DemoPerson("vanthu.ubndtinh", "Huỳnh Thị Mai", "82", "VP", "Văn thư", (Role.CLERK,)),
    DemoPerson("lanhdao.ubndtinh", "Nguyễn Văn Vĩnh", "82", "VP", "Chủ tịch", (Role.LEADER,)),
    DemoPerson("vanthu.mytho", "Đặng Thị Lan", "815", "VP", "Văn thư", (Role.CLERK,)),
    DemoPerson("lanhdao.mytho", "Trương Minh Tâm", "815", "VP", "Chủ tịch", (Role.LEADER,)),
    DemoPerson("vanthu.xa", "Lý Văn Bình", DEMO_COMMUNE_CODE, "VP", "Công chức Văn phòng - Thống kê", (Role.CLERK,)),
)


def _notation(row: dict) -> str:
    if row["kind"] in PC_KINDS:
        return "UBND"
    return DEPARTMENT_NOTATIONS.get(row["code"], row["code"].split("-", 1)[-1])


def read_rows(path: Path = CSV_PATH) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def assign_identifiers(rows: list[dict], suffix: str) -> dict[str, str]:
    """Administrative code -> identifier code, as described in the module docstring."""
    codes: dict[str, str] = {}
    level2: dict[str, int] = {}
    level3_next: dict[str, int] = {}
    for row in rows:
        kind, code, parent = row["kind"], row["code"], row["parent_code"]
        if kind == Agency.Kind.PROVINCE_PC:
            codes[code] = identifiers.make(suffix)
        elif kind == Agency.Kind.COMMUNE_PC:
            n = level3_next.get(parent, 0) + 1
            level3_next[parent] = n
            codes[code] = identifiers.make(suffix, level2[parent], n)
        else:
            level2[code] = len(level2) + 1
            codes[code] = identifiers.make(suffix, level2[code])
    return codes


def load(password: str, *, suffix: str | None = None, path: Path = CSV_PATH) -> dict[str, int]:
    """Load the demo province into an empty database (as the system actor). Idempotent: agencies,
    units and people that exist already are left as they are."""
    suffix = suffix or settings.VANBAN["PROVINCE_ID_SUFFIX"]
    rows = read_rows(path)
    ids = assign_identifiers(rows, suffix)
    created = {"agencies": 0, "units": 0, "people": 0}
    with transaction.atomic():
        by_code = {a.code: a for a in Agency.objects.all()}
        for row in rows:
            if row["code"] in by_code:
                continue
            by_code[row["code"]] = services.create_agency(
                None,
                code=row["code"],
                identifier=ids[row["code"]],
                name=row["name"],
                short_name=row["short_name"],
                notation=_notation(row),
                kind=row["kind"],
                parent=by_code.get(row["parent_code"]),
                place="Tiền Giang",
            )
            created["agencies"] += 1
        for code, agency in by_code.items():
            existing = set(agency.units.values_list("notation", flat=True))
            for name, notation in DEMO_UNITS.get(code, [DEFAULT_UNIT]):
                if notation not in existing:
                    services.create_unit(None, agency, name=name, notation=notation)
                    created["units"] += 1
        for p in DEMO_PEOPLE:
            if Person.objects.filter(username=p.username).exists():
                continue
            agency = by_code[p.agency_code]
            services.create_person(
                None,
                username=p.username,
                full_name=p.full_name,
                email=f"{p.username.replace('.', '-')}@tiengiang.gov.vn",
                agency=agency,
                unit=agency.units.get(notation=p.unit),
                position=p.position,
                roles=p.roles,
                password=password,
                is_superuser=p.superuser,
            )
            created["people"] += 1
    return created


def reset_passwords(password: str) -> int:
    """Give every demo account `password` (when VANBAN_DEMO_PASSWORD changes between runs)."""
    n = 0
    for person in Person.objects.filter(username__in=[p.username for p in DEMO_PEOPLE]):
        if not person.check_password(password):
            services.set_password(None, person, password, validate=False)
            n += 1
    return n
