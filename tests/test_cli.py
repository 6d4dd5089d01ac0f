"""The command line as a user meets it: exit status, messages, and nothing written on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES, MINIMAL, run_cli, write


def test_check_clean_file_exits_zero() -> None:
    result = run_cli("check", str(EXAMPLES / "neglect-matters.yaml"))
    assert result.exit_code == 0, result.output
    assert "no errors" in result.output


@pytest.mark.parametrize(
    ("mutation", "where", "fragment"),
    [
        (("  title: Need to talk?", "  titel: Need to talk?"), ":3:3", "title"),
        (("campaign: Test card\n", "campaign: Test card\ncard: {colours: {ink: red}}\n"),
         ":2:", "colour"),
        (("  qr: hub", "  qr: hubb"), ":4:7", "hubb"),
        (("    url: https://example.org/help", "    url: javascript:alert(1)"), ":7:", "https"),
        (("campaign: Test card\n",
          "campaign: Test card\ncard: {size: {width: 5x, height: 85mm}}\n"), ":2:", "length"),
    ],
    ids=["unknown-key", "bad-colour", "unknown-qr-id", "bad-scheme", "bad-length"],
)
def test_input_errors_are_located_and_exit_1(
    tmp_path: Path, mutation: tuple[str, str], where: str, fragment: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(*mutation))
    out = tmp_path / "out"
    for command in (["check", str(path)], ["build", str(path), "-o", str(out)]):
        result = run_cli(*command)
        assert result.exit_code == 1, result.output
        assert f"cards.yaml{where}" in result.output
        assert fragment in result.output.lower()
        assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_every_error_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("  title: Need to talk?", "  titel: x")
                 .replace("  qr: hub", "  qr: nowhere"))
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert "titel" in result.output and "nowhere" in result.output


def test_emergency_number_never_in_a_qr(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("qr: hub", "qr: police")
                 + "helplines:\n  police:\n    name: Police\n    phone: '999'\n")
    result = run_cli("build", str(path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "999" in result.output


def test_warnings_pass_but_strict_fails(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("https://example.org/help", "http://example.org/help"))
    ok = run_cli("build", str(path), "-o", str(tmp_path / "out"))
    assert ok.exit_code == 0, ok.output
    assert "warning" in ok.output
    strict = run_cli("build", str(path), "-o", str(tmp_path / "strict"), "--strict")
    assert strict.exit_code == 1
    assert not (tmp_path / "strict").exists()


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert run_cli("build").exit_code == 2
    assert run_cli("build", str(tmp_path / "missing.yaml")).exit_code == 2
    assert run_cli("frobnicate").exit_code == 2


def test_build_reports_what_it_wrote(tmp_path: Path) -> None:
    result = run_cli("build", str(EXAMPLES / "youth-group.yaml"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "30 cards" in result.output
    assert "verified" in result.output
    assert "chain-for-change.pdf" in result.output


def test_schema_is_json() -> None:
    import json

    result = run_cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "campaign" in schema["properties"]


def test_problems_from_every_stage_reported_together(tmp_path: Path) -> None:
    """Regression: an unknown sheet or a bad QR target used to hide text and glyph problems."""
    path = write(tmp_path, """\
campaign: Test
card:
  colours: {ink: "#777777"}
front:
  title: Need to talk? \u4e2d
  qr: police
helplines:
  police: {name: Police, phone: "999"}
print:
  sheet: avery-c3201
""")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    out = result.output
    assert "cards.yaml:3:" in out and "4.48:1" in out          # contrast
    assert "cards.yaml:5:" in out and "U+4E2D" in out          # missing glyph
    assert "cards.yaml:6:7" in out and "999" in out            # emergency number in a QR
    assert "cards.yaml:10:10" in out and "avery-c32011" in out  # unknown sheet, with suggestion
    assert out.count("emergency number") == 1


def test_list_sheets_shows_every_sheet_with_its_codes() -> None:
    from cardgen.layout.sheets import builtin_sheets

    result = run_cli("list", "sheets")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["sheet", "page", "card", "(mm)", "cards", "a", "sheet", "also",
                                "sold", "as"]
    for sheet in builtin_sheets():
        assert any(line.startswith(sheet.id + " ") for line in lines), sheet.id
    row_5371 = next(line for line in lines if line.startswith("avery-5371 "))
    assert "Letter 215.9 x 279.4 mm" in row_5371 and "88.9 x 50.8 mm" in row_5371
    assert " 10 " in row_5371 and "5911" in row_5371 and "8871" in row_5371
    row_l7414 = next(line for line in lines if line.startswith("avery-l7414 "))
    assert "90 x 52 mm" in row_l7414
    row_c32015 = next(line for line in lines if line.startswith("avery-c32015 "))
    assert "85 x 54 mm" in row_c32015 and " 8 " in row_c32015


def test_unprintable_sms_body_is_located_at_sms_body(tmp_path: Path) -> None:
    """Regression: a character in the printed "Text ... to" line was reported at the sms
    number instead of at sms_body."""
    path = write(tmp_path, """\
campaign: Test card
front:
  title: Need to talk?
  qr: hub
  helplines: [shout]
links:
  hub:
    url: https://example.org/help
helplines:
  shout:
    name: Shout
    sms: "85258"
    sms_body: "SHOUT \u4e2d"
""")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert "cards.yaml:13:" in result.output
    assert "cards.yaml:12:" not in result.output


@pytest.mark.slow
def test_the_command_ends_with_its_status_and_all_it_printed(tmp_path: Path) -> None:
    import subprocess
    import sys

    def cardgen(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cardgen", *args], capture_output=True,
                              text=True, cwd=tmp_path)

    done = cardgen("build", str(EXAMPLES / "youth-group.yaml"), "-o", "out")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith("out/chain-for-change.manifest.csv")
    assert (tmp_path / "out" / "chain-for-change.pdf").stat().st_size > 0
    (tmp_path / "bad.yaml").write_text("campaign: x\nfront: {title: hi, qr: nope}\n",
                                       encoding="utf-8")
    bad = cardgen("build", "bad.yaml", "-o", "out2")
    assert bad.returncode == 1
    assert "bad.yaml:2:24: error CG130" in bad.stderr
    assert bad.stderr.rstrip().endswith("nothing was written.")
    assert cardgen("build", "missing.yaml").returncode == 2


def test_one_card_on_one_page_is_counted_in_the_singular(tmp_path: Path) -> None:
    # Regression: "1 cards on 1 sheet (1 pages)".
    text = MINIMAL.replace("front:", "print:\n  copies: 1\n  sheet: print-shop\nfront:")
    result = run_cli("build", str(write(tmp_path, text)), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "1 variant, 1 card on 1 sheet (1 page), 0 surplus; 1 QR code verified by decoding.")


def test_two_cards_on_two_pages_are_counted_in_the_plural(tmp_path: Path) -> None:
    text = MINIMAL.replace("front:", "print:\n  copies: 2\n  sheet: print-shop\nfront:")
    source = write(tmp_path, text + "back:\n  title: Free help\n")
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "1 variant, 2 cards on 2 sheets (4 pages), 0 surplus; 1 QR code verified by decoding.")


@pytest.mark.parametrize(("count", "expected"), [
    (0, "0 warnings"), (1, "1 warning"), (2, "2 warnings"), (11, "11 warnings")])
def test_counted_says_one_in_the_singular_and_every_other_count_in_the_plural(
        count: int, expected: str) -> None:
    from cardgen.cli import counted

    assert counted(count, "warning") == expected


def test_a_face_with_one_helpline_that_does_not_fit_says_so_in_the_singular(
        tmp_path: Path) -> None:
    text = MINIMAL.replace("  qr: hub\n", "  qr: hub\n  helplines: [line]\n").replace(
        "front:", "card:\n  size: {width: 40mm, height: 30mm}\n  design: classic\nfront:") + (
        "helplines:\n  line:\n    name: A helpline with a rather long name indeed\n"
        "    phone: 0800 1111\n"
        "    hours: Mon-Fri 8am-10pm, weekends 9am-6pm, bank holidays 10am-4pm\n")
    result = run_cli("check", str(write(tmp_path, text)))
    assert result.exit_code == 1
    assert "front.helplines do not fit: 1 helpline needs" in result.output, result.output
    assert "mm for it\n" in result.output


def test_a_one_column_csv_header_is_counted_in_the_singular(tmp_path: Path) -> None:
    (tmp_path / "schools.csv").write_text("id\noakfield,extra\n", encoding="utf-8")
    source = write(tmp_path, MINIMAL + "variants_csv: schools.csv\n")
    result = run_cli("check", str(source))
    assert result.exit_code == 1
    assert "row 2 has 2 cells but the header has 1 column" in result.output, result.output
    assert "1 columns" not in result.output


def test_bad_number_behind_the_qr_code_is_reported_once(tmp_path: Path) -> None:
    """Regression: a helpline number with letters that the front's QR code dials was reported
    twice, once as CG205 at the number and again as a link error (CG301) at `qr:`."""
    path = write(tmp_path, """\
campaign: Youth club
front:
  title: Need to talk?
  qr: childline
helplines:
  childline: {name: Childline, phone: 0800 11x1}
""")
    for command in (["check", str(path)], ["build", str(path), "-o", str(tmp_path / "out")]):
        result = run_cli(*command)
        assert result.exit_code == 1, result.output
        assert "cards.yaml:6:39: error CG205" in result.output
        assert "CG301" not in result.output
        assert result.output.count("contains letters") == 1
    assert not (tmp_path / "out").exists()
