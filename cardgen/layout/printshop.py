"""What print-shop output needs beyond the sheet geometry: colour mode, safe area, crop marks.

A print shop trims each card from a page of trim + bleed. Three rules keep a trimmed card
right however far the blade wanders (about 1 mm either way):

- the background and edge colour run on into the bleed (render extends them);
- nothing that must be read (text, the QR code) lies within the safe area, `SAFE_AREA_MM`
  inside the trim: a card that breaks this is an error, never a silently clipped number;
- crop marks, when asked for, stand outside the bleed, so the blade never cuts through
  one and no stub of a mark shows on the card. The page then grows by a slug round the
  bleed box (MediaBox > BleedBox > TrimBox), as presses expect.

Colours are CMYK when the user asks (`print.colour: cmyk`) or writes any card colour as
`cmyk(...)`: a CMYK colour is a press instruction and must reach the PDF unconverted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from cardgen.errors import Problem
from cardgen.input.model import CardSpec
from cardgen.layout.placed import FaceLayout, QrItem, TextItem
from cardgen.layout.sheets import PageGeometry, Slot
from cardgen.text.measure import font_extents, text_width_mm

#: Text and QR codes stay at least this far inside the trim on print-shop output (mm).
SAFE_AREA_MM = 3.0
#: Crop marks start this far outside the bleed box and are this long (mm).
MARK_GAP_MM = 1.0
MARK_LENGTH_MM = 5.0
#: White paper beyond the end of each mark (mm).
MARK_MARGIN_MM = 1.0

ColourMode = Literal["rgb", "cmyk"]
Box = tuple[float, float, float, float]
Segment = tuple[float, float, float, float]


def colour_mode(spec: CardSpec) -> ColourMode:
    """"cmyk" when asked for, or when any card colour is written as cmyk(...); else "rgb"."""
    if spec.print.colour == "cmyk":
        return "cmyk"
    colours = spec.card.colours
    if any(c.cmyk is not None for c in (colours.ink, colours.paper, colours.accent)):
        return "cmyk"
    return "rgb"


def wants_crop_marks(spec: CardSpec) -> bool:
    """Print-shop pages carry crop marks only when the YAML asks for them in so many words:
    most print shops want a bare trim + bleed page and add their own marks, so the default
    (`crop_marks: true`, meant for home sheets) does not apply to them."""
    return spec.print.crop_marks and "crop_marks" in spec.print.model_fields_set


def _item_box(item: TextItem | QrItem) -> Box:
    if isinstance(item, QrItem):
        return (item.x, item.y, item.side, item.side)
    width = text_width_mm(item.text, item.font, item.size_pt)
    ascent, descent = font_extents(item.font)
    size_mm = item.size_pt * 25.4 / 72
    left = {"left": item.x, "center": item.x - width / 2, "right": item.x - width}[item.align]
    top = item.baseline - ascent * size_mm
    return (left, top, width, (ascent + descent) * size_mm)


def _path(field: str, side: str) -> tuple[str | int, ...]:
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in field.split(".") if p]
    return tuple(parts) if parts else (side,)


def safe_area_problems(face: FaceLayout, side: str, margin: float = SAFE_AREA_MM
                       ) -> list[Problem]:
    """CG520 for every line of text or QR code closer than `margin` to the card's edge."""
    problems: list[Problem] = []
    for item in face.items:
        if not isinstance(item, TextItem | QrItem):
            continue
        x, y, w, h = _item_box(item)
        closest = min(x, y, face.width - (x + w), face.height - (y + h))
        if closest >= margin - 0.01:
            continue
        what = "QR code" if isinstance(item, QrItem) else f"text '{item.text}'"
        field = item.field or side
        problems.append(Problem(
            "CG520",
            f"{field}: the {what} comes {max(closest, 0.0):.1f} mm from the card's edge; "
            f"print-shop cards keep text and QR codes at least {margin:g} mm inside the trim "
            "(the blade may wander into this safe area)",
            "error",
            "give the design a margin of at least 3mm (`margin: 3mm` in your design file), "
            "shorten the text, or choose a bigger card size",
            _path(field, side),
        ))
    return problems


def _shift(slot: Slot, by: float) -> Slot:
    return replace(slot, x=slot.x + by, y=slot.y + by)


def _shift_box(box: Box | None, by: float) -> Box | None:
    if box is None:
        return None
    x, y, w, h = box
    return (x + by, y + by, w, h)


def grow_for_crop_marks(geometry: PageGeometry) -> PageGeometry:
    """A print-shop page grown by a slug round its bleed box, room for crop marks outside
    the bleed; the trim and bleed boxes move with the card."""
    grow = MARK_GAP_MM + MARK_LENGTH_MM + MARK_MARGIN_MM
    return replace(
        geometry, page_w=geometry.page_w + 2 * grow, page_h=geometry.page_h + 2 * grow,
        fronts=tuple(_shift(s, grow) for s in geometry.fronts),
        backs=tuple(_shift(s, grow) for s in geometry.backs),
        trim_box=_shift_box(geometry.trim_box, grow),
        bleed_box=_shift_box(geometry.bleed_box, grow),
    )


def print_shop_crop_marks(geometry: PageGeometry, bleed: float) -> list[Segment]:
    """Crop marks (x1, y1, x2, y2 from the page's top-left) along the extension of every
    trim edge, starting `MARK_GAP_MM` outside the bleed box."""
    if geometry.trim_box is None:
        return []
    tx, ty, tw, th = geometry.trim_box
    start = bleed + MARK_GAP_MM
    end = start + MARK_LENGTH_MM
    marks: list[Segment] = []
    for x in (tx, tx + tw):  # vertical cuts: marks above and below the bleed
        marks.append((x, ty - end, x, ty - start))
        marks.append((x, ty + th + start, x, ty + th + end))
    for y in (ty, ty + th):  # horizontal cuts: marks left and right of the bleed
        marks.append((tx - end, y, tx - start, y))
        marks.append((tx + tw + start, y, tx + tw + end, y))
    return [(round(a, 4), round(b, 4), round(c, 4), round(d, 4)) for a, b, c, d in marks]
