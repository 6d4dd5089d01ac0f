"""`cardgen list`: what is built in (designs, card sizes, fonts, sheets) as readable tables,
and a contact sheet picturing every built-in design.

Tables are plain rows of text so the command line only prints them; the contact sheet is
the starter card (templates/starter.yaml) drawn in each design by the printing renderer.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from pathlib import Path

Table = tuple[tuple[str, ...], list[tuple[str, ...]]]


def format_table(table: Table) -> str:
    """Left-aligned columns under a header and a rule; the last column is not padded."""
    headers, rows = table
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1], strict=True)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _mm(value: float) -> str:
    return f"{round(value, 2):g}"


def designs_table() -> Table:
    from cardgen.layout.designs import builtin_designs

    rows: list[tuple[str, ...]] = [
        (d.name, d.description.strip().split("\n")[0]) for d in builtin_designs()]
    return ("design", "what it looks like"), rows


def sizes_table() -> Table:
    from cardgen.layout.sheets import DEFAULT_SIZE, SIZE_PRESETS

    rows: list[tuple[str, ...]] = []
    for name, (w, h, r) in SIZE_PRESETS.items():
        notes = "default" if name == DEFAULT_SIZE else ""
        rows.append((name, f"{_mm(h)} × {_mm(w)} mm", f"{_mm(r)} mm" if r else "square",
                     notes))
    return ("size", "long × short side", "corners", "notes"), rows


def fonts_table(*, system: bool = True) -> Table:
    """Each font family once: weights, line spacing, every script it covers, where it is from.
    Fallbacks for other scripts are chosen from these."""
    from cardgen.text.fonts import font_table

    rows: list[tuple[str, ...]] = [
        (r.family, r.weights, f"{r.line_spacing:g}", ", ".join(r.scripts) or "-", r.source)
        for r in font_table(system=system)
    ]
    return ("font", "weights", "spacing", "scripts", "from"), rows


def sheets_table() -> Table:
    from cardgen.layout.sheets import list_sheets

    rows: list[tuple[str, ...]] = [(r.id, r.page, r.card, r.per_sheet, ", ".join(r.codes) or "-")
                                   for r in list_sheets()]
    return ("sheet", "page", "card (mm)", "cards a sheet", "also sold as"), rows


# --- the designs contact sheet -----------------------------------------------------------


def _design_faces(design: str, dpi: int, scratch: Path, orientation: str = "portrait"
                  ) -> list[bytes]:
    """The starter card in `design`: PNG bytes of its front, then its back."""
    from cardgen.pdf.verify import render_page_png
    from cardgen.pictures import face_pdf
    from cardgen.pipeline import prepare_cards
    from cardgen.starter import starter_text

    source = scratch / f"{design}.yaml"
    text = starter_text().replace("design: discreet", f"design: {design}", 1)
    if orientation != "portrait":
        text = text.replace("size: phone-case", f"size: phone-case\n  orientation: {orientation}",
                            1)
    source.write_text(text, encoding="utf-8")
    loaded, cards, _ = prepare_cards(source)
    pdf, sides = face_pdf(cards[0], loaded.base_dir)
    pngs = []
    for index in range(len(sides)):
        target = scratch / f"{design}-{orientation}-{index}.png"
        render_page_png(pdf, index, dpi, target)
        pngs.append(target.read_bytes())
    return pngs


#: Designs side by side in one row of the contact sheet.
DESIGNS_A_ROW = 6


def designs_contact_sheet(dpi: int = 100, orientation: str = "portrait") -> bytes:
    """One PNG: each built-in design (a column) with the starter card's front and back, in
    rows of `DESIGNS_A_ROW` designs (three for landscape cards)."""
    from PIL import Image, ImageDraw, ImageFont

    from cardgen.layout.designs import builtin_names
    from cardgen.text.measure import builtin_fonts

    names = builtin_names()
    pad, label_h = 24, 40
    with tempfile.TemporaryDirectory(prefix="cardgen-designs-") as folder:
        faces = {name: [Image.open(io.BytesIO(b)).convert("RGB")
                        for b in _design_faces(name, dpi, Path(folder), orientation)]
                 for name in names}
    cell_w = max(im.width for ims in faces.values() for im in ims)
    cell_h = max(im.height for ims in faces.values() for im in ims)
    # Rows of at most six designs, so the picture stays readable on a page.
    per_row = min(len(names), DESIGNS_A_ROW if orientation == "portrait" else
                  DESIGNS_A_ROW // 2)
    band_h = label_h + pad + 2 * (cell_h + pad)
    rows = -(-len(names) // per_row)
    sheet = Image.new("RGB", (pad + per_row * (cell_w + pad), rows * band_h), "#e9e7ee")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(str(builtin_fonts()[0].bold.path), 22)
    for index, name in enumerate(names):
        x = pad + (index % per_row) * (cell_w + pad)
        top = (index // per_row) * band_h
        draw.text((x, top + pad // 2), name, fill="#1d1d1b", font=font)
        for row, image in enumerate(faces[name]):
            y = top + label_h + pad + row * (cell_h + pad)
            draw.rectangle((x - 1, y - 1, x + image.width, y + image.height), outline="#9a96a3")
            sheet.paste(image, (x, y))
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True, dpi=(dpi, dpi))
    return out.getvalue()
