"""Document numbers and notations ("Số, ký hiệu") as Decree 30/2020 writes them. No Django.

- Numbers run per agency and calendar year from 01; numbers below 10 take a leading zero.
- Named types: `<number>/<type abbreviation>-<agency abbreviation>`, e.g. `05/QĐ-UBND`.
- Official letters (công văn), which have no type abbreviation:
  `<number>/<agency abbreviation>-<drafting unit abbreviation>`, e.g. `123/UBND-VP`.
- Legal normative documents (văn bản QPPL) carry the year, as the Law on Promulgation of Legal
  Normative Documents writes them: `12/2024/QĐ-UBND`; each such type has its own series.
- Secret documents have their own series.
"""

from __future__ import annotations

import re
import unicodedata

SERIES_OUT_GENERAL = "out:general"
SERIES_OUT_SECRET = "out:secret"  # noqa: S105 (a series name, not a password)
SERIES_IN_GENERAL = "in:general"
SERIES_IN_SECRET = "in:secret"  # noqa: S105

MAX_NUMBER_LEN = 11  # CodeNumber, Decree 30 Appendix VI
MAX_NOTATION_LEN = 30  # CodeNotation

_NUMBER_RE = re.compile(r"^\d{1,10}[A-Za-z]?$")
_NOTATION_RE = re.compile(r"^[^\s/][^\s]*$")


class CodeError(ValueError):
    """A "Số, ký hiệu" that cannot be read. `reason` is a stable code for the caller's message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def outgoing_series(*, confidential: bool, legal: bool, type_abbreviation: str) -> str:
    if confidential:
        return SERIES_OUT_SECRET
    if legal:
        return f"out:legal:{type_abbreviation}"
    return SERIES_OUT_GENERAL


def incoming_series(*, confidential: bool) -> str:
    return SERIES_IN_SECRET if confidential else SERIES_IN_GENERAL


def format_number(n: int) -> str:
    if n < 1:
        raise ValueError("document numbers start at 1")
    return f"{n:02d}"


def outgoing_notation(
    *,
    type_abbreviation: str,
    agency_notation: str,
    unit_notation: str | None = None,
    legal_year: int | None = None,
) -> str:
    if not agency_notation:
        raise ValueError("agency notation is required")
    if type_abbreviation:
        base = f"{type_abbreviation}-{agency_notation}"
    else:
        if not unit_notation:
            raise ValueError("an official letter's notation needs the drafting unit")
        base = f"{agency_notation}-{unit_notation}"
    if legal_year is not None:
        base = f"{legal_year}/{base}"
    return base


def join_code(number: str, notation: str) -> str:
    if not number:
        return notation
    return f"{number}/{notation}" if notation else number


def parse_code(text: str) -> tuple[str, str]:
    """Split a written "Số, ký hiệu" into (number, notation).

    Accepts `15/QĐ-UBND`, `Số: 15/QĐ-UBND`, `12/2024/QĐ-UBND` (notation `2024/QĐ-UBND`).
    """
    s = unicodedata.normalize("NFC", (text or "").strip())
    s = re.sub(r"^(số|so)\s*:?\s*", "", s, flags=re.IGNORECASE)
    if not s:
        raise CodeError("empty")
    if re.search(r"\s", s):
        raise CodeError("spaces")
    if "/" not in s:
        raise CodeError("no_slash")
    number, notation = s.split("/", 1)
    if not _NUMBER_RE.match(number):
        raise CodeError("bad_number")
    if not notation or not _NOTATION_RE.match(notation) or notation.endswith(("/", "-")):
        raise CodeError("bad_notation")
    if len(number) > MAX_NUMBER_LEN or len(notation) > MAX_NOTATION_LEN:
        raise CodeError("too_long")
    return number, notation


def code_key(number: str, notation: str) -> str:
    """Comparison key for duplicate detection: `5/qđ-ubnd` and `05/QĐ-UBND` are the same code."""
    digits = number.lstrip("0") or "0"
    return f"{digits}/{unicodedata.normalize('NFC', notation).casefold()}"


def name_key(name: str) -> str:
    """Comparison key for an issuer's name: case, spacing and Unicode form do not matter."""
    return " ".join(unicodedata.normalize("NFC", name or "").casefold().split())
