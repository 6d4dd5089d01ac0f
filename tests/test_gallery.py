"""The gallery of built-in designs: every design builds the starter card at every preset
size, in both orientations, with and without a logo; its codes decode from the rendered PDF
and its text passes the contrast checks. Disguised designs give nothing away on the face
others see."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PIL import Image

from cardgen.checks.discretion import builtin_words, find_words
from cardgen.errors import InputError
from cardgen.layout.designs import LabelBlock, RowBlock, StampsBlock, builtin_names, load_design
from cardgen.layout.placed import FaceLayout, ImageItem, PagePlan, Placement, RectItem, TextItem
from cardgen.layout.sheets import SIZE_PRESETS
from cardgen.pdf import draw
from cardgen.pdf.verify import QrExpectation, verify_pdf
from cardgen.pipeline import prepare_cards
from cardgen.starter import starter_text
from cardgen.text import measure

NEW_DESIGNS = {"neon", "sunset", "lagoon", "pop", "large-print", "coffee-stamp",
               "gig-ticket", "library-card"}
DISGUISED = ("coffee-stamp", "gig-ticket", "library-card")


def _card_source(folder: Path, design: str, size: str, orientation: str, logo: bool) -> Path:
    text = starter_text().replace("design: discreet", f"design: {design}", 1)
    card = f"size: {size}\n  orientation: {orientation}"
    if logo:
        Image.new("RGB", (300, 100), "#5b2c83").save(folder / "logo.png")
        card += "\n  logo: logo.png"
    source = folder / f"{design}-{size}-{orientation}-{int(logo)}.yaml"
    source.write_text(text.replace("size: phone-case", card, 1), encoding="utf-8")
    return source


def test_the_gallery_has_eight_new_designs_besides_the_first_three() -> None:
    names = set(builtin_names())
    assert names >= NEW_DESIGNS
    assert {"classic", "discreet", "qr-only"} <= names


@pytest.mark.parametrize("name", builtin_names())
def test_every_design_places_the_logo_in_both_orientations(name: str) -> None:
    design = load_design(name, Path("."))
    for orientation in ("portrait", "landscape"):
        assert design.front.places("logo", orientation) or design.back.places(
            "logo", orientation), (name, orientation)


@pytest.mark.parametrize("name", DISGUISED)
def test_disguised_designs_keep_the_help_on_the_back(name: str) -> None:
    design = load_design(name, Path("."))
    assert design.discreet and design.seen_face == "front"
    for orientation in ("portrait", "landscape"):
        front = design.front.blocks(orientation)
        # the front is the disguise and the code: no helplines, title, text or logo
        assert not any(design.front.places(e, orientation)
                       for e in ("helplines", "title", "text", "logo", "footer"))
        pieces = [p for b in front for p in (b.row.column if isinstance(b, RowBlock) else [b])]
        labels = [p.label.text for p in pieces if isinstance(p, LabelBlock)]
        assert labels, "a disguise says what it pretends to be"
        assert not find_words(" ".join(labels), builtin_words())
        assert design.back.places("helplines", orientation)
    if name == "coffee-stamp":
        assert any(isinstance(b, StampsBlock) for b in design.front.blocks("portrait"))


@pytest.mark.parametrize("name", builtin_names())
def test_design_builds_every_size_orientation_and_logo_and_its_codes_decode(
        name: str, tmp_path: Path) -> None:
    faces: dict[str, FaceLayout] = {}
    pages: list[PagePlan] = []
    wanted: list[QrExpectation] = []
    for size, orientation, logo in itertools.product(SIZE_PRESETS, ("portrait", "landscape"),
                                                     (False, True)):
        source = _card_source(tmp_path, name, size, orientation, logo)
        _loaded, cards, problems = prepare_cards(source)
        errors = [p for p in problems if p.severity == "error"]
        assert not errors, (size, orientation, logo, [p.message for p in errors])
        (card,) = cards
        for side, face in card.faces.items():
            wide = face.width > face.height
            assert wide == (orientation == "landscape")
            key = f"{size}-{orientation}-{logo}-{side}"
            faces[key] = face
            for item in face.qr_items:
                wanted.append(QrExpectation(len(pages), item.x, item.y, item.side,
                                            item.payload))
            pages.append(PagePlan(face.width, face.height,
                                  (Placement(key, 0, 0, face.width, face.height),)))
            if logo and face is card.faces.get("back" if name != "large-print" else "front"):
                assert any(getattr(i, "path", None) == tmp_path / "logo.png"
                           for i in face.items), (size, orientation, side)
    assert len(wanted) == len(SIZE_PRESETS) * 2 * 2  # one code a card
    fonts = measure.load_font_family("Atkinson Hyperlegible", tmp_path)
    pdf = draw.render_document(pages, faces, title=name, furniture_font=fonts.regular)
    verify_pdf(pdf, wanted)


@pytest.mark.parametrize("name", builtin_names())
def test_code_sits_on_plain_paper_or_a_paper_patch(name: str, tmp_path: Path) -> None:
    source = _card_source(tmp_path, name, "phone-case", "portrait", False)
    _loaded, cards, _problems = prepare_cards(source)
    for face in cards[0].faces.values():
        for code in face.qr_items:
            index = face.items.index(code)
            patch = [i for i in face.items[:index] if isinstance(i, RectItem)
                     and (i.x, i.y, i.width, i.height) == (code.x, code.y, code.side,
                                                           code.side)]
            under = patch[-1].colour if patch else face.background
            assert min(under.r, under.g, under.b) > 0.85, name


def test_filled_face_sets_its_words_in_the_paper_colour(tmp_path: Path) -> None:
    _loaded, cards, _ = prepare_cards(_card_source(tmp_path, "neon", "phone-case",
                                                   "portrait", False))
    front = cards[0].faces["front"]
    assert front.background.hex == "#16123a"
    texts = {i.field: i.colour.hex for i in front.items if isinstance(i, TextItem)}
    assert texts["front.text"] == "#ffffff"
    assert texts["front.title"] == "#c8ff3d"


def test_the_cards_own_colours_win_over_the_designs(tmp_path: Path) -> None:
    source = _card_source(tmp_path, "neon", "phone-case", "portrait", False)
    source.write_text(source.read_text().replace(
        "card:\n", 'card:\n  colours: {ink: "#003300"}\n', 1))
    _loaded, cards, _ = prepare_cards(source)
    front = cards[0].faces["front"]
    assert front.background.hex == "#003300"  # the card's ink fills the front
    title = next(i for i in front.items if isinstance(i, TextItem) and i.field == "front.title")
    assert title.colour.hex == "#c8ff3d"  # the accent is still the design's


def test_a_design_colour_that_fails_contrast_is_cg712_naming_the_fill(tmp_path: Path) -> None:
    source = _card_source(tmp_path, "neon", "phone-case", "portrait", False)
    source.write_text(source.read_text().replace(
        "card:\n", 'card:\n  colours: {ink: "#777777"}\n', 1))
    with pytest.raises(InputError) as info:
        prepare_cards(source)
    problems = [p for p in info.value.problems() if p.code == "CG712"]
    (on_fill,) = [p for p in problems if "paper colour #ffffff on the ink colour the design "
                  "'neon' fills the front with #777777" in p.message]
    assert on_fill.path == ("card", "colours", "paper")
    assert "4.48:1" in on_fill.message
    assert on_fill.fix == "make card.colours.paper lighter or card.colours.ink darker"


def test_logo_moves_beside_the_title_only_where_a_line_of_its_own_does_not_fit(
        tmp_path: Path) -> None:
    def back(size: str, orientation: str) -> FaceLayout:
        _loaded, cards, _ = prepare_cards(_card_source(tmp_path, "discreet", size,
                                                       orientation, True))
        return cards[0].faces["back"]

    def logo_and_title(face: FaceLayout) -> tuple[ImageItem, TextItem]:
        logo = next(i for i in face.items if isinstance(i, ImageItem))
        title = next(i for i in face.items if isinstance(i, TextItem)
                     and i.field == "back.title")
        return logo, title

    # a phone-case card keeps the design's order: the logo on its own line, above
    logo, title = logo_and_title(back("phone-case", "portrait"))
    assert logo.y + logo.height <= title.baseline - title.size_pt * 0.35
    # on a 70 x 45 mm landscape card that would not fit: the logo stands beside the title
    logo, title = logo_and_title(back("mini", "landscape"))
    assert logo.y < title.baseline < logo.y + logo.height + 3
    assert logo.x > title.x  # the design's logo_align: right


@pytest.mark.parametrize("name", ["neon", "coffee-stamp", "gig-ticket"])
def test_a_bold_or_disguised_design_builds_its_sheets(name: str, tmp_path: Path) -> None:
    from conftest import run_cli

    source = _card_source(tmp_path, name, "phone-case", "landscape", True)
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    # build decodes every code on the sheets and compares each face with its preview
    assert result.exit_code == 0, result.output
    assert "1 QR code verified by decoding" in result.output
