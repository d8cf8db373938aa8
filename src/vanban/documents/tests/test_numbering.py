import pytest
from hypothesis import given
from hypothesis import strategies as st

from vanban.documents import numbering
from vanban.documents.numbering import CodeError

abbr = st.text(alphabet="ABCDĐEGHIKLMNOPQRSTUVXYyr", min_size=1, max_size=6)


@pytest.mark.parametrize(("n", "text"), [(1, "01"), (5, "05"), (9, "09"), (10, "10"), (123, "123"), (4567, "4567")])
def test_numbers_below_ten_have_a_leading_zero(n, text):
    assert numbering.format_number(n) == text


def test_number_zero_is_refused():
    with pytest.raises(ValueError):
        numbering.format_number(0)


def test_notations_as_the_decree_writes_them():
    assert numbering.outgoing_notation(type_abbreviation="QĐ", agency_notation="UBND") == "QĐ-UBND"
    assert numbering.outgoing_notation(type_abbreviation="", agency_notation="UBND", unit_notation="VP") == "UBND-VP"
    assert (
        numbering.outgoing_notation(type_abbreviation="QĐ", agency_notation="UBND", legal_year=2026) == "2026/QĐ-UBND"
    )
    assert numbering.join_code("05", "QĐ-UBND") == "05/QĐ-UBND"
    with pytest.raises(ValueError):
        numbering.outgoing_notation(type_abbreviation="", agency_notation="UBND")


def test_series():
    assert numbering.outgoing_series(confidential=False, legal=False, type_abbreviation="QĐ") == "out:general"
    assert numbering.outgoing_series(confidential=False, legal=True, type_abbreviation="QĐ") == "out:legal:QĐ"
    assert numbering.outgoing_series(confidential=True, legal=False, type_abbreviation="QĐ") == "out:secret"
    assert numbering.incoming_series(confidential=True) != numbering.incoming_series(confidential=False)


@pytest.mark.parametrize(
    ("text", "number", "notation"),
    [
        ("15/QĐ-UBND", "15", "QĐ-UBND"),
        ("Số: 15/QĐ-UBND", "15", "QĐ-UBND"),
        ("  123/UBND-VP ", "123", "UBND-VP"),
        ("12/2024/QĐ-UBND", "12", "2024/QĐ-UBND"),
        ("05/BNV-VP", "05", "BNV-VP"),
    ],
)
def test_parse_code(text, number, notation):
    assert numbering.parse_code(text) == (number, notation)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("15 /QĐ-UBND", "spaces"),
        ("15-QĐ-UBND", "no_slash"),
        ("abc/QĐ", "bad_number"),
        ("15/", "bad_notation"),
        ("15/QĐ-", "bad_notation"),
        ("1" * 12 + "/QĐ", "bad_number"),
        ("15/" + "A" * 31, "too_long"),
    ],
)
def test_parse_code_refusals(text, reason):
    with pytest.raises(CodeError) as e:
        numbering.parse_code(text)
    assert e.value.reason == reason


@given(n=st.integers(min_value=1, max_value=10**9), type_abbr=abbr, agency=abbr)
def test_issued_codes_parse_back(n, type_abbr, agency):
    number = numbering.format_number(n)
    notation = numbering.outgoing_notation(type_abbreviation=type_abbr, agency_notation=agency)
    assert numbering.parse_code(numbering.join_code(number, notation)) == (number, notation)


@given(n=st.integers(min_value=1, max_value=99999), notation=abbr)
def test_code_key_ignores_leading_zeros_and_case(n, notation):
    assert numbering.code_key(f"0{n}", notation) == numbering.code_key(str(n), notation.lower())


def test_name_key_ignores_case_and_spacing():
    assert numbering.name_key("Ủy ban nhân dân  tỉnh") == numbering.name_key("ủy ban nhân dân tỉnh")
