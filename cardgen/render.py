"""Drawing placed card faces and sheet furniture into PDF bytes: the only reportlab user.

Each distinct card face is drawn once as a PDF Form XObject and placed on the sheet as
often as it repeats, so a thousand copies cost a thousand short `Do` operators, not a
thousand drawings. A QR code is one vector path of horizontal module runs, written as
literal content-stream operators under one transform and filled with the non-zero rule
(separate rectangles, or even-odd fill, show hairline seams in some renderers), in 100 %
black. Output is deterministic (`invariant=1`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from cardgen.errors import CardgenError
from cardgen.placed import (
    FaceLayout,
    FontRef,
    ImageItem,
    PagePlan,
    Placement,
    QrItem,
    RectItem,
    RuleItem,
    TextItem,
)
from cardgen.qr import dark_runs
from cardgen.units import Colour, mm_to_pt

ColourMode = Literal["rgb", "cmyk"]
_registered: dict[str, Path] = {}


def register_font(font: FontRef) -> str:
    """Registers a TrueType font once per process under its stable name."""
    known = _registered.get(font.name)
    if known is None:
        try:
            pdfmetrics.registerFont(TTFont(font.name, str(font.path)))
        except Exception as exc:  # reportlab raises bare Exceptions for bad fonts
            raise CardgenError(
                f"the font file {font.path} cannot be embedded in a PDF: {exc}",
                fix="use a TrueType (.ttf) font file",
                code="CG602",
            ) from exc
        _registered[font.name] = font.path
    return font.name


def _fmt(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


class _Painter:
    """Sets fill and stroke colours in RGB or CMYK (text and QR black as K only)."""

    def __init__(self, canvas: Canvas, mode: ColourMode) -> None:
        self.canvas = canvas
        self.mode = mode

    def fill(self, colour: Colour) -> None:
        if self.mode == "cmyk":
            self.canvas.setFillColorCMYK(*colour.as_cmyk())
        else:
            self.canvas.setFillColorRGB(colour.r, colour.g, colour.b)

    def stroke(self, colour: Colour) -> None:
        if self.mode == "cmyk":
            self.canvas.setStrokeColorCMYK(*colour.as_cmyk())
        else:
            self.canvas.setStrokeColorRGB(colour.r, colour.g, colour.b)

    def black_fill_operator(self) -> str:
        return "0 0 0 1 k" if self.mode == "cmyk" else "0 g"


def _draw_qr(canvas: Canvas, painter: _Painter, item: QrItem, card_h_pt: float) -> None:
    n = len(item.modules)
    module_pt = mm_to_pt(item.side) / (n + 8)
    left = mm_to_pt(item.x) + 4 * module_pt
    top = card_h_pt - mm_to_pt(item.y) - 4 * module_pt
    # One transform so every module corner is a whole number: short, exact operators.
    ops = [
        "q",
        painter.black_fill_operator(),
        f"{_fmt(module_pt)} 0 0 {_fmt(-module_pt)} {_fmt(left)} {_fmt(top)} cm",
    ]
    ops.extend(f"{col} {row} {length} 1 re" for row, col, length in dark_runs(item.modules))
    ops.append("f")
    ops.append("Q")
    canvas._code.append("\n".join(ops))


def _draw_face(canvas: Canvas, painter: _Painter, face: FaceLayout, bleed: float) -> None:
    w, h = mm_to_pt(face.width), mm_to_pt(face.height)
    b = mm_to_pt(bleed)
    painter.fill(face.background)
    canvas.rect(-b, -b, w + 2 * b, h + 2 * b, stroke=0, fill=1)
    for item in face.items:
        if isinstance(item, RectItem):
            painter.fill(item.colour)
            x0, y0 = mm_to_pt(item.x), h - mm_to_pt(item.y + item.height)
            x1, y1 = x0 + mm_to_pt(item.width), y0 + mm_to_pt(item.height)
            # A band touching the card's edge runs on into the bleed.
            if item.x <= 0.01:
                x0 -= b
            if item.x + item.width >= face.width - 0.01:
                x1 += b
            if item.y <= 0.01:
                y1 += b
            if item.y + item.height >= face.height - 0.01:
                y0 -= b
            canvas.rect(x0, y0, x1 - x0, y1 - y0, stroke=0, fill=1)
        elif isinstance(item, RuleItem):
            painter.stroke(item.colour)
            canvas.setLineWidth(item.width_pt)
            canvas.line(mm_to_pt(item.x1), h - mm_to_pt(item.y1),
                        mm_to_pt(item.x2), h - mm_to_pt(item.y2))
        elif isinstance(item, TextItem):
            painter.fill(item.colour)
            canvas.setFont(register_font(item.font), item.size_pt)
            x, y = mm_to_pt(item.x), h - mm_to_pt(item.baseline)
            if item.align == "center":
                canvas.drawCentredString(x, y, item.text)
            elif item.align == "right":
                canvas.drawRightString(x, y, item.text)
            else:
                canvas.drawString(x, y, item.text)
        elif isinstance(item, QrItem):
            _draw_qr(canvas, painter, item, h)
        elif isinstance(item, ImageItem):
            canvas.drawImage(
                ImageReader(str(item.path)),
                mm_to_pt(item.x), h - mm_to_pt(item.y + item.height),
                mm_to_pt(item.width), mm_to_pt(item.height),
                preserveAspectRatio=True, anchor="c", mask="auto",
            )


def _place(canvas: Canvas, placement: Placement, form: str, page_h_pt: float) -> None:
    x = mm_to_pt(placement.x)
    y = page_h_pt - mm_to_pt(placement.y + placement.height)
    w, h = mm_to_pt(placement.width), mm_to_pt(placement.height)
    canvas.saveState()
    rotation = placement.rotation % 360
    # Translate so the turned face still fills the slot box exactly.
    if rotation == 0:
        canvas.translate(x, y)
    elif rotation == 90:
        canvas.translate(x + w, y)
        canvas.rotate(90)
    elif rotation == 180:
        canvas.translate(x + w, y + h)
        canvas.rotate(180)
    elif rotation == 270:
        canvas.translate(x, y + h)
        canvas.rotate(270)
    else:
        raise ValueError(f"rotation {placement.rotation} is not a multiple of 90")
    canvas.doForm(form)
    canvas.restoreState()


def _form_name(face_key: str) -> str:
    return "F" + "".join(c if c.isalnum() else "_" for c in face_key)


def _draw_furniture(canvas: Canvas, page: PagePlan, font: FontRef, painter: _Painter) -> None:
    page_h = mm_to_pt(page.height)
    black = Colour(0, 0, 0, (0, 0, 0, 1))
    painter.stroke(black)
    painter.fill(black)
    if page.crop_marks:
        canvas.setLineWidth(0.25)
        for x1, y1, x2, y2 in page.crop_marks:
            canvas.line(mm_to_pt(x1), page_h - mm_to_pt(y1), mm_to_pt(x2), page_h - mm_to_pt(y2))
    if page.outlines:
        canvas.setLineWidth(0.3)
        canvas.setDash(2, 2)
        for x, y, w, h in page.outlines:
            canvas.rect(mm_to_pt(x), page_h - mm_to_pt(y + h), mm_to_pt(w), mm_to_pt(h))
        canvas.setDash()
    for cx, cy in page.crosses:
        canvas.setLineWidth(0.3)
        arm = mm_to_pt(3)
        px, py = mm_to_pt(cx), page_h - mm_to_pt(cy)
        canvas.line(px - arm, py, px + arm, py)
        canvas.line(px, py - arm, px, py + arm)
    name = register_font(font)
    if page.ruler is not None:
        ruler = page.ruler
        x0, y0 = mm_to_pt(ruler.x), page_h - mm_to_pt(ruler.y)
        canvas.setLineWidth(0.4)
        canvas.line(x0, y0, x0 + mm_to_pt(ruler.length), y0)
        for mm in range(int(ruler.length) + 1):
            tick = 2.0 if mm % 10 == 0 else (1.4 if mm % 5 == 0 else 0.8)
            canvas.setLineWidth(0.2)
            canvas.line(x0 + mm_to_pt(mm), y0, x0 + mm_to_pt(mm), y0 + mm_to_pt(tick))
        canvas.setFont(name, 5.5)
        canvas.drawString(
            x0, y0 - mm_to_pt(2.4),
            f"This ruler is {ruler.length:g} mm long. If not, print at Actual size / 100 %.",
        )
    if page.label and page.label_xy is not None:
        canvas.setFont(name, 5.5)
        lx, ly = page.label_xy
        canvas.drawRightString(mm_to_pt(lx), page_h - mm_to_pt(ly), page.label)
    if page.notes:
        canvas.setFont(name, 9)
        y = page_h - mm_to_pt(20)
        for note in page.notes:
            canvas.drawString(mm_to_pt(15), y, note)
            y -= 12


def render_document(
    pages: Sequence[PagePlan],
    faces: Mapping[str, FaceLayout],
    *,
    title: str,
    furniture_font: FontRef,
    colour_mode: ColourMode = "rgb",
    bleed: float = 0.0,
    duplex: str = "none",
) -> bytes:
    """The whole PDF as bytes: every page of `pages`, each face drawn once as a form."""
    # ASCII85 makes streams a quarter bigger, and without the optional rl_accel package
    # reportlab encodes it in pure Python: a third of the render time of a 1,000-card batch.
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        return _render_document(pages, faces, title=title, furniture_font=furniture_font,
                                colour_mode=colour_mode, bleed=bleed, duplex=duplex)
    finally:
        rl_config.useA85 = saved


def _render_document(
    pages: Sequence[PagePlan],
    faces: Mapping[str, FaceLayout],
    *,
    title: str,
    furniture_font: FontRef,
    colour_mode: ColourMode,
    bleed: float,
    duplex: str,
) -> bytes:
    buffer = io.BytesIO()
    first = pages[0] if pages else None
    size = (mm_to_pt(first.width), mm_to_pt(first.height)) if first else (595.0, 842.0)
    canvas = Canvas(buffer, pagesize=size, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("cardgen")
    canvas.setCreator("cardgen")
    canvas.setSubject("Print at actual size (100 %), no 'fit to page'.")
    canvas.setViewerPreference("PrintScaling", "None")
    if duplex in ("long-edge", "short-edge"):
        canvas.setViewerPreference(
            "Duplex", "DuplexFlipLongEdge" if duplex == "long-edge" else "DuplexFlipShortEdge"
        )
    painter = _Painter(canvas, colour_mode)
    used = sorted({p.face_key for page in pages for p in page.placements})
    # Faces that are equal item for item (the same back on every variant of a batch) share
    # one form: the first key, in sorted order, names it.
    forms: dict[FaceLayout, str] = {}
    form_of: dict[str, str] = {}
    for key in used:
        face = faces[key]
        known = forms.get(face)
        if known is not None:
            form_of[key] = known
            continue
        forms[face] = form_of[key] = _form_name(key)
        b = mm_to_pt(bleed)
        canvas.beginForm(
            form_of[key], lowerx=-b, lowery=-b,
            upperx=mm_to_pt(face.width) + b, uppery=mm_to_pt(face.height) + b,
        )
        _draw_face(canvas, painter, face, bleed)
        canvas.endForm()
    for page in pages:
        canvas.setPageSize((mm_to_pt(page.width), mm_to_pt(page.height)))
        page_h = mm_to_pt(page.height)
        for box, setter in ((page.trim_box, canvas.setTrimBox),
                            (page.bleed_box, canvas.setBleedBox)):
            if box is not None:
                x, y, w, h = box
                setter((mm_to_pt(x), page_h - mm_to_pt(y + h),
                        mm_to_pt(x + w), page_h - mm_to_pt(y)))
        for placement in page.placements:
            _place(canvas, placement, form_of[placement.face_key], page_h)
        _draw_furniture(canvas, page, furniture_font, painter)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
