"""What a laid-out card face is made of: boxes in millimetres, ready to draw.

Coordinates are millimetres from the card's top-left corner, y pointing down, in the
card's upright orientation (the design's width x height). The layout stage makes these;
the render stage draws them and knows nothing of YAML or designs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cardgen.input.units import Colour
from cardgen.text.fonts import FontRef

Align = Literal["left", "center", "right"]


@dataclass(frozen=True, slots=True)
class GlyphRun:
    """Shaped glyphs of one font, drawn glyph by glyph: `gids` are the font's glyph ids and
    (`xs`, `ys`) each glyph's origin in points from the line's left end on the baseline
    (y up), as HarfBuzz placed them. `texts` are the characters each glyph stands for when
    the printed text is copied (`ShapedLine.glyph_texts`), empty for a glyph that stands
    for none (a cluster's second glyph)."""

    font: FontRef
    gids: tuple[int, ...]
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TextItem:
    """One line of text. `x` is the anchor (left edge, centre or right edge per `align`),
    `baseline` the baseline's distance from the card's top edge.

    A line that needed shaping (a non-Latin script, right-to-left text, or a fallback font)
    carries its glyphs in `shaped`, in visual order, and its width in `shaped_width_pt`;
    `text` stays the line in logical order (what copy and paste should give)."""

    text: str
    x: float
    baseline: float
    font: FontRef
    size_pt: float
    colour: Colour
    align: Align = "left"
    field: str = ""
    shaped: tuple[GlyphRun, ...] | None = None
    shaped_width_pt: float = 0.0


@dataclass(frozen=True, slots=True)
class QrItem:
    """A QR code. (x, y) is the top-left of the symbol *including* its quiet zone; `side`
    is the full width including the 4-module quiet zone on each side."""

    x: float
    y: float
    side: float
    payload: str
    #: rows of modules, True for dark (a `qr.ModuleMatrix` from the encoder)
    modules: Sequence[tuple[bool, ...]]
    field: str = ""
    #: the dark modules as PDF path operators in module units; empty: made from `modules`
    path: str = ""
    #: the error-correction level the code was made at (L, M, Q or H; empty: not known)
    error_correction: str = ""


@dataclass(frozen=True, slots=True)
class RuleItem:
    """A straight line, e.g. the line to write on."""

    x1: float
    y1: float
    x2: float
    y2: float
    width_pt: float
    colour: Colour


@dataclass(frozen=True, slots=True)
class RectItem:
    """A filled rectangle, e.g. a colour band."""

    x: float
    y: float
    width: float
    height: float
    colour: Colour


@dataclass(frozen=True, slots=True)
class ImageItem:
    """A raster image, scaled keeping its aspect ratio: into the box (a logo), or with
    `cover` over the whole box, cropped to the card and its bleed (a background picture)."""

    x: float
    y: float
    width: float
    height: float
    path: Path
    cover: bool = False


def cover_box(item: ImageItem, pixels_w: int, pixels_h: int
              ) -> tuple[float, float, float, float]:
    """(x, y, width, height) in mm of a picture of `pixels_w` x `pixels_h` scaled to cover
    `item`'s box and centred on it: what the renderer draws and the contrast check samples."""
    scale = max(item.width / pixels_w, item.height / pixels_h)
    w, h = pixels_w * scale, pixels_h * scale
    return item.x + (item.width - w) / 2, item.y + (item.height - h) / 2, w, h


@dataclass(frozen=True, slots=True)
class CircleItem:
    """An empty circle (a stamp card's stamp): centre, radius, outline."""

    cx: float
    cy: float
    radius: float
    colour: Colour
    width_pt: float = 0.8


Item = TextItem | QrItem | RuleItem | RectItem | ImageItem | CircleItem


@dataclass(frozen=True, slots=True)
class FaceLayout:
    """One face of one card, fully placed."""

    width: float
    height: float
    background: Colour
    items: tuple[Item, ...]

    @property
    def qr_items(self) -> tuple[QrItem, ...]:
        return tuple(i for i in self.items if isinstance(i, QrItem))

    @property
    def text_items(self) -> tuple[TextItem, ...]:
        return tuple(i for i in self.items if isinstance(i, TextItem))


@dataclass(frozen=True, slots=True)
class Placement:
    """One card face put on a page. (x, y, width, height) is the card's box on the page in
    mm from the page's top-left; `rotation` (0, 90, 180, 270, counter-clockwise) turns the
    upright face to fit the box. `face_key` names the face so a repeated face is drawn once."""

    face_key: str
    x: float
    y: float
    width: float
    height: float
    rotation: int = 0


@dataclass(frozen=True, slots=True)
class Ruler:
    """A 'print at 100 %' check: a line of known length with millimetre ticks."""

    x: float
    y: float
    length: float


@dataclass(frozen=True, slots=True)
class Scale:
    """A short millimetre scale for reading a printer's offset: zero at (x, y), ticks every
    0.5 mm out to `half` mm either side along `axis`, whole millimetres numbered (+ is right
    for "x", down for "y")."""

    x: float
    y: float
    axis: Literal["x", "y"]
    half: float = 3.0


@dataclass(frozen=True, slots=True)
class PageText:
    """A line of instructions on the page: left end of its baseline, mm from the top-left."""

    x: float
    y: float
    text: str
    size_pt: float = 5.5


@dataclass(frozen=True, slots=True)
class PagePlan:
    """One PDF page: its size, the faces on it, crop marks and the print-check furniture."""

    width: float
    height: float
    placements: tuple[Placement, ...]
    crop_marks: tuple[tuple[float, float, float, float], ...] = ()
    ruler: Ruler | None = None
    label: str = ""
    label_xy: tuple[float, float] | None = None
    trim_box: tuple[float, float, float, float] | None = None
    bleed_box: tuple[float, float, float, float] | None = None
    outlines: tuple[tuple[float, float, float, float], ...] = ()
    crosses: tuple[tuple[float, float], ...] = ()
    notes: tuple[str, ...] = ()
    scales: tuple[Scale, ...] = ()
    texts: tuple[PageText, ...] = ()
