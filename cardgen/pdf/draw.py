"""Drawing placed card faces and sheet furniture into PDF bytes: the only reportlab user.

Each distinct card face is drawn once as a PDF Form XObject and placed on the sheet as
often as it repeats, so a thousand copies cost a thousand short `Do` operators, not a
thousand drawings. What many distinct faces draw alike (a batch's background, title and
national helplines) goes once into a shared form that each face places first, so a school's
face holds only its own lead and code. A QR code is one vector path of module rectangles,
written as literal content-stream operators under one transform and filled with the non-zero
rule (separate fills, or even-odd fill, show hairline seams in some renderers), in 100 %
black. reportlab makes the base PDF (font subsets, pictures, sheet marks, information) and
formats text; faces and pages are written after it by `incremental`. Output is deterministic
(`invariant=1`).
"""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.pdfdoc import PDFError
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from cardgen import workers as forked
from cardgen.errors import CardgenError
from cardgen.input.units import Colour, mm_to_pt
from cardgen.layout.placed import (
    CircleItem,
    FaceLayout,
    GlyphRun,
    ImageItem,
    Item,
    PagePlan,
    Placement,
    QrItem,
    RectItem,
    RuleItem,
    Scale,
    TextItem,
    cover_box,
)
from cardgen.pdf.cmyk import CmykPicture, print_picture
from cardgen.pdf.incremental import BaseDocument, PageWriter, deflate, fmt
from cardgen.qr.encode import rectangle_path
from cardgen.text.fonts import FontRef

ColourMode = Literal["rgb", "cmyk"]
#: Text at least this dark (K of its CMYK) prints as 100 % K in CMYK output.
TEXT_BLACK_K = 0.8
_registered: dict[str, Path] = {}
#: Codes standing for a (font, glyph id, text) that a shaped line draws, and back: the
#: characters each code stands for when the printed text is copied.
_glyph_codes: dict[tuple[str, int, str], int] = {}
_code_texts: dict[int, str] = {}
#: Supplementary Private Use Area-A: no font maps these, so they can name glyphs.
_VIRTUAL_FIRST, _VIRTUAL_LAST = 0xF0000, 0xFFFFD


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


def _glyph_code(name: str, gid: int, text: str) -> int:
    """The character reportlab draws glyph `gid` of the registered font `name` by, when it
    stands for `text` in the copied text. Each (glyph, text) pair gets a private-use code
    of its own that maps to the glyph, so a joined Arabic form or a Bengali conjunct is
    drawn through reportlab's own subset embedding, and the font's ToUnicode map says what
    it stands for (`_to_unicode_cmap`) -- as browsers write their PDFs. The codes never
    reach the file (a subset numbers its characters in the order a document uses them), so
    the same document gets the same bytes whatever was drawn before in this process."""
    key = (name, gid, text)
    code = _glyph_codes.get(key)
    if code is not None:
        return code
    code = _VIRTUAL_FIRST + len(_glyph_codes)
    if code > _VIRTUAL_LAST:
        raise CardgenError("too many distinct shaped glyphs in one process",
                           fix="build fewer languages in one run", code="CG602")
    ttf = pdfmetrics.getFont(name)
    face = ttf.face
    face.charToGlyph[code] = gid
    face.charWidths[code] = ttf.pdfScale(face.hmetrics[gid][0])
    _glyph_codes[key] = code
    _code_texts[code] = text
    return code


_reportlab_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """reportlab's ToUnicode CMap of a font subset, with each shaped glyph's code mapped to
    the characters it stands for (UTF-16, any number of characters), and a glyph that
    stands for none (a cluster's second glyph) left out, so it copies as nothing."""
    if not any(code in _code_texts for code in subset):
        return str(_reportlab_cmap(fontname, subset))
    entries: list[str] = []
    for index, code in enumerate(subset):
        text = _code_texts.get(code)
        if text is None:
            entries.append(f"<{index:02X}> <{code:04X}>")
        elif text:
            entries.append(f"<{index:02X}> <{text.encode('utf-16-be').hex().upper()}>")
    cmap = str(_reportlab_cmap(fontname, subset))
    head = cmap[:cmap.index(f"{len(subset)} beginbfchar")]
    tail = cmap[cmap.index("endbfchar"):]
    return head + f"{len(entries)} beginbfchar\n" + "\n".join(entries) + "\n" + tail


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def _actual_text(text: str) -> str:
    data = text.replace("\u00a0", " ").encode("utf-16-be")
    return "<FEFF" + data.hex().upper() + ">"


#: The marked-content tag of the text pdfium copies. poppler reads ActualText only from
#: `/Span` and pdfium from the innermost marked content that has it, so the two readers,
#: which put right-to-left text back in order by different rules, each get their own.
_PDFIUM_TAG = "/CardgenCopy"
#: ActualText of glyphs whose text a word's lead glyph already gave pdfium: a character
#: pdfium counts as unprintable makes it skip them, in whatever order it meets them.
_PDFIUM_SKIP = _actual_text("\u0001")


def _pdfium_class(char: str) -> str:
    """The direction class pdfium's text reader gives a character: left-to-right (L),
    right-to-left (R), weak (W: digits, marks, separators) or neutral (N)."""
    kind = unicodedata.bidirectional(char)
    if kind == "L":
        return "L"
    if kind in ("R", "AL"):
        return "R"
    if kind in ("AN", "EN", "NSM", "CS", "ES", "ET", "BN"):
        return "W"
    return "N"


def pdfium_order(text: str) -> str:
    """`text` (one line, logical order) as pdfium must read it from the page to copy it in
    logical order. pdfium cuts a line into runs of one direction class and, when it has more
    right-to-left runs than left-to-right ones, puts the runs in the reverse order, keeping
    each run's characters as they are. Reversing the runs twice gives the line back."""
    runs = [''.join(g) for _, g in itertools.groupby(text, key=_pdfium_class)]
    classes = Counter(_pdfium_class(run[0]) for run in runs)
    return "".join(reversed(runs)) if classes["R"] > classes["L"] else text


def _copy_text(text: str) -> str:
    """A line as copying should give it: direction controls dropped, NO-BREAK SPACEs and
    runs of spaces as one space."""
    text = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    return " ".join(text.replace("\u00a0", " ").split())


#: A glyph of a shaped line: font name, glyph id, x and y (pt), the text it stands for.
_Glyph = tuple[str, int, float, float, str]
_Word = list[_Glyph]


def _right_to_left(text: str) -> bool:
    return _pdfium_class(text[:1]) == "R" if text else False


def _lead_glyph(glyphs: Sequence[_Glyph]) -> int:
    """The glyph that carries copied text for pdfium: a right-to-left letter if there is
    one (pdfium reverses what such a glyph carries, whatever came before it), else a
    left-to-right letter or a digit, else any glyph that stands for text; the leftmost
    such, on the baseline if one is (pdfium starts a new line at a glyph raised or lowered
    by more than a fraction of its width)."""
    def rank(glyph: _Glyph) -> int:
        if _right_to_left(glyph[4]):
            return 0
        kind = unicodedata.bidirectional(glyph[4][0]) if glyph[4] else ""
        return 1 if kind in ("L", "EN", "AN") else 2

    best = min(rank(g) for g in glyphs)
    carriers = [i for i, g in enumerate(glyphs) if rank(g) == best]
    level = [i for i in carriers if abs(glyphs[i][3]) < 0.05] or carriers
    return min(level, key=lambda i: glyphs[i][2])


def _pdfium_copies(text: str, words: Sequence[_Word]) -> dict[tuple[int, int], str]:
    """What pdfium is given to copy a line with right-to-left text: (word, glyph) -> the
    text that glyph carries; every other glyph carries text pdfium skips.

    pdfium meets the carrying glyphs left to right. It reverses what a right-to-left glyph
    carries (and, after such a glyph, a mostly right-to-left text on any glyph), then
    reverses the order of the line's runs when right-to-left ones are the more (see
    `pdfium_order`). So the line goes in `pdfium_order`, one space-separated piece per
    word, each on the word's lead glyph (`_lead_glyph`), reversed when that glyph is
    right-to-left -- as long as a word has a right-to-left letter exactly when its piece
    has. Otherwise (a line with left-to-right letters too, whose pieces need not match its
    words) the whole line goes on its leftmost right-to-left letter."""
    line = pdfium_order(_copy_text(text))
    pieces = line.split(" ")
    leads = [_lead_glyph(word) for word in words]
    if len(pieces) == len(words) and all(
            _right_to_left(word[lead][4]) == any(_pdfium_class(c) == "R" for c in piece)
            for word, lead, piece in zip(words, leads, pieces, strict=True)):
        copies = {}
        for index, (word, lead, piece) in enumerate(zip(words, leads, pieces, strict=True)):
            # The space after a word goes with it: pdfium sees no gap after a narrow word.
            piece += " " if index < len(words) - 1 else ""
            copies[index, lead] = piece[::-1] if _right_to_left(word[lead][4]) else piece
        return copies
    glyphs = [(w, i) for w, word in enumerate(words) for i in range(len(word))]
    w, i = glyphs[_lead_glyph([words[w][i] for w, i in glyphs])]
    return {(w, i): line[::-1] if _right_to_left(words[w][i][4]) else line}


def _draw_shaped(canvas: Canvas, item: TextItem, runs: Sequence[GlyphRun], x: float,
                 y: float) -> None:
    """A shaped line, glyph by glyph, in visual order. What copying it gives:

    Each word (glyphs between spaces) is a `/Span` whose ActualText is its characters in
    visual order, left to right as they print -- a right-to-left word reversed, as its
    glyphs' own ToUnicode entries say; poppler spreads it over the glyphs and puts
    right-to-left text in logical order itself. (ActualText in logical order came out
    reversed; per-cluster spans make poppler space the pieces apart.)

    pdfium orders a line by rules of its own, and meets the glyphs in the order of their
    origins, so a vowel mark or a Nastaliq letter reaching into the next word would split or
    repeat a word. In a line with right-to-left text each glyph is therefore also in an
    inner `_PDFIUM_TAG` (which poppler does not read: it takes ActualText from `/Span`
    only, pdfium from the innermost marked content): a few carry the line as pdfium must
    read it (`_pdfium_copies`), the others a text pdfium skips."""
    width = item.shaped_width_pt
    left = {"left": x, "center": x - width / 2, "right": x - width}[item.align]
    words: list[_Word] = [[]]
    for run in runs:
        name = register_font(run.font)
        texts = run.texts or ("",) * len(run.gids)
        for gid, gx, gy, stands_for in zip(run.gids, run.xs, run.ys, texts, strict=True):
            if stands_for == " ":
                words.append([])  # the space glyph itself draws nothing
            else:
                words[-1].append((name, gid, gx, gy, stands_for))
    words = [word for word in words if word]
    pdfium: dict[tuple[int, int], str] | None = None
    if words and any(_pdfium_class(c) == "R" for c in item.text):
        pdfium = _pdfium_copies(item.text, words)
    text = canvas.beginText()
    font = ""
    for w, word in enumerate(words):
        # Marked content may nest inside a text object: the line stays one BT ... ET.
        text._code.append(
            f"/Span <</ActualText {_actual_text(''.join(g[4] for g in word))}>> BDC")
        for i, (name, gid, gx, gy, stands_for) in enumerate(word):
            if pdfium is not None:
                carried = pdfium.get((w, i))
                text._code.append(f"{_PDFIUM_TAG} <</ActualText "
                                  f"{_actual_text(carried) if carried else _PDFIUM_SKIP}>> BDC")
            if name != font:
                text.setFont(name, item.size_pt)
                font = name
            text.setTextOrigin(left + gx, y + gy)
            text.textOut(chr(_glyph_code(name, gid, stands_for)))
            if pdfium is not None:
                text._code.append("EMC")
        text._code.append("EMC")
    canvas.drawText(text)


class _Painter:
    """Sets fill and stroke colours in RGB or CMYK (text and QR black as K only), and reads
    pictures in the same colour mode."""

    def __init__(self, canvas: Canvas, mode: ColourMode) -> None:
        self.canvas = canvas
        self.mode = mode
        self._pictures: dict[Path, ImageReader] = {}

    def picture(self, path: Path) -> ImageReader:
        """The picture at `path` as the document embeds it: the file as it is in RGB; in
        CMYK, converted to CMYK (`cmyk.print_picture`), once a document however many faces
        draw it. reportlab names a picture by a digest of its pixels and mask, so each
        distinct picture is embedded once either way."""
        if self.mode != "cmyk":
            return ImageReader(str(path))
        reader = self._pictures.get(path)
        if reader is None:
            reader = self._pictures[path] = _cmyk_reader(path)
        return reader

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

    def text_fill(self, colour: Colour) -> None:
        """Text colour; in CMYK, near-black text is 100 % K alone: small type in four inks
        blurs when the plates are a hair out of register."""
        if self.mode == "cmyk" and colour.as_cmyk()[3] >= TEXT_BLACK_K:
            self.canvas.setFillColorCMYK(0, 0, 0, 1)
        else:
            self.fill(colour)

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
        f"{fmt(module_pt)} 0 0 {fmt(-module_pt)} {fmt(left)} {fmt(top)} cm",
    ]
    ops.append(item.path or rectangle_path(item.modules))
    ops.append("f")
    ops.append("Q")
    canvas._code.append("\n".join(ops))


def _draw_item(canvas: Canvas, painter: _Painter, item: Item, face: FaceLayout, b: float
               ) -> None:
    h = mm_to_pt(face.height)
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
        painter.text_fill(item.colour)
        canvas.setFont(register_font(item.font), item.size_pt)
        x, y = mm_to_pt(item.x), h - mm_to_pt(item.baseline)
        if item.shaped is not None:
            _draw_shaped(canvas, item, item.shaped, x, y)
        elif item.align == "center":
            canvas.drawCentredString(x, y, item.text)
        elif item.align == "right":
            canvas.drawRightString(x, y, item.text)
        else:
            canvas.drawString(x, y, item.text)
    elif isinstance(item, QrItem):
        _draw_qr(canvas, painter, item, h)
    elif isinstance(item, CircleItem):
        _draw_circle(canvas, painter, item, h)
    elif isinstance(item, ImageItem):
        try:
            if item.cover:
                _draw_cover_image(canvas, painter.picture(item.path), item, face, b)
            else:
                canvas.drawImage(
                    painter.picture(item.path),
                    mm_to_pt(item.x), h - mm_to_pt(item.y + item.height),
                    mm_to_pt(item.width), mm_to_pt(item.height),
                    preserveAspectRatio=True, anchor="c", mask="auto",
                )
        except (OSError, ValueError) as exc:
            # The picture was checked whole (every pixel decoded) before layout; failing
            # now, it was moved, deleted or changed while cardgen ran.
            # reportlab prefixes the reader's identity to the reason: keep the reason.
            reason = str(exc).rsplit("] ", 1)[-1].strip()
            raise CardgenError(
                f"the picture {item.path} cannot be read any more ({reason}); it was moved, "
                "deleted or changed while cardgen was running",
                code="CG750" if item.cover else "CG720",
                fix="leave the picture in place while cardgen runs, then run it again "
                "(re-export the picture as PNG or JPEG if it is damaged)") from exc


def _draw_circle(canvas: Canvas, painter: _Painter, item: CircleItem, card_h_pt: float
                 ) -> None:
    painter.stroke(item.colour)
    canvas.setLineWidth(item.width_pt)
    canvas.circle(mm_to_pt(item.cx), card_h_pt - mm_to_pt(item.cy), mm_to_pt(item.radius),
                  stroke=1, fill=0)


class _CmykReader(ImageReader):  # type: ignore[misc]  # reportlab has no type hints
    """A picture's converted CMYK pixels, with its alpha as the soft mask: reportlab takes a
    soft mask only from RGBA or LA pixels, and Pillow has no CMYK mode with alpha."""

    def __init__(self, picture: CmykPicture) -> None:
        super().__init__(picture.pixels)
        self._alpha = picture.alpha

    def getRGBData(self) -> bytes:
        data: bytes = super().getRGBData()
        self._dataA = ImageReader(self._alpha) if self._alpha is not None else None
        return data


def _cmyk_reader(path: Path) -> ImageReader:
    """A reader that makes reportlab embed the picture at `path` in CMYK (or grey)."""
    picture = print_picture(path)
    if isinstance(picture, Path):
        return ImageReader(str(picture))
    if picture.jpeg is not None:
        # A JPEG reader hands reportlab the encoded bytes, which it embeds as they are.
        return ImageReader(io.BytesIO(picture.jpeg))
    return _CmykReader(picture)


def _draw_cover_image(canvas: Canvas, reader: ImageReader, item: ImageItem, face: FaceLayout,
                      b: float) -> None:
    """A background picture: scaled to cover its box (`cover_box`, the same geometry the
    layout's contrast check samples), clipped to the card and its bleed."""
    x, y, w, h = cover_box(item, *reader.getSize())
    card_h = mm_to_pt(face.height)
    canvas.saveState()
    clip = canvas.beginPath()
    clip.rect(-b, -b, mm_to_pt(face.width) + 2 * b, card_h + 2 * b)
    canvas.clipPath(clip, stroke=0, fill=0)
    canvas.drawImage(reader, mm_to_pt(x), card_h - mm_to_pt(y + h), mm_to_pt(w),
                     mm_to_pt(h), mask="auto")
    canvas.restoreState()


def _captured(canvas: Canvas, draw: Callable[[], None]) -> str:
    """The operators `draw` makes, taken from the canvas instead of left on its page (the
    canvas still assigns font subset codes and registers pictures as it goes)."""
    saved = canvas._code
    canvas._code = []
    try:
        draw()
        return "\n".join(canvas._code)
    finally:
        canvas._code = saved


@dataclass(frozen=True)
class _Chunk:
    """The operators of one drawn item of a face. `under`: a background, band or picture,
    which other items may lie on, so it keeps its place in the painting order."""

    ops: str
    under: bool


def _face_chunks(canvas: Canvas, painter: _Painter, face: FaceLayout, bleed: float,
                 memo: dict[object, _Chunk]) -> list[_Chunk]:
    """The face's operators, item by item, background first. An item drawn before on a face
    of the same size is not drawn again: a batch's title, text and national helplines are
    formatted once, not once per school."""
    w, h = mm_to_pt(face.width), mm_to_pt(face.height)
    b = mm_to_pt(bleed)
    key: object = ("background", face.background, w, h, b)
    chunk = memo.get(key)
    if chunk is None:
        def background() -> None:
            painter.fill(face.background)
            canvas.rect(-b, -b, w + 2 * b, h + 2 * b, stroke=0, fill=1)
        chunk = memo[key] = _Chunk(_captured(canvas, background), True)
    chunks = [chunk]
    for item in face.items:
        # A code is rarely drawn twice: not worth keeping (nor hashing its matrix).
        key = None if isinstance(item, QrItem) else (item, face.width, face.height, b)
        chunk = memo.get(key) if key is not None else None
        if chunk is None:
            def draw(item: Item = item) -> None:
                _draw_item(canvas, painter, item, face, b)
            chunk = _Chunk(_captured(canvas, draw),
                           isinstance(item, RectItem | ImageItem | CircleItem))
            if key is not None:
                memo[key] = chunk
        chunks.append(chunk)
    return chunks


#: Faces joined and compressed at a time.
_FACES_A_BATCH = 256


def _share_chunks(faces: Mapping[str, Sequence[_Chunk]]
                  ) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    """(shared form name -> operators, face form name -> its operators in pieces (joined
    when written), face form name -> the shared form it places, if any). What many faces
    draw alike -- the background, a batch's title, text and national helplines -- is moved into
    one shared form that each face places first, so each face's own form holds only what is
    its own (the school's lead and code): a thousand-school batch repeats the common part
    once, not a thousand times. An item is moved ahead of the face's own items only where
    that cannot change what prints: text, rules and codes never overlap one another, but a
    band or picture may lie under them, so those keep their place."""
    in_faces: Counter[str] = Counter()
    for chunks in faces.values():
        in_faces.update({c.ops for c in chunks})
    split: dict[str, tuple[tuple[str, ...], list[str]]] = {}
    for name, chunks in faces.items():
        hoisted: list[str] = []
        own: list[str] = []
        own_seen = own_under_seen = False
        for c in chunks:
            if in_faces[c.ops] > 1 and not own_under_seen and not (own_seen and c.under):
                hoisted.append(c.ops)
            else:
                own.append(c.ops)
                own_seen = True
                own_under_seen = own_under_seen or c.under
        split[name] = (tuple(hoisted), own)
    users = Counter(common for common, _ in split.values() if common)
    shared: dict[tuple[str, ...], str] = {}
    contents: dict[str, list[str]] = {}
    placing: dict[str, str] = {}
    for name, (common, own_ops) in split.items():
        if users[common] > 1:
            shared_name = placing[name] = shared.setdefault(common, f"Shared{len(shared) + 1}")
            contents[name] = [f"q /FormXob.{shared_name} Do Q", *own_ops]
        else:
            contents[name] = [c.ops for c in faces[name]]
    return ({name: "\n".join(common) for common, name in shared.items()}, contents,
            placing)


def _form_name(face_key: str) -> str:
    return "F" + "".join(c if c.isalnum() else "_" for c in face_key)


_BLACK = Colour(0, 0, 0, (0, 0, 0, 1))


def _sheet_marks_key(page: PagePlan) -> tuple[object, ...] | None:
    """What every sheet of a run repeats (crop marks and the ruler): drawn once as a form."""
    if not page.crop_marks and page.ruler is None:
        return None
    return (page.width, page.height, page.crop_marks, page.ruler)


def _draw_sheet_marks(canvas: Canvas, page: PagePlan, font: FontRef, painter: _Painter) -> None:
    page_h = mm_to_pt(page.height)
    painter.stroke(_BLACK)
    painter.fill(_BLACK)
    if page.crop_marks:
        canvas.setLineWidth(0.25)
        for x1, y1, x2, y2 in page.crop_marks:
            canvas.line(mm_to_pt(x1), page_h - mm_to_pt(y1), mm_to_pt(x2), page_h - mm_to_pt(y2))
    if page.ruler is not None:
        ruler = page.ruler
        x0, y0 = mm_to_pt(ruler.x), page_h - mm_to_pt(ruler.y)
        canvas.setLineWidth(0.4)
        canvas.line(x0, y0, x0 + mm_to_pt(ruler.length), y0)
        for mm in range(int(ruler.length) + 1):
            tick = 2.0 if mm % 10 == 0 else (1.4 if mm % 5 == 0 else 0.8)
            canvas.setLineWidth(0.2)
            canvas.line(x0 + mm_to_pt(mm), y0, x0 + mm_to_pt(mm), y0 + mm_to_pt(tick))
        canvas.setFont(register_font(font), 5.5)
        canvas.drawString(
            x0, y0 - mm_to_pt(2.4),
            f"This ruler is {ruler.length:g} mm long. If not, print at Actual size / 100 %.",
        )


def _draw_furniture(canvas: Canvas, page: PagePlan, font: FontRef, painter: _Painter) -> None:
    page_h = mm_to_pt(page.height)
    painter.stroke(_BLACK)
    painter.fill(_BLACK)
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
    if page.label and page.label_xy is not None:
        canvas.setFont(name, 5.5)
        lx, ly = page.label_xy
        canvas.drawRightString(mm_to_pt(lx), page_h - mm_to_pt(ly), page.label)
    for scale in page.scales:
        _draw_scale(canvas, scale, page_h, name)
    for line in page.texts:
        canvas.setFont(name, line.size_pt)
        canvas.drawString(mm_to_pt(line.x), page_h - mm_to_pt(line.y), line.text)
    if page.notes:
        canvas.setFont(name, 9)
        y = page_h - mm_to_pt(20)
        for note in page.notes:
            canvas.drawString(mm_to_pt(15), y, note)
            y -= 12


def _draw_scale(canvas: Canvas, scale: Scale, page_h: float, font_name: str) -> None:
    """Ticks across a cut line; the number where the real cut crosses is the offset. Even
    millimetres are numbered on one side of the line and odd ones on the other, so the
    numbers stay apart at 1 mm spacing."""
    steps = round(scale.half * 2)
    canvas.setFont(font_name, 3.5)
    for step in range(-steps, steps + 1):
        at = step / 2
        tick = 1.8 if step == 0 else (1.2 if step % 2 == 0 else 0.7)
        canvas.setLineWidth(0.25 if step == 0 else 0.15)
        label = "0" if step == 0 else f"{at:+g}"
        side = 1 if (step // 2) % 2 == 0 else -1
        if scale.axis == "x":
            x, y = mm_to_pt(scale.x + at), page_h - mm_to_pt(scale.y)
            canvas.line(x, y - mm_to_pt(tick), x, y + mm_to_pt(tick))
            if step % 2 == 0:
                ly = y - mm_to_pt(tick + 1.4) if side > 0 else y + mm_to_pt(tick + 0.4)
                canvas.drawCentredString(x, ly, label)
        else:
            x, y = mm_to_pt(scale.x), page_h - mm_to_pt(scale.y + at)
            canvas.line(x - mm_to_pt(tick), y, x + mm_to_pt(tick), y)
            if step % 2 == 0:
                if side > 0:
                    canvas.drawString(x + mm_to_pt(tick + 0.4), y - 1.2, label)
                else:
                    canvas.drawRightString(x - mm_to_pt(tick + 0.4), y - 1.2, label)
    canvas.setLineWidth(0.15)
    if scale.axis == "x":
        y = page_h - mm_to_pt(scale.y)
        canvas.line(mm_to_pt(scale.x - scale.half), y, mm_to_pt(scale.x + scale.half), y)
    else:
        x = mm_to_pt(scale.x)
        canvas.line(x, page_h - mm_to_pt(scale.y - scale.half), x,
                    page_h - mm_to_pt(scale.y + scale.half))


def render_document(
    pages: Sequence[PagePlan],
    faces: Mapping[str, FaceLayout],
    *,
    title: str,
    furniture_font: FontRef,
    colour_mode: ColourMode = "rgb",
    bleed: float = 0.0,
    duplex: str = "none",
    share_parts: bool = True,
) -> bytes:
    """The whole PDF as bytes: every page of `pages`, each face drawn once as a form.
    `share_parts` False: each face's form holds all of its drawing, nothing shared with
    other faces (each face as it is drawn on its own, for the face check)."""
    buffer = io.BytesIO()
    write_document(buffer, pages, faces, title=title, furniture_font=furniture_font,
                   colour_mode=colour_mode, bleed=bleed, duplex=duplex,
                   share_parts=share_parts)
    return buffer.getvalue()


def render_to_file(
    path: Path,
    pages: Sequence[PagePlan],
    faces: Mapping[str, FaceLayout],
    *,
    title: str,
    furniture_font: FontRef,
    colour_mode: ColourMode = "rgb",
    bleed: float = 0.0,
    duplex: str = "none",
) -> None:
    """Writes the PDF to `path` page by page, so memory does not grow with the page count."""
    with path.open("wb") as handle:
        write_document(handle, pages, faces, title=title, furniture_font=furniture_font,
                       colour_mode=colour_mode, bleed=bleed, duplex=duplex)


def write_document(
    out: BinaryIO,
    pages: Sequence[PagePlan],
    faces: Mapping[str, FaceLayout],
    *,
    title: str,
    furniture_font: FontRef,
    colour_mode: ColourMode = "rgb",
    bleed: float = 0.0,
    duplex: str = "none",
    share_parts: bool = True,
) -> None:
    """Writes the PDF to `out`: a base document of forms and fonts made by reportlab, then
    the pages as an incremental update, each written as soon as it is made."""
    # ASCII85 makes streams a quarter bigger, and without the optional rl_accel package
    # reportlab encodes it in pure Python: a third of the render time of a 1,000-card batch.
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        _write_document(out, pages, faces, title=title, furniture_font=furniture_font,
                        colour_mode=colour_mode, bleed=bleed, duplex=duplex,
                        share_parts=share_parts)
    finally:
        rl_config.useA85 = saved


def _furniture_chars(pages: Sequence[PagePlan]) -> str:
    """Every character the page furniture draws: a font subset is fixed when the base is
    saved, before the pages are drawn, so these are put in it first."""
    chars: set[str] = set()
    for page in pages:
        chars.update(page.label)
        for line in page.texts:
            chars.update(line.text)
        for note in page.notes:
            chars.update(note)
        if page.scales:
            chars.update("0123456789+-.")
    chars.discard("\u00a0")  # drawn as a space
    return "".join(sorted(chars))


def _placement_matrix(placement: Placement, page_h_pt: float) -> str:
    """The `cm` operands that put an upright face into its slot box, turned."""
    x = mm_to_pt(placement.x)
    y = page_h_pt - mm_to_pt(placement.y + placement.height)
    w, h = mm_to_pt(placement.width), mm_to_pt(placement.height)
    rotation = placement.rotation % 360
    # Translate so the turned face still fills the slot box exactly.
    if rotation == 0:
        m = (1, 0, 0, 1, x, y)
    elif rotation == 90:
        m = (0, 1, -1, 0, x + w, y)
    elif rotation == 180:
        m = (-1, 0, 0, -1, x + w, y + h)
    elif rotation == 270:
        m = (0, -1, 1, 0, x, y + h)
    else:
        raise ValueError(f"rotation {placement.rotation} is not a multiple of 90")
    return " ".join(fmt(v) for v in m)


def _pdf_box(box: tuple[float, float, float, float], page_h: float
             ) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return (mm_to_pt(x), page_h - mm_to_pt(y + h), mm_to_pt(x + w), page_h - mm_to_pt(y))


def _write_document(
    out: BinaryIO,
    pages: Sequence[PagePlan],
    faces: Mapping[str, FaceLayout],
    *,
    title: str,
    furniture_font: FontRef,
    colour_mode: ColourMode,
    bleed: float,
    duplex: str,
    share_parts: bool = True,
) -> None:
    buffer = io.BytesIO()
    first = pages[0] if pages else None
    size = (mm_to_pt(first.width), mm_to_pt(first.height)) if first else (595.0, 842.0)
    # reportlab opens every page and form with a font selection; its default is Helvetica,
    # which it never embeds. Starting with the card's own font keeps every font embedded.
    canvas = Canvas(buffer, pagesize=size, invariant=1, pageCompression=1,
                    initialFontName=register_font(furniture_font))
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
    # one form: the first key, in sorted order, names it. Every face is drawn before the
    # base is saved, so the embedded font subsets hold every character the faces use.
    forms: dict[FaceLayout, str] = {}
    form_of: dict[str, str] = {}
    chunks: dict[str, list[_Chunk]] = {}
    memo: dict[object, _Chunk] = {}
    for key in used:
        face = faces[key]
        known = forms.get(face)
        if known is not None:
            form_of[key] = known
            continue
        forms[face] = form_of[key] = _form_name(key)
        chunks[form_of[key]] = _face_chunks(canvas, painter, face, bleed, memo)
    if share_parts:
        shared, contents, placing = _share_chunks(chunks)
    else:
        shared, placing = {}, {}
        contents = {name: [c.ops for c in face_chunks] for name, face_chunks in chunks.items()}
    del chunks, memo
    b = mm_to_pt(bleed)
    boxes = {form_of[key]: (-b, -b, mm_to_pt(faces[key].width) + b,
                            mm_to_pt(faces[key].height) + b) for key in used}
    # The faces' pictures are named in the base page's resources, which every face form
    # uses. reportlab keeps that list for the page, but a form begun while the page has no
    # operators of its own takes the list over and clears it when it ends (the pictures were
    # then named by the sheet marks and by no face: a logo never printed). So it is set
    # aside while the sheet marks are drawn and put back for the page.
    pictures = canvas._formsinuse
    canvas._formsinuse = []
    # Every sheet of a run has the same crop marks and ruler: one form, placed on each page.
    marks: dict[tuple[object, ...], str] = {}
    for page in pages:
        repeated = _sheet_marks_key(page)
        if repeated is None or repeated in marks:
            continue
        marks[repeated] = f"SheetMarks{len(marks) + 1}"
        canvas.beginForm(marks[repeated], lowerx=0, lowery=0, upperx=mm_to_pt(page.width),
                         uppery=mm_to_pt(page.height))
        _draw_sheet_marks(canvas, page, furniture_font, painter)
        canvas.endForm()
    canvas._formsinuse = [*pictures, *canvas._formsinuse]
    # The base's one page is never shown (the update's page tree replaces it): it places the
    # sheet marks, so its resources name them (and the faces' pictures, drawn above), and
    # draws every furniture character, so the embedded subset has them.
    for name in marks.values():
        canvas.doForm(name)
    furniture_name = register_font(furniture_font)
    chars = _furniture_chars(pages)
    if chars:
        canvas.setFont(furniture_name, 5.5)
        canvas.drawString(0, 0, chars)
    canvas.showPage()
    # Saving writes each font's subsets and drops reportlab's record of which code each
    # character got; the pages need that record to draw through the same subsets, so it is
    # kept and put back (frozen: a character not in the subset raises instead of vanishing).
    fonts = [pdfmetrics.getFont(furniture_name)]
    states = {font: font.state[canvas._doc] for font in fonts if canvas._doc in font.state}
    canvas.save()
    if not pages:
        out.write(buffer.getvalue())
        return
    for font, state in states.items():
        font.state[canvas._doc] = state
    try:
        writer = PageWriter(out, _base_document(canvas, buffer.getvalue()), len(pages))
        # A shared part's box holds the boxes of every face that places it.
        shared_box: dict[str, tuple[float, float, float, float]] = {}
        for face_form, name in placing.items():
            x0, y0, x1, y1 = boxes[face_form]
            a0, b0, a1, b1 = shared_box.get(name, (x0, y0, x1, y1))
            shared_box[name] = (min(a0, x0), min(b0, y0), max(a1, x1), max(b1, y1))
        for name, content in shared.items():
            writer.add_form(f"FormXob.{name}", content, shared_box[name], shared=True)
        # zlib lets go of the interpreter lock: the faces are compressed on every core. They
        # are joined a batch at a time, so a 5,000-school run does not hold every face's
        # operators twice.
        names = list(contents)
        with ThreadPoolExecutor(forked.cores()) as threads:
            for start in range(0, len(names), _FACES_A_BATCH):
                batch = names[start:start + _FACES_A_BATCH]
                joined = ["\n".join(contents.pop(name)) for name in batch]
                for name, stream in zip(batch, threads.map(deflate, joined), strict=True):
                    writer.add_form(f"FormXob.{name}", stream, boxes[name])
        del shared, contents
        _write_pages(writer, canvas, pages, form_of, marks, furniture_font, painter)
    finally:
        for font in states:
            font.state.pop(canvas._doc, None)


def _write_pages(writer: PageWriter, canvas: Canvas, pages: Sequence[PagePlan],
                 form_of: Mapping[str, str], marks: Mapping[tuple[object, ...], str],
                 furniture_font: FontRef, painter: _Painter) -> None:
    xobject = canvas._doc.getXObjectName
    form_ops = {key: f"/FormXob.{name} Do Q" for key, name in form_of.items()}
    marks_ops = {key: f"/{xobject(name)} Do" for key, name in marks.items()}
    for page in pages:
        page_h = mm_to_pt(page.height)
        ops = [f"q {_placement_matrix(p, page_h)} cm {form_ops[p.face_key]}"
               for p in page.placements]
        marks_key = _sheet_marks_key(page)
        if marks_key is not None:
            ops.append(marks_ops[marks_key])
        # reportlab still formats the furniture (text through the embedded subset): its
        # drawing calls only append operators to the canvas's list, taken here per page.
        canvas._code = ops
        canvas.init_graphics_state()
        try:
            _draw_furniture(canvas, page, furniture_font, painter)
        except PDFError as exc:  # a character missed by _furniture_chars: a cardgen bug
            raise CardgenError(f"the sheet text cannot be drawn: {exc}",
                               fix="report this as a cardgen bug with the input file",
                               code="CG602") from exc
        writer.add_page(
            "\n".join(canvas._code) + "\n", (0, 0, mm_to_pt(page.width), page_h),
            trim_box=_pdf_box(page.trim_box, page_h) if page.trim_box else None,
            bleed_box=_pdf_box(page.bleed_box, page_h) if page.bleed_box else None)
    canvas._code = []
    writer.finish()


_FILE_ID = re.compile(rb"\[\s*<[0-9a-fA-F]*>\s*<[0-9a-fA-F]*>\s*\]")


def _base_document(canvas: Canvas, data: bytes) -> BaseDocument:
    """What the update needs from reportlab's saved document: its catalog (viewer
    preferences), information dictionary, identifier and the shown page's resources."""
    doc = canvas._doc
    numbers = doc.idToObjectNumberAndVersion
    catalog_at = doc.idToOffset[doc.Reference(doc.Catalog).name]
    body = data[data.index(b"obj", catalog_at) + 3:data.index(b"endobj", catalog_at)].strip()
    found = _FILE_ID.search(doc.ID())
    if found is None:
        raise ValueError("reportlab wrote no file identifier")
    page = doc.Pages.pages[0]
    return BaseDocument(
        data=data, size=len(doc.numberToId) + 1, catalog=body,
        info=numbers[doc.Reference(doc.info).name][0], file_id=found.group(0),
        resources=page.Resources.format(doc))
