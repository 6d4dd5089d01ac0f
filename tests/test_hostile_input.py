"""Property tests: whatever a file says, check and build end in a result or a CardgenError
(a located message, exit status 1), never another exception; a successful build's QR codes
all decode to the payloads in the manifest; and the text hygiene rules."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfprobe import decode_page

from cardgen.errors import CardgenError, Location, Problem
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


# --- print geometry (issue 12, item 11) ---------------------------------------------------

GEOMETRY = """\
campaign: Test card
front:
  title: Need to talk?
  qr: hub
back:
  title: Help
links:
  hub:
    url: https://example.org/help
print:
  sheet: {sheet}
  offset: {{x: {x}mm, y: {y}mm}}
  back_offset: {{x: {bx}mm, y: {by}mm}}
  start_at: {start_at}
  bleed: {bleed}mm
"""
_mm = st.one_of(st.floats(-400, 400, allow_nan=False), st.sampled_from([0.0, 1e300, -1e-9]))


def _problems_of(path: Path) -> list[Problem]:
    try:
        return check_campaign(path)
    except CardgenError as error:
        return error.problems()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheet=st.sampled_from(["a4-10up", "avery-c32011", "print-shop", "letter-10up",
                              "herma-5028"]),
       x=_mm, y=_mm, bx=_mm, by=_mm, start_at=st.integers(-2, 40),
       bleed=st.floats(-5, 15, allow_nan=False))
def test_any_print_geometry_is_printed_on_the_page_or_refused_with_its_place(
        tmp_path: Path, sheet: str, x: float, y: float, bx: float, by: float, start_at: int,
        bleed: float) -> None:
    path = _write(tmp_path, GEOMETRY.format(sheet=sheet, x=x, y=y, bx=bx, by=by,
                                            start_at=start_at, bleed=bleed))
    for problem in _problems_of(path):
        if problem.severity == "error":
            assert problem.location is not None and problem.location.line, problem


_sheet_values = st.one_of(st.integers(-5, 400), st.floats(allow_nan=True), st.text(max_size=5),
                          st.none(), st.booleans(), st.sampled_from([1e308, "A4", [], {}]))
_sheet_files = st.dictionaries(st.sampled_from(
    ["page", "page_w_mm", "page_h_mm", "card_w_mm", "card_h_mm", "cols", "rows", "x0_mm",
     "y0_mm", "dx_mm", "dy_mm", "gutter_mm", "margin_mm", "corner_radius_mm", "kind",
     "colls"]), _sheet_values, max_size=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_sheet_files, st.booleans())
def test_any_sheet_file_is_used_or_refused_with_every_place(
        tmp_path: Path, fields: dict[str, object], as_yaml: bool) -> None:
    name = "mine.yaml" if as_yaml else "mine.json"
    (tmp_path / name).write_text(json.dumps(fields, indent=2), encoding="utf-8")
    path = _write(tmp_path, GEOMETRY.format(sheet=name, x=0, y=0, bx=0, by=0, start_at=1,
                                            bleed=3))
    for problem in _problems_of(path):
        if problem.severity == "error":
            assert problem.location is not None, problem
            if problem.code in ("CG504", "CG541"):
                assert problem.location.file.endswith(name) and problem.location.line, problem


# --- both families through the command line: located, exit status 1, never a traceback ----

_hostile_urls = st.builds(
    lambda user, host, port, path: "https://" + (f"{user}@" if user else "") + host
    + (f":{port}" if port is not None else "") + "/" + path,
    st.one_of(st.none(), st.sampled_from(["nspcc.org.uk", "www.childline.org.uk", "a:b"])),
    st.one_of(st.sampled_from(["evil.example", "%6e%73pcc.org.uk", "[::1", "[2001:db8::1]",
                               "xn--80ak6aa92e.com", "1.2.3.4.5", "example.org"]),
              st.integers(0, 2**32 - 1).map(str), st.integers(0, 2**32 - 1).map(hex)),
    st.one_of(st.none(), st.integers(0, 99999), st.just("x")),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="'\\"),
            max_size=8))


def _cli_reports_every_problem_at_its_place(path: Path) -> None:
    result = run_cli("check", str(path))
    problems = [line for line in result.output.splitlines()
                if re.search(r" (error|warning) CG\d{3}:", line)]
    has_errors = any(" error CG" in line for line in problems)
    assert result.exit_code == (1 if has_errors else 0), result.output
    for line in problems:
        assert re.match(r"\S+:\d+(:\d+)?: ", line), line


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_hostile_urls)
def test_a_hostile_link_is_located_through_the_cli(tmp_path: Path, url: str) -> None:
    values = {k: json.dumps(v) for k, v in GOOD.items()}
    values["url"] = "'" + url + "'"
    _cli_reports_every_problem_at_its_place(_write(tmp_path, MINIMAL.format(**values)))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheet=st.sampled_from(["a4-10up", "avery-c32011", "print-shop"]), x=_mm, y=_mm,
       bx=_mm, by=_mm, start_at=st.integers(-2, 40), bleed=st.floats(-5, 15, allow_nan=False))
def test_hostile_geometry_is_located_through_the_cli(
        tmp_path: Path, sheet: str, x: float, y: float, bx: float, by: float, start_at: int,
        bleed: float) -> None:
    _cli_reports_every_problem_at_its_place(_write(tmp_path, GEOMETRY.format(
        sheet=sheet, x=x, y=y, bx=bx, by=by, start_at=start_at, bleed=bleed)))
