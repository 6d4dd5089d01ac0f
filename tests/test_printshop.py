"""Print-shop rules: the 3 mm safe area, crop marks outside the bleed, the colour mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_cli

from cardgen.input.model import CardSpec
from cardgen.input.units import BLACK, WHITE
from cardgen.layout.placed import FaceLayout, GlyphRun, QrItem, TextItem
from cardgen.layout.printshop import (
    colour_mode,
    grow_for_crop_marks,
    print_shop_crop_marks,
    safe_area_problems,
    wants_crop_marks,
)
from cardgen.layout.sheets import load_sheet, plan_sheet
from cardgen.text.measure import load_font_family

FONT = load_font_family("Atkinson Hyperlegible", Path(".")).regular
MODULES = ((True, False), (False, True))


def face(*items: TextItem | QrItem) -> FaceLayout:
    return FaceLayout(55.0, 85.0, WHITE, items)


def test_items_inside_the_safe_area_pass() -> None:
    layout = face(QrItem(3.0, 10.0, 49.0, "https://x.org/", MODULES, "front.qr"),
                  TextItem("Help", 27.5, 70.0, FONT, 9, BLACK, "center", "front.title"))
    assert safe_area_problems(layout, "front") == []


@pytest.mark.parametrize("x", [0.0, 2.0, 2.9])
def test_a_qr_code_too_near_the_edge_is_an_error(x: float) -> None:
    (problem,) = safe_area_problems(face(QrItem(x, 10, 30, "p", MODULES, "front.qr")), "front")
    assert problem.code == "CG520" and problem.severity == "error"
    assert f"{x:.1f} mm from the card's edge" in problem.message
    assert problem.path == ("front", "qr")
    assert problem.fix and "3mm" in problem.fix


def test_text_running_past_the_safe_area_is_an_error() -> None:
    # Right-aligned at 53.5 mm: its right edge is 1.5 mm from the trim.
    text = TextItem("0808 800 5000", 53.5, 40.0, FONT, 9, BLACK, "right", "back.helplines")
    (problem,) = safe_area_problems(face(text), "back")
    assert "'0808 800 5000' comes 1.5 mm" in problem.message
    assert problem.path == ("back", "helplines")
    # Centred, the same line is far enough in.
    centred = TextItem("0808 800 5000", 27.5, 40.0, FONT, 9, BLACK, "center", "back.helplines")
    assert safe_area_problems(face(centred), "back") == []


def test_text_whose_top_is_in_the_safe_area_is_an_error() -> None:
    # A 12 pt line with its baseline 5 mm from the top: its ascenders reach above 3 mm.
    text = TextItem("Help", 27.5, 5.0, FONT, 12, BLACK, "center", "front.title")
    assert [p.code for p in safe_area_problems(face(text), "front")] == ["CG520"]


def test_crop_marks_lie_outside_the_bleed_box() -> None:
    bleed = 3.0
    geometry = grow_for_crop_marks(plan_sheet(load_sheet("print-shop", Path(".")), 55, 85,
                                              duplex="none", bleed=bleed))
    assert geometry.bleed_box is not None and geometry.trim_box is not None
    bx, by, bw, bh = geometry.bleed_box
    tx, ty, tw, th = geometry.trim_box
    assert (tw, th) == (55, 85) and (bw, bh) == (61, 91)
    assert (bx, by) == pytest.approx((tx - 3, ty - 3))
    assert geometry.fronts[0].box == geometry.trim_box
    marks = print_shop_crop_marks(geometry, bleed)
    assert len(marks) == 8
    for x1, y1, x2, y2 in marks:
        assert x2 <= bx or x1 >= bx + bw or y2 <= by or y1 >= by + bh
        assert 0 <= x1 <= x2 <= geometry.page_w and 0 <= y1 <= y2 <= geometry.page_h


def spec(**card: object) -> CardSpec:
    return CardSpec.model_validate({"campaign": "x", "front": {"title": "Hi"}, **card})


def test_colour_mode_follows_cmyk_colours_or_the_print_setting() -> None:
    assert colour_mode(spec()) == "rgb"
    assert colour_mode(spec(card={"colours": {"accent": "cmyk(0, 60, 100, 0)"}})) == "cmyk"
    assert colour_mode(spec(print={"colour": "cmyk"})) == "cmyk"


def test_print_shop_crop_marks_only_when_written() -> None:
    assert not wants_crop_marks(spec())
    assert wants_crop_marks(spec(print={"crop_marks": True}))
    assert not wants_crop_marks(spec(print={"crop_marks": False}))


def test_a_design_margin_under_the_safe_area_is_refused_with_its_place(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    design = root / "cardgen" / "templates" / "designs" / "discreet.yaml"
    text = design.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^margin: .*$", "margin: 2mm", text)
    text = re.sub(r"(?m)^margin_min: .*$", "", text)
    (tmp_path / "tight.yaml").write_text(text, encoding="utf-8")
    source = tmp_path / "card.yaml"
    source.write_text(
        "campaign: Tight\ncard:\n  size: phone-case\n  design: tight.yaml\nfront:\n"
        "  title: Need to talk?\n  qr: web\nlinks:\n  web: {url: \"https://www.childline.org.uk/\"}\n"
        "print:\n  sheet: print-shop\n", encoding="utf-8")
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert re.search(r"card\.yaml:4:\d+: error CG702", result.output)
    assert "margin" in result.output and "3" in result.output
    assert not (tmp_path / "out").exists()


LANGUAGES = Path(__file__).resolve().parent.parent / "examples" / "languages"


@pytest.mark.parametrize("language", ["ur", "bn", "ar"])
def test_shaped_language_cards_pass_the_safe_area_on_print_shop(tmp_path: Path,
                                                                  language: str) -> None:
    # Regression: the safe-area check measured shaped text (joined Arabic letters, Bengali
    # conjuncts) by its characters in the base font, so these cards got false CG520s
    # (ur: 2, bn: 1). It now measures the box the layout itself uses.
    text = (LANGUAGES / f"{language}.yaml").read_text(encoding="utf-8")
    assert "  sheet: a4-10up\n" in text
    source = tmp_path / f"{language}.yaml"
    source.write_text(text.replace("  sheet: a4-10up\n", "  sheet: print-shop\n"),
                      encoding="utf-8")
    result = run_cli("check", str(source))
    assert "CG520" not in result.output
    assert result.exit_code == 0, result.output


def test_the_safe_area_measures_shaped_text_by_its_glyphs() -> None:
    # A shaped line's width is its glyphs' advance (shaped_width_pt), which may differ
    # widely from its characters measured in the base font.
    pt_mm = 25.4 / 72
    run = (GlyphRun(FONT, (1,), (0.0,), (0.0,)),)
    wide = TextItem("ab", 27.5, 40.0, FONT, 9, BLACK, "center", "back.text", run,
                    shaped_width_pt=50.0 / pt_mm)
    (problem,) = safe_area_problems(face(wide), "back")
    assert "2.5 mm from the card's edge" in problem.message
    narrow = TextItem("a very long line of text here", 27.5, 40.0, FONT, 9, BLACK,
                      "center", "back.text", run, shaped_width_pt=20.0 / pt_mm)
    assert safe_area_problems(face(narrow), "back") == []
