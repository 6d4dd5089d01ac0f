"""card.background: a picture behind the card (or one face), text on it checked against the
pixels under each line, the QR code on a plain paper patch, the file checked like the logo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cardgen.errors import InputError, Problem
from cardgen.input.units import Colour, contrast_ratio
from cardgen.layout import backdrop
from cardgen.layout.pages import PreparedCard
from cardgen.layout.placed import ImageItem, RectItem
from cardgen.pdf.verify import render_page_png
from cardgen.pictures import face_pdf
from cardgen.pipeline import prepare_cards
from cardgen.starter import starter_text


def _source(folder: Path, background: str, design: str = "classic") -> Path:
    text = starter_text().replace(
        "design: discreet", f"design: {design}\n  background: {background}", 1)
    source = folder / "cards.yaml"
    source.write_text(text, encoding="utf-8")
    return source


def _prepare(source: Path) -> PreparedCard:
    _loaded, cards, _problems = prepare_cards(source)
    return cards[0]


def _problems(source: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        prepare_cards(source)
    return info.value.problems()


def _pale(folder: Path, name: str = "pale.png", colour: str = "#fde9c8") -> Path:
    Image.new("RGB", (300, 450), colour).save(folder / name)
    return folder / name


def test_picture_covers_the_card_and_its_bleed_under_everything(tmp_path: Path) -> None:
    _pale(tmp_path)
    card = _prepare(_source(tmp_path, "pale.png"))
    for side, face in card.faces.items():
        picture = face.items[0]
        assert isinstance(picture, ImageItem) and picture.cover, side
        assert picture.path == tmp_path / "pale.png"
        over = backdrop.PICTURE_OVERHANG
        assert (picture.x, picture.y) == (-over, -over)
        assert (picture.width, picture.height) == (face.width + 2 * over,
                                                   face.height + 2 * over)


def test_code_on_a_picture_gets_a_paper_patch_with_its_quiet_zone(tmp_path: Path) -> None:
    _pale(tmp_path)
    card = _prepare(_source(tmp_path, "pale.png"))
    front = card.faces["front"]
    (code,) = front.qr_items
    patches = [i for i in front.items if isinstance(i, RectItem)]
    assert [(p.x, p.y, p.width, p.height) for p in patches] == [
        (code.x, code.y, code.side, code.side)]
    assert patches[0].colour.hex == "#ffffff"
    assert front.items.index(patches[0]) < front.items.index(code)


def test_rendered_card_shows_the_picture_and_a_white_quiet_zone(tmp_path: Path) -> None:
    _pale(tmp_path)
    card = _prepare(_source(tmp_path, "pale.png"))
    pdf, sides = face_pdf(card, tmp_path)
    render_page_png(pdf, sides.index("front"), 100, tmp_path / "front.png")
    image = Image.open(tmp_path / "front.png").convert("RGB")
    px_mm = 100 / 25.4
    assert image.getpixel((3, 3)) == (0xfd, 0xe9, 0xc8)  # the picture, to the corner
    (code,) = card.faces["front"].qr_items
    quiet = (round((code.x + 0.5) * px_mm), round((code.y + 0.5) * px_mm))
    assert image.getpixel(quiet) == (255, 255, 255)


def test_one_face_picture_leaves_the_other_face_plain(tmp_path: Path) -> None:
    _pale(tmp_path)
    card = _prepare(_source(tmp_path, "{back: pale.png}"))
    assert not any(isinstance(i, ImageItem) for i in card.faces["front"].items)
    assert isinstance(card.faces["back"].items[0], ImageItem)


def test_text_over_a_dark_part_of_a_picture_is_cg752_naming_field_and_contrast(
        tmp_path: Path) -> None:
    picture = Image.new("RGB", (550, 850), "white")
    # dark across the top fifth of the card, where the title is
    ImageDraw.Draw(picture).rectangle((0, 0, 550, 170), fill="#333333")
    picture.save(tmp_path / "half.png")
    problems = _problems(_source(tmp_path, "{front: half.png}", design="discreet"))
    (problem,) = [p for p in problems if p.code == "CG752"]
    assert problem.path == ("front", "title")
    assert "front.title" in problem.message and "'Need to talk?'" in problem.message
    ratio = float(problem.message.split("contrast of ")[1].split(":")[0])
    # ink #1d1d1b on #333333, as WCAG measures it
    assert ratio == pytest.approx(1.34, abs=0.01)
    assert "card.background.front" in (problem.fix or "")


def test_light_text_on_a_dark_picture_passes(tmp_path: Path) -> None:
    _pale(tmp_path, "dark.png", "#202040")
    source = _source(tmp_path, "dark.png")
    source.write_text(source.read_text().replace(
        "card:\n", 'card:\n  colours: {ink: "#ffffff", accent: "#ffd23f"}\n', 1))
    card = _prepare(source)
    assert card.faces["front"].qr_items


@pytest.mark.parametrize(("name", "content", "why"), [
    ("missing.png", None, "does not exist"),
    ("text.png", b"not a picture", "cannot be read as an image"),
    ("anim.gif", "GIF", "only PNG and JPEG"),
])
def test_a_picture_that_is_not_a_png_or_jpeg_is_cg750(tmp_path: Path, name: str,
                                                     content: bytes | str | None,
                                                     why: str) -> None:
    if content == "GIF":
        Image.new("RGB", (10, 10), "red").save(tmp_path / name, format="GIF")
    elif isinstance(content, bytes):
        (tmp_path / name).write_bytes(content)
    problems = _problems(_source(tmp_path, name))
    found = {p.code: p for p in problems}
    assert found["CG750"].path == ("card", "background")
    assert why in found["CG750"].message and name in found["CG750"].message


def test_pictures_and_logos_over_the_pixel_limit_are_cg751(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backdrop, "MAX_IMAGE_PIXELS", 10_000)
    _pale(tmp_path)  # 300 x 450
    source = _source(tmp_path, "pale.png")
    source.write_text(source.read_text().replace("card:\n", "card:\n  logo: pale.png\n", 1))
    problems = [p for p in _problems(source) if p.code == "CG751"]
    assert {p.path for p in problems} == {("card", "background"), ("card", "logo")}
    assert all("300 x 450 pixels" in p.message for p in problems)


def test_picture_over_the_byte_limit_is_cg751(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backdrop, "MAX_IMAGE_BYTES", 100)
    _pale(tmp_path)
    problems = [p for p in _problems(_source(tmp_path, "pale.png")) if p.code == "CG751"]
    assert problems and "MB" in problems[0].message


_channel = st.integers(min_value=0, max_value=255)


@given(picture=st.tuples(_channel, _channel, _channel), text=st.tuples(_channel, _channel,
                                                                       _channel),
       box=st.tuples(st.floats(0, 50), st.floats(0, 80), st.floats(0.5, 5), st.floats(0.5, 5)))
@settings(max_examples=40)
def test_lowest_contrast_on_a_plain_picture_is_the_wcag_ratio(
        tmp_path_factory: pytest.TempPathFactory, picture: tuple[int, int, int],
        text: tuple[int, int, int], box: tuple[float, float, float, float]) -> None:
    folder = tmp_path_factory.mktemp("plain")
    path = folder / "plain.png"
    Image.new("RGB", (40, 70), picture).save(path)
    item = ImageItem(-3, -3, 61, 91, path, cover=True)
    under = backdrop.backdrop(path, path.stat().st_mtime_ns, item, 55.0, 85.0)
    x, y, w, h = box
    text_colour = Colour(*(c / 255 for c in text))
    expected = contrast_ratio(text_colour, Colour(*(c / 255 for c in picture)))
    assert under.lowest_contrast(text_colour, (x, y, x + w, y + h)) == pytest.approx(expected)


def test_a_card_with_a_picture_builds_its_sheets(tmp_path: Path) -> None:
    from conftest import run_cli

    _pale(tmp_path)
    result = run_cli("build", str(_source(tmp_path, "pale.png")), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pdf = next((tmp_path / "out").glob("*.pdf"))
    render_page_png(pdf.read_bytes(), 0, 40, tmp_path / "sheet.png")
    colours = Image.open(tmp_path / "sheet.png").convert("RGB").getcolors(1 << 16) or []
    # the picture's colour covers a good part of the sheet
    assert sum(n for n, c in colours if c == (0xfd, 0xe9, 0xc8)) > 1000


# Broken picture files: every way a logo or background file can be damaged is a located
# CG720/CG750/CG751, found when the file is checked (every pixel decoded), never a traceback
# and never a partial output.

def _photo() -> Image.Image:
    """A light, noisy picture: compressed, its bytes are spread like a photograph's."""
    import random

    chance = random.Random(16)
    picture = Image.new("RGB", (240, 360))
    picture.putdata([(chance.randrange(215, 256), chance.randrange(215, 256),
                      chance.randrange(215, 256)) for _ in range(240 * 360)])
    return picture


def _encoded(kind: str) -> bytes:
    import io

    out = io.BytesIO()
    _photo().save(out, kind)
    return out.getvalue()


def _png_with_idat(data: bytes, change: Callable[[bytearray], None], fix_crc: bool) -> bytes:
    import struct
    import zlib

    out = bytearray(data)
    at = out.find(b"IDAT")
    length = struct.unpack(">I", out[at - 4:at])[0]
    body = out[at + 4:at + 4 + length]
    change(body)
    out[at + 4:at + 4 + length] = body
    if fix_crc:
        out[at + 4 + length:at + 8 + length] = struct.pack(">I", zlib.crc32(b"IDAT" + body))
    return bytes(out)


def _zero(body: bytearray) -> None:
    body[40:80] = bytes(40)


def _flip(body: bytearray) -> None:
    body[10] ^= 0xFF


def _jpeg_with_bad_huffman_table(data: bytes) -> bytes:
    out = bytearray(data)
    at = out.find(b"\xff\xc4")  # DHT: the segment that says how the pixels are coded
    out[at + 5:at + 25] = b"\xab" * 20
    return bytes(out)


def _huge_png() -> bytes:
    """A PNG header claiming 20,000 x 10,000 pixels: a few bytes that would take gigabytes
    to decode (Pillow refuses it as a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 20_000, 10_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


BROKEN: dict[str, tuple[str, Callable[[], bytes], str]] = {
    # kind: (file name, its bytes, what the message says)
    "truncated JPEG": ("photo.jpg", lambda: _encoded("JPEG")[:len(_encoded("JPEG")) * 6 // 10],
                       "image file is truncated"),
    "truncated PNG": ("photo.png", lambda: _encoded("PNG")[:len(_encoded("PNG")) * 6 // 10],
                      "image file is truncated"),
    "JPEG with a corrupt segment": (
        "photo.jpg", lambda: _jpeg_with_bad_huffman_table(_encoded("JPEG")), "broken data"),
    "PNG with a corrupt chunk": (
        "photo.png", lambda: _png_with_idat(_encoded("PNG"), _zero, fix_crc=True),
        "cannot be read as an image"),
    "PNG with a bad checksum": (
        "photo.png", lambda: _png_with_idat(_encoded("PNG"), _flip, fix_crc=False),
        "cannot be read as an image"),
    "zero-byte file": ("photo.jpg", lambda: b"", "is empty (0 bytes)"),
    "text file named .png": ("photo.png", lambda: b"holiday photo, to follow\n",
                             "cannot be read as an image"),
    "decompression bomb": ("huge.png", _huge_png,
                           "has 200,000,000 pixels; cardgen reads images of up to 40 "
                           "megapixels"),
}

PLACES = {
    # place: (the YAML lines, the code of a broken file)
    "card background": ("  background: {name}", "CG750"),
    "face background": ("  background: {{back: {name}}}", "CG750"),
    "logo": ("  logo: {name}", "CG720"),
}


def _campaign(folder: Path, place: str, name: str) -> tuple[Path, str]:
    """cards.yaml with the picture `name` at `place`, and where its value is
    (file:line:column)."""
    line = PLACES[place][0].format(name=name)
    text = starter_text().replace("design: discreet", f"design: classic\n{line}", 1)
    source = folder / "cards.yaml"
    source.write_text(text, encoding="utf-8")
    # the line goes before the starter's comment on `design:`
    (number,) = [n for n, got in enumerate(text.splitlines(), 1) if got.startswith(line)]
    return source, f"{source}:{number}:{line.index(name) + 1}"


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_picture_file_is_a_located_error_and_nothing_is_written(
        tmp_path: Path, kind: str, place: str) -> None:
    from conftest import run_cli

    name, content, says = BROKEN[kind]
    (tmp_path / name).write_bytes(content())
    source, where = _campaign(tmp_path, place, name)
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    code = "CG751" if kind == "decompression bomb" else PLACES[place][1]
    assert f"{where}: error {code}: " in result.output
    assert says in result.output and str(tmp_path / name) in result.output
    if code != "CG751":
        assert "re-export the picture as PNG or JPEG" in result.output
    if kind not in ("text file named .png", "decompression bomb"):
        assert "copy or download it again (this copy is damaged or incomplete)" in (
            result.output)
    assert "Traceback" not in result.output and "Warning" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("command", ["check", "preview", "export"])
def test_every_command_reports_a_cut_off_background_photo(tmp_path: Path,
                                                          command: str) -> None:
    """Regression: a truncated background JPEG made `build` print `OSError: image file is
    truncated` from the contrast check."""
    from conftest import run_cli

    name, content, _says = BROKEN["truncated JPEG"]
    (tmp_path / name).write_bytes(content())
    source, where = _campaign(tmp_path, "card background", name)
    out = ["-o", str(tmp_path / "out")] if command != "check" else []
    result = run_cli(command, str(source), *out)
    assert result.exit_code == 1, result.output
    assert f"{where}: error CG750: " in result.output
    assert "image file is truncated" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_library_reports_a_broken_picture_as_for_other_input_errors(
        tmp_path: Path) -> None:
    from cardgen import api

    name, content, _says = BROKEN["truncated JPEG"]
    (tmp_path / name).write_bytes(content())
    source, where = _campaign(tmp_path, "face background", name)
    (problem,) = [p for p in api.check(source) if p.severity == "error"]
    assert (problem.code, problem.path) == ("CG750", ("card", "background", "back"))
    assert str(problem.location) == where
    with pytest.raises(InputError) as built:
        api.build(source, tmp_path / "out")
    assert [p.code for p in built.value.problems() if p.severity == "error"] == ["CG750"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with pytest.raises(InputError):
        api.preview(source, side="back")


def test_a_picture_gone_before_its_contrast_is_measured_is_cg750(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cardgen.layout import face

    _pale(tmp_path, "gone.png")
    checked = face.check_image

    def check_then_delete(*args: Any, **kwargs: Any) -> Any:
        found = checked(*args, **kwargs)
        backdrop._decoded.clear()  # as if the pixels had not been kept
        (tmp_path / "gone.png").unlink(missing_ok=True)
        return found

    monkeypatch.setattr(face, "check_image", check_then_delete)
    problems = _problems(_source(tmp_path, "{front: gone.png}"))
    (problem,) = [p for p in problems if p.code == "CG750"]
    assert problem.path == ("card", "background", "front")
    assert "moved, deleted or changed" in problem.message


@pytest.mark.parametrize("place", ["card background", "logo"])
def test_a_picture_damaged_after_the_check_is_named_when_the_card_is_drawn(
        tmp_path: Path, place: str) -> None:
    from cardgen.errors import CardgenError

    _pale(tmp_path, "art.png")
    source, _where = _campaign(tmp_path, place, "art.png")
    card = _prepare(source)
    (tmp_path / "art.png").write_bytes(b"")
    with pytest.raises(CardgenError) as caught:
        face_pdf(card, tmp_path)
    assert caught.value.code == PLACES[place][1]
    assert "art.png" in caught.value.message and "moved, deleted or changed" in (
        caught.value.message)


_JPEG = _encoded("JPEG")
_PNG = _encoded("PNG")


@given(kind=st.sampled_from(["JPEG", "PNG"]), cut=st.floats(0, 1))
@settings(max_examples=30, deadline=None)
def test_a_picture_cut_anywhere_is_checked_or_refused_cleanly(
        tmp_path_factory: pytest.TempPathFactory, kind: str, cut: float) -> None:
    """`check` runs the same picture check as `build` (build checks first): a photo cut at
    any byte is a clean card or a CG750, never another exception."""
    from cardgen import api

    data = _JPEG if kind == "JPEG" else _PNG
    folder = tmp_path_factory.mktemp("cut")
    name = f"photo.{kind.lower()}"
    (folder / name).write_bytes(data[:round(len(data) * cut)])
    source, where = _campaign(folder, "card background", name)
    errors = [p for p in api.check(source) if p.severity == "error"]
    assert all(p.code == "CG750" and str(p.location) == where for p in errors), errors
    if cut < 0.99:
        assert errors  # a photo missing any of its pixel data is refused


def test_a_background_photo_is_decoded_once_and_not_held(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked (every pixel) and sampled for contrast from one decoding, on both faces; its
    pixels are let go once sampled."""
    import PIL.Image

    (tmp_path / "photo.jpg").write_bytes(_JPEG)
    opened: list[str] = []
    real_open = PIL.Image.open

    def counting_open(fp: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(PIL.Image, "open", counting_open)
    source, _where = _campaign(tmp_path, "card background", "photo.jpg")
    card = _prepare(source)
    assert all(isinstance(face.items[0], ImageItem) for face in card.faces.values())
    assert opened.count(str(tmp_path / "photo.jpg")) == 1
    assert backdrop._decoded == {}
