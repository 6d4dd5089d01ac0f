"""Designs are data: the built-ins load, obey the safe area, and bad files say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardgen.errors import CardgenError, InputError
from cardgen.layout.designs import RowBlock, builtin_designs, load_design

DESIGNS = Path(__file__).resolve().parent.parent / "cardgen" / "templates" / "designs"


def test_built_in_designs_include_discreet_classic_and_qr_only() -> None:
    assert {"classic", "discreet", "qr-only"} <= {d.name for d in builtin_designs()}


@pytest.mark.parametrize("design", builtin_designs(), ids=lambda d: d.name)
def test_built_in_designs_keep_the_print_shop_safe_area(design: object) -> None:
    from cardgen.layout.designs import Design

    assert isinstance(design, Design)
    assert design.margin_min >= 3.0
    assert design.margin >= design.margin_min
    for side in ("front", "back"):
        styles = design.face(side).styles
        for name in ("title", "text", "footer", "write_in", "helpline_name",
                     "helpline_number", "helpline_hours"):
            assert styles.text_style(name).min >= 6.0
        # Numbers are the point of the card: bigger and bold.
        assert styles.helpline_number.bold
        assert styles.helpline_number.size > styles.helpline_name.size


def test_which_faces_print_all_helplines_when_the_face_omits_them() -> None:
    discreet, classic = load_design("discreet", Path(".")), load_design("classic", Path("."))
    assert not discreet.front.all_helplines  # the front must give nothing away
    assert discreet.back.all_helplines
    assert classic.front.all_helplines


def test_qr_only_front_is_the_code_and_a_small_title() -> None:
    design = load_design("qr-only", Path("."))
    for orientation in ("portrait", "landscape"):
        blocks = design.front.blocks(orientation)
        assert set(blocks) == {"qr", "title"}
    assert design.front.styles.title.size < design.back.styles.title.size


def test_discreet_landscape_front_puts_the_qr_beside_the_text() -> None:
    block = load_design("discreet", Path(".")).front.blocks("landscape")[0]
    assert isinstance(block, RowBlock)
    assert block.row.left == ["qr"]
    assert "title" in block.row.right


def test_unknown_design_is_cg701_with_a_suggestion() -> None:
    with pytest.raises(CardgenError) as info:
        load_design("discret", Path("."))
    assert info.value.code == "CG701"
    assert "did you mean 'discreet'" in (info.value.fix or "")
    assert "classic" in info.value.message and "qr-only" in info.value.message


def test_missing_design_file_is_cg701(tmp_path: Path) -> None:
    with pytest.raises(CardgenError) as info:
        load_design("mine.yaml", tmp_path)
    assert info.value.code == "CG701"
    assert "mine.yaml" in info.value.message


def test_users_design_file_loads_relative_to_the_yaml(tmp_path: Path) -> None:
    text = (DESIGNS / "discreet.yaml").read_text().replace("name: discreet", "name: ours")
    (tmp_path / "designs").mkdir()
    (tmp_path / "designs" / "ours.yaml").write_text(text)
    design = load_design("designs/ours.yaml", tmp_path)
    assert design.name == "ours"
    assert design.back.all_helplines


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("margin: 4mm ", "margin: 2mm "), "safe area a print shop needs"),
        (("- row: {left: [qr], right: [title, text, helplines, write_in, footer]}",
          "- row: {left: [title], right: [text]}"), "qr"),
        (("text: {size: 9, min: 6", "text: {size: 9, min: 12"), "min"),
        (("portrait: [title, qr, text", "portrait: [title, qr, title"), "more than once"),
        (("front:", "front: [oops"), "YAML"),
    ],
)
def test_bad_design_file_is_cg702_saying_what_is_wrong(tmp_path: Path, change: tuple[str, str],
                                                        expected: str) -> None:
    text = (DESIGNS / "discreet.yaml").read_text()
    assert change[0] in text
    (tmp_path / "bad.yaml").write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(CardgenError) as info:
        load_design("bad.yaml", tmp_path)
    assert info.value.code == "CG702"
    assert expected in info.value.message
    assert "bad.yaml" in info.value.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("fill: accent", "fill: purple"), "fill"),
        (("{edge: top, size: 1.5mm, colour: accent}", "{edge: middle, size: 1.5mm}"), "edge"),
        (("stamps: {rows: 2, columns: 5, size: 7mm}",
          "stamps: {rows: 9, columns: 5, size: 7mm}"), "rows"),
        (('label: {text: "Bean & Leaf", style: title}', 'label: {text: "", style: title}'),
         "text"),
        (("colours: {ink:", "colours: {inc:"), "inc"),
    ],
)
def test_bad_look_in_a_design_file_is_cg702(tmp_path: Path, change: tuple[str, str],
                                            expected: str) -> None:
    text = (DESIGNS / "coffee-stamp.yaml").read_text()
    if change[0] == "fill: accent":
        text = (DESIGNS / "gig-ticket.yaml").read_text()
    assert change[0] in text
    (tmp_path / "bad.yaml").write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(CardgenError) as info:
        load_design("bad.yaml", tmp_path)
    assert info.value.code == "CG702"
    assert expected in info.value.message


def test_a_users_design_with_bands_labels_and_stamps_builds(tmp_path: Path) -> None:
    from cardgen.layout.placed import CircleItem, RectItem, TextItem
    from cardgen.pipeline import prepare_cards
    from cardgen.starter import starter_text

    (tmp_path / "mine.yaml").write_text("""\
name: mine
colours: {accent: "#004488"}
front:
  bands: [{edge: bottom, size: 8mm, colour: accent}]
  portrait:
    - label: {text: "Gym pass", style: title}
    - stamps: {rows: 1, columns: 4, size: 6mm, colour: ink}
    - qr
  landscape: [qr]
back:
  all_helplines: true
  portrait: [title, helplines]
  landscape: [title, helplines]
""")
    source = tmp_path / "cards.yaml"
    source.write_text(starter_text().replace("design: discreet", "design: mine.yaml", 1))
    _loaded, cards, problems = prepare_cards(source)
    front = cards[0].faces["front"]
    (band,) = [i for i in front.items if isinstance(i, RectItem)]
    assert (band.y, band.height, band.colour.hex) == (85 - 8, 8, "#004488")
    circles = [i for i in front.items if isinstance(i, CircleItem)]
    assert len(circles) == 4 and len({c.cy for c in circles}) == 1
    assert [i.text for i in front.items if isinstance(i, TextItem)] == ["Gym pass"]
    # nothing of the content reaches into the band (a gap stays above it)
    (code,) = front.qr_items
    assert code.y + code.side <= 85 - 8 - 1.0
    # the front's title and text have no place: said, not dropped silently
    assert {p.path for p in problems if p.code == "CG714"} >= {("front", "title"),
                                                               ("front", "text")}


def test_a_design_label_no_font_can_print_is_cg610(tmp_path: Path) -> None:
    from cardgen.pipeline import prepare_cards
    from cardgen.starter import starter_text

    text = (DESIGNS / "library-card.yaml").read_text(encoding="utf-8").replace(
        'text: "Borrower card"', 'text: "Borrower card \U00017000"', 1)
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    source = tmp_path / "cards.yaml"
    source.write_text(starter_text().replace("design: discreet", "design: mine.yaml", 1))
    with pytest.raises(InputError) as info:
        prepare_cards(source)
    (problem,) = [p for p in info.value.problems() if p.code == "CG610"]
    assert problem.path == ("card", "design")
    assert "U+17000" in problem.message
