"""Agency identifier codes (pure functions, no database)."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vanban.orgs import identifiers
from vanban.orgs.identifiers import is_valid, level, make

STRICT = re.compile(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}", re.ASCII)

level1_codes = st.builds(
    lambda letter, n: f"{letter}{n:02d}", st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), st.integers(0, 99)
)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("H58",), "000.00.00.H58"),
        (("H58", 12), "000.00.12.H58"),
        (("H58", 5, 3), "000.03.05.H58"),
        (("H58", 1, 2, 345), "345.02.01.H58"),
        (("A00", 99, 99, 999), "999.99.99.A00"),
        (("G01", 0, 0, 7), "007.00.00.G01"),
    ],
)
def test_make_writes_levels_right_to_left(args, code):
    assert make(*args) == code


@pytest.mark.parametrize("level1", ["", "h58", "H5", "H580", "58H", "HH8", "H 58", "Đ58", "H58\n", "H5٨", "H５8"])
def test_make_rejects_bad_level1(level1):
    with pytest.raises(ValueError):
        make(level1)


@pytest.mark.parametrize(
    "levels", [(-1, 0, 0), (100, 0, 0), (0, -1, 0), (0, 100, 0), (0, 0, -1), (0, 0, 1000), (1.5, 0, 0)]
)
def test_make_rejects_levels_out_of_range(levels):
    with pytest.raises(ValueError):
        make("H58", *levels)


@pytest.mark.parametrize("code", ["000.00.00.H58", "000.00.12.H58", "000.03.05.H58", "345.02.01.H58", "999.99.99.Z99"])
def test_valid_codes(code):
    assert is_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        None,
        "000.00.12.h58",
        "00.00.12.H58",
        "0000.00.12.H58",
        "000.0.12.H58",
        "000.00.12.H5",
        "000.00.12.H580",
        "000-00-12-H58",
        "000.00.12H58",
        " 000.00.12.H58",
        "000.00.12.H58 ",
        "000.00.12.H58\n",
        "\n000.00.12.H58",
        "000.00.12.58H",
        "X00.00.12.H58",
        "٠٠٠.00.12.H58",  # Arabic-Indic digits are \d in Python, but not digits of a code
        "０００.００.１２.H58",  # full-width digits, which some input methods produce
    ],
)
def test_invalid_codes(code):
    assert not is_valid(code)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("000.00.00.H58", 1),
        ("000.00.12.H58", 2),
        ("000.03.12.H58", 3),
        ("001.03.12.H58", 4),
        ("005.00.00.H58", 4),
        ("000.07.00.H58", 3),
    ],
)
def test_level(code, expected):
    assert level(code) == expected


@pytest.mark.parametrize("code", ["", "000.00.12", "000.00.12.H58\n", "١٢٣.00.00.H58", "000.00.12.h58"])
def test_level_rejects_invalid_codes(code):
    with pytest.raises(ValueError):
        level(code)


@given(level1_codes, st.integers(0, 99), st.integers(0, 99), st.integers(0, 999))
def test_make_round_trips(level1, l2, l3, l4):
    code = make(level1, l2, l3, l4)
    assert len(code) == 13
    assert is_valid(code)
    assert STRICT.fullmatch(code)
    expected = 4 if l4 else 3 if l3 else 2 if l2 else 1
    assert level(code) == expected
    m = identifiers.IDENTIFIER_RE.match(code)
    assert (m["l1"], int(m["l2"]), int(m["l3"]), int(m["l4"])) == (level1, l2, l3, l4)


@given(
    level1_codes,
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 999),
)
def test_distinct_levels_give_distinct_codes(level1, a2, a3, a4, b2, b3, b4):
    if (a2, a3, a4) != (b2, b3, b4):
        assert make(level1, a2, a3, a4) != make(level1, b2, b3, b4)


@given(st.text(max_size=20))
def test_is_valid_accepts_exactly_the_ascii_format(text):
    assert is_valid(text) == bool(STRICT.fullmatch(text))


@given(st.from_regex(STRICT, fullmatch=True))
def test_every_well_formed_code_is_valid_and_has_a_level(code):
    assert is_valid(code)
    assert level(code) in (1, 2, 3, 4)


@given(
    level1_codes,
    st.one_of(st.integers(max_value=-1), st.integers(min_value=100)),
    st.sampled_from(["level2", "level3"]),
)
def test_make_rejects_any_out_of_range_level(level1, value, which):
    with pytest.raises(ValueError):
        make(level1, **{which: value})


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=1000)))
def test_make_rejects_any_out_of_range_level4(value):
    with pytest.raises(ValueError):
        make("H58", level4=value)
