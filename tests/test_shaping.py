"""Shaping and bidi: Arabic joins, Bengali conjuncts form, phone numbers and URLs read left
to right inside right-to-left lines, and wrapping never splits a phone number."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen.input.units import PT_PER_MM
from cardgen.text import fonts as fontdb
from cardgen.text import shaping

# Sample sentences: written for these tests by the author (an AI assistant), not from a
# published translation; see tests/test_fontdb.py. They are not for printing on cards.
ARABIC = "اتصل بنا مجاناً على 0808 800 5000 الآن"
URDU = "بات کرنی ہے؟ مفت کال کریں 0808 800 5000"
BENGALI = "কথা বলতে চাও? ফোন করো 0808 800 5000"


@pytest.fixture(scope="module")
def atkinson() -> Path:
    face = fontdb.find_family("Atkinson Hyperlegible")
    assert face is not None
    return face.path


@functools.lru_cache(maxsize=16)
def _gid_to_char(path: Path) -> dict[int, str]:
    font = TTFont(path, lazy=True)
    order = font.getGlyphOrder()
    out: dict[int, str] = {}
    for cp, name in sorted(font.getBestCmap().items(), reverse=True):
        out[order.index(name)] = chr(cp)
    return out


def _visual_text(line: shaping.ShapedLine) -> str:
    """What a reader sees, left to right, reading glyphs back as characters."""
    return "".join(_gid_to_char(g.font).get(g.gid, "?") for g in line.placed())


def _hb_shape(path: Path, text: str, direction: str) -> list[int]:
    blob = hb.Blob.from_file_path(str(path))
    font = hb.Font(hb.Face(blob))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = direction
    hb.shape(font, buf, {})
    return [i.codepoint for i in buf.glyph_infos]


def test_arabic_letters_join(atkinson: Path) -> None:
    word = "بيت"
    line = shaping.shape_line(word, primary_font=atkinson, language="ar", size_pt=10)
    [run] = line.runs
    joined = [g.gid for g in run.glyphs]
    isolated = [gid for ch in reversed(word) for gid in _hb_shape(run.font, ch, "rtl")]
    assert joined == _hb_shape(run.font, word, "rtl")
    # Initial, medial and final forms are other glyphs than the letters standing alone.
    assert joined != isolated
    assert set(joined) - set(isolated)


def test_arabic_phone_number_reads_left_to_right(atkinson: Path) -> None:
    line = shaping.shape_line(ARABIC, primary_font=atkinson, language="ar", size_pt=10)
    assert line.rtl
    seen = _visual_text(line)
    assert "0808 800 5000" in seen.replace("\u00a0", " ")
    # The first word of the sentence is at the right end, the last at the left.
    first = min(line.runs, key=lambda r: r.start)
    last = max(line.runs, key=lambda r: r.start)
    assert line.runs[-1] is first and line.runs[0] is last


def test_urdu_nastaliq_keeps_the_number_ltr_and_needs_tall_lines(atkinson: Path) -> None:
    line = shaping.shape_line(URDU, primary_font=atkinson, language="ur", size_pt=10)
    assert line.rtl and line.line_spacing >= 2.6
    assert {r.face.family for r in line.runs} == {"Noto Nastaliq Urdu"}
    assert "0808 800 5000" in _visual_text(line).replace("\u00a0", " ")


def test_international_number_and_url_in_rtl_line_keep_their_ends(atkinson: Path) -> None:
    line = shaping.shape_line("اتصل +44 20 7946 0000 أو www.childline.org.uk/ الآن",
                              primary_font=atkinson, language="ar", size_pt=10)
    seen = _visual_text(line).replace("\u00a0", " ")
    assert "+44 20 7946 0000" in seen
    assert "www.childline.org.uk/" in seen


def test_bengali_conjunct_forms_fewer_glyphs_than_codepoints(atkinson: Path) -> None:
    word = "ক্ষমা"  # ka + virama + ssa form one conjunct
    line = shaping.shape_line(word, primary_font=atkinson, language="bn", size_pt=10)
    [run] = line.runs
    assert run.face.family == "Hind Siliguri"
    assert len(run.glyphs) < len(word)


def test_gujarati_and_gurmukhi_shape_in_their_fonts(atkinson: Path) -> None:
    guj = shaping.shape_line("સ્વાગત", primary_font=atkinson, language="gu", size_pt=10)
    assert guj.runs[0].face.family == "Noto Sans Gujarati"
    assert len(guj.runs[0].glyphs) < len("સ્વાગત")
    pa = shaping.shape_line("ਗੱਲ ਕਰੋ", primary_font=atkinson, language="pa", size_pt=10)
    assert pa.runs[0].face.family == "Noto Sans Gurmukhi"
    assert not pa.rtl


def test_width_is_the_sum_of_harfbuzz_advances_at_the_size(atkinson: Path) -> None:
    line = shaping.shape_line(BENGALI, primary_font=atkinson, language="bn", size_pt=12)
    total = sum(g.x_advance * 12 / r.upem for r in line.runs for g in r.glyphs)
    assert line.width_pt == pytest.approx(total)
    assert line.width_mm == pytest.approx(total / PT_PER_MM)
    double = shaping.shape_line(BENGALI, primary_font=atkinson, language="bn", size_pt=24)
    assert double.width_mm == pytest.approx(2 * line.width_mm)
    placed = line.placed()
    assert placed[0].x_pt == pytest.approx(0, abs=1e-6) or placed[0].x_pt >= 0


def test_latin_text_is_untouched_except_phone_number_spaces() -> None:
    text = "Call 0808 800 5000 or visit www.nspcc.org.uk."
    out = shaping.protect_ltr(text)
    assert out == "Call 0808\u00a0800\u00a05000 or visit www.nspcc.org.uk."
    assert shaping.protect_numbers("Mon–Fri 8am–10pm, 116 123") == "Mon–Fri 8am–10pm, 116\u00a0123"
    assert shaping.protect_numbers("0808 800 5000 24/7") == "0808\u00a0800\u00a05000 24/7"
    assert shaping.protect_numbers("at 9 9:30") == "at 9 9:30"
    assert shaping.protect_numbers("24/7 0808 800") == "24/7 0808\u00a0800"


def test_protection_in_rtl_text_embeds_numbers_and_urls_and_is_idempotent() -> None:
    out = shaping.protect_ltr("زوروا www.childline.org.uk. أو 0800 1111")
    assert "\u202awww.childline.org.uk\u202c." in out
    assert "\u202a0800\u00a01111\u202c" in out
    assert shaping.protect_ltr(out) == out


def test_base_direction_follows_language_and_text() -> None:
    assert shaping.base_is_rtl(ARABIC, "en")
    # The first letter decides (issue 16: an English sentence on an Urdu card was set
    # right to left, "اردو Help in English and").
    assert not shaping.base_is_rtl("Childline چائلڈ لائن", "ur")
    assert not shaping.base_is_rtl("Help in English and اردو", "ur")
    assert shaping.base_is_rtl("999 پر کال کریں", "en")
    assert not shaping.base_is_rtl("Childline", "ur")
    assert shaping.base_is_rtl("0808 800 5000", "ur")
    assert not shaping.base_is_rtl("Childline چائلڈ", "en")
    assert shaping.base_is_rtl("Childline", "en", "rtl")


def test_visual_order_follows_rule_l2() -> None:
    assert shaping.visual_order([0, 1, 1, 0]) == [0, 2, 1, 3]
    assert shaping.visual_order([1, 2, 2, 1]) == [3, 1, 2, 0]
    assert shaping.visual_order([1, 1, 2, 1]) == [3, 2, 1, 0]


@given(st.lists(st.integers(min_value=0, max_value=4), max_size=12))
def test_visual_order_is_a_permutation_and_identity_for_ltr(levels: list[int]) -> None:
    order = shaping.visual_order(levels)
    assert sorted(order) == list(range(len(levels)))
    if all(lv % 2 == 0 and lv == (levels[0] if levels else 0) for lv in levels):
        assert order == list(range(len(levels)))


def test_bidi_levels_of_a_number_in_arabic() -> None:
    text = shaping.protect_ltr("على 0808 800")
    levels = shaping.bidi_levels(text, rtl=True)
    digits = [lv for ch, lv in zip(text, levels, strict=True) if ch.isdigit()]
    assert set(digits) == {2}
    assert levels[0] == 1


def test_wrap_returns_none_when_a_word_cannot_fit(atkinson: Path) -> None:
    assert shaping.wrap_shaped("Supercalifragilistic", primary_font=atkinson, size_pt=10,
                               width_mm=5) is None


def test_wrap_keeps_lines_within_width_and_rtl_lines_share_direction(atkinson: Path) -> None:
    lines = shaping.wrap_shaped(ARABIC, primary_font=atkinson, language="ar", size_pt=10,
                                width_mm=30)
    assert lines is not None and len(lines) > 1
    assert all(line.rtl and line.width_mm <= 30 for line in lines)
    number_lines = [ln for ln in lines if "0808" in ln.text]
    assert len(number_lines) == 1 and "5000" in number_lines[0].text


def test_each_paragraph_takes_the_direction_of_its_first_letter(atkinson: Path) -> None:
    lines = shaping.wrap_shaped("اتصل بنا\nCall us اتصل", primary_font=atkinson,
                                language="ar", size_pt=10, width_mm=80)
    assert lines is not None and [line.rtl for line in lines] == [True, False]


_WORDS = ["help", "free", "call", "مجاناً", "اتصل", "ফোন", "করো", "ਗੱਲ", "કરો", "now", "24/7"]


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=8),
       st.lists(st.sampled_from(_WORDS), max_size=8),
       st.sampled_from(["0808 800 5000", "116 123", "+44 20 7946 0000", "0800 1111"]),
       st.floats(min_value=30, max_value=90),
       st.sampled_from(["en", "ar", "ur", "bn"]))
def test_wrapping_never_splits_a_phone_number(before: list[str], after: list[str], number: str,
                                              width: float, language: str) -> None:
    primary = fontdb.find_family("Atkinson Hyperlegible")
    assert primary is not None
    text = " ".join([*before, number, *after])
    lines = shaping.wrap_shaped(text, primary_font=primary.path, language=language,
                                size_pt=9, width_mm=width)
    if lines is None:
        return
    joined = number.replace(" ", "\u00a0")
    assert sum(joined in line.text for line in lines) == 1
    assert all(line.width_mm <= width + 1e-6 for line in lines)
    words = [w for line in lines for w in shaping.split_words(line.text)]
    assert len(words) == len(before) + len(after) + 1
