"""`language:` as users write it (cardgen/input/languages.py): a tag that is not BCP 47, or
whose language is not registered, is refused at the edge with its place in the file and the
tag meant (CG180, CG181); a good one is put in canonical form before anything looks it up;
a language cardgen has no fixed labels in builds with one warning (CG182)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import langcodes
import pytest
from conftest import EXAMPLES, ROOT, run_cli, write
from hypothesis import given
from hypothesis import strategies as st
from langcodes.registry_parser import parse_registry
from ruamel.yaml import YAML

from cardgen.errors import InputError
from cardgen.input.config import load_campaign
from cardgen.input.languages import LanguageTagProblem, canonical_language
from cardgen.pipeline import BuildOptions, build_in_memory
from cardgen.studio.document import StudioDocument
from cardgen.studio.server import Studio

CARD = """\
campaign: Test card
language: {card}
front:
  title: Need to talk?
  qr: hub
back:
  language: {back}
  helplines: [line]
helplines:
  line:
    name: Childline
    phone: 0800 1111
    sms: "85258"
links:
  hub:
    url: https://example.org/help
"""


def _card(card: str = "en", back: str = "en") -> str:
    return CARD.format(card=card, back=back)


def _codes(result_output: str) -> list[str]:
    return [line for line in result_output.splitlines() if " error CG" in line
            or " warning CG" in line]


# --- refused at the edge, located, with the tag meant -----------------------------------


@pytest.mark.parametrize(("written", "code", "meant"), [
    ("urdu", "CG181", "ur"),
    ("english", "CG181", "en"),
    ("ur_PK", "CG180", "ur-PK"),
    ("ara", "CG181", "ar"),
    ("ar-SA-x", "CG180", "ar-SA"),
    ("en gb", "CG180", "en-GB"),
    ("English (UK)", "CG180", "en-GB"),
    ("Brazilian Portuguese", "CG180", "pt-BR"),
    ("en-UK", "CG181", "en-GB"),
    ("ur-Xyzz", "CG181", "ur"),
    ("xx-nope", "CG181", None),
    ("x-private", "CG180", None),
    ("", "CG180", None),
])
def test_a_tag_that_is_not_valid_is_refused_with_the_one_meant(
        written: str, code: str, meant: str | None) -> None:
    with pytest.raises(LanguageTagProblem) as caught:
        canonical_language(written)
    assert caught.value.code == code
    if meant is None:
        assert "did you mean" not in caught.value.fix
    else:
        assert caught.value.fix.startswith(f"did you mean '{meant}'")
    if written:
        assert f"'{written}'" in caught.value.message


def test_a_bad_card_language_stops_check_and_build_at_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, _card(card="urdu"))
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert _codes(result.output) == [
        f"{path}:2:11: error CG181: language: 'urdu' is the name of a language, not its "
        "registered code (ISO 639)"]
    assert "fix: did you mean 'ur' for Urdu?" in result.output
    out = tmp_path / "out"
    built = run_cli("build", str(path), "-o", str(out))
    assert built.exit_code == 1
    assert "error CG181" in built.output
    assert not out.exists() or not any(out.iterdir())


def test_a_bad_face_language_is_located_at_the_face(tmp_path: Path) -> None:
    path = write(tmp_path, _card(back="ur_PK"))
    out = tmp_path / "out"
    result = run_cli("build", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert _codes(result.output) == [
        f"{path}:7:13: error CG180: back.language: 'ur_PK' is not a language tag: its parts "
        "are joined by '-' only"]
    assert "fix: did you mean 'ur-PK' for Urdu (Pakistan)?" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_a_bad_language_in_a_variants_csv_is_located_at_its_cell(tmp_path: Path) -> None:
    path = write(tmp_path, _card() + "variants_csv: schools.csv\n")
    (tmp_path / "schools.csv").write_text("id,code,language\noak,k1,ur\nelm,k2,english\n",
                                          encoding="utf-8")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    found = _codes(result.output)
    assert len(found) == 1, result.output
    assert "schools.csv:3 (row 3, column 'language'): error CG181" in found[0]
    assert "did you mean 'en' for English?" in result.output


def test_a_language_that_is_not_text_is_still_a_wrong_kind_of_value(tmp_path: Path) -> None:
    result = run_cli("check", str(write(tmp_path, _card(card="[en, ur]"))))
    assert result.exit_code == 1
    assert "error CG122: language: expected text, not a list" in result.output


def test_the_studio_shows_a_bad_language_as_check_does(tmp_path: Path) -> None:
    path = write(tmp_path, _card())
    studio = Studio(StudioDocument.open(path))
    data = studio.document.as_json()
    data["language"] = "english"
    answer = studio.render(data, None, ["front"])
    assert answer["images"] == {}
    assert [(p["code"], p["path"], p["where"]) for p in answer["problems"]] == [
        ("CG181", "language", "cards.yaml:2:11")]
    assert answer["problems"][0]["fix"].startswith("did you mean 'en' for English?")


# --- canonical form ------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "canonical"), [
    ("UR", "ur"), ("ur-pk", "ur-PK"), ("EN-gb", "en-GB"), ("pa-arab", "pa-Arab"),
    ("  es-mx ", "es-MX"), ("iw", "he"), ("de-ch-1996", "de-CH-1996"), ("en", "en"),
])
def test_a_good_tag_is_put_in_canonical_form(written: str, canonical: str) -> None:
    assert canonical_language(written) == canonical


def test_the_rest_of_cardgen_sees_the_canonical_tags(tmp_path: Path) -> None:
    loaded = load_campaign(write(tmp_path, _card(card="UR", back="ur-pk")))
    spec = loaded.variants[0].spec
    assert (spec.language, spec.front.language, spec.back and spec.back.language) == (
        "ur", None, "ur-PK")


def test_a_card_in_upper_case_prints_the_same_pdf_as_in_lower_case(tmp_path: Path) -> None:
    (tmp_path / "upper").mkdir()
    (tmp_path / "lower").mkdir()
    upper = build_in_memory(write(tmp_path / "upper", _card(card="UR", back="UR-pk")),
                            BuildOptions(verify=False))
    lower = build_in_memory(write(tmp_path / "lower", _card(card="ur", back="ur-PK")),
                            BuildOptions(verify=False))
    assert upper.documents and upper.documents == lower.documents


def _examples() -> list[Path]:
    return sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("languages/*.yaml")])


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.name)
def test_every_example_keeps_the_tags_it_writes(example: Path) -> None:
    written = YAML(typ="safe").load(example.read_text("utf-8"))
    loaded = load_campaign(example)
    for variant in loaded.variants:
        spec = variant.spec
        assert spec.language == written.get("language", "en")
        for side in ("front", "back"):
            face = getattr(spec, side)
            if face is not None:
                assert face.language == (written.get(side) or {}).get("language")


# --- a language without fixed labels -------------------------------------------------------


def _labelled() -> str:
    """The languages every label file has a wording in, read from the labels folder."""
    yaml = YAML(typ="safe")
    tables = [table for path in sorted((ROOT / "cardgen" / "templates" / "labels").glob(
        "*.yaml")) for table in (yaml.load(path.read_text("utf-8")) or {}).values()]
    return ", ".join(sorted(set.intersection(*(set(t) for t in tables))))


def _pdftotext(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (Debian package poppler-utils)")
    return subprocess.run([tool, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_a_language_without_labels_builds_with_one_warning(tmp_path: Path) -> None:
    path = write(tmp_path, _card(card="fr", back="fr"))
    result = run_cli("check", str(path))
    assert result.exit_code == 0, result.output
    assert _codes(result.output) == [
        f"{path}:7:13: warning CG182: back.language: cardgen has no fixed labels in 'fr' "
        "(French), so the words it prints itself beside the numbers (\"Text … to\", "
        "\"WhatsApp\", \"Email\" ...) are in English"]
    assert f"fix: the labels exist in {_labelled()}: use one of these" in result.output
    assert "en, es" in _labelled()  # read from the folder, English among them
    out = tmp_path / "out"
    built = run_cli("build", str(path), "-o", str(out))
    assert built.exit_code == 0, built.output
    assert built.output.count("warning CG182") == 1
    assert "Text" in _pdftotext(out / "test-card.pdf")


def test_two_faces_in_the_card_language_make_one_warning(tmp_path: Path) -> None:
    text = _card(card="de").replace("  qr: hub\n", "  qr: hub\n  helplines: [line]\n")
    path = write(tmp_path, text.replace("back:\n  language: en\n", "back:\n"))
    result = run_cli("check", "--strict", str(path))
    assert result.exit_code == 1
    assert _codes(result.output) == [
        f"{path}:2:11: error CG182: language: cardgen has no fixed labels in 'de' (German), "
        "so the words it prints itself beside the numbers (\"Text … to\", \"WhatsApp\", "
        "\"Email\" ...) are in English"]


def test_no_warning_when_the_face_prints_no_fixed_labels(tmp_path: Path) -> None:
    path = write(tmp_path, _card(card="fr", back="fr").replace('    sms: "85258"\n', ""))
    result = run_cli("check", str(path))
    assert result.exit_code == 0
    assert "CG182" not in result.output


def test_a_script_without_labels_of_its_own_is_warned_about(tmp_path: Path) -> None:
    """Shahmukhi Punjabi gets no Gurmukhi labels: they are English, and the user is told."""
    result = run_cli("check", str(write(tmp_path, _card(back="pa-Arab"))))
    assert result.exit_code == 0
    assert "warning CG182: back.language: cardgen has no fixed labels in 'pa-Arab'" in (
        result.output)


# --- properties ----------------------------------------------------------------------------


def _subtags(kind: str) -> list[str]:
    return sorted(entry["Subtag"] for entry in parse_registry()
                  if entry.get("Type") == kind and ".." not in entry["Subtag"]
                  and "Deprecated" not in entry)


LANGUAGES = _subtags("language")
SCRIPTS = _subtags("script")
REGIONS = _subtags("region")


@st.composite
def registered_tags(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(LANGUAGES))
    if draw(st.booleans()):
        tag += "-" + draw(st.sampled_from(SCRIPTS))
    if draw(st.booleans()):
        tag += "-" + draw(st.sampled_from(REGIONS))
    cases = draw(st.sampled_from([str.lower, str.upper, str, str.title]))
    return str(cases(tag))


@given(registered_tags())
def test_any_tag_langcodes_calls_valid_is_accepted_in_canonical_form(tag: str) -> None:
    if not langcodes.tag_is_valid(tag):
        with pytest.raises(LanguageTagProblem):
            canonical_language(tag)
        return
    canonical = canonical_language(tag)
    assert langcodes.tag_is_valid(canonical)
    assert canonical_language(canonical) == canonical
    assert canonical == langcodes.standardize_tag(tag)


@pytest.mark.parametrize("text", ["\x0000\x80", "ur\x00du", "english\n"])
def test_control_characters_are_refused_not_a_crash(text: str) -> None:
    """Regression: a NUL reached language-data's name lookup, which raised SystemError."""
    with pytest.raises(LanguageTagProblem) as caught:
        canonical_language(text)
    assert caught.value.code in {"CG180", "CG181"}


@given(st.text(max_size=24))
def test_any_other_string_is_refused_with_its_code_never_a_traceback(text: str) -> None:
    try:
        canonical = canonical_language(text)
    except LanguageTagProblem as problem:
        assert problem.code in {"CG180", "CG181"}
        assert problem.fix
        return
    # accepted: then it is a registered, well-formed tag
    assert langcodes.tag_is_valid(text.strip()) and "_" not in text
    assert canonical_language(canonical) == canonical


TAGLIKE = st.text(alphabet=st.sampled_from("abeglnrstuxzAEGLNRU-_ 0123é"), max_size=12)


@given(TAGLIKE)
def test_any_language_written_in_a_file_is_accepted_or_refused_with_a_place(text: str) -> None:
    document = _card(card=json.dumps(text))
    try:
        loaded = load_campaign(Path("cards.yaml"), text=document, base_dir=ROOT)
    except InputError as error:
        problems = [p for p in error.problems() if p.severity == "error"]
        assert problems and {p.code for p in problems} <= {"CG180", "CG181"}
        assert all(str(p.location).startswith("cards.yaml:2:") for p in problems)
        return
    assert langcodes.tag_is_valid(loaded.variants[0].spec.language)
