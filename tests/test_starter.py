"""`cardgen init`: the starter builds as it is, passes check --strict, never overwrites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli

from cardgen.cli import main
from cardgen.input import starter


def test_init_writes_a_file_that_builds_and_passes_strict_check(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "cards"))
    assert result.exit_code == 0, result.output
    cards = tmp_path / "cards" / "cards.yaml"
    assert f"cardgen build {cards}" in result.output
    assert cards.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=cardgen.schema.json\n")
    schema = json.loads((tmp_path / "cards" / "cardgen.schema.json").read_text("utf-8"))
    assert "campaign" in schema["properties"]
    check = run_cli("check", "--strict", str(cards))
    assert check.exit_code == 0, check.output
    assert "0 warnings" in check.output
    build = run_cli("build", str(cards), "-o", str(tmp_path / "out"))
    assert build.exit_code == 0, build.output
    assert "30 cards" in build.output


def test_starter_uses_the_real_uk_helplines() -> None:
    text = starter.starter_text()
    for fact in ("0800 1111", "0808 800 5000", '"85258"', "SHOUT",
                 "https://www.childline.org.uk/"):
        assert fact in text


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "cards.yaml").write_text("campaign: mine\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path))
    assert result.exit_code == 1
    assert "CG910" in result.output and "already exists" in result.output
    assert (tmp_path / "cards.yaml").read_text(encoding="utf-8") == "campaign: mine\n"
    assert not (tmp_path / "cardgen.schema.json").exists()


def test_init_into_a_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = run_cli("init", str(tmp_path / "afile"))
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_interactive_init_validates_as_you_type(tmp_path: Path) -> None:
    answers = "\n".join([
        "Oak Youth Club",
        "Oak club office",
        "0800 CHILD",            # refused: letters
        "01707 281000",
        "",                      # no more local helplines
        "javascript:alert(1)",   # refused: not https
        "https://oak.example.org/help",
    ]) + "\n"
    result = CliRunner().invoke(main, ["init", "-i", str(tmp_path)], input=answers,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "contains letters" in result.output
    assert "https://" in result.output
    text = (tmp_path / "cards.yaml").read_text(encoding="utf-8")
    assert "campaign: Oak Youth Club" in text
    assert "phone: 01707 281000" in text
    assert "helplines: [oak-club-office, childline, nspcc, shout]" in text
    assert "# The front is what people see first" in text  # comments survive
    check = run_cli("check", "--strict", str(tmp_path / "cards.yaml"))
    assert check.exit_code == 0, check.output
    build = run_cli("build", str(tmp_path / "cards.yaml"), "-o", str(tmp_path / "out"))
    assert build.exit_code == 0, build.output
    assert "oak.example.org/help" in (tmp_path / "out" / "oak-youth-club.manifest.csv").read_text()


@pytest.mark.parametrize("bad", ["999", "0800 CHILDLINE", "12"])
def test_phone_validator_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        starter.check_phone(bad)


def test_local_helplines_beyond_four_push_national_ones_off() -> None:
    answers = starter.Answers("Club", tuple(
        starter.LocalHelpline(f"Office {n}", "01707 281000") for n in range(3)))
    text = starter.customised_text(answers)
    assert "helplines: [office-0, office-1, office-2, childline]" in text
    assert "nspcc:" not in text and "shout:" not in text
