"""Every built PDF opened the way printers and viewers open it: poppler (`pdftoppm`, the
Linux viewers and CUPS), MuPDF (`mutool draw`) and Ghostscript (printer drivers, RIPs) draw
every page without printing a single error or warning. And a logo prints: in every design,
both orientations, on stock sheets and print-shop pages, in RGB and CMYK.

CI installs poppler-utils, mupdf-tools and ghostscript (.ci/run); on a developer's machine
without them the renderer tests are skipped, in CI they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from conftest import EXAMPLES, run_cli
from PIL import Image, ImageChops

EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.yaml"), *(EXAMPLES / "languages").glob("*.yaml")])
#: The logo's colour: no built-in design prints this green.
LOGO_RGB = (0, 200, 0)
#: A line this Debian build of MuPDF prints for every file, however sound (it was built
#: without colour management): it says nothing about the PDF.
MUPDF_ENVIRONMENT = "warning: ICC support is not available"


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run must install {package}")
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return found


def _complaints(pdf: Path, scratch: Path) -> dict[str, list[str]]:
    """What each renderer prints while drawing every page of `pdf` (10 dpi: the parsing,
    not the pixels, is under test), with its exit status when that is not 0."""
    runs = {
        "poppler": [_tool("pdftoppm", "poppler-utils"), "-r", "10", "-png", str(pdf),
                    str(scratch / "poppler")],
        "mupdf": [_tool("mutool", "mupdf-tools"), "draw", "-q", "-r", "10", "-o",
                  str(scratch / "mupdf-%d.png"), str(pdf)],
        "ghostscript": [_tool("gs", "ghostscript"), "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
                        "-sDEVICE=png16m", "-r10", f"-sOutputFile={scratch / 'gs-%d.png'}",
                        str(pdf)],
    }
    found: dict[str, list[str]] = {}
    for renderer, command in runs.items():
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=300)
        lines = [line for line in (done.stdout + done.stderr).splitlines()
                 if line.strip() and line.strip() != MUPDF_ENVIRONMENT]
        if done.returncode:
            lines.append(f"exit status {done.returncode}")
        if lines:
            found[renderer] = lines
    return found


def _build(source: Path, out: Path) -> list[Path]:
    result = run_cli("build", str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    pdfs = sorted(out.rglob("*.pdf"))
    assert pdfs
    return pdfs


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_every_example_renders_cleanly_in_poppler_mupdf_and_ghostscript(
        tmp_path: Path, example: Path) -> None:
    for pdf in _build(example, tmp_path / "out"):
        assert _complaints(pdf, tmp_path) == {}, pdf.name


def _logo_card(folder: Path, *, design: str = "classic", orientation: str = "portrait",
               sheet: str = "a4-10up", colour: str = "rgb", copies: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    logo = Image.new("RGB", (240, 100), "white")
    logo.paste(LOGO_RGB, (8, 8, 232, 92))
    logo.save(folder / "logo.png")
    extra = "  bleed: 3mm\n  crop_marks: true\n" if sheet == "print-shop" else ""
    source = folder / "card.yaml"
    source.write_text(f"""\
campaign: Logo card
card:
  design: {design}
  orientation: {orientation}
  logo: logo.png
front:
  title: Need to talk?
  qr: web
back:
  title: Free, confidential help
  helplines: [childline]
helplines:
  childline: {{name: Childline, phone: 0800 1111}}
links:
  web: {{name: Childline, url: "https://www.childline.org.uk/"}}
print:
  sheet: {sheet}
  copies: {copies}
  colour: {colour}
{extra}""", encoding="utf-8")
    return source


LOGO_CARDS = {
    "stock-sheet": {"sheet": "a4-10up"},
    "stock-landscape": {"sheet": "a4-10up", "orientation": "landscape", "design": "discreet"},
    "print-shop-cmyk": {"sheet": "print-shop", "colour": "cmyk", "copies": 2},
    "print-shop-landscape": {"sheet": "print-shop", "orientation": "landscape",
                             "design": "qr-only", "copies": 2},
}


@pytest.mark.parametrize("card", LOGO_CARDS.values(), ids=LOGO_CARDS.keys())
def test_a_logo_card_renders_cleanly_in_poppler_mupdf_and_ghostscript(
        tmp_path: Path, card: dict[str, Any]) -> None:
    # Regression: every renderer complained of a missing XObject (the logo) on every card.
    (pdf,) = _build(_logo_card(tmp_path / "card", **card), tmp_path / "out")
    assert _complaints(pdf, tmp_path) == {}


def _logo_pixels(pdf: Path) -> int:
    """Pixels of the logo's green on every page, at 50 dpi, as pdfium draws them. In a CMYK
    build the logo is CMYK too (100 % C and Y, 22 % K), which pdfium draws through its
    model of a press as a darker green, about (0, 137, 66): so green means red under 60,
    green over 110 and blue under 100."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        count = 0
        for index in range(len(document)):
            page = document[index]
            red, green, blue = page.render(scale=50 / 72).to_pil().convert("RGB").split()
            page.close()
            logo = ImageChops.multiply(
                ImageChops.multiply(red.point(lambda v: 255 if v < 60 else 0),
                                    green.point(lambda v: 255 if v > 110 else 0)),
                blue.point(lambda v: 255 if v < 100 else 0))
            count += logo.histogram()[255]
        return count
    finally:
        document.close()


@pytest.mark.parametrize("design", ["classic", "discreet", "qr-only"])
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
@pytest.mark.parametrize(("sheet", "colour"), [("a4-10up", "rgb"), ("print-shop", "cmyk")])
def test_the_logo_prints_in_every_design_orientation_sheet_and_colour_mode(
        tmp_path: Path, design: str, orientation: str, sheet: str, colour: str) -> None:
    copies = 10 if sheet == "a4-10up" else 1
    (pdf,) = _build(_logo_card(tmp_path / "card", design=design, orientation=orientation,
                               sheet=sheet, colour=colour, copies=copies), tmp_path / "out")
    # Each logo is at least 10 mm x 4 mm: over 100 pixels at 50 dpi. Before the fix: none.
    assert _logo_pixels(pdf) >= copies * 100
