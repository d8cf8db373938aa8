"""Folding, tokenising and query parsing for Vietnamese search. Pure: no Django.

Both the indexed text and the query go through `fold` and `tokens`, so the engines (SQLite FTS5,
PostgreSQL `simple`) only ever see lower-case ASCII-like syllables separated by spaces: every
accent, case and Unicode normalisation variant of a word indexes and matches the same, and đ/Đ
(which has no Unicode decomposition, so FTS5's remove_diacritics keeps it) becomes d.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

# đ/Đ have no decomposition; tesseract sometimes reads Đ as the Icelandic eth Ð (U+00D0).
_LETTER_MAP = {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"}
_TOKEN = re.compile(r"[^\W_]+")
_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')


def _fold_char(ch: str) -> str:
    mapped = _LETTER_MAP.get(ch)
    if mapped is not None:
        return mapped
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return "".join(c for c in base.lower() if not unicodedata.combining(c))


class _FoldTable(dict):
    """A `str.translate` table folding each character, filled on first sight of it (the
    alphabet in use is small, so folding runs at C speed after a few documents)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < 100_000:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def _fold_pairs(text: str) -> Iterator[tuple[str, int]]:
    """(folded character, index in the NFC text) for each character that survives folding."""
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            yield c, i


def _fold_indexed(text: str) -> tuple[str, list[int] | None]:
    """`text` (NFC) folded, and the index in `text` of each folded character — None when they
    are the same (every character folded to exactly one, the usual case)."""
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text) and all(len(_FOLD_TABLE[ord(c)]) == 1 for c in set(text)):
        return folded, None
    pairs = list(_fold_pairs(text))
    return "".join(c for c, _i in pairs), [i for _c, i in pairs]


def fold(text: str) -> str:
    """Lower case, diacritics removed, đ/Đ → d, NFC and NFD input alike. Whitespace is kept as it
    is, so token boundaries do not move."""
    return unicodedata.normalize("NFC", text or "").translate(_FOLD_TABLE)


def tokens(text: str) -> list[str]:
    """The folded words (runs of letters and digits) of `text`."""
    return _TOKEN.findall(fold(text))


def index_text(text: str) -> str:
    """What the engines index: the folded tokens separated by single spaces."""
    return " ".join(tokens(text))


@dataclass(frozen=True)
class Term:
    """One condition: consecutive tokens (one token for a plain word); `prefix`: the last token
    matches any word starting with it."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Query:
    """Every term must match (AND)."""

    terms: tuple[Term, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_query(q: str) -> Query:
    """Words, "exact phrases" (an unclosed quote runs to the end) and prefixes (`liên th*`),
    folded. A word holding punctuation (`05/QĐ-UBND`) is a phrase of its parts."""
    terms: list[Term] = []
    for m in _QUERY_PART.finditer(unicodedata.normalize("NFC", q or "")):
        raw = m.group(1) if m.group(1) is not None else m.group(2)
        words = tuple(tokens(raw))
        if not words:
            continue
        prefix = raw.rstrip().endswith("*")
        term = Term(words, prefix)
        if term not in terms:
            terms.append(term)
    return Query(tuple(terms))


def _pattern(query: Query) -> re.Pattern:
    """A regular expression finding the query's terms in folded text, ending on a token boundary:
    a phrase's words consecutive whatever separates them (as the engines see them). It starts with
    the literal word, so `re` scans fast; `_found` checks the boundary before it."""
    alternatives = []
    for term in query.terms:
        body = r"[\W_]+".join(re.escape(w) for w in term.words)
        tail = r"[^\W_]*" if term.prefix else ""
        alternatives.append(f"{body}{tail}(?![^\\W_])")
    return re.compile("|".join(alternatives))


def _found(pattern: re.Pattern, folded: str, pos: int, endpos: int) -> Iterator[re.Match]:
    """The pattern's matches in folded[pos:endpos] that start a token."""
    while (m := pattern.search(folded, pos, endpos)) is not None:
        if m.start() == 0 or _TOKEN.match(folded, m.start() - 1) is None:
            yield m
            pos = max(m.end(), m.start() + 1)
        else:
            pos = m.start() + 1


_HEAD = 4000  # characters


def highlight(text: str, query: Query, *, width: int = 240) -> str | None:
    """An HTML snippet of `text` (diacritics kept, escaped) around the first match, matched words
    in <mark>; None when no term matches."""
    text = unicodedata.normalize("NFC", text or "")
    pattern = _pattern(query)
    # Fold the head of a long text first (cut at a space): most first matches are there.
    cut = text.rfind(" ", 0, _HEAD) if len(text) > _HEAD else -1
    for region in ([text[:cut]] if cut > 0 else []) + [text]:
        folded, index = _fold_indexed(region)
        first_match = next(_found(pattern, folded, 0, len(folded)), None)
        if first_match is not None and (region is text or first_match.start() + 2 * width < len(folded)):
            break
    else:
        return None
    # Matched tokens around the first match (each word of a phrase on its own), as spans of the
    # original text; the window is wider than the snippet's.
    lo, hi = max(0, first_match.start() - width), min(len(folded), first_match.start() + 2 * width)
    spans = sorted(
        {(t.start(), t.end()) for m in _found(pattern, folded, lo, hi) for t in _TOKEN.finditer(folded, *m.span())}
    )
    if index is None:
        marks = spans
    else:
        marks = [(index[a], index[b - 1] + 1) for a, b in spans]
    first = marks[0][0]
    start = max(0, first - width // 4)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", max(marks[0][1], start), end)
        end = space if space > 0 else end
    out, pos = [], start
    for a, b in marks:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        out.append(html.escape(text[pos:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    snippet = " ".join("".join(out).split())
    return ("… " if start else "") + snippet + (" …" if end < len(text) else "")
