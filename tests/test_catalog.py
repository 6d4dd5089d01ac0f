"""`cardgen list`: readable tables of what is built in, and the designs contact sheet."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from PIL import Image

from cardgen import catalog


def test_list_designs_names_every_builtin_design() -> None:
    result = run_cli("list", "designs")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[0] == "design" and set(lines[1]) <= {"-", " "}
    for name in ("classic", "discreet", "qr-only"):
        assert any(line.startswith(name + " ") for line in lines)


def test_list_sizes_shows_millimetres() -> None:
    result = run_cli("list", "sizes")
    assert result.exit_code == 0
    assert "phone-case   85 × 55 mm" in result.output
    assert "cr80         85.6 × 53.98 mm    3.18 mm" in result.output


def test_list_fonts_includes_the_default_font() -> None:
    result = run_cli("list", "fonts")
    assert result.exit_code == 0
    assert "Atkinson Hyperlegible  regular, bold" in result.output


def test_list_sheets_includes_plain_paper() -> None:
    result = run_cli("list", "sheets")
    assert result.exit_code == 0
    assert "a4-10up" in result.output and "print-shop" in result.output


def test_unknown_list_is_a_usage_error() -> None:
    assert run_cli("list", "colours").exit_code == 2


def test_table_columns_line_up() -> None:
    text = catalog.format_table((("a", "bb"), [("long name", "x"), ("s", "yy")]))
    assert text.splitlines() == ["a          bb", "---------  --", "long name  x", "s          yy"]


def test_designs_contact_sheet_pictures_every_design(tmp_path: Path) -> None:
    result = run_cli("list", "designs", "--preview", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    png = tmp_path / "designs.png"
    assert f"wrote {png}" in result.output
    image = Image.open(png)
    card_w = 55 * 100 / 25.4
    # three designs side by side, front above back
    assert image.width > 3 * card_w and image.height > 2 * (85 * 100 / 25.4)
