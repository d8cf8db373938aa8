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


def _fold_pairs(text: str) -> Iterator[tuple[str, int]]:
    """(folded character, index in the NFC text) for each character that survives folding."""
    for i, ch in enumerate(text):
        mapped = _LETTER_MAP.get(ch)
        if mapped is not None:
            yield mapped, i
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        for c in base.lower():
            if not unicodedata.combining(c):
                yield c, i


def fold(text: str) -> str:
    """Lower case, diacritics removed, đ/Đ → d, NFC and NFD input alike. Whitespace is kept as it
    is, so token boundaries do not move."""
    return "".join(c for c, _i in _fold_pairs(unicodedata.normalize("NFC", text or "")))


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


def _matches(query: Query, folded_tokens: list[str]) -> set[int]:
    """Indexes of the tokens that a term of the query matches (phrases: consecutive only)."""
    hit: set[int] = set()
    n = len(folded_tokens)
    for term in query.terms:
        k = len(term.words)
        for start in range(n - k + 1):
            ok = all(folded_tokens[start + j] == term.words[j] for j in range(k - 1))
            last = folded_tokens[start + k - 1]
            ok = ok and (last.startswith(term.words[-1]) if term.prefix else last == term.words[-1])
            if ok:
                hit.update(range(start, start + k))
    return hit


def highlight(text: str, query: Query, *, width: int = 240) -> str | None:
    """An HTML snippet of `text` (diacritics kept, escaped) around the first match, matched words
    in <mark>; None when no term matches."""
    text = unicodedata.normalize("NFC", text or "")
    pairs = list(_fold_pairs(text))
    folded = "".join(c for c, _i in pairs)
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    hit = _matches(query, [folded[a:b] for a, b in spans])
    if not hit:
        return None
    # Matched token spans in the original text.
    marks = [(pairs[spans[t][0]][1], pairs[spans[t][1] - 1][1] + 1) for t in sorted(hit)]
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
