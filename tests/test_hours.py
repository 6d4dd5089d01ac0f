"""Hours words in a helpline's `hours:` ({free}, {any_time} ...): each printed in the
language of the face that prints it; unknown words and lone braces refused where written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from cardgen.input.hours import HoursWord, parse_hours
from cardgen.input.labels import hours_words, labels_dir
from cardgen.input.model import CardSpec, Helpline, json_schema
from cardgen.layout.designs import load_design
from cardgen.layout.face import layout_face
from cardgen.pipeline import BuildOptions, build_campaign
from cardgen.text.measure import load_font_family
from tests.conftest import EXAMPLES, run_cli, write

FONTS = load_font_family("Atkinson Hyperlegible", EXAMPLES)
#: the wordings as the data file has them (language -> wording, per hours word)
WORDINGS: dict[str, dict[str, str]] = YAML(typ="safe").load(
    (labels_dir() / "hours.yaml").read_text(encoding="utf-8"))
LANGUAGES = sorted(p.stem for p in (EXAMPLES / "languages").glob("*.yaml"))


def card(hours: str, language: str = "en", **back: Any) -> dict[str, Any]:
    return {
        "campaign": "Hours",
        "language": language,
        "card": {"design": "classic"},
        "front": {"title": "Worried about a child?", "helplines": ["line"]},
        "back": {"title": "Help", "helplines": ["line"], **back},
        "helplines": {"line": {"name": "Childline", "phone": "0800 1111", "hours": hours}},
    }


def printed_hours(data: dict[str, Any], side: str = "front") -> str:
    """The hours line(s) the face prints, joined with spaces."""
    spec = CardSpec.model_validate(data)
    face, problems = layout_face(spec, side,  # type: ignore[arg-type]
                                 design=load_design("classic", EXAMPLES), fonts=FONTS,
                                 card_w=55.0, card_h=85.0, qr_payload=None, base_dir=EXAMPLES)
    assert face is not None, problems
    return " ".join(i.text for i in face.text_items if i.field.endswith(".hours"))


def test_the_hours_words_are_the_keys_of_the_hours_label_file() -> None:
    assert hours_words() == tuple(sorted(WORDINGS))
    assert set(hours_words()) == {"free", "any_time", "every_day", "free_any_time"}


def test_the_ten_languages_are_those_of_the_examples() -> None:
    assert len(LANGUAGES) == 10


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_prints_its_own_wording_of_every_hours_word(language: str) -> None:
    for word in hours_words():
        wording = WORDINGS[word][language]
        assert wording != WORDINGS[word]["en"], (language, word)
        assert printed_hours(card(f"{{{word}}}", language)) == " ".join(wording.split())


def test_english_prints_the_english_wording() -> None:
    assert printed_hours(card("{free_any_time}")) == "Free, any time"
    assert printed_hours(card("{every_day}, 9am–5pm")) == "Every day, 9am–5pm"


def test_a_two_language_card_prints_each_faces_hours_in_its_own_language() -> None:
    data = card("{free_any_time}", language="en")
    data["back"] = {"language": "ur", "title": "مدد", "helplines": ["line"]}
    assert printed_hours(data, "front") == "Free, any time"
    assert printed_hours(data, "back") == "مفت، کسی بھی وقت"


def test_text_around_hours_words_is_printed_as_written() -> None:
    data = card("{free}, Mon–Fri 9am–5pm")
    data["back"] = {"language": "pl", "helplines": ["line"]}
    assert printed_hours(data, "front") == "Free, Mon–Fri 9am–5pm"
    assert printed_hours(data, "back") == "Bezpłatnie, Mon–Fri 9am–5pm"


def test_an_hours_word_in_the_middle_of_a_sentence_starts_small() -> None:
    assert printed_hours(card("Lines open {every_day}")) == "Lines open every day"
    assert printed_hours(card("{free}, {any_time}")) == "Free, any time"
    assert printed_hours(card("Mon–Fri 9am–5pm. {free}")) == "Mon–Fri 9am–5pm. Free"
    assert printed_hours(card("Abierto {every_day}", "es")) == "Abierto todos los días"


def test_a_regional_tag_falls_back_to_its_language() -> None:
    assert printed_hours(card("{any_time}", "pt-BR")) == "A qualquer hora"
    assert printed_hours(card("{any_time}", "de")) == "Any time"


def _pdftotext(pdf: Path, page: int) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (Debian package poppler-utils)")
    out = subprocess.run([tool, "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    # poppler wraps right-to-left runs in direction marks; the words are what matter
    return " ".join(out.translate({0x202A: None, 0x202B: None, 0x202C: None}).split())


def test_the_built_pdf_prints_each_faces_hours_in_its_own_language(tmp_path: Path) -> None:
    path = write(tmp_path, """\
campaign: Hours
language: en
card: {design: classic}
front: {title: Worried about a child?, helplines: [line]}
back: {language: es, title: Ayuda, helplines: [line]}
helplines:
  line: {name: Childline, phone: 0800 1111, hours: "{free_any_time}"}
""")
    result = build_campaign(path, BuildOptions(output_dir=tmp_path / "out"))
    pdf = next(p for p in result.files if p.suffix == ".pdf")
    front, back = _pdftotext(pdf, 1), _pdftotext(pdf, 2)
    assert "Free, any time" in front and "{" not in front
    assert "Gratis, a cualquier hora" in back and "Free" not in back


def test_an_unknown_hours_word_is_refused_where_it_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, """\
campaign: Hours
front: {title: Help, helplines: [line]}
helplines:
  line:
    name: Childline
    phone: 0800 1111
    hours: "{anytime}, 9am–5pm"
""")
    out = tmp_path / "out"
    result = run_cli("build", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert (f"{path}:7:12: error CG183: helplines.line.hours: '{{anytime}}' is not an hours "
            "word") in result.output
    assert ("did you mean {any_time}? the hours words are {any_time}, {every_day}, {free}, "
            "{free_any_time}") in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(("hours", "code", "said"), [
    ("{fre}", "CG183", "'{fre}' is not an hours word"),
    ("{Free}", "CG183", "did you mean {free}?"),
    ("{free any time}", "CG183", "did you mean {free_any_time}?"),
    ("{}", "CG183", "'{}' names no hours word"),
    ("{free, 9am–5pm", "CG184", "the '{' at character 1 is not closed by a '}'"),
    ("{free, {any_time}", "CG184", "is not closed before the next '{'"),
    ("9am–5pm}", "CG184", "the '}' at character 8 closes no hours word"),
])
def test_bad_braces_are_refused_with_their_code(tmp_path: Path, hours: str, code: str,
                                                said: str) -> None:
    path = write(tmp_path, "campaign: Hours\nfront: {title: Help, helplines: [line]}\n"
                           "helplines:\n  line:\n    name: Childline\n    phone: 0800 1111\n"
                           f"    hours: '{hours}'\n")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert f"{path}:7:12: error {code}: helplines.line.hours: " in result.output
    assert said in result.output


def test_hours_in_braces_without_quotes_are_told_to_be_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign: Hours\nfront: {title: Help, helplines: [line]}\n"
                           "helplines:\n  line:\n    name: Childline\n    phone: 0800 1111\n"
                           "    hours: {free_any_time}\n")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert "error CG122: helplines.line.hours: expected text, not a mapping" in result.output
    assert 'put the hours in quotes: hours: "{free_any_time}"' in result.output


def test_doubled_braces_print_one_brace() -> None:
    assert printed_hours(card("{{free}} means {free}")) == "{free} means free"


def test_a_variant_row_is_checked_too(tmp_path: Path) -> None:
    write(tmp_path, "campaign: Hours\nfront: {title: Help, helplines: [line]}\n"
                    "helplines:\n  line: {name: Childline, phone: 0800 1111}\n"
                    "variants_csv: schools.csv\n")
    (tmp_path / "schools.csv").write_text("id,helplines.line.hours\noak,{free}\nelm,{fee}\n",
                                          encoding="utf-8")
    result = run_cli("check", str(tmp_path / "cards.yaml"))
    assert result.exit_code == 1
    assert "(row 3, column 'helplines.line.hours'): error CG183" in result.output
    assert "row 2" not in result.output


def test_hours_words_count_as_labels_for_the_no_labels_warning(tmp_path: Path) -> None:
    text = ("campaign: Hours\nlanguage: fr\nfront: {{title: Aide, helplines: [line]}}\n"
            "helplines:\n  line: {{name: Childline, phone: 0800 1111, hours: \"{hours}\"}}\n")
    warned = run_cli("check", str(write(tmp_path, text.format(hours="{free}"))))
    assert warned.exit_code == 0
    assert "warning CG182: language: cardgen has no fixed labels in 'fr'" in warned.output
    plain = run_cli("check", str(write(tmp_path, text.format(hours="lun–ven 9h–17h"))))
    assert "CG182" not in plain.output


def test_the_discretion_check_reads_the_hours_words_as_printed(tmp_path: Path) -> None:
    # a discreet front that lists a helpline: the campaign's own give-away word "Gratis"
    # is found in "{free}" on a Spanish card, not on an English one
    text = ("campaign: Hours\nlanguage: {language}\ncard:\n  design: discreet\n"
            "  discretion_words: [Gratis]\nfront: {{title: Hola, helplines: [line]}}\n"
            "back: {{title: Ayuda}}\n"
            "helplines:\n  line: {{name: Childline, phone: 0800 1111, hours: \"{{free}}\"}}\n")
    spanish = run_cli("check", str(write(tmp_path, text.format(language="es"))))
    assert "warning CG740: 'Gratis' in helplines.line.hours" in spanish.output
    english = run_cli("check", str(write(tmp_path, text.format(language="en"))))
    assert "CG740" not in english.output


def test_the_schema_describes_every_hours_word() -> None:
    described = json_schema()["$defs"]["Helpline"]["properties"]["hours"]["description"]
    for word in hours_words():
        assert f"{{{word}}}" in described


def test_the_model_keeps_what_was_written() -> None:
    helpline = Helpline.model_validate({"name": "Line", "phone": "0800 1111",
                                        "hours": "  {free}, 9am–5pm "})
    assert helpline.hours is not None
    assert str(helpline.hours) == "{free}, 9am–5pm"
    assert helpline.hours.words == ("free",)
    assert helpline.model_dump()["hours"] == "{free}, 9am–5pm"


# --- properties ---------------------------------------------------------------------------

WITHOUT_BRACES = st.text(st.characters(blacklist_characters="{}",
                                       blacklist_categories=("Cs",)), max_size=40)


@given(WITHOUT_BRACES, st.sampled_from(["en", *LANGUAGES]))
def test_hours_without_braces_print_unchanged(text: str, language: str) -> None:
    hours = parse_hours(text)
    assert hours.printed(language) == text
    assert hours.words == ()


@given(st.lists(st.tuples(WITHOUT_BRACES, st.sampled_from(sorted(WORDINGS))), max_size=5),
       WITHOUT_BRACES, st.sampled_from(["en", *LANGUAGES]))
def test_any_mix_of_known_words_substitutes(pieces: list[tuple[str, str]], tail: str,
                                            language: str) -> None:
    written = "".join(f"{text}{{{word}}}" for text, word in pieces) + tail
    hours = parse_hours(written)
    # (a word in the middle of a sentence starts small: compared without case)
    assert hours.printed(language).casefold() == ("".join(
        text + WORDINGS[word][language] for text, word in pieces) + tail).casefold()
    assert hours.words == tuple(word for _, word in pieces)
    assert [p for p in hours.parts if isinstance(p, HoursWord)] == [
        HoursWord(word) for _, word in pieces]


def test_hours_words_and_text_without_quotes_are_told_to_be_quoted(tmp_path: Path) -> None:
    # YAML reads {free} as a mapping, then stops at the text after it
    path = write(tmp_path, "campaign: Hours\nfront: {title: Help, helplines: [line]}\n"
                           "helplines:\n  line:\n    name: Childline\n    phone: 0800 1111\n"
                           "    hours: {free}, 9am–5pm  # weekdays\n")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert (f"{path}:7:12: error CG110: a value that starts with '{{' is read as a mapping, "
            "and text follows it") in result.output
    assert 'put the whole value in quotes: hours: "{free}, 9am–5pm"' in result.output
