"""The calibration page: slot outlines where cards print, centre crosses, offset scales,
instructions, and a back page for duplex printers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pypdf
import pytest
from conftest import run_cli
from pdfprobe import PT, page_sizes_mm, page_text
from pypdf.generic import ContentStream

from cardgen.calibrate import calibration_pages
from cardgen.errors import CardgenError

# The gLabels and LibreOffice label geometry, kept with the tests: see tests/data/README.md.
REFERENCE = Path(__file__).resolve().parent / "data" / "sheets.json"
SHEETS: list[dict[str, Any]] = json.loads(REFERENCE.read_text(encoding="utf-8"))


def slots(ref: dict[str, Any]) -> list[tuple[float, float, float, float]]:
    return sorted(
        (ref["x0_mm"] + c * ref["dx_mm"], ref["y0_mm"] + r * ref["dy_mm"], ref["card_w_mm"],
         ref["card_h_mm"])
        for r in range(ref["rows"]) for c in range(ref["cols"]))


def outlines(pdf: Path, index: int) -> list[tuple[float, float, float, float]]:
    """Rectangles drawn on the page, mm from the top-left."""
    reader = pypdf.PdfReader(str(pdf))
    page = reader.pages[index]
    page_h = float(page.mediabox.height)
    found = []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"re":
            x, y, w, h = (float(v) for v in operands)
            found.append((x / PT, (page_h - y - h) / PT, w / PT, h / PT))
    return sorted(found)


def calibrate(tmp_path: Path, *args: str) -> Path:
    result = run_cli("calibrate", *args, "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    (pdf,) = tmp_path.glob("calibrate-*.pdf")
    return pdf


@pytest.mark.parametrize("ref", SHEETS, ids=[s["id"] for s in SHEETS])
def test_every_slot_is_outlined_where_cards_print(ref: dict[str, Any], tmp_path: Path) -> None:
    pdf = calibrate(tmp_path, "--sheet", ref["id"])
    assert page_sizes_mm(pdf) == [pytest.approx((ref["page_w_mm"], ref["page_h_mm"]),
                                                 abs=0.1)]
    found = outlines(pdf, 0)
    assert len(found) == len(slots(ref))
    for got, want in zip(found, slots(ref), strict=True):
        assert got == pytest.approx(want, abs=0.05)


def test_the_page_tells_the_user_what_to_write(tmp_path: Path) -> None:
    pdf = calibrate(tmp_path, "--sheet", "C32011")
    assert pdf.name == "calibrate-avery-c32011.pdf"
    words = " ".join(page_text(pdf, 0).split())
    assert "print: {offset: {x: 0.5mm, y: -1mm}}" in words
    assert "where the real cut crosses the scale" in words
    assert "This ruler is 50 mm long" in words
    for label in ("-3", "-2", "+2", "+3"):
        assert label in words


@pytest.mark.parametrize("mode", ["long-edge", "short-edge"])
def test_duplex_adds_a_back_page_with_mirrored_slots(mode: str, tmp_path: Path) -> None:
    ref = next(s for s in SHEETS if s["id"].startswith("avery-c32015"))
    pdf = calibrate(tmp_path, "--sheet", "avery-c32015", "--duplex", mode)
    assert len(page_sizes_mm(pdf)) == 2
    mirrored = sorted(
        (ref["page_w_mm"] - x - w, y, w, h) if mode == "long-edge"
        else (x, ref["page_h_mm"] - y - h, w, h)
        for x, y, w, h in slots(ref))
    for got, want in zip(outlines(pdf, 1), mirrored, strict=True):
        assert got == pytest.approx(want, abs=0.05)
    assert "back_offset" in page_text(pdf, 1)
    prefs = pypdf.PdfReader(str(pdf)).trailer["/Root"]["/ViewerPreferences"]
    assert prefs["/Duplex"] == ("/DuplexFlipLongEdge" if mode == "long-edge"
                                else "/DuplexFlipShortEdge")


def test_bare_duplex_flag_means_long_edge(tmp_path: Path) -> None:
    pdf = calibrate(tmp_path, "--sheet", "sigel-dp839", "--duplex")
    assert len(page_sizes_mm(pdf)) == 2


@pytest.mark.parametrize("sheet", ["print-shop", "a4-10up"])
def test_sheets_without_precut_cards_are_refused(sheet: str, tmp_path: Path) -> None:
    result = run_cli("calibrate", "--sheet", sheet, "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "CG530" in result.output and "card-stock sheet" in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_sheet_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    result = run_cli("calibrate", "--sheet", "avery-c3201", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "CG501" in result.output and "did you mean" in result.output


def test_calibration_pages_draw_no_cards() -> None:
    _sheet, pages = calibration_pages("5911", Path("."), duplex="short-edge")
    assert len(pages) == 2
    assert all(page.placements == () for page in pages)
    assert len(pages[0].crosses) == 10 and len(pages[0].scales) == 20
    with pytest.raises(CardgenError):
        calibration_pages("print-shop", Path("."))
