"""The plan's policy on how each kind of document travels (its indicator table, rows 1.3/1.6 and
2.2/2.4: kinds exchanged fully electronically, and kinds sent electronically with a paper copy),
as the default delivery mode of a document the agency issues. No Django.

Reading of the seed (Vietnamese text is the authority): the lists grow by period — baseline
(before 2014), 2014, and 2015 onward. Where a kind appears in both lists of a period, the fully
electronic list wins (the plan's direction); a kind in neither list is paper only before 2015 and
fully electronic from 2015 (the target year: 100% of agencies interconnected). Kinds are mapped to
Decree 30 type codes (reference.py); kinds with no type of their own ("văn bản góp ý", "văn bản để
biết", "hồ sơ trình") travel as official letters (công văn) or submissions (tờ trình).
"""

from __future__ import annotations

ELECTRONIC = "electronic"
WITH_PAPER = "electronic_with_paper"
PAPER = "paper"

# (first year, codes) — cumulative: a period adds to the ones before it.
_INTER_AGENCY_ELECTRONIC = (
    (0, {"thong-bao", "cong-van"}),  # baseline: notices, official letters
    (2014, {"giay-moi", "to-trinh"}),  # invitations, comments, for information/reporting, dossiers
    (2015, {"bao-cao", "chuong-trinh", "ke-hoach", "du-an", "de-an"}),  # reports, programmes, plans, projects
)
_INTER_AGENCY_WITH_PAPER = (
    (0, set()),
    (2014, set()),  # invitations, dossiers, procedures: all fully electronic from 2014 (list above wins)
    (2015, {"quyet-dinh", "quy-che", "quy-dinh"}),  # decisions, regulations (programmes/plans: above)
)
_INTERNAL_ELECTRONIC = (
    (0, {"giay-moi", "chuong-trinh", "thong-bao", "cong-van"}),  # invitations, programmes, notices, drafts
    (2014, {"bao-cao", "ke-hoach"}),  # periodic reports, plans per trip; drafts, steering, for information
)
_INTERNAL_WITH_PAPER = (
    (0, {"to-trinh", "bao-cao", "ke-hoach"}),  # submissions, annual reports, long-term plans
    (2014, {"to-trinh"}),
)


def _members(periods, year: int) -> set[str]:
    out: set[str] = set()
    for first_year, codes in periods:
        if year >= first_year:
            out |= codes
    return out


def _latest(periods, year: int) -> set[str]:
    chosen: set[str] = set()
    for first_year, codes in periods:
        if year >= first_year:
            chosen = codes
    return chosen


def default_delivery_mode(type_code: str, year: int, *, internal: bool) -> str:
    """How a document of this type, issued in this year, travels by default."""
    electronic = _members(_INTERNAL_ELECTRONIC if internal else _INTER_AGENCY_ELECTRONIC, year)
    with_paper = _latest(_INTERNAL_WITH_PAPER if internal else _INTER_AGENCY_WITH_PAPER, year)
    if type_code in electronic:
        return ELECTRONIC
    if type_code in with_paper:
        return WITH_PAPER
    return ELECTRONIC if year >= 2015 else PAPER
