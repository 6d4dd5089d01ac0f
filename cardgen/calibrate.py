"""The calibration page: how far a home printer puts cards off the pre-cut card stock.

Every slot is outlined where cardgen will print a card, with a cross at its centre and two
short millimetre scales straddling its left and top cuts, zero on the cut as cardgen sees
it. Printed on the stock, the real cut crosses each scale at the printer's error with its
sign turned round, which is exactly the correction: the user writes the numbers read off
as `print.offset` (and, for the back page, the difference as `print.back_offset`). The
page is drawn with no offsets, so readings are always the raw error.

`calibration_pages` returns `PagePlan`s; render draws them like any sheet.
"""

from __future__ import annotations

from pathlib import Path

from cardgen.errors import CardgenError
from cardgen.layout.placed import PagePlan, PageText, Ruler, Scale
from cardgen.layout.sheets import PageGeometry, Sheet, Slot, load_sheet, plan_sheet

#: How far each scale reaches either side of its cut (mm): printers rarely err by more.
SCALE_HALF_MM = 3.0
_LINE_MM = 2.7


def _front_notes(sheet: Sheet) -> list[str]:
    return [
        f"cardgen calibration · {sheet.id} · print at Actual size / 100 %",
        "1. Print this page on a sheet of the card stock (or on plain paper and",
        "   hold it on a sheet against the light). Dashed lines: where cards print.",
        "2. On any card, read the number where the real cut crosses the scale on",
        "   its left edge (x) and on its top edge (y): + is right / down.",
        "3. Write them in your YAML, e.g.  print: {offset: {x: 0.5mm, y: -1mm}}",
        "4. Build again: every card moves by that much onto the real cuts.",
    ]


def _back_notes(sheet: Sheet) -> list[str]:
    return [
        f"cardgen calibration · {sheet.id} · BACK (print the page double-sided)",
        "1. Read this side's scales the same way: x' on the left, y' on the top.",
        "2. The back needs x' and y' in all; print.offset already moves it by the",
        "   front's x and y, so write the difference:",
        "   print: {back_offset: {x: <x' - x>mm, y: <y' - y>mm}}",
    ]


def _furniture(geometry: PageGeometry, slots: tuple[Slot, ...], notes: list[str]
               ) -> dict[str, object]:
    outlines = tuple(s.box for s in slots)
    crosses = tuple((s.x + s.width / 2, s.y + s.height / 2) for s in slots)
    scales: list[Scale] = []
    for s in slots:
        scales.append(Scale(s.x, s.y + s.height * 0.3, "x", SCALE_HALF_MM))
        scales.append(Scale(s.x + s.width * 0.85, s.y, "y", SCALE_HALF_MM))
    # The instructions go in the lower half of the top-left card (under its centre cross),
    # running on into the next card when one card is too small.
    first = min(slots, key=lambda s: (round(s.y, 3), round(s.x, 3)))
    texts: list[PageText] = []
    room = first.height / 2 - 4.0
    per_card = max(1, int(room // _LINE_MM))
    ordered = sorted(slots, key=lambda s: (round(s.y, 3), round(s.x, 3)))
    for index, line in enumerate(notes):
        host = ordered[min(index // per_card, len(ordered) - 1)]
        row = index % per_card
        texts.append(PageText(host.x + 4.0, host.y + host.height / 2 + 5.0 + row * _LINE_MM,
                              line))
    furniture: dict[str, object] = {
        "outlines": outlines, "crosses": crosses, "scales": tuple(scales),
        "texts": tuple(texts),
    }
    top = min(s.y for s in slots)
    if top >= 9:
        furniture["ruler"] = Ruler(x=first.x + 4, y=top - 5.5, length=50.0)
    return furniture


def calibration_pages(sheet_name: str, base_dir: Path, *, duplex: str = "none"
                      ) -> tuple[Sheet, list[PagePlan]]:
    """The calibration page for a card-stock sheet (built-in name, product code or file),
    and its back page when `duplex` is long-edge or short-edge. Plain paper and print-shop
    sheets have no pre-cut cards to measure against: CardgenError CG530."""
    sheet = load_sheet(sheet_name, base_dir)
    if not sheet.is_card_stock or sheet.card_w is None or sheet.card_h is None:
        raise CardgenError(
            f"'{sheet.id}' has no pre-cut cards to calibrate against",
            code="CG530",
            fix="calibrate with a card-stock sheet (`cardgen list sheets` shows their card "
                "size); plain paper is cut along the crop marks and print shops trim to the "
                "TrimBox, so neither needs a printer offset",
        )
    card_w, card_h = max(sheet.card_w, sheet.card_h), min(sheet.card_w, sheet.card_h)
    flip = duplex if duplex in ("long-edge", "short-edge") else "none"
    geometry = plan_sheet(sheet, card_w, card_h, duplex=flip)
    pages = [PagePlan(geometry.page_w, geometry.page_h, (),
                      **_furniture(geometry, geometry.fronts, _front_notes(sheet)))]  # type: ignore[arg-type]
    if geometry.backs:
        pages.append(PagePlan(geometry.page_w, geometry.page_h, (),
                              **_furniture(geometry, geometry.backs, _back_notes(sheet))))  # type: ignore[arg-type]
    return sheet, pages


def write_calibration(sheet_name: str, output_dir: Path, *, duplex: str = "none",
                      base_dir: Path | None = None) -> Path:
    """Renders the calibration page(s) and writes `calibrate-<sheet>.pdf` atomically."""
    from cardgen.output import write_atomically
    from cardgen.pdf import draw
    from cardgen.text import measure

    sheet, pages = calibration_pages(sheet_name, base_dir or Path.cwd(), duplex=duplex)
    font = measure.load_font_family("Atkinson Hyperlegible", Path.cwd()).regular
    pdf = draw.render_document(pages, {}, title=f"cardgen calibration: {sheet.id}",
                                 furniture_font=font, duplex=duplex)
    (path,) = write_atomically(output_dir, {f"calibrate-{sheet.id}.pdf": pdf})
    return path
