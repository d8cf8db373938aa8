"""Agency identifier codes (mã định danh, QCVN 102:2016 as amended, Decision 20/2020/QĐ-TTg).

Format `V1V2V3.Z1Z2.Y1Y2.MX1X2`, 13 characters, read right to left: level 1 is a letter and two
digits (H = provincial People's Committee), then level 2 (Y), level 3 (Z), level 4 (V).
"""

from __future__ import annotations

import re

# [0-9], not \d (which also matches Arabic-Indic, full-width and other Unicode digits), and \Z,
# not $ (which also matches before a trailing newline).
IDENTIFIER_RE = re.compile(r"^(?P<l4>[0-9]{3})\.(?P<l3>[0-9]{2})\.(?P<l2>[0-9]{2})\.(?P<l1>[A-Z][0-9]{2})\Z")


def is_valid(code: str) -> bool:
    return bool(IDENTIFIER_RE.match(code or ""))


def make(level1: str, level2: int = 0, level3: int = 0, level4: int = 0) -> str:
    """Compose a code, e.g. make("H58", 12) == "000.00.12.H58"."""
    if not re.fullmatch(r"[A-Z][0-9]{2}", level1):
        raise ValueError(f"level-1 code must be a letter and two digits, not {level1!r}")
    if not (0 <= level2 <= 99 and 0 <= level3 <= 99 and 0 <= level4 <= 999):
        raise ValueError("identifier level out of range")
    return f"{level4:03d}.{level3:02d}.{level2:02d}.{level1}"


def level(code: str) -> int:
    """1 for a level-1 agency (000.00.00.H58), 2, 3 or 4 for agencies below it."""
    m = IDENTIFIER_RE.match(code)
    if not m:
        raise ValueError(f"not an identifier code: {code!r}")
    if m["l4"] != "000":
        return 4
    if m["l3"] != "00":
        return 3
    if m["l2"] != "00":
        return 2
    return 1
