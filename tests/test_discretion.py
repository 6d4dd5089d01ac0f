"""Discretion lint: give-away words on the seen face of a discreet design are warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from cardgen.checks.discretion import builtin_words, find_words

CARD = """\
campaign: Discreet
card:
  design: {design}
{extra}front:
  title: {title}
  qr: hub
back:
  title: Free, confidential help
  text: If you are worried about abuse, talk to us.
links:
  hub:
    url: https://example.org/help
"""


def write(tmp_path: Path, title: str, design: str = "discreet", extra: str = "") -> Path:
    path = tmp_path / "cards.yaml"
    path.write_text(CARD.format(title=title, design=design, extra=extra), encoding="utf-8")
    return path


def test_word_list_is_data_with_the_usual_words() -> None:
    assert {"abuse", "neglect", "violence"} <= set(builtin_words())


@pytest.mark.parametrize(("text", "found"), [
    ("Stop the ABUSE", ["abuse"]),
    ("Were you abused?", ["abuse"]),
    ("Feeling neglected?", ["neglect"]),
    ("self harm or self-harm", ["self-harm", "self harm"]),
    ("Need to talk?", []),
    ("Abusers", ["abuse"]),
    ("abusive and abusing", ["abuse", "abusive"]),
    ("Disabused of the notion", []),  # a word that only contains one is not it
])
def test_find_words(text: str, found: list[str]) -> None:
    assert find_words(text, builtin_words()) == found


def test_front_of_discreet_design_warns_naming_word_and_face(tmp_path: Path) -> None:
    result = run_cli("check", str(write(tmp_path, "Neglect matters")))
    assert result.exit_code == 0, result.output
    assert "warning CG740" in result.output
    assert "'neglect' in front.title is printed on the front" in result.output
    assert "cards.yaml:5:10" in result.output
    # the back is where the help belongs: 'abuse' there is not reported
    assert "back.text" not in result.output


def test_strict_makes_it_an_error(tmp_path: Path) -> None:
    result = run_cli("check", "--strict", str(write(tmp_path, "Violence at home?")))
    assert result.exit_code == 1
    assert "error CG740" in result.output and "'violence'" in result.output


def test_other_designs_are_not_linted(tmp_path: Path) -> None:
    result = run_cli("check", str(write(tmp_path, "Neglect matters", design="classic")))
    assert result.exit_code == 0
    assert "CG740" not in result.output


def test_campaign_adds_its_own_words(tmp_path: Path) -> None:
    path = write(tmp_path, "The Oakfield Project", extra="  discretion_words: [oakfield]\n")
    result = run_cli("check", str(path))
    assert "'oakfield' in front.title" in result.output


def test_neutral_front_has_no_warning(tmp_path: Path) -> None:
    result = run_cli("check", str(write(tmp_path, "Need to talk?")))
    assert result.exit_code == 0
    assert "0 warnings" in result.output


@pytest.mark.parametrize("design", ["coffee-stamp", "gig-ticket", "library-card"])
def test_disguised_designs_keep_the_help_off_the_front_they_show(tmp_path: Path,
                                                                 design: str) -> None:
    # the back carries 'abuse': the help is on the back, never reported
    result = run_cli("check", str(write(tmp_path, "Need to talk?", design=design)))
    assert result.exit_code == 0, result.output
    assert "CG740" not in result.output


def test_a_word_the_design_does_not_print_is_not_a_give_away(tmp_path: Path) -> None:
    # gig-ticket prints only the front's QR code: the title is not printed (CG714)
    result = run_cli("check", str(write(tmp_path, "Neglect matters", design="gig-ticket")))
    assert result.exit_code == 0, result.output
    assert "CG740" not in result.output
    assert "warning CG714" in result.output and "front.title" in result.output
