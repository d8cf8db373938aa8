import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from vanban.search.folding import Query, Term, fold, highlight, index_text, parse_query

VOWELS = "aăâeêioôơuưy"
BASE = {"ă": "a", "â": "a", "ê": "e", "ô": "o", "ơ": "o", "ư": "u"}
TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "th", "tr", "v", "x"]
CODAS = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"]


@st.composite
def syllables(draw):
    """A Vietnamese-shaped syllable in NFC, and its expected folded form."""
    onset, vowel, tone, coda = (
        draw(st.sampled_from(ONSETS)),
        draw(st.sampled_from(VOWELS)),
        draw(st.sampled_from(TONES)),
        draw(st.sampled_from(CODAS)),
    )
    word = unicodedata.normalize("NFC", onset + vowel + tone + coda)
    expected = onset.replace("đ", "d") + BASE.get(vowel, vowel) + coda
    return word, expected


def _mixed_case(word: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c for c, f in zip(word, flips + [False] * len(word), strict=False))


@given(syllables(), st.lists(st.booleans(), max_size=8), st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]))
def test_every_form_of_a_word_folds_the_same(pair, flips, form):
    word, expected = pair
    variant = unicodedata.normalize(form, _mixed_case(word, flips))
    assert fold(variant) == expected
    assert fold(word.upper()) == expected


@given(st.lists(syllables(), min_size=1, max_size=6), st.sampled_from(["NFC", "NFD"]))
def test_phrases_index_and_parse_alike(words, form):
    text = unicodedata.normalize(form, " ".join(w for w, _e in words))
    expected = " ".join(e for _w, e in words)
    assert index_text(text) == expected
    assert parse_query(f'"{text.upper()}"') == Query((Term(tuple(expected.split())),))


@given(st.text())
def test_fold_is_idempotent_and_keeps_whitespace(text):
    once = fold(text)
    assert fold(once) == once
    assert fold("a \n\t b") == "a \n\t b"


def test_d_stroke_and_ocr_eth():
    assert fold("Đăng tải ĐIỆN TỬ") == "dang tai dien tu"
    assert fold("Ðiện") == "dien"  # U+00D0, which tesseract emits for Đ


def test_parse_query_words_phrases_prefixes():
    q = parse_query('văn bản "Điện tử" liên th* 05/QĐ-UBND văn')
    assert q.terms == (
        Term(("van",)),
        Term(("ban",)),
        Term(("dien", "tu")),
        Term(("lien",)),
        Term(("th",), prefix=True),
        Term(("05", "qd", "ubnd")),
    )
    assert not parse_query('  " " * -- ')
    assert parse_query('"liên thông').terms == (Term(("lien", "thong")),)  # unclosed quote


def test_highlight_keeps_diacritics_and_escapes():
    q = parse_query("dien tu")
    out = highlight("Hệ thống <văn bản> ĐIỆN TỬ liên thông", q)
    assert out == "Hệ thống &lt;văn bản&gt; <mark>ĐIỆN</mark> <mark>TỬ</mark> liên thông"
    assert highlight("không có gì", q) is None


def test_highlight_phrase_marks_only_consecutive_words_and_cuts_long_text():
    q = parse_query('"điện tử"')
    text = "điện lực " + "chữ " * 200 + "văn bản điện tử" + " đuôi" * 200
    out = highlight(text, q, width=80)
    assert out.startswith("… ") and out.endswith(" …")
    assert out.count("<mark>") == 2 and "<mark>điện</mark> <mark>tử</mark>" in out
    assert "điện lực" not in out


def test_highlight_prefix_and_decomposed_input():
    out = highlight(unicodedata.normalize("NFD", "Kết nối liên thông"), parse_query("liên th*"))
    assert out == "Kết nối <mark>liên</mark> <mark>thông</mark>"


def test_highlight_in_long_texts_finds_matches_past_the_head_and_across_the_cut():
    filler = "Ủy ban nhân dân tỉnh họp thường kỳ. " * 200  # ~7,000 characters, no match
    late = filler + "Báo cáo ngân sách nhà nước năm 2024."
    snippet = highlight(late, parse_query("ngan sach"))
    assert snippet is not None and "<mark>ngân</mark> <mark>sách</mark>" in snippet
    # A phrase that straddles the 4,000-character head is still found whole.
    pad = "x " * 1997  # 3,994 characters
    across = pad + "văn bản điện tử " + filler
    assert "<mark>văn</mark> <mark>bản</mark> <mark>điện</mark> <mark>tử</mark>" in highlight(
        across, parse_query('"van ban dien tu"')
    )
    # A word cut by the head must not match as a prefix of itself.
    assert highlight(pad + "ngânsáchx " + filler, parse_query("ngansach")) is None
    # A character folding to none (a combining mark with no precomposed form) keeps the marks on
    # the original text.
    assert highlight("x\u0301 và ngân sách", parse_query("ngan sach")).endswith("<mark>ngân</mark> <mark>sách</mark>")
