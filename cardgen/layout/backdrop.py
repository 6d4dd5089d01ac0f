"""Pictures on a card: checking an image file before it is placed (the logo, a background
picture), and measuring the contrast of text against the pixels under it.

A background picture covers the card and a fixed margin beyond it (`PICTURE_OVERHANG`,
what runs into the bleed), scaled keeping its aspect ratio and centred (`placed.cover_box`,
the geometry the renderer draws). Text on it is measured against the picture sampled at
`SAMPLES_PER_MM`: each sample is the average of the picture over that small square (the eye
averages finer texture, and a stray speck must not decide), and a text line's contrast is
the lowest WCAG ratio between its colour and any sample under its box.

Codes:

- CG750 error: the background picture is missing, not PNG or JPEG, not an image, or damaged
  (every pixel is decoded when the file is checked: a cut-off or corrupt file is found
  there, not while the card is drawn).
- CG751 error: an image (logo or background) is larger than cardgen reads (file size or
  pixels).
- CG752 error: text over the background picture has too little contrast with the pixels
  under it (the field and the measured contrast are named).
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen.errors import DocPath, Problem
from cardgen.input.units import Colour, relative_luminance
from cardgen.layout.placed import ImageItem, cover_box

if TYPE_CHECKING:
    from PIL import Image

#: How far a background picture runs past the card's edge (into the bleed), in mm.
PICTURE_OVERHANG = 3.0
#: Samples of a background picture per millimetre when text on it is measured.
SAMPLES_PER_MM = 2
#: Limits on an image file: far above any logo or card picture (a 300 dpi photograph the
#: size of an A4 page is 8.7 megapixels), far below what exhausts memory.
MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedImage:
    path: Path
    width: int
    height: int


@dataclass(frozen=True)
class _Reading:
    """What opening an image file found: its size, or why cardgen cannot use it (`too_big`
    for a file over the limits, CG751; `damaged` for a picture cut off or corrupt)."""

    width: int = 0
    height: int = 0
    why: str = ""
    too_big: bool = False
    damaged: bool = False


#: The pixels (RGBA) of the background picture just checked, kept until `backdrop` samples
#: them (right after the check) so that a photograph is decoded once; then let go.
_decoded: dict[tuple[Path, int, int], Image.Image] = {}


def _stamp(file: Path) -> tuple[int, int] | None:
    try:
        info = file.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _too_big_why(exc: Exception) -> str:
    """Pillow's decompression-bomb refusal as cardgen says it: the pixels and the limit."""
    from PIL import Image

    found = re.search(r"\((\d+) pixels\)", str(exc))
    pixels = f"{int(found.group(1)):,} pixels" if found else (
        f"over {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels")
    return (f"has {pixels}; cardgen reads images of up to "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels")


@functools.lru_cache(maxsize=64)
def _read(file: Path, mtime_ns: int, size: int, keep: bool) -> _Reading:
    """Opens and decodes the image file (cached by file, date and size: a batch's cards share
    one picture); `keep` leaves its pixels in `_decoded` for the contrast check."""
    from PIL import Image, UnidentifiedImageError

    if size > MAX_IMAGE_BYTES:
        return _Reading(why=f"is {size / 1024 / 1024:.1f} MB; cardgen reads images of up to "
                        f"{MAX_IMAGE_BYTES // 1024 // 1024} MB", too_big=True)
    recognised = False
    try:
        with warnings.catch_warnings():
            # Pillow warns about pictures over 89 megapixels; cardgen's own limit is lower
            # and says so as a problem, not as a warning on the terminal.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file)
        recognised = True
        with image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                return _Reading(width, height, f"has {width} x {height} pixels; cardgen "
                                f"reads images of up to {MAX_IMAGE_PIXELS // 1_000_000} "
                                "megapixels", too_big=True)
            if kind not in ("PNG", "JPEG"):
                return _Reading(why=f"is a {kind} image; only PNG and JPEG are supported")
            if width <= 0 or height <= 0:
                return _Reading(why="has no pixels")
            # Decoding every pixel here finds what the header does not show (a cut-off
            # download, a damaged chunk or segment), so later stages can trust the file.
            image.load()
            if keep:
                _decoded.clear()
                _decoded[(file, mtime_ns, size)] = image.convert("RGBA")
    except FileNotFoundError:
        return _Reading(why="does not exist")
    except Image.DecompressionBombError as exc:
        return _Reading(why=_too_big_why(exc), too_big=True)
    except IsADirectoryError:
        return _Reading(why="is a folder, not a picture")
    except UnidentifiedImageError:
        if size == 0:
            return _Reading(why="is empty (0 bytes)", damaged=True)
        return _Reading(why="cannot be read as an image: its contents are not a picture "
                        "(PNG, JPEG or another kind)")
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        if size == 0:
            return _Reading(why="is empty (0 bytes)", damaged=True)
        if recognised:
            return _Reading(why=f"cannot be read as an image ({exc}): it is damaged or "
                            "only partly copied", damaged=True)
        return _Reading(why=f"cannot be read as an image ({exc})")
    return _Reading(width, height)


def image_path(value: str, base_dir: Path) -> Path:
    """The file an image value names: relative to the YAML file's folder."""
    file = Path(value).expanduser()
    return file if file.is_absolute() else base_dir / file


def check_image(value: str, base_dir: Path, *, what: str, code: str, path: DocPath,
                fix: str, keep_pixels: bool = False
                ) -> tuple[CheckedImage | None, list[Problem]]:
    """The image file `value` (relative to `base_dir`) if it is a PNG or JPEG cardgen can
    read within its limits, every pixel decoded; else the problem (`code` for a missing,
    damaged or unreadable file, CG751 for one over the limits). `keep_pixels` keeps the
    decoded pixels for `backdrop`, which then does not decode the file again."""
    file = image_path(value, base_dir)
    stamp = _stamp(file)
    reading = (_Reading(why="does not exist") if stamp is None
               else _read(file, *stamp, keep_pixels))
    if reading.too_big:
        return None, [Problem(
            "CG751", f"the {what} {file} {reading.why}", "error",
            "save it smaller (a card needs at most about 1,000 x 1,000 pixels at 300 dpi)",
            path)]
    if reading.damaged:
        fix = ("re-export the picture as PNG or JPEG, or copy or download it again (this "
               "copy is damaged or incomplete)")
    elif reading.why != "does not exist":
        fix = f"re-export the picture as PNG or JPEG; {fix}"
    if reading.why:
        return None, [Problem(code, f"the {what} {file} {reading.why}", "error", fix, path)]
    return CheckedImage(file, reading.width, reading.height), []


_LINEAR = tuple(
    (v / 255) / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4
    for v in range(256))


@dataclass(frozen=True)
class Backdrop:
    """A picture's relative luminance, sampled over the card: `rows[y][x]` is the sample
    whose square starts (x, y) / SAMPLES_PER_MM mm from the card's top-left corner."""

    rows: tuple[tuple[float, ...], ...]

    def lowest_contrast(self, colour: Colour, box: tuple[float, float, float, float]
                        ) -> float:
        """The lowest WCAG contrast between `colour` and a sample under `box` (left, top,
        right, bottom in mm); 21 where the box covers no sample."""
        if not self.rows:
            return 21.0
        height, width = len(self.rows), len(self.rows[0])
        x0 = max(0, math.floor(box[0] * SAMPLES_PER_MM))
        y0 = max(0, math.floor(box[1] * SAMPLES_PER_MM))
        x1 = min(width, math.ceil(box[2] * SAMPLES_PER_MM))
        y1 = min(height, math.ceil(box[3] * SAMPLES_PER_MM))
        text = relative_luminance(colour) + 0.05
        worst = 21.0
        for row in self.rows[y0:y1]:
            for value in row[x0:x1]:
                under = value + 0.05
                ratio = under / text if under > text else text / under
                if ratio < worst:
                    worst = ratio
        return worst


@functools.lru_cache(maxsize=32)
def backdrop(path: Path, mtime_ns: int, item: ImageItem, card_w: float, card_h: float,
             file_size: int = -1) -> Backdrop:
    """The picture of `item` sampled over a card of `card_w` x `card_h` mm (cached by file,
    date and `file_size` (-1: unknown): a batch's cards share it), from the pixels `check_image`
    kept if it decoded this file; OSError if the file can no longer be read."""
    from PIL import Image

    kept = [key for key in _decoded
            if key[:2] == (path, mtime_ns) and file_size in (key[2], -1)]
    if kept:
        picture = _decoded.pop(kept[0])
    else:
        with Image.open(path) as image:
            picture = image.convert("RGBA")
    # Transparent parts show the face's colour; white stands in for it here only as far as
    # the picture is opaque (the check is of the picture's own pixels).
    flat = Image.new("RGBA", picture.size, (255, 255, 255, 255))
    flat.alpha_composite(picture)
    x, y, w, h = cover_box(item, *picture.size)
    scale = SAMPLES_PER_MM
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    sampled = flat.convert("RGB").resize(size, Image.Resampling.BOX)
    left, top = round(-x * scale), round(-y * scale)
    cols, rows_n = max(1, round(card_w * scale)), max(1, round(card_h * scale))
    card = sampled.crop((left, top, left + cols, top + rows_n))
    data = card.tobytes()
    lum = [0.2126 * _LINEAR[data[i]] + 0.7152 * _LINEAR[data[i + 1]]
           + 0.0722 * _LINEAR[data[i + 2]] for i in range(0, len(data), 3)]
    return Backdrop(tuple(tuple(lum[i * cols:(i + 1) * cols]) for i in range(rows_n)))


__all__ = ["MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "PICTURE_OVERHANG", "SAMPLES_PER_MM",
           "Backdrop", "CheckedImage", "backdrop", "check_image", "image_path"]
