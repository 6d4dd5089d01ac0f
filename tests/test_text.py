"""Fonts, measuring and wrapping: what prints is what was measured, and nothing is lost."""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path

import pytest
import uharfbuzz as hb
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen.errors import CardgenError
from cardgen.text.measure import (
    builtin_fonts,
    load_font_family,
    missing_characters,
    needs_shaping,
    text_width_mm,
    wrap,
    wrap_tokens,
    wrap_tokens_span,
)

FAMILY = load_font_family("Atkinson Hyperlegible", Path("."))
REGULAR = FAMILY.regular
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'’,.–",
                min_size=1, max_size=12)


def _harfbuzz_width_mm(text: str, path: Path, size_pt: float) -> float:
    blob = hb.Blob.from_file_path(str(path))
    font = hb.Font(hb.Face(blob))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {"kern": False, "liga": False})
    units = sum(int(p.x_advance) for p in buf.glyph_positions)
    return float(units * size_pt / int(font.face.upem) * 25.4 / 72)


def test_default_family_is_atkinson_with_regular_and_bold_files() -> None:
    assert FAMILY.name == "Atkinson Hyperlegible"
    assert FAMILY.regular.path.name == "AtkinsonHyperlegible-Regular.ttf"
    assert FAMILY.bold.path.name == "AtkinsonHyperlegible-Bold.ttf"
    assert FAMILY.regular.path.is_file() and FAMILY.bold.path.is_file()
    assert FAMILY.regular.name != FAMILY.bold.name
    assert [f.name for f in builtin_fonts()] == ["Atkinson Hyperlegible"]


@given(text=st.text(alphabet="Need to talk? 0808 800 5000 Mon–Fri", min_size=1, max_size=40),
       size=st.floats(min_value=4, max_value=30))
@settings(max_examples=60, deadline=None)
def test_width_equals_unkerned_harfbuzz_advances(text: str, size: float) -> None:
    for font in (FAMILY.regular, FAMILY.bold):
        assert text_width_mm(text, font, size) == pytest.approx(
            _harfbuzz_width_mm(text, font.path, size), rel=1e-9, abs=1e-9)


def test_width_scales_with_size_and_bold_is_wider() -> None:
    one = text_width_mm("0808 800 5000", REGULAR, 10)
    assert text_width_mm("0808 800 5000", REGULAR, 20) == pytest.approx(2 * one)
    assert text_width_mm("0808 800 5000", FAMILY.bold, 10) > one
    assert 15 < one < 35  # 13 characters at 10 pt: a plausible phone number width


@given(words=st.lists(WORDS, min_size=1, max_size=30), width=st.floats(20, 80),
       size=st.floats(6, 14))
@settings(max_examples=80, deadline=None)
def test_wrap_keeps_every_word_in_order_and_within_width(words: list[str], width: float,
                                                         size: float) -> None:
    text = " ".join(words)
    lines = wrap(text, REGULAR, size, width)
    too_wide = any(text_width_mm(w, REGULAR, size) > width for w in words)
    if too_wide:
        assert lines is None
        return
    assert lines is not None
    assert " ".join(lines).split() == words
    assert all(text_width_mm(line, REGULAR, size) <= width + 1e-9 for line in lines)
    # Greedy: the next line's first word would not have fitted on the line before.
    for before, after in itertools.pairwise(lines):
        first = after.split()[0]
        assert text_width_mm(f"{before} {first}", REGULAR, size) > width


def test_wrap_respects_explicit_newlines() -> None:
    assert wrap("Call us\nany time", REGULAR, 9, 100) == ["Call us", "any time"]


def test_wrap_returns_none_when_one_word_is_too_wide() -> None:
    assert wrap("Supercalifragilisticexpialidocious", REGULAR, 12, 20) is None


def test_missing_characters_names_each_missing_character_once() -> None:
    assert missing_characters("Help 中 and 中文", REGULAR) == ["中", "文"]
    assert missing_characters("Mon–Fri 8am–10pm, it’s free\nany time", REGULAR) == []


def test_user_ttf_is_used_for_regular_and_bold(tmp_path: Path) -> None:
    shutil.copy(FAMILY.regular.path, tmp_path / "house.ttf")
    family = load_font_family("house.ttf", tmp_path)
    assert family.regular == family.bold
    assert family.regular.path == (tmp_path / "house.ttf").resolve()
    assert family.regular.name.startswith("house-")
    # Named by content: the same file elsewhere registers under the same name.
    (tmp_path / "other").mkdir()
    shutil.copy(FAMILY.regular.path, tmp_path / "other" / "house.ttf")
    assert load_font_family("other/house.ttf", tmp_path).regular.name == family.regular.name


def test_missing_font_file_is_cg601_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(CardgenError) as info:
        load_font_family("fonts/nope.ttf", tmp_path)
    assert info.value.code == "CG601"
    assert "nope.ttf" in info.value.message


def test_not_a_font_is_cg601(tmp_path: Path) -> None:
    (tmp_path / "fake.ttf").write_text("not a font at all")
    with pytest.raises(CardgenError) as info:
        load_font_family("fake.ttf", tmp_path)
    assert info.value.code == "CG601"
    assert "fake.ttf" in info.value.message


def test_cff_otf_is_cg602_asking_for_ttf(tmp_path: Path) -> None:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    fb = FontBuilder(1000, isTTF=False)
    fb.setupGlyphOrder([".notdef", "A"])
    fb.setupCharacterMap({ord("A"): "A"})
    pen = T2CharStringPen(500, None)
    pen.moveTo((0, 0))
    pen.lineTo((500, 0))
    pen.lineTo((250, 700))
    pen.closePath()
    charstring = pen.getCharString()
    fb.setupCFF("Test-Regular", {"FullName": "Test"}, {".notdef": charstring, "A": charstring},
                {})
    fb.setupHorizontalMetrics({".notdef": (500, 0), "A": (500, 0)})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Test", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    fb.save(str(tmp_path / "test.otf"))
    with pytest.raises(CardgenError) as info:
        load_font_family("test.otf", tmp_path)
    assert info.value.code == "CG602"
    assert ".ttf" in (info.value.fix or "")


def test_unknown_font_name_is_cg603_listing_the_listed_families() -> None:
    with pytest.raises(CardgenError) as info:
        load_font_family("Comic Sans", Path("."))
    assert info.value.code == "CG603"
    assert "Atkinson Hyperlegible" in info.value.message
    assert "Noto Sans Gurmukhi" in info.value.message


def test_font_name_is_case_insensitive() -> None:
    assert load_font_family("atkinson hyperlegible", Path(".")) == FAMILY


@given(words=st.lists(WORDS, min_size=1, max_size=12), width=st.floats(5, 80),
       other=st.floats(5, 80), size=st.sampled_from([6.0, 8.0, 9.5, 13.0]))
@settings(max_examples=300, deadline=None)
def test_wrap_span_says_which_other_widths_wrap_the_same(words: list[str], width: float,
                                                         other: float, size: float) -> None:
    lines, low, high = wrap_tokens_span(words, REGULAR, size, width)
    assert lines == (None if (plain := wrap_tokens(words, REGULAR, size, width)) is None
                     else tuple(plain))
    # The span holds the width asked for, and every width in it wraps the same.
    assert low <= width + 1e-9 < high
    same = low <= other + 1e-9 and not high <= other + 1e-9
    again = wrap_tokens(words, REGULAR, size, other)
    if same:
        assert (None if again is None else tuple(again)) == lines


def test_wrap_span_ends_where_a_line_break_moves() -> None:
    words = ["Talk", "to", "someone", "you", "trust,", "or", "call", "free."]
    lines, low, high = wrap_tokens_span(words, REGULAR, 9.0, 40.0)
    assert lines is not None and len(lines) == 2
    assert low < 40.0 < high < math.inf
    assert wrap_tokens(words, REGULAR, 9.0, high) != list(lines)
    assert wrap_tokens(words, REGULAR, 9.0, low - 0.01) != list(lines)


@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=20),
       language=st.sampled_from(["en", "ar", "ur"]), bold=st.booleans())
@settings(max_examples=300, deadline=None)
def test_ascii_text_needs_shaping_only_for_a_character_the_font_lacks(
        text: str, language: str, bold: bool) -> None:
    font = FAMILY.bold if bold else REGULAR
    assert needs_shaping(text, font, language) == bool(missing_characters(text, font))
