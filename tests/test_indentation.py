"""Indentation mistakes in plain words (issue 12, item 8): a mis-indented line is reported
at the line where the indentation went wrong, naming the line above it, never in the YAML
parser's words ("expected <block end>", "mapping values are not allowed")."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen.errors import InputError, Problem
from cardgen.pipeline import check_campaign

GOOD = """\
campaign: Test card
front:
  title: Need to talk?
  qr: hub
back:
  helplines:
    - line
    - other
helplines:
  line:
    name: Childline
    phone: 0800 1111
    hours: Any time
  other:
    name: The Mix
    phone: 0808 808 4994
links:
  hub:
    url: https://example.org/help
    track: false
"""

PARSER_WORDS = ("expected <", "mapping values", "block end", "block mapping", "found '",
                "expected a mapping")


def _errors(path: Path) -> list[Problem]:
    try:
        found = check_campaign(path)
    except InputError as error:
        found = error.problems()
    return [p for p in found if p.severity == "error"]


def _reindented(number: int, spaces: int) -> str:
    lines = GOOD.splitlines()
    line = lines[number - 1]
    lines[number - 1] = " " * spaces + line.lstrip(" ")
    return "\n".join(lines) + "\n"


def test_the_good_file_is_good(tmp_path: Path) -> None:
    assert _errors(write(tmp_path, GOOD)) == []


@pytest.mark.parametrize(("number", "spaces", "at", "words"), [
    (4, 1, (4, 2), "'qr:' is indented less than 'title:' above it, but more than 'front:'"),
    (4, 4, (4, 5), "'qr:' is indented more than 'title:' above it"),
    (3, 0, (3, 1), "'title:' is not indented under 'front:' above it"),
    (12, 2, (12, 3), "'phone:' is indented less than 'name:' above it"),
    (12, 6, (12, 7), "'phone:' is indented more than 'name:' above it"),
    (8, 3, (8, 4), "the list item '- other' is indented less than '- line' above it"),
    (8, 6, (8, 7), "the list item '- other' is indented more than the item above it"),
    (11, 2, (11, 3), "'name:' is not indented under 'line:' above it"),
    (19, 0, (19, 1), "'url:' is not indented under 'hub:' above it"),
    (20, 3, (20, 4), "'track:' is indented less than 'url:' above it, but more than 'hub:'"),
    (17, 2, (17, 3), "'links:' is indented more than 'helplines:' above it"),
    (14, 0, (14, 1), "'other:' is indented less than 'line:' above it"),
    (16, 0, (16, 1), "'phone:' is indented less than 'name:' above it, so it is not part of "
                     "'other'"),
    (20, 0, (20, 1), "'track:' is indented less than 'url:' above it, so it is not part of "
                     "'hub'"),
])
def test_a_mis_indented_line_is_named_with_the_line_above_it(
        tmp_path: Path, number: int, spaces: int, at: tuple[int, int], words: str) -> None:
    (error,) = _errors(write(tmp_path, _reindented(number, spaces)))
    assert words in error.message
    assert error.location is not None
    assert (error.location.line, error.location.column) == at
    assert "spaces" in (error.fix or "") or "space" in (error.fix or "")


def test_a_key_without_its_colon_is_named(tmp_path: Path) -> None:
    (error,) = _errors(write(tmp_path, GOOD.replace("title: Need", "title Need")))
    assert error.message.startswith("line 3 ('title Need to talk?') has no ':' after its key")
    assert error.location is not None and error.location.line == 3
    assert "write 'title:'" in (error.fix or "")


def test_a_tab_is_named_in_plain_words(tmp_path: Path) -> None:
    text = GOOD.replace("    phone: 0800 1111", "\tphone: 0800 1111")
    (error,) = _errors(write(tmp_path, text))
    assert "indented with a tab" in error.message
    assert error.location is not None and error.location.line == 12


def test_what_a_moved_key_holds_is_still_checked(tmp_path: Path) -> None:
    text = _reindented(16, 2).replace("0808 808 4994", "0808 THE MIX")
    codes = sorted(p.code for p in _errors(write(tmp_path, text)))
    assert codes == ["CG170", "CG205"]  # the slip, and the letters in the number


@settings(max_examples=80, deadline=None)
@given(st.integers(2, len(GOOD.splitlines())), st.integers(0, 8), st.booleans())
def test_any_line_indented_wrongly_is_told_in_plain_words(
        tmp_path_factory: pytest.TempPathFactory, number: int, spaces: int,
        tab: bool) -> None:
    text = _reindented(number, spaces)
    if tab:
        lines = text.splitlines()
        lines[number - 1] = "\t" + lines[number - 1].lstrip(" ")
        text = "\n".join(lines) + "\n"
    path = write(tmp_path_factory.mktemp("indent"), text)
    for error in _errors(path):
        assert error.location is not None and error.location.line is not None, error
        assert not any(words in error.message for words in PARSER_WORDS), error
