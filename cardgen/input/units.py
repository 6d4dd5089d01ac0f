"""Lengths and colours as users write them, parsed into millimetres and colour values.

Lengths accept mm, cm, in and pt (a bare number is millimetres). Colours are `#rrggbb`
(or `#rgb`) for screen and home printing, or `cmyk(c, m, y, k)` in percent for print shops.
Also the WCAG contrast ratio, used for the text-contrast guarantee.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72.0}
PT_PER_MM = 72.0 / 25.4

_LENGTH_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*(mm|cm|in|pt)?\s*$")
_HEX_RE = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_CMYK_RE = re.compile(
    r"^cmyk\(\s*(\d+(?:\.\d+)?)%?\s*,\s*(\d+(?:\.\d+)?)%?\s*,\s*(\d+(?:\.\d+)?)%?\s*,"
    r"\s*(\d+(?:\.\d+)?)%?\s*\)$",
    re.IGNORECASE,
)


def parse_length(value: object) -> float:
    """A length in millimetres from `85mm`, `3.5in`, `8.5cm`, `12pt` or a bare number (mm)."""
    if isinstance(value, bool):
        raise ValueError("a length must be a number with a unit such as 85mm, not true/false")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("a length must be a number with a unit such as 85mm or 3.5in")
    match = _LENGTH_RE.match(value)
    if not match:
        raise ValueError(
            f"'{value}' is not a length: write a number with mm, cm, in or pt, such as 85mm"
        )
    number, unit = match.groups()
    return float(number) * MM_PER_UNIT[unit or "mm"]


def mm_to_pt(mm: float) -> float:
    return mm * PT_PER_MM


@dataclass(frozen=True)
class Colour:
    """A colour: RGB components 0..1, and CMYK components 0..1 when given as CMYK."""

    r: float
    g: float
    b: float
    cmyk: tuple[float, float, float, float] | None = None

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (self.r, self.g, self.b)))

    def as_cmyk(self) -> tuple[float, float, float, float]:
        """CMYK components; pure greys (and black text) become K only, never rich black."""
        if self.cmyk is not None:
            return self.cmyk
        r, g, b = self.r, self.g, self.b
        if abs(r - g) < 1e-6 and abs(g - b) < 1e-6:
            return (0.0, 0.0, 0.0, 1.0 - r)
        k = 1.0 - max(r, g, b)
        if k >= 1.0:
            return (0.0, 0.0, 0.0, 1.0)
        return ((1 - r - k) / (1 - k), (1 - g - k) / (1 - k), (1 - b - k) / (1 - k), k)

    def __str__(self) -> str:
        if self.cmyk is not None:
            c, m, y, k = (round(v * 100, 2) for v in self.cmyk)
            return f"cmyk({c:g}, {m:g}, {y:g}, {k:g})"
        return self.hex


BLACK = Colour(0.0, 0.0, 0.0, (0.0, 0.0, 0.0, 1.0))
WHITE = Colour(1.0, 1.0, 1.0, (0.0, 0.0, 0.0, 0.0))


def parse_colour(value: object) -> Colour:
    """A colour from `#1d1d1b`, `#fff` or `cmyk(0, 60, 100, 0)` (percent)."""
    if isinstance(value, Colour):
        return value
    if not isinstance(value, str):
        raise ValueError("a colour must be text such as \"#1d1d1b\" or \"cmyk(0, 0, 0, 100)\"")
    text = value.strip()
    hex_match = _HEX_RE.match(text)
    if hex_match:
        digits = hex_match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
        return Colour(r, g, b)
    cmyk_match = _CMYK_RE.match(text)
    if cmyk_match:
        c, m, y, k = (float(v) / 100 for v in cmyk_match.groups())
        if any(v > 1 for v in (c, m, y, k)):
            raise ValueError(f"'{value}': CMYK percentages run from 0 to 100")
        return Colour((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k), (c, m, y, k))
    raise ValueError(
        f"'{value}' is not a colour: write \"#rrggbb\" (e.g. \"#1d1d1b\") or "
        "\"cmyk(c, m, y, k)\" in percent; quote it, since # starts a YAML comment"
    )


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: Colour) -> float:
    return (
        0.2126 * _linear(colour.r) + 0.7152 * _linear(colour.g) + 0.0722 * _linear(colour.b)
    )


def contrast_ratio(a: Colour, b: Colour) -> float:
    """WCAG 2 contrast ratio, from 1 (same) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)
