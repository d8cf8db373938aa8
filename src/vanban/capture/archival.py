"""Archival metadata of a digitised document (vn-standards.md §4): the document-level field codes
of TT 02/2019/TT-BNV, kept as aliases under TT 05/2025/TT-BNV. No Django.

`clean_metadata` maps a dict keyed by field code ("OrganId") or by our field name ("organ_id") to
our field names, trimming text and refusing unknown keys and over-long values.
"""

from __future__ import annotations

import datetime as dt

# field name -> (TT 02/2019 code, max length or None for a date/number, Vietnamese meaning)
FIELDS: dict[str, tuple[str, int | None]] = {
    "identifier": ("Identifier", 13),  # mã cơ quan lưu trữ
    "organ_id": ("OrganId", 13),  # mã phông / công trình / sưu tập
    "file_catalog": ("FileCatalog", 10),  # mục lục số / năm hình thành hồ sơ
    "file_notation": ("FileNotation", 20),  # số và ký hiệu hồ sơ (mã hồ sơ)
    "doc_ordinal": ("DocOrdinal", None),  # số thứ tự văn bản trong hồ sơ
    "doc_code": ("DocCode", 50),  # mã định danh văn bản
    "type_name": ("TypeName", 100),  # tên loại văn bản
    "code_number": ("CodeNumber", 11),  # số của văn bản
    "code_notation": ("CodeNotation", 30),  # ký hiệu của văn bản
    "issued_date": ("IssuedDate", None),  # ngày, tháng, năm văn bản
    "organ_name": ("OrganName", 200),  # tên cơ quan, tổ chức ban hành
    "subject": ("Subject", 500),  # trích yếu nội dung
    "language": ("Language", 100),  # ngôn ngữ
    "page_amount": ("PageAmount", None),  # số lượng trang
    "description": ("Description", 500),  # ghi chú
    "infor_sign": ("InforSign", 30),  # ký hiệu thông tin
    "keyword": ("Keyword", 100),  # từ khóa
    "mode": ("Mode", 20),  # chế độ sử dụng (mức độ tiếp cận)
    "confidence_level": ("ConfidenceLevel", 30),  # mức độ tin cậy
    "autograph": ("Autograph", 2000),  # bút tích
    "format": ("Format", 50),  # tình trạng vật lý
}
BY_CODE = {code.lower(): name for name, (code, _n) in FIELDS.items()}
INTEGER_FIELDS = ("doc_ordinal", "page_amount")
DATE_FIELDS = ("issued_date",)


class MetadataError(ValueError):
    """`errors` maps a field name to a reason: unknown, too_long, not_integer, not_date."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def clean_metadata(data: dict | None) -> dict:
    out: dict = {}
    errors: dict[str, str] = {}
    for key, value in (data or {}).items():
        name = key if key in FIELDS else BY_CODE.get(str(key).lower())
        if name is None:
            errors[str(key)] = "unknown"
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if name in INTEGER_FIELDS:
            try:
                number = int(str(value).strip())
            except ValueError:
                errors[name] = "not_integer"
                continue
            if number < 0 or number > 2_000_000_000:
                errors[name] = "not_integer"
                continue
            out[name] = number
        elif name in DATE_FIELDS:
            if isinstance(value, dt.date):
                out[name] = value
                continue
            try:
                out[name] = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                errors[name] = "not_date"
        else:
            text = " ".join(str(value).split())
            if len(text) > FIELDS[name][1]:
                errors[name] = "too_long"
                continue
            out[name] = text
    if errors:
        raise MetadataError(errors)
    return out
