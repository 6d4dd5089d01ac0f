"""Every error at once, and no echoes: one mistake neither hides the others in the same run
nor adds knock-on errors about what it would have defined (issue 12, item 7)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, write

from cardgen.errors import InputError
from cardgen.input.config import load_campaign

CARD = """\
campaign: Test card
card:
  logo: {logo}
front:
  title: Need to talk?
  qr: hub
back:
  helplines: [line]
helplines:
  line:
    name: Childline
    phone: 0800 1111
links:
  hub:
    url: https://example.org/help
"""


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " error CG" in line or " warning CG" in line]


def test_a_bad_id_and_a_duplicate_code_do_not_hide_phone_errors_in_other_rows(
        tmp_path: Path) -> None:
    write(tmp_path, CARD.format(logo="~") + "variants_csv: schools.csv\n")
    (tmp_path / "schools.csv").write_text(
        "id,code,helplines.line.phone\n"
        "oak,k1,0800 CHILDLINE\n"
        "bad/id,k2,0800 1111\n"
        "elm,k1,0800 1111\n"
        "ash,k4,12\n", encoding="utf-8")
    result = run_cli("check", str(tmp_path / "cards.yaml"))
    assert result.exit_code == 1
    found = _lines(result.output)
    assert len(found) == 4, result.output
    assert "schools.csv:2 (row 2, column 'helplines.line.phone'): error CG205" in found[0]
    assert "schools.csv:3 (row 3, column 'id'): error CG140" in found[1]
    assert "schools.csv:4 (row 4, column 'code'): error CG131" in found[2]
    assert "schools.csv:5 (row 5, column 'helplines.line.phone'): error CG201" in found[3]
    assert "[variant ash]" in found[3]


def test_the_build_of_such_a_batch_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path, CARD.format(logo="~") + "variants_csv: schools.csv\n")
    (tmp_path / "schools.csv").write_text("id,code\noak,k1\nelm,k1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", str(tmp_path / "cards.yaml"), "-o", str(out))
    assert result.exit_code == 1
    assert "CG131" in result.output and "nothing was written" in result.output
    assert not out.exists() or not any(out.rglob("*"))


def test_an_unknown_key_does_not_hide_a_missing_logo(tmp_path: Path) -> None:
    text = CARD.format(logo="crest.png").replace("  title: Need to talk?\n",
                                                 "  title: Need to talk?\n  titel: Hello\n")
    text = text.replace("card:\n", "card:\n  colour: red\n")
    path = write(tmp_path, text)
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    found = _lines(result.output)
    assert [line.split(": ", 1)[0] for line in found] == [
        f"{path}:3:3", f"{path}:4:9", f"{path}:7:3"], result.output
    assert "CG120: unknown key 'colour' in card" in found[0]
    assert "CG720: the logo" in found[1] and "crest.png does not exist" in found[1]
    assert "CG120: unknown key 'titel' in front" in found[2]


def test_a_misspelt_top_level_key_says_did_you_mean_and_nothing_about_its_ids(
        tmp_path: Path) -> None:
    path = write(tmp_path, CARD.format(logo="~").replace("\nhelplines:\n", "\nhelpline:\n"))
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    found = _lines(result.output)
    assert len(found) == 1, result.output
    assert f"{path}:9:1: error CG120: unknown key 'helpline' at the top level" in found[0]
    assert "did you mean 'helplines'?" in result.output
    assert "CG130" not in result.output and "CG134" not in result.output


def test_what_a_misspelt_key_holds_is_still_checked_where_it_is_written(
        tmp_path: Path) -> None:
    path = write(tmp_path, CARD.format(logo="~").replace("\nhelplines:\n", "\nhelpline:\n")
                 .replace("0800 1111", "0800 CHILDLINE"))
    result = run_cli("check", str(path))
    found = _lines(result.output)
    assert len(found) == 2, result.output
    assert "CG120" in found[0]
    assert found[1].startswith(f"{path}:12:12: error CG205")


def test_load_campaign_alone_still_raises_every_error(tmp_path: Path) -> None:
    path = write(tmp_path, CARD.format(logo="~").replace("\nhelplines:\n", "\nhelpline:\n"))
    try:
        load_campaign(path)
    except InputError as error:
        assert [p.code for p in error.problems()] == ["CG120"]
    else:
        raise AssertionError("a misspelt key must be an error")
    loaded = load_campaign(path, keep_going=True)
    assert [p.code for p in loaded.errors] == ["CG120"]
    # read as meant, for the checks after loading; never built (the error stays)
    assert list(loaded.variants[0].spec.helplines) == ["line"]


def test_a_duplicate_id_does_not_move_the_first_rows_errors_onto_it(tmp_path: Path) -> None:
    write(tmp_path, CARD.format(logo="~") + "variants_csv: schools.csv\n")
    (tmp_path / "schools.csv").write_text(
        "id,code,helplines.line.phone\noak,k1,0800 CHILDLINE\nelm,k2,0800 1111\n"
        "oak,k3,12\n", encoding="utf-8")
    found = _lines(run_cli("check", str(tmp_path / "cards.yaml")).output)
    assert len(found) == 2, found
    assert "schools.csv:2 (row 2, column 'helplines.line.phone'): error CG205" in found[0]
    assert "schools.csv:4 (row 4, column 'id'): error CG131" in found[1]
