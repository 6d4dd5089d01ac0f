"""Pictures in a CMYK print-shop PDF: every logo and background is a CMYK image (a grey one
may stay grey, a CMYK JPEG is embedded as it is), printed in the inks the card's own colours
use, with its transparent parts showing the card; an RGB build keeps RGB pictures.

Renderers do not turn CMYK back into the RGB it came from: pdfium and poppler draw DeviceCMYK
through a model of a press (the logo's (0, 200, 0) -- 100 % C and Y, 22 % K -- shows as about
(0, 137, 66)), MuPDF without colour management by the plain inverse formula. So a picture's
rendered colour is compared with what the same renderer draws for the card's own CMYK colour
(a vector swatch), and with the RGB build where the renderer inverts plainly (MuPDF).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from cardgen.input.units import Colour, parse_colour
from cardgen.layout.placed import FaceLayout, ImageItem, PagePlan, Placement, RectItem
from cardgen.pdf import draw
from cardgen.pdf.cmyk import cmyk_pixels
from cardgen.text.measure import load_font_family

FONT = load_font_family("Atkinson Hyperlegible", Path(".")).regular
GREEN = (0, 200, 0)
PAPER = "#ffe4f0"
#: Rendered at 254 dpi: 10 pixels a millimetre, one a logo pixel (200 px over 20 mm).
DPI = 254
#: Levels (of 255) a rendered picture may differ from the swatch of its colour: its inks are
#: rounded to 8 bits (half a level each) and pdfium and poppler interpolate their CMYK-to-RGB
#: tables, which can take that to a level or two in each channel; a wrong ink is tens off.
SAME_INKS = 3


def _logo(folder: Path, mode: str = "RGBA") -> Path:
    """A 200 x 100 green logo whose top-left 60 x 60 corner is transparent black (what most
    programs store under transparency: losing the mask prints a black square)."""
    logo = Image.new("RGBA", (200, 100), (*GREEN, 255))
    logo.paste((0, 0, 0, 0), (0, 0, 60, 60))
    if mode == "P":
        logo = logo.convert("P")  # the transparent corner becomes a transparent entry
    elif mode == "LA":
        logo = logo.convert("LA")
    path = folder / f"logo-{mode}.png"
    logo.save(path)
    return path


def _face(picture: Path, background: Path | None = None) -> FaceLayout:
    """A 40 x 30 mm face on PAPER: a green swatch at (2, 2) 10 x 10 mm, the picture at
    (15, 2) 20 x 10 mm, and optionally a background picture over the whole face."""
    items: list[RectItem | ImageItem] = []
    if background is not None:
        items.append(ImageItem(0, 0, 40, 30, background, cover=True))
    items.append(RectItem(2, 2, 10, 10, Colour(*(v / 255 for v in GREEN))))
    items.append(ImageItem(15, 2, 20, 10, picture))
    return FaceLayout(40, 30, parse_colour(PAPER), tuple(items))


def _pdf(face: FaceLayout, colour_mode: draw.ColourMode) -> bytes:
    page = PagePlan(40, 30, (Placement("v-front", 0, 0, 40, 30, 0),))
    return draw.render_document([page], {"v-front": face}, title="t", furniture_font=FONT,
                                colour_mode=colour_mode)


def _pdfium(pdf: bytes) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        image: Image.Image = page.render(scale=DPI / 72).to_pil().convert("RGB")
        page.close()
        return image
    finally:
        document.close()


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run must install {package}")
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return found


def _poppler(pdf: bytes, scratch: Path) -> Image.Image:
    (scratch / "in.pdf").write_bytes(pdf)
    subprocess.run([_tool("pdftoppm", "poppler-utils"), "-r", str(DPI), "-png", "-singlefile",
                    str(scratch / "in.pdf"), str(scratch / "poppler")], check=True, timeout=120)
    return Image.open(scratch / "poppler.png").convert("RGB")


def _mupdf(pdf: bytes, scratch: Path) -> Image.Image:
    (scratch / "in.pdf").write_bytes(pdf)
    subprocess.run([_tool("mutool", "mupdf-tools"), "draw", "-q", "-r", str(DPI), "-o",
                    str(scratch / "mupdf.png"), str(scratch / "in.pdf"), "1"],
                   check=True, timeout=120, capture_output=True)
    return Image.open(scratch / "mupdf.png").convert("RGB")


def _at(image: Image.Image, x_mm: float, y_mm: float) -> tuple[int, int, int]:
    pixel = image.getpixel((round(x_mm * DPI / 25.4), round(y_mm * DPI / 25.4)))
    assert isinstance(pixel, tuple)
    return (pixel[0], pixel[1], pixel[2])


def _near(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    return max(abs(p - q) for p, q in zip(a, b, strict=True)) <= tolerance


SWATCH = (7.0, 7.0)        # the centre of the green swatch
LOGO_INK = (30.0, 8.0)     # inside the logo's opaque green
LOGO_CORNER = (18.0, 5.0)  # the centre of the logo's transparent corner
PLAIN = (5.0, 25.0)        # paper (or background) with nothing on it


@pytest.mark.parametrize("mode", ["RGBA", "P"])
@pytest.mark.parametrize("renderer", ["pdfium", "poppler"])
def test_a_cmyk_logo_prints_the_swatch_inks_and_its_transparent_corner_shows_the_card(
        tmp_path: Path, mode: str, renderer: str) -> None:
    pdf = _pdf(_face(_logo(tmp_path, mode)), "cmyk")
    image = _pdfium(pdf) if renderer == "pdfium" else _poppler(pdf, tmp_path)
    swatch = _at(image, *SWATCH)
    assert swatch[1] > 100 and swatch[0] < 60, swatch  # green, whatever the press model
    assert _near(_at(image, *LOGO_INK), swatch, SAME_INKS), (_at(image, *LOGO_INK), swatch)
    assert _near(_at(image, *LOGO_CORNER), _at(image, *PLAIN), SAME_INKS)


def test_a_cmyk_logo_renders_like_the_rgb_one_where_cmyk_is_inverted_plainly(
        tmp_path: Path) -> None:
    # MuPDF without colour management draws C, M, Y, K as (1 - C)(1 - K) ...: the formula
    # the picture was converted by, backwards. Only 8-bit rounding is left: a level or two.
    logo = _logo(tmp_path)
    rgb = _mupdf(_pdf(_face(logo), "rgb"), tmp_path)
    cmyk = _mupdf(_pdf(_face(logo), "cmyk"), tmp_path)
    assert _at(rgb, *LOGO_INK) == GREEN
    for where in (LOGO_INK, LOGO_CORNER, PLAIN):
        assert _near(_at(cmyk, *where), _at(rgb, *where), 2), where


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_cmyk_background_prints_the_inks_of_its_colour(tmp_path: Path, kind: str) -> None:
    colour = (250, 214, 160)
    background = tmp_path / f"background.{kind.lower()}"
    Image.new("RGB", (400, 300), colour).save(background, kind)
    swatch = tmp_path / "swatch.png"
    Image.new("RGB", (200, 100), colour).save(swatch)
    # The "logo" here is a PNG of the background's colour, drawn over the background: the
    # JPEG's inks (re-encoded at quality 95) must agree with the PNG's (lossless).
    image = _pdfium(_pdf(_face(swatch, background), "cmyk"))
    assert _near(_at(image, *PLAIN), _at(image, *LOGO_INK), SAME_INKS)
    assert _at(image, *PLAIN) != _at(image, *SWATCH)  # the picture, not the paper


@given(st.lists(st.tuples(*[st.integers(0, 255)] * 3), min_size=1, max_size=64))
def test_each_pixel_gets_the_inks_the_card_colours_get(pixels: list[tuple[int, int, int]]
                                                       ) -> None:
    image = Image.new("RGB", (len(pixels), 1))
    for x, pixel in enumerate(pixels):
        image.putpixel((x, 0), pixel)
    converted = cmyk_pixels(image)
    for x, (r, g, b) in enumerate(pixels):
        inks = converted.getpixel((x, 0))
        assert isinstance(inks, tuple)
        wanted = Colour(r / 255, g / 255, b / 255).as_cmyk()
        for got, exact in zip(inks, wanted, strict=True):
            assert abs(got - exact * 255) <= 0.5 + 1e-9, (r, g, b, inks, wanted)
        if r == g == b:
            assert inks[:3] == (0, 0, 0)  # a grey is black ink alone


# A print-shop build, end to end: the file a shop's preflight opens.


def _card(folder: Path, colour: str, *, logo: str = "logo.png",
          background: str = "{front: front.jpg, back: back.png}") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _logo(folder).rename(folder / "logo.png")
    Image.new("RGB", (300, 450), (253, 233, 200)).save(folder / "front.jpg", quality=90)
    Image.new("RGB", (300, 450), (240, 240, 255)).save(folder / "back.png")
    source = folder / "card.yaml"
    source.write_text(f"""\
campaign: Picture card
card:
  design: classic
  logo: {logo}
  background: {background}
front:
  title: Need to talk?
  qr: web
back:
  title: Free, confidential help
  helplines: [childline]
helplines:
  childline: {{name: Childline, phone: 0800 1111}}
links:
  web: {{name: Childline, url: "https://www.childline.org.uk/"}}
print:
  sheet: print-shop
  copies: 2
  colour: {colour}
""", encoding="utf-8")
    return source


def _build(source: Path, out: Path) -> Path:
    result = run_cli("build", str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    (pdf,) = sorted(out.glob("*.pdf"))
    return pdf


def _images(document: pikepdf.Pdf) -> tuple[list[pikepdf.Stream], set[tuple[int, int]]]:
    """Every image XObject in the file, and the object numbers of those used as soft masks."""
    images = [obj for obj in document.objects
              if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
    masks = {obj["/SMask"].objgen for obj in images if "/SMask" in obj}
    return images, masks


def test_every_picture_of_a_cmyk_print_shop_build_is_cmyk_and_embedded_once(
        tmp_path: Path) -> None:
    pdf = _build(_card(tmp_path / "card", "cmyk"), tmp_path / "out")
    document = pikepdf.open(pdf)
    images, masks = _images(document)
    pictures = [obj for obj in images if obj.objgen not in masks]
    # The logo (on both faces, four pages), the front's JPEG and the back's PNG: once each.
    assert sorted((int(o.Width), int(o.Height), str(o.Filter[0])) for o in pictures) == [
        (200, 100, "/FlateDecode"), (300, 450, "/DCTDecode"), (300, 450, "/FlateDecode")]
    for picture in pictures:
        assert picture.ColorSpace == "/DeviceCMYK"
    # A soft mask is grey by the PDF standard: it says where the logo is, not how it prints.
    assert len(masks) == 1
    assert all(obj.ColorSpace == "/DeviceGray" for obj in images if obj.objgen in masks)
    # The logo's green as ink: 100 % cyan and yellow, 22 % black (Colour.as_cmyk).
    (logo,) = [o for o in pictures if int(o.Width) == 200]
    inks = Image.frombytes("CMYK", (200, 100), logo.read_bytes())
    assert inks.getpixel((150, 70)) == tuple(
        math.floor(v * 255 + 0.5) for v in Colour(0, 200 / 255, 0).as_cmyk())


def test_a_cmyk_build_with_pictures_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    source = _card(tmp_path / "card", "cmyk")
    first = _build(source, tmp_path / "one").read_bytes()
    assert _build(source, tmp_path / "two").read_bytes() == first


def test_an_rgb_build_keeps_its_pictures_rgb(tmp_path: Path) -> None:
    pdf = _build(_card(tmp_path / "card", "rgb"), tmp_path / "out")
    document = pikepdf.open(pdf)
    images, masks = _images(document)
    spaces = sorted(str(o.ColorSpace) for o in images if o.objgen not in masks)
    assert spaces == ["/DeviceRGB"] * 3
    # The JPEG is embedded as the file is, as before.
    (jpeg,) = [o for o in images if str(o.Filter[0]) == "/DCTDecode"]
    assert jpeg.read_raw_bytes() == (tmp_path / "card" / "front.jpg").read_bytes()


def test_a_cmyk_jpeg_is_embedded_as_it_is_and_grey_pictures_stay_grey(tmp_path: Path
                                                                       ) -> None:
    folder = tmp_path / "card"
    source = _card(folder, "cmyk", logo="grey-logo.png",
                   background="{front: press.jpg, back: grey.png}")
    Image.new("CMYK", (300, 450), (0, 20, 40, 0)).save(folder / "press.jpg", quality=90)
    Image.new("L", (300, 450), 240).save(folder / "grey.png")
    grey_logo = Image.new("LA", (200, 100), (60, 255))
    grey_logo.paste((0, 0), (0, 0, 60, 60))
    grey_logo.save(folder / "grey-logo.png")
    document = pikepdf.open(_build(source, tmp_path / "out"))
    images, masks = _images(document)
    pictures = [o for o in images if o.objgen not in masks]
    (press,) = [o for o in pictures if str(o.Filter[0]) == "/DCTDecode"]
    assert press.ColorSpace == "/DeviceCMYK"
    assert press.read_raw_bytes() == (folder / "press.jpg").read_bytes()
    others = sorted((int(o.Width), str(o.ColorSpace), "/SMask" in o)
                    for o in pictures if o is not press)
    assert others == [(200, "/DeviceGray", True), (300, "/DeviceGray", False)]
