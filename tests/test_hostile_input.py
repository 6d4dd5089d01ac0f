"""Property tests: whatever a file says, check and build end in a result or a CardgenError
(a located message, exit status 1), never another exception; a successful build's QR codes
all decode to the payloads in the manifest; and the text hygiene rules."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfprobe import decode_page

from cardgen.errors import CardgenError, Location
from cardgen.input import hygiene
from cardgen.pipeline import BuildOptions, build_campaign, check_campaign

MINIMAL = """\
campaign: {campaign}
front:
  title: {title}
  text: {text}
  qr: hub
back:
  helplines: [line]
  footer: {footer}
helplines:
  line:
    name: {name}
    phone: {phone}
    hours: {hours}
links:
  hub:
    url: {url}
"""
GOOD = {"campaign": "Test card", "title": "Need to talk?", "text": "Scan for help.",
        "footer": "Call 999 in an emergency.", "name": "Childline", "phone": "0800 1111",
        "hours": "Any time", "url": "https://example.org/help"}
FIELDS = sorted(GOOD)
TMP = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write(folder: Path, text: str) -> Path:
    path = folder / "cards.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _outcome(path: Path) -> str:
    try:
        check_campaign(path)
    except CardgenError as error:
        assert str(error)  # a message a person can read
        return "refused"
    return "checked"


@TMP
@given(st.text(max_size=300))
def test_any_text_as_a_file_is_checked_or_refused(tmp_path: Path, text: str) -> None:
    _outcome(_write(tmp_path, text))


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                         st.text(max_size=20))
yaml_trees = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(
                                ["campaign", "front", "back", "title", "qr", "helplines",
                                 "links", "url", "phone", "name", "card", "print", "copies",
                                 "size", "variants", "id", "x"]), inner, max_size=5)),
    max_leaves=25)


@TMP
@given(yaml_trees)
def test_any_yaml_document_is_checked_or_refused(tmp_path: Path, tree: object) -> None:
    # JSON is YAML: any data tree, including the keys cardgen knows in the wrong places
    _outcome(_write(tmp_path, json.dumps(tree)))


@TMP
@given(st.sampled_from(FIELDS), st.text(max_size=60))
def test_any_unicode_in_any_field_is_checked_or_refused(tmp_path: Path, field: str,
                                                        value: str) -> None:
    values = {k: json.dumps(v) for k, v in GOOD.items()}
    values[field] = json.dumps(value)  # a double-quoted YAML string: any character at all
    _outcome(_write(tmp_path, MINIMAL.format(**values)))


@pytest.mark.slow
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["title", "text", "footer", "name", "hours", "url"]),
       st.text(st.characters(min_codepoint=0x20, max_codepoint=0x17F,
                                     exclude_categories=("Cc",)), min_size=1, max_size=24))
def test_a_build_that_succeeds_has_qr_codes_that_decode(tmp_path: Path, field: str,
                                                        value: str) -> None:
    values = {k: json.dumps(v) for k, v in GOOD.items()}
    values[field] = json.dumps(value if field != "url" else f"https://example.org/{value}")
    path = _write(tmp_path, MINIMAL.format(**values))
    out = tmp_path / "out"
    try:
        result = build_campaign(path, BuildOptions(output_dir=out, force=True))
    except CardgenError:
        return
    manifest = list(csv.DictReader(io.StringIO(
        (out / "test-card.manifest.csv").read_text(encoding="utf-8"))))
    pdf = next(p for p in result.files if p.suffix == ".pdf")
    assert decode_page(pdf, 0)[0] == manifest[0]["front_qr"]


@pytest.mark.parametrize("text", ["Need to talk?", "ਮਦਦ\u200dਲਈ", "می\u200cخواهم",
                                  "line one\nline two\tand a tab"])
def test_legitimate_text_is_clean(text: str) -> None:
    assert hygiene.bad_characters(text) == []


@pytest.mark.parametrize(("char", "named"), [
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"), ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("\u200b", "U+200B ZERO WIDTH SPACE"), ("\x1b", "U+001B control character"),
    ("\ue000", "U+E000"), ("\u00ad", "U+00AD SOFT HYPHEN"),
])
def test_each_refused_character_is_named(char: str, named: str) -> None:
    problems = hygiene.check_text(("front", "title"), f"Call{char} us", Location("f.yaml", 3, 10))
    assert len(problems) == 1
    assert problems[0].code == "CG115"
    assert named in problems[0].message and "front.title" in problems[0].message
    assert str(problems[0].location) == "f.yaml:3:10"


@given(st.text())
def test_hygiene_never_passes_an_override(text: str) -> None:
    bad = hygiene.bad_characters(text)
    for char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b":
        assert (char in text) == (char in bad)
