"""`cardgen preview`: a PNG per face at the card's size for the dpi asked, whose QR scans."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from conftest import EXAMPLES, run_cli
from PIL import Image


def _decoded(png: Path) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(png).convert("L"))]


@pytest.mark.parametrize("dpi", [96, 150, 300])
def test_face_pngs_are_card_sized_and_decode(tmp_path: Path, dpi: int) -> None:
    result = run_cli("preview", str(EXAMPLES / "neglect-matters.yaml"), "-o", str(tmp_path),
                     "--dpi", str(dpi))
    assert result.exit_code == 0, result.output
    front = tmp_path / "preview" / "neglect-matters-front.png"
    back = tmp_path / "preview" / "neglect-matters-back.png"
    assert f"wrote {front}" in result.output and f"wrote {back}" in result.output
    want = (55 * dpi / 25.4, 85 * dpi / 25.4)  # phone-case, portrait
    for png in (front, back):
        width, height = Image.open(png).size
        assert abs(width - want[0]) <= 1 and abs(height - want[1]) <= 1
    assert _decoded(front) == [
        "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/?b=neglect-matters"]


def test_variant_option_previews_only_that_variant(tmp_path: Path) -> None:
    result = run_cli("preview", str(EXAMPLES / "schools-batch.yaml"), "-o", str(tmp_path),
                     "--variant", "oakfield-primary")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "preview").iterdir())
    assert names == ["oakfield-primary-back.png", "oakfield-primary-front.png"]


def test_sheet_preview_is_the_printed_page(tmp_path: Path) -> None:
    result = run_cli("preview", "--sheet", str(EXAMPLES / "youth-group.yaml"), "-o",
                     str(tmp_path), "--dpi", "100")
    assert result.exit_code == 0, result.output
    sheet = tmp_path / "preview" / "chain-for-change-sheet-front.png"
    width, height = Image.open(sheet).size
    assert abs(width - 210 * 100 / 25.4) <= 1 and abs(height - 297 * 100 / 25.4) <= 1
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob("**/*.csv"))


def test_same_input_same_png_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run_cli("preview", str(EXAMPLES / "youth-group.yaml"), "-o",
                       str(tmp_path / name)).exit_code == 0
    first = tmp_path / "a" / "preview" / "chain-for-change-front.png"
    assert first.read_bytes() == (tmp_path / "b" / first.relative_to(tmp_path / "a")).read_bytes()


def test_bad_input_writes_no_picture(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("campaign: x\nfront:\n  titel: hi\n", encoding="utf-8")
    result = run_cli("preview", str(bad), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "bad.yaml:3:3" in result.output and "CG120" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("dpi", ["5000", "0"])
@pytest.mark.parametrize("sheet", [[], ["--sheet"]], ids=["faces", "sheet"])
def test_dpi_out_of_range_is_refused(tmp_path: Path, dpi: str, sheet: list[str]) -> None:
    """Regression for 0: it was taken as "no --dpi given" and pictures came out at 150."""
    result = run_cli("preview", str(EXAMPLES / "youth-group.yaml"), "-o", str(tmp_path),
                     "--dpi", dpi, *sheet)
    assert result.exit_code == 1
    assert "CG920" in result.output
    assert not (tmp_path / "preview").exists()
