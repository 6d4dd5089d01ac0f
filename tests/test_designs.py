"""Designs are data: the built-ins load, obey the safe area, and bad files say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardgen.errors import CardgenError
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
