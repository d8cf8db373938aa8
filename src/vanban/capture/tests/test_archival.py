import datetime as dt

import pytest

from vanban.capture.archival import FIELDS, MetadataError, clean_metadata


def test_metadata_by_tt02_code_or_by_field_name():
    out = clean_metadata(
        {"OrganId": " 82.01 ", "fileNotation": "HS-12", "doc_ordinal": "3", "IssuedDate": "2019-05-02", "Mode": ""}
    )
    assert out == {"organ_id": "82.01", "file_notation": "HS-12", "doc_ordinal": 3, "issued_date": dt.date(2019, 5, 2)}
    assert clean_metadata(None) == {}


def test_metadata_refusals_name_every_bad_field():
    with pytest.raises(MetadataError) as exc:
        clean_metadata({"Colour": "x", "PageAmount": "ba", "IssuedDate": "02/05/2019", "Keyword": "k" * 101})
    assert exc.value.errors == {
        "Colour": "unknown",
        "page_amount": "not_integer",
        "issued_date": "not_date",
        "keyword": "too_long",
    }


def test_field_codes_are_unique():
    codes = [code for code, _n in FIELDS.values()]
    assert len(codes) == len(set(codes))
