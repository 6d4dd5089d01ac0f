"""card.background: a picture behind the card (or one face), text on it checked against the
pixels under each line, the QR code on a plain paper patch, the file checked like the logo."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cardgen.errors import InputError, Problem
from cardgen.input.starter import starter_text
from cardgen.input.units import Colour, contrast_ratio
from cardgen.layout import backdrop
from cardgen.layout.pages import PreparedCard
from cardgen.layout.placed import ImageItem, RectItem
from cardgen.pdf.verify import render_page_png
from cardgen.pictures import face_pdf
from cardgen.pipeline import prepare_cards


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
