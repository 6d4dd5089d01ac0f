"""Font choice per script: every character of a card in the main languages of England gets a
font that has it, Urdu gets Nastaliq, and a character no font has is a clear error."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen.errors import InputError
from cardgen.text import fonts as fontdb

# Sample card sentences ("Need to talk? Call free ...") in the ten most spoken languages of
# England after English (Census 2021), plus Hindi. Written for these tests by the author
# (an AI assistant), NOT taken from a published translation and not checked by native
# speakers: they exercise the scripts (letters, diacritics, conjuncts, joining) and must not
# be printed on real cards.
SAMPLES: dict[str, str] = {
    "pl": "Potrzebujesz porozmawiać? Zadzwoń za darmo: 0808 800 5000. Żółć, gęś, źdźbło.",
    "ro": "Ai nevoie să vorbești? Sună gratuit: 0808 800 5000. Știință, țară, în.",
    "pa": "ਗੱਲ ਕਰਨੀ ਹੈ? ਮੁਫ਼ਤ ਕਾਲ ਕਰੋ 0808 800 5000",
    "ur": "بات کرنی ہے؟ مفت کال کریں 0808 800 5000",
    "pt": "Precisa de falar? Ligue grátis: 0808 800 5000. Informação, atenção.",
    "es": "¿Necesitas hablar? Llama gratis: 0808 800 5000. Niño, año.",
    "ar": "هل تحتاج إلى التحدث؟ اتصل مجاناً على 0808 800 5000",
    "bn": "কথা বলতে চাও? বিনামূল্যে ফোন করো 0808 800 5000। ক্ষমা",
    "gu": "વાત કરવી છે? મફત ફોન કરો 0808 800 5000. સ્વાગત",
    "it": "Hai bisogno di parlare? Chiama gratis: 0808 800 5000. Perché, città.",
    "hi": "बात करनी है? मुफ़्त कॉल करें 0808 800 5000। क्षमा",
}
MAIN_SCRIPT = {"pl": "Latin", "ro": "Latin", "pt": "Latin", "es": "Latin", "it": "Latin",
               "pa": "Gurmukhi", "ur": "Arabic", "ar": "Arabic", "bn": "Bengali",
               "gu": "Gujarati", "hi": "Devanagari"}


@pytest.fixture(scope="module")
def atkinson() -> Path:
    face = fontdb.find_family("Atkinson Hyperlegible")
    assert face is not None
    return face.path


def _check_runs(text: str, runs: list[fontdb.FontRun]) -> None:
    assert runs[0].start == 0 and runs[-1].end == len(text)
    for a, b in itertools.pairwise(runs):
        assert a.end == b.start
    for run in runs:
        for ch in text[run.start:run.end]:
            assert run.face.covers(ch), (ch, run.face.family)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_every_character_of_each_language_gets_a_font_that_has_it(
        language: str, atkinson: Path) -> None:
    text = SAMPLES[language]
    for bold in (False, True):
        runs = fontdb.font_runs(text, atkinson, language, bold)
        _check_runs(text, runs)
        script = MAIN_SCRIPT[language]
        main = [r for r in runs if r.script == script]
        assert main and all(script in r.face.scripts for r in main)


@pytest.mark.parametrize("language", ["pl", "ro", "pt", "es", "it"])
def test_latin_languages_print_entirely_in_the_card_font(language: str, atkinson: Path) -> None:
    runs = fontdb.font_runs(SAMPLES[language], atkinson, language)
    assert [r.face.path for r in runs] == [atkinson]


def test_a_word_is_never_split_across_fonts(atkinson: Path) -> None:
    # Joining and conjuncts only work inside one font: each script word is one run.
    for language in ("ur", "ar", "bn", "gu", "pa", "hi"):
        text = SAMPLES[language]
        runs = fontdb.font_runs(text, atkinson, language)
        script_runs = [r for r in runs if r.script == MAIN_SCRIPT[language]]
        assert len({r.face for r in script_runs}) == 1, language


def test_urdu_is_set_in_nastaliq_with_tall_lines_and_arabic_is_not(atkinson: Path) -> None:
    urdu = fontdb.font_runs(SAMPLES["ur"], atkinson, "ur")
    assert {r.face.family for r in urdu} == {"Noto Nastaliq Urdu"}
    assert fontdb.line_spacing(urdu) >= 2.6
    arabic = fontdb.font_runs(SAMPLES["ar"], atkinson, "ar")
    assert "Noto Nastaliq Urdu" not in {r.face.family for r in arabic}
    assert 1.7 <= fontdb.line_spacing(arabic) < 2.6
    latin = fontdb.font_runs(SAMPLES["pl"], atkinson, "pl")
    assert fontdb.line_spacing(latin) == pytest.approx(1.25)


def test_bold_text_uses_bold_faces_where_they_exist(atkinson: Path) -> None:
    bold_latin = fontdb.find_family("Atkinson Hyperlegible", bold=True)
    assert bold_latin is not None and bold_latin.bold
    runs = fontdb.font_runs(SAMPLES["pa"], bold_latin.path, "pa", bold=True)
    gurmukhi = [r for r in runs if r.script == "Gurmukhi"]
    assert all(r.face.bold for r in gurmukhi)


def test_a_url_in_an_arabic_line_falls_back_to_a_font_with_latin(atkinson: Path) -> None:
    text = "زوروا www.childline.org.uk الآن"
    runs = fontdb.font_runs(text, atkinson, "ur")
    url = [r for r in runs if "childline" in text[r.start:r.end]]
    assert url and url[0].face.path == atkinson
    _check_runs(text, runs)


def test_a_character_no_font_has_is_an_error_naming_it_the_field_and_a_fix(
        atkinson: Path) -> None:
    with pytest.raises(InputError) as info:
        fontdb.font_runs("Help 中文", atkinson, "en", field=("front", "title"))
    problems = info.value.problems()
    assert [p.code for p in problems] == ["CG610", "CG610"]
    first = problems[0]
    assert "U+4E2D" in first.message and "front.title" in first.message
    assert first.path == ("front", "title")
    assert first.fix is not None and "install" in first.fix
    assert "U+6587" in problems[1].message


def test_missing_font_error_for_a_single_character() -> None:
    err = fontdb.missing_font_error("\u4e2d", ("back", "footer"))
    assert "U+4E2D" in str(err) and "back.footer" in str(err) and "Han" in str(err)
    assert fontdb.check_text("ok", fontdb.available_faces()[0]) == []


def test_script_of_names_the_scripts_of_the_card_languages() -> None:
    assert fontdb.script_of("a") == "Latin"
    assert fontdb.script_of("ś") == "Latin"
    assert fontdb.script_of("ب") == "Arabic"
    assert fontdb.script_of("ক") == "Bengali"
    assert fontdb.script_of("ਕ") == "Gurmukhi"
    assert fontdb.script_of("ક") == "Gujarati"
    assert fontdb.script_of("क") == "Devanagari"
    assert fontdb.script_of("5") == "Common"
    assert fontdb.script_of("\u064b") == "Inherited"  # Arabic fathatan, a mark


def test_neutral_characters_take_the_script_around_them() -> None:
    text = "12 ب ج, ok"
    scripts = fontdb.resolve_scripts(text)
    assert scripts[:6] == ["Arabic"] * 6  # leading digits look ahead
    assert scripts[6] == "Arabic"  # the comma after an Arabic letter
    assert scripts[-2:] == ["Latin", "Latin"]
    assert fontdb.resolve_scripts("0808 800 5000") == ["Common"] * 13


def test_right_to_left_languages() -> None:
    for tag in ("ar", "ur", "fa", "he", "pa-Arab", "ur-PK"):
        assert fontdb.is_rtl_language(tag), tag
    for tag in ("en", "pl", "pa", "pa-Guru", "bn", "gu"):
        assert not fontdb.is_rtl_language(tag), tag
    assert fontdb.prefers_nastaliq("ur-PK") and fontdb.prefers_nastaliq("pa-Arab")
    assert not fontdb.prefers_nastaliq("ar") and not fontdb.prefers_nastaliq("pa")


def test_catalogue_lists_scripts_and_only_embeddable_regular_or_bold_faces() -> None:
    faces = fontdb.available_faces()
    scripts = set().union(*(f.scripts for f in faces))
    assert {"Latin", "Arabic", "Bengali", "Gurmukhi", "Gujarati", "Devanagari"} <= scripts
    for face in faces:
        font = TTFont(face.path, lazy=True)
        assert "glyf" in font and "CFF " not in font, face.path
        assert "Italic" not in face.path.name
    # Without system fonts the list is the same on every machine.
    assert [f.source for f in fontdb.available_faces(system=False)].count("system") == 0


def test_shipped_fonts_are_truetype_with_their_licence() -> None:
    folder = fontdb.shipped_fonts_dir()
    ttfs = sorted(folder.glob("*.ttf"))
    assert {p.name for p in ttfs} >= {"NotoSansGurmukhi-Regular.ttf",
                                      "NotoSansGujarati-Regular.ttf",
                                      "NotoNastaliqUrdu-Regular.ttf"}
    licence = (folder / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for path in ttfs:
        assert path.name in readme
        assert "glyf" in TTFont(path, lazy=True)


_ALPHABET = "".join(SAMPLES.values()) + " .,?!-"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=_ALPHABET, min_size=1, max_size=40),
       st.sampled_from(sorted(SAMPLES)), st.booleans())
def test_any_mix_of_the_sample_scripts_is_fully_covered(text: str, language: str,
                                                        bold: bool) -> None:
    primary = fontdb.find_family("Atkinson Hyperlegible", bold=bold)
    assert primary is not None
    _check_runs(text, fontdb.font_runs(text, primary.path, language, bold))


def test_font_table_folds_weights_and_lists_scripts() -> None:
    from cardgen.text.fonts import font_table

    rows = {r.family: r for r in font_table(system=False)}
    assert rows["Atkinson Hyperlegible"].weights == "regular/bold"
    assert rows["Atkinson Hyperlegible"].scripts == ("Latin",)
    assert "Gujarati" in rows["Noto Sans Gujarati"].scripts
    assert rows["Noto Nastaliq Urdu"].line_spacing == 2.6
    assert list(rows) == sorted(rows, key=str.casefold)
