"""Fonts and text measurement: loading a font family, glyph coverage, widths and word wrap.

Widths are the sum of the glyphs' advance widths times size / units-per-em, with no kerning
and no ligatures: exactly what a plain PDF text draw (reportlab's `drawString`) advances, so
a line measured here is the line that prints. Fonts are read with fontTools once per file
(layouts run for thousands of cards).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from cardgen.errors import CardgenError
from cardgen.input.units import MM_PER_UNIT
from cardgen.text.fonts import (
    FontRef,
    available_faces,
    face_from_path,
    find_family,
    is_rtl_language,
    script_of,
)
from cardgen.text.shaping import LRE, PDF, Direction, ShapedLine, wrap_shaped

DEFAULT_FONT = "Atkinson Hyperlegible"
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


@dataclass(frozen=True)
class FontFamily:
    """The regular and bold faces a card is set in."""

    name: str
    regular: FontRef
    bold: FontRef


@dataclass(frozen=True)
class _Metrics:
    """What measuring needs from one font file: advances by character, em size, extents."""

    upem: int
    advances: dict[int, int]
    default_advance: int
    ascent: float
    descent: float


def _atkinson_dir() -> Path:
    import fontpkg_atkinson_hyperlegible as pkg

    return Path(pkg.ROOT) / "files"


@functools.lru_cache(maxsize=1)
def _builtin_paths() -> dict[str, tuple[Path, Path]]:
    # The package's own font files do not move while it runs; every card asks.
    files = _atkinson_dir()
    return {
        DEFAULT_FONT: (
            files / "AtkinsonHyperlegible-Regular.ttf",
            files / "AtkinsonHyperlegible-Bold.ttf",
        )
    }


def builtin_fonts() -> list[FontFamily]:
    """The fonts that need no file of the user's, by the name `card.font` takes."""
    return [_builtin_family(name) for name in sorted(_builtin_paths())]


@functools.lru_cache(maxsize=8)
def _builtin_family(name: str) -> FontFamily:
    regular, bold = _builtin_paths()[name]
    return FontFamily(name, FontRef(regular.stem, regular), FontRef(bold.stem, bold))


def _looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.lower().endswith(_FONT_SUFFIXES)


def load_font_family(name_or_path: str, base_dir: Path) -> FontFamily:
    """A font by the family name `cardgen list fonts` shows (Atkinson Hyperlegible, the
    built-in default, or any PyPI font package, shipped or installed family), or a .ttf
    file (relative to `base_dir`) used for both regular and bold. Raises CardgenError CG601
    (missing or not a font), CG602 (cannot be embedded: CFF outlines) or CG603 (unknown
    name)."""
    wanted = name_or_path.strip()
    for name in _builtin_paths():
        if wanted.casefold() in (name.casefold(), name.replace(" ", "-").casefold()):
            return _builtin_family(name)
    if not _looks_like_path(wanted):
        found = _listed_family(wanted.casefold())
        if found is not None:
            return found
        known = ", ".join(f"'{f}'" for f in listed_families())
        raise CardgenError(
            f"'{wanted}' is not a font cardgen can find (it knows {known})",
            fix="use a family `cardgen list fonts` shows, install the font (a fontpkg-* "
            "package from PyPI, or a system font package), or give a path to a .ttf file "
            "relative to the YAML file",
            code="CG603",
        )
    path = Path(wanted).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    return _user_family(path.resolve())


def listed_families() -> list[str]:
    """Every family name `card.font` takes: the families `cardgen list fonts` shows."""
    return sorted({face.family for face in available_faces()}, key=str.casefold)


@functools.lru_cache(maxsize=32)
def _listed_family(folded: str) -> FontFamily | None:
    # The regular face nearest weight 400 and the bold nearest 700 (`fonts._available`);
    # a family without a bold face sets bold text in its regular one.
    match = next((f for f in listed_families() if f.casefold() == folded), None)
    if match is None:
        return None
    regular = find_family(match, bold=False)
    bold = find_family(match, bold=True)
    assert regular is not None and bold is not None
    return FontFamily(match, _listed_ref(regular.path), _listed_ref(bold.path))


def _listed_ref(path: Path) -> FontRef:
    # Named after the file, not where it is installed, so output bytes do not depend on it.
    return FontRef("".join(ch for ch in path.stem if ch.isalnum() or ch == "-"), path)


@functools.lru_cache(maxsize=32)
def _user_family(path: Path) -> FontFamily:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CardgenError(
            f"the font file {path} cannot be read ({exc.strerror or exc})",
            fix="check the path in card.font (it is relative to the YAML file)",
            code="CG601",
        ) from exc
    try:
        font = TTFont(path, fontNumber=0, lazy=True)
        has_cmap = "cmap" in font and font.getBestCmap() is not None
        cff = "CFF " in font or "CFF2" in font
        glyf = "glyf" in font
    except (TTLibError, OSError, ValueError, KeyError, AssertionError) as exc:
        raise CardgenError(
            f"{path} is not a font file fontTools can read ({exc})",
            fix="point card.font at a TrueType (.ttf) font file",
            code="CG601",
        ) from exc
    if cff or not glyf:
        raise CardgenError(
            f"{path} has PostScript (CFF) outlines, which the PDF library cannot embed",
            fix="convert it to .ttf (TrueType outlines), e.g. with FontForge, or use a "
            "built-in font",
            code="CG602",
        )
    if not has_cmap:
        raise CardgenError(
            f"{path} has no Unicode character map, so no text can be set in it",
            fix="use another .ttf font file",
            code="CG601",
        )
    # Named by content, not by where it lives, so output bytes do not depend on the path.
    digest = hashlib.sha256(data).hexdigest()[:10]
    ref = FontRef(f"{path.stem}-{digest}", path)
    return FontFamily(path.stem, ref, ref)


@functools.lru_cache(maxsize=32)
def _metrics(path: Path) -> _Metrics:
    font = TTFont(path, fontNumber=0, lazy=True)
    cmap = font.getBestCmap() or {}
    hmtx = font["hmtx"]
    upem = int(font["head"].unitsPerEm)
    advances = {code: int(hmtx[glyph][0]) for code, glyph in cmap.items()}
    hhea = font["hhea"]
    return _Metrics(
        upem=upem,
        advances=advances,
        default_advance=int(hmtx[font.getGlyphOrder()[0]][0]),
        ascent=max(int(hhea.ascent), 1) / upem,
        descent=abs(int(hhea.descent)) / upem,
    )


def font_extents(font: FontRef) -> tuple[float, float]:
    """(ascent, descent) as fractions of the font size: how far ink may reach above and
    below the baseline."""
    m = _metrics(font.path)
    return m.ascent, m.descent


# Layout tries many sizes for the same words on every variant of a batch: measuring and
# wrapping are pure, so a thousand-variant build measures each line once.
@functools.lru_cache(maxsize=1 << 16)
def text_width_mm(text: str, font: FontRef, size_pt: float) -> float:
    """Printed width of one line of `text` in millimetres at `size_pt`."""
    m = _metrics(font.path)
    units = sum(m.advances.get(ord(c), m.default_advance) for c in text)
    return units * size_pt / m.upem * MM_PER_UNIT["pt"]


def missing_characters(text: str, font: FontRef) -> list[str]:
    """Characters of `text` the font has no glyph for, each once, in order of appearance
    (line breaks and plain spaces are never drawn, so never missing)."""
    m = _metrics(font.path)
    missing: list[str] = []
    for c in text:
        if c in "\n\r\t " or ord(c) in m.advances or c in missing:
            continue
        missing.append(c)
    return missing


def wrap_tokens(tokens: Sequence[str], font: FontRef, size_pt: float,
                width_mm: float) -> list[str] | None:
    """Greedy wrap of unbreakable `tokens` joined by single spaces; None if one token is
    wider than `width_mm` on its own."""
    lines, _, _ = wrap_tokens_span(tokens, font, size_pt, width_mm)
    return None if lines is None else list(lines)


@functools.lru_cache(maxsize=1 << 14)
def _units(text: str, path: Path) -> int:
    m = _metrics(path)
    return sum(m.advances.get(ord(c), m.default_advance) for c in text)


def wrap_tokens_span(tokens: Sequence[str], font: FontRef, size_pt: float, width_mm: float
                     ) -> tuple[tuple[str, ...] | None, float, float]:
    """The greedy wrap of `tokens` (a tuple of lines, None if one token is wider than the column)
    and the span of widths that wrap the same: (lines, low, high) where every width w with
    `low <= w + 1e-9` and not `high <= w + 1e-9` gives the same lines (low is -inf and high
    inf when nothing bounds them). Each decision of the greedy wrap is one such comparison
    of a measured width with the column width, and the same decisions give the same lines;
    so a layout that tries many widths for one text (the QR side search) wraps it once.
    Widths are whole font units summed, turned into millimetres as `text_width_mm` does, so
    every comparison matches its own exactly."""
    m = _metrics(font.path)
    mm = MM_PER_UNIT["pt"]
    limit = width_mm + 1e-9
    low, high = -math.inf, math.inf
    space = _units(" ", font.path)
    lines: list[str] = []
    current = ""
    current_units = 0
    for token in tokens:
        units = _units(token, font.path)
        token_w = units * size_pt / m.upem * mm
        if token_w > limit:
            return None, low, min(high, token_w)
        low = max(low, token_w)
        if not current:
            current, current_units = token, units
            continue
        joined = current_units + space + units
        joined_w = joined * size_pt / m.upem * mm
        if joined_w <= limit:
            low = max(low, joined_w)
            current, current_units = f"{current} {token}", joined
        else:
            high = min(high, joined_w)
            lines.append(current)
            current, current_units = token, units
    if current:
        lines.append(current)
    return tuple(lines), low, high


def wrap(text: str, font: FontRef, size_pt: float, width_mm: float) -> list[str] | None:
    """Greedy word wrap to `width_mm`, keeping the writer's own line breaks; None if a
    single word does not fit the width."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        wrapped = wrap_tokens(words, font, size_pt, width_mm)
        if wrapped is None:
            return None
        lines.extend(wrapped)
    return lines


# --- shaped text (any script, right to left, fallback fonts) ------------------------------

_PLAIN_SCRIPTS = frozenset({"Latin", "Common", "Inherited"})


def needs_shaping(text: str, font: FontRef, language: str = "en") -> bool:
    """True when `text` cannot be set by the plain path: a letter outside Latin (Arabic,
    Bengali, Gurmukhi ... need HarfBuzz), right-to-left text, or a character the card's font
    lacks (a fallback font must print it). Pure Latin text in the card's font stays on the
    plain path, which is many times faster for batches of thousands of cards."""
    if text.isascii():
        # Every ASCII character is of the Latin or Common script, so only a glyph missing
        # from the font sends it to HarfBuzz; a batch's names and numbers are answered here
        # without filling the cache below with one-off texts.
        return not _ascii_missing(font.path).isdisjoint(text)
    return _needs_shaping(text, font, language)


@functools.lru_cache(maxsize=32)
def _ascii_missing(path: Path) -> frozenset[str]:
    m = _metrics(path)
    return frozenset(chr(cp) for cp in range(128)
                     if chr(cp) not in "\n\r\t " and cp not in m.advances)


@functools.lru_cache(maxsize=65536)
def _needs_shaping(text: str, font: FontRef, language: str) -> bool:
    m = _metrics(font.path)
    for c in text:
        cp = ord(c)
        if c in "\n\r\t ":
            continue
        if cp not in m.advances:
            return True
        if cp >= 0x250 and script_of(c) not in _PLAIN_SCRIPTS:
            return True
    return is_rtl_language(language) and any(script_of(c) not in _PLAIN_SCRIPTS for c in text)


def font_ref_for(path: Path, primary: FontRef) -> FontRef:
    """The FontRef to draw a shaped run in: the card's own ref for its own font, else one
    named after the file (stable across machines, so output bytes do not depend on where
    fonts are installed)."""
    if path == primary.path:
        return primary
    name = "".join(ch for ch in path.stem if ch.isalnum() or ch == "-")
    return FontRef(name, path)


@functools.lru_cache(maxsize=4096)
def wrap_shaped_text(text: str, font: FontRef, size_pt: float, width_mm: float,
                     language: str, bold: bool, direction: Direction = "auto"
                     ) -> tuple[ShapedLine, ...] | None:
    """`text` shaped (HarfBuzz, bidi, fallback fonts) and wrapped to `width_mm` at spaces;
    None when one word alone is wider. Raises InputError CG610 when no font has a
    character. Cached: a face is fitted at many sizes and cards repeat their texts."""
    primary = face_from_path(font.path) or font.path
    lines = wrap_shaped(text, primary_font=primary, language=language, size_pt=size_pt,
                        width_mm=width_mm, bold=bold, direction=direction)
    return None if lines is None else tuple(lines)


def shaped_extents(line: ShapedLine) -> tuple[float, float]:
    """(ascent, descent) of a shaped line as fractions of its size: the largest of its
    fonts'."""
    extents = [_metrics(path) for path in line.fonts]
    if not extents:
        return 0.0, 0.0
    return max(m.ascent for m in extents), max(m.descent for m in extents)


def logical_text(line: ShapedLine) -> str:
    """The line's text in logical order without the invisible direction controls shaping
    added (what copying the printed line should give)."""
    return line.text.replace(LRE, "").replace(PDF, "")
