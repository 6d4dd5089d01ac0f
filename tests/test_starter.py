"""`cardgen init`: the starter builds as it is, passes check --strict, never overwrites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli, write
from pdfprobe import all_text
from ruamel.yaml import YAML

from cardgen import starter
from cardgen.cli import main


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
        "",                      # no opening hours
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
    assert "hours:" not in text.split("oak-club-office:", 1)[1].split("childline:", 1)[0]
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


def test_local_helplines_keep_every_national_one_and_the_card_still_fits(
        tmp_path: Path) -> None:
    # Regression: adding two local numbers dropped Shout, adding three dropped the NSPCC too.
    answers = starter.Answers("Club", (
        starter.LocalHelpline("Oak Academy safeguarding team", "0113 378 9000",
                              "Mon-Fri 8.30am-4pm, term time"),
        starter.LocalHelpline("Leeds children social work service", "0113 222 4403",
                              "Mon-Thu 8.30am-5pm, Fri 8.30am-4.30pm"),
        starter.LocalHelpline("Leeds youth counselling line", "0113 245 0000",
                              "Evenings 6pm-10pm")))
    text = starter.customised_text(answers)
    data = YAML(typ="safe", pure=True).load(text)
    assert data["back"]["helplines"] == [
        "oak-academy-safeguarding-team", "leeds-children-social-work-service",
        "leeds-youth-counselling-line", "childline", "nspcc", "shout"]
    assert data["helplines"]["leeds-children-social-work-service"]["hours"] == (
        "Mon-Thu 8.30am-5pm, Fri 8.30am-4.30pm")
    cards = tmp_path / "cards.yaml"
    cards.write_text(text, encoding="utf-8")
    check = run_cli("check", "--strict", str(cards))
    assert check.exit_code == 0, check.output
    build = run_cli("build", str(cards), "-o", str(tmp_path / "out"))
    assert build.exit_code == 0, build.output
    printed = all_text(tmp_path / "out" / "club.pdf")
    for number in ("0113 378 9000", "0113 222 4403", "0113 245 0000", "0800 1111",
                   "0808 800 5000", "85258"):
        assert number in printed


def test_interactive_init_asks_hours_groups_numbers_and_warns_of_a_repeated_number(
        tmp_path: Path) -> None:
    answers = "\n".join([
        "Oak Youth Club",
        "Oak school office", "01133789000", "Mon-Fri 9am-5pm",
        "NSPCC again", "+448088005000", "",
        "",                      # no more local helplines
        "",                      # the default link
    ]) + "\n"
    result = CliRunner().invoke(main, ["init", "-i", str(tmp_path)], input=answers,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("warning CG245: +44 808 800 5000 is already on the card as 'NSPCC Helpline'"
            in result.output)
    text = (tmp_path / "cards.yaml").read_text(encoding="utf-8")
    assert "phone: 0113 378 9000\n    hours: Mon-Fri 9am-5pm\n" in text
    assert "phone: +44 808 800 5000\n" in text
    assert "helplines: [oak-school-office, nspcc-again, childline, nspcc, shout]" in text
    check = run_cli("check", str(tmp_path / "cards.yaml"))
    assert check.exit_code == 0, check.output
    assert "warning CG245: the number +44 808 800 5000 is listed under two names" in (
        check.output)


@pytest.mark.parametrize(("typed", "grouped"), [
    ("01133789000", "0113 378 9000"),
    ("020 79460101", "020 7946 0101"),
    ("+441133789000", "+44 113 378 9000"),
    ("0044 113 378 9000", "+44 113 378 9000"),
    ("116 123", "116 123"),
])
def test_init_groups_numbers_as_they_are_read(typed: str, grouped: str) -> None:
    assert starter.check_phone(typed) == grouped


def test_hours_validator_takes_hours_words_and_refuses_unknown_ones(tmp_path: Path) -> None:
    assert starter.check_hours("{free_any_time}") == "{free_any_time}"
    with pytest.raises(ValueError, match=r"'\{fre\}' is not an hours word: did you mean"):
        starter.check_hours("{fre}")
    # written so that YAML reads it back as text, and the card builds
    answers = starter.Answers("Club", (starter.LocalHelpline(
        "Oak Club", "0113 378 9000", starter.check_hours("{every_day}, 9am–5pm")),),
        starter.DEFAULT_LINK)
    write(tmp_path, starter.customised_text(answers))
    check = run_cli("check", str(tmp_path / "cards.yaml"))
    assert check.exit_code == 0, check.output
