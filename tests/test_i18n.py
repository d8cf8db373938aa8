"""The Vietnamese catalogue (src/vanban/locale/vi/LC_MESSAGES/django.po) is complete and says
the right things. No database: the .po is parsed here, checked with msgfmt, and compiled into a
temporary LOCALE_PATHS so that the runtime checks read exactly the file under review, never a
stale django.mo (which is not committed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.template import engines
from django.test import override_settings
from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "src" / "vanban" / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MSGFMT = shutil.which("msgfmt") or "/usr/bin/msgfmt"


# --- a small .po parser ---------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # msgstr is index 0
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and not self.obsolete


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(s: str) -> str:
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), f"not a quoted string: {s!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), s[1:-1])


def parse_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    cur: Entry | None = None
    target: tuple[str, int | None] | None = None

    def start(lineno: int) -> Entry:
        nonlocal cur
        if cur is None:
            cur = Entry(line=lineno)
        return cur

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if cur is not None:
                entries.append(cur)
            cur, target = None, None
            continue
        if line.startswith("#~"):
            start(lineno).obsolete = True
            continue
        if line.startswith("#,"):
            start(lineno).flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            start(lineno)
            continue
        m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if m:
            e = start(lineno)
            key, idx, value = m.group(1), m.group(2), _unquote(m.group(3))
            if key == "msgid":
                e.msgid, target = value, ("msgid", None)
            elif key == "msgid_plural":
                e.msgid_plural, target = value, ("msgid_plural", None)
            elif key == "msgstr":
                i = int(idx) if idx is not None else 0
                e.msgstr[i], target = value, ("msgstr", i)
            else:
                target = ("msgctxt", None)
            continue
        if line.startswith('"') and cur is not None and target is not None:
            value = _unquote(line)
            kind, i = target
            if kind == "msgid":
                cur.msgid += value
            elif kind == "msgid_plural":
                cur.msgid_plural = (cur.msgid_plural or "") + value
            elif kind == "msgstr":
                cur.msgstr[i] += value
            continue
        raise AssertionError(f"{path.name}:{lineno}: cannot parse {raw!r}")
    if cur is not None:
        entries.append(cur)
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO.is_file(), f"{PO} is missing: run `make messages`"
    return parse_po(PO)


@pytest.fixture(scope="module")
def messages(entries) -> list[Entry]:
    return [e for e in entries if not e.is_header and not e.obsolete]


def _where(e: Entry) -> str:
    return f"django.po:{e.line} {e.msgid!r}"


# --- the catalogue is complete --------------------------------------------------------------


def test_header_is_vietnamese(entries):
    header = next(e for e in entries if e.is_header)
    assert "fuzzy" not in header.flags, "the header is still marked fuzzy"
    text = header.msgstr[0]
    assert "Language: vi\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=1; plural=0;\n" in text


def test_no_entry_is_untranslated_or_fuzzy(messages):
    assert len(messages) > 100, "the catalogue looks truncated"
    fuzzy = [_where(e) for e in messages if "fuzzy" in e.flags]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries: {fuzzy}"
    empty = [_where(e) for e in messages if not e.msgstr or any(not s.strip() for s in e.msgstr.values())]
    assert not empty, f"{len(empty)} untranslated entries: {empty}"


def test_no_obsolete_entries(entries):
    obsolete = [e.line for e in entries if e.obsolete]
    assert not obsolete, f"obsolete (#~) entries at lines {obsolete}: run `make messages`"


def test_plural_entries_have_one_form(messages):
    bad = [_where(e) for e in messages if e.msgid_plural is not None and sorted(e.msgstr) != [0]]
    assert not bad, f"Vietnamese has one plural form; use msgstr[0] only: {bad}"


_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdif]|%[sdif]|\{[A-Za-z_]\w*\}")


def test_placeholders_are_kept(messages):
    """msgfmt only checks the entries flagged python-format; this checks every entry."""
    bad = []
    for e in messages:
        ids = [e.msgid] + ([e.msgid_plural] if e.msgid_plural is not None else [])
        expected = set().union(*(_PLACEHOLDER.findall(s) for s in ids))
        for s in e.msgstr.values():
            if set(_PLACEHOLDER.findall(s)) != expected:
                bad.append(f"{_where(e)} -> {s!r}")
    assert not bad, "placeholders differ:\n" + "\n".join(bad)


def test_translations_are_nfc(messages):
    """Vietnamese diacritics in precomposed form, so search and comparison work."""
    bad = [_where(e) for e in messages for s in e.msgstr.values() if unicodedata.normalize("NFC", s) != s]
    assert not bad, f"not NFC-normalized: {bad}"


def test_msgfmt_accepts_and_counts_everything(messages, tmp_path):
    result = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    stats = result.stderr.strip()
    assert re.fullmatch(rf"{len(messages)} translated messages?\.", stats), stats


# --- the right words at run time ------------------------------------------------------------


@pytest.fixture(scope="module")
def locale_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("locale")
    out = root / "vi" / "LC_MESSAGES"
    out.mkdir(parents=True)
    subprocess.run([MSGFMT, "--check", "-o", str(out / "django.mo"), str(PO)], check=True, env={"LC_ALL": "C"})
    return root


@pytest.fixture
def vi(locale_dir):
    with override_settings(LOCALE_PATHS=[locale_dir]), translation.override("vi"):
        yield


KEY_STRINGS = {
    "REGISTER OF INCOMING DOCUMENTS": "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
    "REGISTER OF OUTGOING DOCUMENTS": "SỔ ĐĂNG KÝ VĂN BẢN ĐI",
    "No.": "Số:",
    "Arrival number": "Số đến",
    "Number, notation": "Số, ký hiệu",
    "Type and subject": "Tên loại và trích yếu nội dung",
    "Signer": "Người ký",
    "Recipients": "Nơi nhận",
    "Reply deadline": "Hạn trả lời",
    "Issuing agency": "Cơ quan ban hành",
    "Drafting unit": "Đơn vị soạn thảo",
    "Delivery mode": "Hình thức gửi",
    "Not handled yet": "Chưa xử lý",
    "Legal normative document": "Văn bản quy phạm pháp luật",
    "Clerk": "Văn thư",
    "Agency leader": "Lãnh đạo cơ quan",
    "Administrator": "Quản trị hệ thống",
    "Provincial monitor": "Giám sát cấp tỉnh",
    "Audit log": "Nhật ký hệ thống",
    "API token": "Mã truy cập API",
    "Provincial People's Committee": "Ủy ban nhân dân tỉnh",
}


@pytest.mark.parametrize(("msgid", "expected"), KEY_STRINGS.items())
def test_key_strings(vi, msgid, expected):
    assert translation.gettext(msgid) == expected


def test_placeholders_are_filled(vi):
    assert translation.gettext("Year %(year)s") % {"year": 2026} == "Năm 2026"
    registered = translation.gettext("Registered with arrival number %(n)s.") % {"n": 15}
    assert registered == "Đã đăng ký văn bản đến, số đến: 15."
    assert translation.ngettext("%(n)s page", "%(n)s pages", 1) % {"n": 1} == "1 trang"
    assert translation.ngettext("%(n)s page", "%(n)s pages", 12) % {"n": 12} == "12 trang"


def test_choice_labels(vi):
    from vanban.documents.models import Channel, Confidentiality, DeliveryMode, Urgency

    assert [str(label) for label in Urgency.labels] == ["Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc"]
    assert [str(label) for label in Confidentiality.labels] == ["Thường", "Mật", "Tối mật", "Tuyệt mật"]
    assert [str(label) for label in DeliveryMode.labels] == [
        "Hoàn toàn điện tử",
        "Điện tử kèm bản giấy",
        "Chỉ bản giấy",
    ]
    assert [str(label) for label in Channel.labels] == [
        "Hệ thống quản lý văn bản",
        "Liên thông văn bản",
        "Thư điện tử",
        "Bản giấy (bưu chính, trực tiếp)",
    ]


EXCHANGE_STRINGS = {
    "Waiting to be received": "Chờ tiếp nhận",
    "Documents waiting to be received": "Văn bản chờ tiếp nhận",
    "Return to the sender": "Trả lại nơi gửi",
    "Register in the incoming register": "Vào sổ văn bản đến",
    "Export .edxml": "Xuất tệp .edxml",
    "Import an .edxml file": "Nhập tệp .edxml",
    "Document identifier": "Mã văn bản liên thông",
    "Signature": "Chữ ký số",
    "Send again": "Gửi lại",
}


@pytest.mark.parametrize(("msgid", "expected"), EXCHANGE_STRINGS.items())
def test_exchange_strings(vi, msgid, expected):
    assert translation.gettext(msgid) == expected


def test_exchange_choice_labels(vi):
    """The edXML status codes and business types in the terms of QCVN 102:2016."""
    from vanban.exchange.models import Arrival, BusinessType, InboxPackage, Status

    assert str(Status.REGISTERED.label) == "Đã vào sổ"
    assert str(Status.ARRIVED.label) == "Đã đến"
    assert str(Status.SENT.label) == "Đã gửi, chưa có phản hồi"
    assert str(Status.RECALL_REQUESTED.label) == "Yêu cầu thu hồi"
    assert [str(label) for label in BusinessType.labels] == ["Văn bản mới", "Thu hồi", "Cập nhật", "Thay thế"]
    assert str(Arrival.State.WAITING.label) == "Chờ tiếp nhận"
    assert str(Arrival.State.SUPERSEDED.label) == "Đã được thay thế"
    assert [str(label) for label in InboxPackage.Via.labels] == ["Trong hệ thống", "Hệ thống kết nối", "Nhập từ tệp"]


def test_exchange_refusals_are_specific(vi):
    """What a clerk reads when an imported package or its signature is refused."""
    from vanban.exchange import messages

    assert messages.signature_text("unsigned") == "Gói tin không được ký số."
    assert messages.signature_text("bad_signature") == (
        "Chữ ký số không khớp với nội dung: gói tin đã bị sửa hoặc ký sai."
    )
    assert messages.signature_text("no-such-rule") == "Chữ ký số không được chấp nhận."
    assert messages.edxml_text("doctype") == "Gói tin có khai báo DOCTYPE, điều này không được phép."
    assert messages.refusal_text("unknown_sender") == "Nơi gửi không phải là hệ thống đã kết nối."


def test_exchange_placeholders_are_filled(vi):
    told = translation.gettext("Registered with arrival number %(n)s; the sender was told.") % {"n": 7}
    assert told == "Đã đăng ký văn bản đến, số đến: 7; đã thông báo cho nơi gửi."
    unknown = translation.gettext("No agency or connected system has the identifier code %(code)s.")
    assert unknown % {"code": "000.00.12.H58"} == (
        "Không có cơ quan hoặc hệ thống kết nối nào có mã định danh 000.00.12.H58."
    )


def test_register_columns_follow_decree_30(vi):
    """The column headings of Appendix IV's registers, as printed and exported."""
    from vanban.documents.registers import INCOMING_COLUMNS, OUTGOING_COLUMNS

    assert [str(c.title) for c in INCOMING_COLUMNS] == [
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Số, ký hiệu",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung",
        "Đơn vị hoặc người nhận",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]
    assert [str(c.title) for c in OUTGOING_COLUMNS] == [
        "Số, ký hiệu",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung",
        "Người ký",
        "Nơi nhận",
        "Đơn vị, người nhận bản lưu",
        "Số lượng bản",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]


def test_templates_translate(vi):
    template = engines["django"].from_string(
        "{% load i18n %}{% translate 'Log in' %}|"
        "{% blocktranslate count n=3 %}{{ n }} entry{% plural %}{{ n }} entries{% endblocktranslate %}|"
        "{% blocktranslate with n=2 total=5 %}Page {{ n }} of {{ total }}{% endblocktranslate %}"
    )
    assert template.render({}) == "Đăng nhập|3 văn bản|Trang 2/5"


# --- Django REST framework's messages, supplied by our catalogue (see locale_third_party.py) --


def _drf_error(field, value) -> str:
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        field.run_validation(value)
    [message] = excinfo.value.detail
    return str(message)


def test_drf_authentication_messages(vi):
    from rest_framework import exceptions

    assert translation.gettext("Authentication credentials were not provided.") == "Chưa cung cấp thông tin xác thực."
    assert str(exceptions.NotAuthenticated().detail) == "Chưa cung cấp thông tin xác thực."
    assert str(exceptions.PermissionDenied().detail) == "Bạn không có quyền thực hiện thao tác này."
    assert str(exceptions.AuthenticationFailed().detail) == "Thông tin xác thực không đúng."


def test_drf_field_errors(vi):
    from rest_framework import serializers

    blank = _drf_error(serializers.CharField(), "")
    assert blank != "This field may not be blank."
    assert blank == "Trường này không được để trống."
    assert _drf_error(serializers.CharField(max_length=5), "abcdefg") == "Trường này không được vượt quá 5 ký tự."
    assert _drf_error(serializers.IntegerField(), "mười") == "Giá trị phải là một số nguyên hợp lệ."


def test_drf_format_placeholder_is_filled(vi):
    from rest_framework import serializers

    message = _drf_error(serializers.DateField(), "26/11/2026")
    assert message == "Ngày sai định dạng. Dùng một trong các định dạng sau: YYYY-MM-DD."


def test_catalogue_is_up_to_date_with_the_sources(tmp_path):
    """Every translatable string in the code and templates is in the catalogue: extract them again
    (as `make messages` does) into a copy and require nothing new. Catches a string added without
    running `make messages`, or marked with a function makemessages does not know."""
    src = PO.parents[3]
    copy = tmp_path / "vanban"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    vanban = Path(shutil.which("vanban") or Path(__file__).resolve().parents[1] / ".venv" / "bin" / "vanban")
    subprocess.run(
        [str(vanban), "makemessages", "-l", "vi", "--no-obsolete", "-v", "0"],
        cwd=copy,
        check=True,
        capture_output=True,
        text=True,
    )
    fresh = [e for e in parse_po(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po") if not e.is_header]
    missing = [e.msgid for e in fresh if "fuzzy" in e.flags or not all(e.msgstr.values()) or not e.msgstr]
    assert not missing, "run `make messages` and translate: " + "; ".join(missing)
