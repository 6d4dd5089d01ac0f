"""Shaping lines of any script with HarfBuzz, in right-to-left order where needed.

A shaped line is what prints: glyph ids of the chosen fonts (see `cardgen.text.fonts`), with
HarfBuzz's advances and offsets, in visual order from left to right. Widths measured here
are the widths that print, for every script (reportlab's `stringWidth` is 25-83 % off for
Arabic, Bengali and Nastaliq).

The recipe (verified by rendering, shared/RESEARCH.md):

1. `protect_ltr`: phone numbers get NO-BREAK SPACEs between their digit groups, so a line
   never breaks inside one and the bidi algorithm keeps it one left-to-right number; in
   text with right-to-left characters, phone numbers and URLs are also wrapped in
   LEFT-TO-RIGHT EMBEDDING ... POP DIRECTIONAL FORMATTING, so a leading "+" or a trailing
   "/" stays with them.
2. Unicode bidi levels from python-bidi's algorithm functions (rules X1-I2, L1).
3. The line is cut into runs of one level and one font; each run is shaped with the whole
   line as context (so Arabic joins across a font change) in its own direction.
4. Runs are put in visual order by rule L2. HarfBuzz already returns a right-to-left run's
   glyphs in visual order and mirrors its brackets.

Invisible controls (the embeddings above, ZWJ, ZWNJ) are shaped and then removed by
HarfBuzz, so no glyph is drawn for them. Glyph values are in font units; `ShapedLine`
turns them into points at its size.

Lines break only at spaces (U+0020): never inside a word, an Arabic
or Bengali cluster, a URL or a phone number.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import uharfbuzz as hb
from bidi import algorithm as _bidi  # type: ignore[import-untyped]
from fontTools import unicodedata as ft_unicodedata

from cardgen.errors import DocPath
from cardgen.input.units import PT_PER_MM
from cardgen.text.fonts import FontFace, FontRun, font_runs, is_rtl_language

Direction = Literal["auto", "ltr", "rtl"]

LRE = "\u202a"
PDF = "\u202c"
NBSP = "\u00a0"
_BREAKS = frozenset({" "})

# A URL, an e-mail address or a bare domain with a path; trailing sentence punctuation is
# not part of it.
_URL = (
    r"(?:https?://|www\.)[^\s]+"
    r"|[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:/[^\s]*)?"
)
# A phone number: an optional "+", then digit groups separated by single spaces. A group
# followed by "/", ":" or a decimal point is something else ("24/7", "9:30").
_PHONE = r"\+?\d+(?:[ \u00a0]\d+(?![\w/:]|[.,]\d))*"
_LTR_SPAN = re.compile(rf"(?P<url>{_URL})|(?<![\w+/:.,-])(?P<phone>{_PHONE})(?!\w)")
_TRAILING_PUNCT = ".,;:!?)]}»\"'،۔؟"


def has_rtl(text: str) -> bool:
    """True when `text` has a right-to-left letter (Arabic, Hebrew, Thaana, Syriac ...)."""
    return any(_bidi.bidirectional(ch) in ("R", "AL") for ch in text)


def protect_numbers(text: str) -> str:
    """`text` with the spaces between a phone number's digit groups made NO-BREAK SPACEs
    ("0808 800 5000" -> "0808\\u00a0800\\u00a05000"): the number never breaks across lines
    and, being digits joined by a common separator, stays left to right in an RTL line."""
    def join(match: re.Match[str]) -> str:
        if match.group("phone") is None:
            return match.group(0)
        return match.group("phone").replace(" ", NBSP)

    return _LTR_SPAN.sub(join, text)


def protect_ltr(text: str, *, rtl: bool | None = None) -> str:
    """`protect_numbers`, and when the text has right-to-left letters (or `rtl` is True)
    every phone number, URL and e-mail address wrapped in LRE ... PDF so it reads left to
    right inside the right-to-left line. Idempotent."""
    if LRE in text:
        return text
    embed = has_rtl(text) if rtl is None else rtl

    def wrap(match: re.Match[str]) -> str:
        phone = match.group("phone")
        if phone is not None:
            body = phone.replace(" ", NBSP)
            # A lone group of digits needs no help: the bidi algorithm keeps it LTR.
            if not embed or (NBSP not in body and not body.startswith("+")):
                return body
            return f"{LRE}{body}{PDF}"
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING_PUNCT:
            url, tail = url[:-1], url[-1] + tail
        return f"{LRE}{url}{PDF}{tail}" if embed and url else match.group(0)

    return _LTR_SPAN.sub(wrap, text)


# --- bidi ---------------------------------------------------------------------------------


def base_is_rtl(text: str, language: str, direction: Direction = "auto") -> bool:
    """The paragraph direction. 'auto': the direction of its first strong letter (Unicode
    bidi rules P2-P3), so an English sentence on an Urdu card keeps its word order and an
    Urdu one on an English card reads right to left; a paragraph with no letters (a phone
    number) takes the direction of `language`."""
    if direction != "auto":
        return direction == "rtl"
    for ch in text:
        kind = _bidi.bidirectional(ch)
        if kind == "L":
            return False
        if kind in ("R", "AL"):
            return True
    return is_rtl_language(language)


def bidi_levels(text: str, rtl: bool) -> list[int]:
    """The resolved embedding level of each character of one line (UAX #9 X1-I2 and L1),
    with a paragraph level of 1 when `rtl`. Controls removed by rule X9 get the level of the
    character before them."""
    base = 1 if rtl else 0
    storage: dict[str, Any] = _bidi.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    _bidi.get_embedding_levels(text, storage, False, False)
    chars: list[dict[str, Any]] = list(storage["chars"])
    _bidi.explicit_embed_and_overrides(storage, False)
    _bidi.resolve_weak_types(storage, False)
    _bidi.resolve_neutral_types(storage, False)
    _bidi.resolve_implicit_levels(storage, False)
    kept = {id(c) for c in storage["chars"]}
    levels: list[int] = []
    previous = base
    for c in chars:
        if id(c) in kept:
            previous = int(c["level"])
        levels.append(previous)
    # L1: whitespace (and removed controls) at the end of the line take the paragraph level.
    for i in range(len(chars) - 1, -1, -1):
        if chars[i]["orig"] in ("WS", "BN", "LRE", "RLE", "LRO", "RLO", "PDF", "S", "B"):
            levels[i] = base
        else:
            break
    return levels


def visual_order(levels: Sequence[int]) -> list[int]:
    """Indexes of items with these levels, in visual order (UAX #9 rule L2)."""
    order = list(range(len(levels)))
    if not levels:
        return order
    highest = max(levels)
    odd = [lv for lv in levels if lv % 2]
    if not odd:
        return order
    for level in range(highest, min(odd) - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


# --- shaping ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Glyph:
    """One shaped glyph, in font units. `cluster` is the index in the line's text of the
    first character it comes from."""

    gid: int
    cluster: int
    x_advance: float
    x_offset: float
    y_offset: float


@dataclass(frozen=True)
class PlacedGlyph:
    """A glyph placed on the line: its font, and its origin in points from the line's left
    end on the baseline (y up)."""

    font: Path
    gid: int
    cluster: int
    x_pt: float
    y_pt: float


@dataclass(frozen=True)
class ShapedRun:
    """Characters `text[start:end]` of a line in one face and one bidi level, shaped; the
    glyphs are in visual order, left to right."""

    face: FontFace
    start: int
    end: int
    text: str
    level: int
    upem: int
    glyphs: tuple[Glyph, ...]

    @property
    def font(self) -> Path:
        return self.face.path

    @property
    def rtl(self) -> bool:
        return self.level % 2 == 1

    def width_pt(self, size_pt: float) -> float:
        return sum(g.x_advance for g in self.glyphs) * size_pt / self.upem


@dataclass(frozen=True)
class ShapedLine:
    """One line, shaped at `size_pt`: `runs` in visual order (left to right). `text` is the
    line as shaped (after `protect_ltr`); glyph clusters index into it."""

    text: str
    runs: tuple[ShapedRun, ...]
    rtl: bool
    size_pt: float

    @property
    def width_pt(self) -> float:
        return sum(r.width_pt(self.size_pt) for r in self.runs)

    @property
    def width_mm(self) -> float:
        return self.width_pt / PT_PER_MM

    @property
    def line_spacing(self) -> float:
        """Baseline-to-baseline distance this line needs, times its size (Nastaliq 2.6)."""
        return max((r.face.line_spacing for r in self.runs), default=1.25)

    @property
    def fonts(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(r.font for r in self.runs))

    def glyph_texts(self) -> list[str]:
        """The characters each glyph of `placed()` stands for, for copying the printed
        text: a cluster's characters (with the invisible controls after it, which have no
        glyph) go to the first of its glyphs in logical order, and its other glyphs stand
        for nothing. A right-to-left run's glyphs carry their text in visual order, as
        they print (a lam-alef ligature stands for "al"): readers put right-to-left text
        back in logical order character by character. Direction controls are dropped and
        NO-BREAK SPACEs copy as spaces."""
        out: list[str] = []
        for run in self.runs:
            clusters = sorted({g.cluster for g in run.glyphs})
            ends = dict(zip(clusters, [*clusters[1:], run.end], strict=True))
            indexes = range(len(run.glyphs))
            carrier: dict[int, int] = {}
            for i in (reversed(indexes) if run.rtl else indexes):
                carrier.setdefault(run.glyphs[i].cluster, i)
            for i, g in enumerate(run.glyphs):
                if carrier[g.cluster] != i:
                    out.append("")
                    continue
                text = self.text[g.cluster:ends[g.cluster]]
                text = text.replace(LRE, "").replace(PDF, "").replace(NBSP, " ")
                out.append(text[::-1] if run.rtl else text)
        return out

    def placed(self) -> list[PlacedGlyph]:
        """Every glyph with its origin from the line's left end, in points, y up."""
        out: list[PlacedGlyph] = []
        x = 0.0
        for run in self.runs:
            scale = self.size_pt / run.upem
            for g in run.glyphs:
                out.append(PlacedGlyph(run.font, g.gid, g.cluster, x + g.x_offset * scale,
                                       g.y_offset * scale))
                x += g.x_advance * scale
        return out


@functools.lru_cache(maxsize=64)
def _hb_font(path: Path) -> tuple[Any, int]:
    blob = hb.Blob.from_file_path(str(path))
    face = hb.Face(blob)
    return hb.Font(face), int(face.upem)


def _hb_language(language: str) -> str:
    return language.strip().replace("_", "-") or "en"


def shape_run(codepoints: Sequence[int], start: int, end: int, *, font: Path, rtl: bool,
              script: str | None, language: str) -> tuple[Glyph, ...]:
    """Shape `codepoints[start:end]` in `font` with the rest of `codepoints` as context."""
    hb_font, _ = _hb_font(font)
    buf = hb.Buffer()
    buf.add_codepoints(list(codepoints), start, end - start)
    buf.guess_segment_properties()
    buf.direction = "rtl" if rtl else "ltr"
    if script not in (None, "Common", "Inherited", "Unknown"):
        buf.script = str(ft_unicodedata.script_code(script))
    buf.language = _hb_language(language)
    buf.flags = hb.BufferFlags.REMOVE_DEFAULT_IGNORABLES
    # A mark keeps a cluster of its own (not merged into its base's): each glyph then
    # stands for the fewest characters, which is what a PDF's text map can say best.
    buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
    hb.shape(hb_font, buf, {})
    return tuple(
        Glyph(int(info.codepoint), int(info.cluster), float(pos.x_advance),
              float(pos.x_offset), float(pos.y_offset))
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
    )


def shape_line(text: str, *, primary_font: Path | FontFace, language: str = "en",
               size_pt: float, bold: bool = False, direction: Direction = "auto",
               field: DocPath = (), faces: Sequence[FontFace] | None = None) -> ShapedLine:
    """Shape one line of `text` (no line breaking). Fonts come from `fontdb.font_runs`
    (raises InputError CG610 for a character no font has, naming `field`)."""
    rtl = base_is_rtl(text, language, direction)
    line = protect_ltr(text, rtl=True if rtl else None)
    return _shape_protected(line, rtl, primary_font=primary_font, language=language,
                            size_pt=size_pt, bold=bold, field=field, faces=faces)


def _shape_protected(line: str, rtl: bool, *, primary_font: Path | FontFace, language: str,
                     size_pt: float, bold: bool, field: DocPath,
                     faces: Sequence[FontFace] | None) -> ShapedLine:
    fonts: list[FontRun] = font_runs(line, primary_font, language, bold, field=field,
                                     faces=faces)
    levels = bidi_levels(line, rtl)
    codepoints = [ord(ch) for ch in line]
    pieces: list[tuple[int, int, int, FontRun]] = []
    for fr in fonts:
        i = fr.start
        while i < fr.end:
            j = i
            while j < fr.end and levels[j] == levels[i]:
                j += 1
            pieces.append((i, j, levels[i], fr))
            i = j
    runs: list[ShapedRun] = []
    for start, end, level, fr in pieces:
        glyphs = shape_run(codepoints, start, end, font=fr.face.path, rtl=level % 2 == 1,
                           script=fr.script, language=language)
        if not glyphs:
            continue
        runs.append(ShapedRun(fr.face, start, end, line[start:end], level,
                              _hb_font(fr.face.path)[1], glyphs))
    order = visual_order([r.level for r in runs])
    return ShapedLine(line, tuple(runs[i] for i in order), rtl, size_pt)


def _break_points(line: str) -> list[int]:
    # Indexes of break characters outside an LRE..PDF span (URLs and numbers stay whole).
    points: list[int] = []
    depth = 0
    for i, ch in enumerate(line):
        if ch == LRE:
            depth += 1
        elif ch == PDF:
            depth = max(0, depth - 1)
        elif ch in _BREAKS and depth == 0:
            points.append(i)
    return points


def split_words(text: str) -> list[str]:
    """The unbreakable pieces of an already protected line, in logical order."""
    words: list[str] = []
    last = 0
    for i in _break_points(text):
        words.append(text[last:i])
        last = i + 1
    words.append(text[last:])
    return [w for w in words if w]


def wrap_shaped(text: str, *, primary_font: Path | FontFace, language: str = "en",
                size_pt: float, width_mm: float, bold: bool = False,
                direction: Direction = "auto", field: DocPath = (),
                faces: Sequence[FontFace] | None = None) -> list[ShapedLine] | None:
    """`text` broken into shaped lines no wider than `width_mm`, greedily, at spaces only
    (never inside a word, URL or phone number); newlines in `text` start new paragraphs.
    Every line shares its paragraph's direction. None when some word alone is wider than
    `width_mm` (the caller shrinks the text or reports it)."""
    lines: list[ShapedLine] = []
    for paragraph in text.split("\n"):
        # Each paragraph takes its own direction (an English line under an Urdu one).
        rtl = base_is_rtl(paragraph, language, direction)
        protected = protect_ltr(paragraph, rtl=True if rtl else None)

        def shape(line: str, rtl: bool = rtl) -> ShapedLine:
            return _shape_protected(line, rtl, primary_font=primary_font, language=language,
                                    size_pt=size_pt, bold=bold, field=field, faces=faces)

        words = split_words(protected)
        current: list[str] = []
        current_shaped: ShapedLine | None = None
        for word in words:
            candidate = shape(" ".join([*current, word]))
            if candidate.width_mm <= width_mm + 1e-9:
                current.append(word)
                current_shaped = candidate
                continue
            if current_shaped is None:
                return None
            lines.append(current_shaped)
            alone = shape(word)
            if alone.width_mm > width_mm + 1e-9:
                return None
            current, current_shaped = [word], alone
        if current_shaped is not None:
            lines.append(current_shaped)
    return lines
