"""Drawing one placed card face as SVG: the digital counterpart of `draw`, from the same
`FaceLayout`.

Units are millimetres (the viewBox is the card). Text is drawn as the outlines of the very
glyphs the PDF embeds (fontTools reads them from the font files), so it shows the same on
a phone, in a browser or in a chat app with none of the fonts installed; shaped lines
(Arabic, Bengali ...) use the glyphs and positions HarfBuzz chose. Pictures are embedded
as data URIs. The QR code is one path of module rectangles, as in the PDF. The same face
gives the same bytes.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.ttLib import TTFont

from cardgen.input.units import Colour
from cardgen.layout.placed import (
    CircleItem,
    FaceLayout,
    ImageItem,
    Item,
    QrItem,
    RectItem,
    RuleItem,
    TextItem,
)
from cardgen.qr.encode import dark_rectangles

PT_MM = 25.4 / 72.0


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _fill(colour: Colour) -> str:
    return colour.hex


@functools.lru_cache(maxsize=16)
def _font(path: Path) -> Any:
    return TTFont(str(path), fontNumber=0, lazy=True)


@functools.lru_cache(maxsize=8192)
def _outline(path: Path, gid: int) -> str:
    """The glyph's outline as SVG path data in font units (y up)."""
    font = _font(path)
    glyph_set = font.getGlyphSet()
    name = font.getGlyphName(gid)
    pen = SVGPathPen(glyph_set)
    glyph_set[name].draw(pen)
    return str(pen.getCommands())


@functools.lru_cache(maxsize=16)
def _plain_metrics(path: Path) -> tuple[dict[int, str], dict[str, int], int]:
    font = _font(path)
    cmap: dict[int, str] = font.getBestCmap() or {}
    advances = {name: adv for name, (adv, _lsb) in font["hmtx"].metrics.items()}
    return cmap, advances, int(font["head"].unitsPerEm)


def _glyph(path: Path, gid: int, x: float, y: float, size_pt: float, colour: Colour
           ) -> str:
    outline = _outline(path, gid)
    if not outline:
        return ""  # a space
    scale = size_pt * PT_MM / int(_font(path)["head"].unitsPerEm)
    return (f'<path fill="{_fill(colour)}" transform="matrix({_n(scale)} 0 0 {_n(-scale)} '
            f'{_n(x)} {_n(y)})" d="{outline}"/>')


def _text(item: TextItem) -> list[str]:
    size = item.size_pt
    out: list[str] = []
    if item.shaped is not None:
        width = item.shaped_width_pt * PT_MM
        left = {"left": item.x, "center": item.x - width / 2, "right": item.x - width}[
            item.align]
        for run in item.shaped:
            for gid, gx, gy in zip(run.gids, run.xs, run.ys, strict=True):
                out.append(_glyph(run.font.path, gid, left + gx * PT_MM,
                                  item.baseline - gy * PT_MM, size, item.colour))
    else:
        cmap, advances, upem = _plain_metrics(item.font.path)
        font = _font(item.font.path)
        text = item.text.replace("\u00a0", " ")
        names = [cmap.get(ord(c), ".notdef") for c in text]
        units = [advances.get(name, 0) for name in names]
        width = sum(units) * size / upem * PT_MM
        x = {"left": item.x, "center": item.x - width / 2, "right": item.x - width}[
            item.align]
        for name, advance in zip(names, units, strict=True):
            out.append(_glyph(item.font.path, font.getGlyphID(name), x, item.baseline,
                              size, item.colour))
            x += advance * size / upem * PT_MM
    # A line is one group, titled with its text, so it can still be found and read aloud.
    return [f"<g><title>{escape(item.text)}</title>", *(g for g in out if g), "</g>"]


def _qr(item: QrItem) -> str:
    n = len(item.modules)
    module = item.side / (n + 8)
    left, top = item.x + 4 * module, item.y + 4 * module
    d = "".join(f"M{c} {r}h{w}v{h}h-{w}z" for c, r, w, h in dark_rectangles(item.modules))
    return (f'<path fill="#000000" transform="matrix({_n(module)} 0 0 {_n(module)} '
            f'{_n(left)} {_n(top)})" d="{d}"/>')


def _image(item: ImageItem) -> str:
    data = item.path.read_bytes()
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    uri = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
    fit = "xMidYMid slice" if item.cover else "xMidYMid meet"
    return (f'<image x="{_n(item.x)}" y="{_n(item.y)}" width="{_n(item.width)}" '
            f'height="{_n(item.height)}" preserveAspectRatio="{fit}" '
            f'xlink:href={quoteattr(uri)}/>')


def _item(item: Item) -> list[str]:
    if isinstance(item, RectItem):
        return [f'<rect x="{_n(item.x)}" y="{_n(item.y)}" width="{_n(item.width)}" '
                f'height="{_n(item.height)}" fill="{_fill(item.colour)}"/>']
    if isinstance(item, RuleItem):
        return [f'<line x1="{_n(item.x1)}" y1="{_n(item.y1)}" x2="{_n(item.x2)}" '
                f'y2="{_n(item.y2)}" stroke="{_fill(item.colour)}" '
                f'stroke-width="{_n(item.width_pt * PT_MM)}"/>']
    if isinstance(item, CircleItem):
        return [f'<circle cx="{_n(item.cx)}" cy="{_n(item.cy)}" r="{_n(item.radius)}" '
                f'fill="none" stroke="{_fill(item.colour)}" '
                f'stroke-width="{_n(item.width_pt * PT_MM)}"/>']
    if isinstance(item, TextItem):
        return _text(item)
    if isinstance(item, QrItem):
        return [_qr(item)]
    return [_image(item)]


def face_svg(face: FaceLayout, title: str = "") -> bytes:
    """The face as a standalone SVG document (UTF-8), the card's size in millimetres."""
    w, h = _n(face.width), _n(face.height)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}">',
        f"<title>{escape(title)}</title>" if title else "",
        f'<rect width="{w}" height="{h}" fill="{_fill(face.background)}"/>',
    ]
    for item in face.items:
        parts += _item(item)
    parts.append("</svg>")
    return ("\n".join(p for p in parts if p) + "\n").encode("utf-8")


__all__ = ["face_svg"]
