"""Pictures for CMYK print-shop PDFs: a logo or background as a press's preflight accepts it.

A CMYK build draws every colour in CMYK, so its pictures must be CMYK too: a preflight
rejects RGB images in a CMYK job, or the shop's RIP converts them with its own profile and
the colours shift. Each picture is converted pixel by pixel with the formula the card's own
colours use (`Colour.as_cmyk`: K is what the lightest channel lacks, a grey is K alone), so a
logo in the card's accent colour prints in the same inks as the card's accent band.
There is no ICC profile: the vector colours have none either.

- A CMYK JPEG and a grey picture (PNG or JPEG, with or without alpha) are embedded as they
  are (DeviceCMYK, DeviceGray): they are already print colours.
- A JPEG stays a JPEG (re-encoded in CMYK at quality 95, every channel at full resolution):
  a photo as raw CMYK pixels would be ten times the file.
- A PNG becomes lossless CMYK pixels; its transparency (alpha, a transparent palette entry
  or colour) becomes a separate grey mask, the PDF's soft mask, so a logo's transparent
  corners still show the card beneath.

Conversion is deterministic (integer arithmetic, a fixed encoder setting): same picture,
same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageMath

#: Quality of a JPEG picture re-encoded in CMYK (its pixels were already lossy).
JPEG_QUALITY = 95
#: Rows converted at a time: a 40-megapixel picture needs its integer planes a strip at a time.
_STRIP_ROWS = 256


@dataclass(frozen=True)
class CmykPicture:
    """A picture converted for a CMYK PDF: `pixels` (mode CMYK; L for a black-and-white
    PNG), `alpha` (mode L, the soft mask) when it has transparency, and `jpeg`, the CMYK
    JPEG to embed, for a JPEG source."""

    pixels: Image.Image
    alpha: Image.Image | None
    jpeg: bytes | None


def _ink(top: Any, channel: Any) -> Any:
    """One of C, M, Y from the brightest channel `top` and the channel: 255 * (top - channel)
    / top, rounded half up, in integers; 0 where top is 0 (black is K alone)."""
    def formula(args: dict[str, Any]) -> Any:
        t = args["max"](args["top"], 1)
        return args["convert"](((args["top"] - args["c"]) * 510 + t) / (t * 2), "L")
    return ImageMath.lambda_eval(formula, top=top, c=channel)


def cmyk_pixels(rgb: Image.Image) -> Image.Image:
    """An RGB image in CMYK by `Colour.as_cmyk`'s formula, pixel for pixel (8 bits)."""
    if rgb.mode != "RGB":
        raise ValueError(f"expected an RGB image, got {rgb.mode}")
    out = Image.new("CMYK", rgb.size)
    for top_row in range(0, rgb.height, _STRIP_ROWS):
        strip = rgb.crop((0, top_row, rgb.width, min(rgb.height, top_row + _STRIP_ROWS)))
        r, g, b = strip.split()
        top = ImageChops.lighter(ImageChops.lighter(r, g), b)
        planes = (_ink(top, r), _ink(top, g), _ink(top, b), ImageChops.invert(top))
        out.paste(Image.merge("CMYK", planes), (0, top_row))
    return out


def print_picture(path: Path) -> Path | CmykPicture:
    """What a CMYK PDF embeds for the picture at `path`: the file itself when it is already
    CMYK or grey, else its pixels converted."""
    with Image.open(path) as image:
        source = image.format
        mode = image.mode
        keyed = "transparency" in image.info
        if mode == "CMYK" or (mode in ("L", "LA") and not keyed):
            return path
        if mode == "1" and not keyed:
            return CmykPicture(image.convert("L"), None, None)
        has_alpha = keyed or mode in ("RGBA", "LA", "PA", "RGBa", "La")
        if has_alpha:
            rgba = image.convert("RGBA")
            alpha: Image.Image | None = rgba.getchannel("A")
            rgb = rgba.convert("RGB")
        else:
            alpha = None
            rgb = image.convert("RGB")
    pixels = cmyk_pixels(rgb)
    jpeg = None
    if source == "JPEG":
        buffer = io.BytesIO()
        pixels.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
        jpeg = buffer.getvalue()
    return CmykPicture(pixels, alpha, jpeg)
