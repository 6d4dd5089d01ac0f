"""Sheet geometry: vendor positions, duplex backs, plain-paper grids, crop marks, lookups."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen.errors import CardgenError, InputError
from cardgen.input.model import CardSize
from cardgen.layout.sheets import (
    SIZE_PRESETS,
    PageGeometry,
    Sheet,
    Slot,
    builtin_sheets,
    crop_marks,
    load_sheet,
    plan_sheet,
    resolve_card_size,
    sheet_names,
    slots_from,
)

HERE = Path(".")

# Copied from the gLabels / LibreOffice label databases (shared/reference/sheets.json):
# id -> (page_w, page_h, card_w, card_h, cols, rows, x0, y0, dx, dy)
REFERENCE: dict[str, tuple[float, ...]] = {
    "avery-c32011": (210, 297, 85, 54, 2, 5, 15, 13.5, 95, 54),
    "decadry-occ3342": (210, 297, 85, 54, 2, 5, 15, 13.5, 95, 54),
    "avery-c32015": (210, 297, 85, 54, 2, 4, 17, 31.5, 91, 60),
    "avery-l7414": (210, 297, 89.994, 51.999, 2, 5, 14.997, 18.5, 89.994, 51.999),
    "avery-j8414": (210, 297, 86.995, 50.8, 2, 5, 14.817, 20.422, 93.133, 50.8),
    "herma-5028": (210, 297, 83.8, 50.8, 2, 5, 18.6, 22, 89.2, 50.8),
    "avery-5371": (215.9, 279.4, 88.9, 50.8, 2, 5, 19.05, 12.7, 88.9, 50.8),
    "avery-8373": (215.9, 279.4, 88.9, 50.8, 2, 4, 12.7, 19.05, 101.6, 63.5),
    "southworth-bc554": (215.9, 279.4, 88.9, 50.8, 2, 5, 12.7, 12.7, 101.6, 50.8),
    "sigel-dp839": (210, 297, 85, 55, 2, 5, 15, 10, 95, 55),
    "tower-cilb440": (210, 297, 85, 55, 2, 5, 15, 10, 100, 55),
    "herma-8840": (210, 297, 83.82, 50.8, 2, 5, 18.64, 21.5, 88.9, 50.8),
    "avery-5361": (215.9, 279.4, 82.55, 50.8, 1, 3, 109.54, 21.17, 82.55, 93.13),
}

STOCK = [s for s in builtin_sheets() if s.card_w is not None]
PLAIN = [s for s in builtin_sheets() if s.kind == "grid" and s.card_w is None]


def sheet(name: str) -> Sheet:
    return load_sheet(name, HERE)


def overlap(a: tuple[float, ...], b: tuple[float, ...], tol: float = 1e-6) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return (ax < bx + bw - tol and bx < ax + aw - tol
            and ay < by + bh - tol and by < ay + ah - tol)


def flip(box: tuple[float, ...], geometry: PageGeometry, duplex: str) -> tuple[float, ...]:
    """Where a box on the back page is, seen through to the front page: the printer's own
    turn-over, written out independently of the module."""
    x, y, w, h = box
    portrait = geometry.page_h >= geometry.page_w
    mirror_x = (duplex == "long-edge") == portrait
    if mirror_x:
        return (geometry.page_w - x - w, y, w, h)
    return (x, geometry.page_h - y - h, w, h)


UP = {0: (0, -1), 90: (-1, 0), 180: (0, 1), 270: (1, 0)}  # content's "up" on a y-down page


def card_top_direction(rotation: int, mirror_x: bool | None = None) -> tuple[int, int]:
    ux, uy = UP[rotation % 360]
    if mirror_x is None:
        return ux, uy
    return (-ux, uy) if mirror_x else (ux, -uy)


# --- card stock -------------------------------------------------------------------------


def test_every_reference_sheet_is_built_in() -> None:
    assert {s.id for s in STOCK} == set(REFERENCE)


@pytest.mark.parametrize("sheet_id", sorted(REFERENCE))
def test_front_slots_are_at_the_vendors_positions(sheet_id: str) -> None:
    page_w, page_h, card_w, card_h, cols, rows, x0, y0, dx, dy = REFERENCE[sheet_id]
    s = sheet(sheet_id)
    w, h, _ = resolve_card_size(None, "landscape", s)
    geometry = plan_sheet(s, w, h, duplex="none")
    assert (geometry.page_w, geometry.page_h) == (page_w, page_h)
    assert len(geometry.fronts) == cols * rows == s.per_sheet
    for slot in geometry.fronts:
        row, col = divmod(slot.index, int(cols))
        assert slot.x == pytest.approx(x0 + col * dx, abs=0.05)
        assert slot.y == pytest.approx(y0 + row * dy, abs=0.05)
        assert (slot.width, slot.height) == pytest.approx((card_w, card_h), abs=0.05)
        assert slot.rotation == 0
    assert geometry.backs == ()


@pytest.mark.parametrize("duplex", ["long-edge", "short-edge"])
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
@pytest.mark.parametrize("s", [*STOCK, *PLAIN], ids=lambda s: s.id)
def test_each_back_lands_behind_its_own_front(s: Sheet, orientation: str, duplex: str) -> None:
    w, h, _ = resolve_card_size(None, orientation, s)
    geometry = plan_sheet(s, w, h, duplex=duplex)
    assert [b.index for b in geometry.backs] == [f.index for f in geometry.fronts]
    mirror_x = (duplex == "long-edge") == (geometry.page_h >= geometry.page_w)
    for front, back in zip(geometry.fronts, geometry.backs, strict=True):
        assert flip(back.box, geometry, duplex) == pytest.approx(front.box, abs=1e-9)
        # Head to head: the card's top edge is the same physical edge on both sides.
        assert card_top_direction(back.rotation, mirror_x) == card_top_direction(front.rotation)


def test_long_edge_mirrors_the_columns_not_the_rows() -> None:
    geometry = plan_sheet(sheet("avery-c32011"), 85, 54, duplex="long-edge")
    first, back = geometry.fronts[0], geometry.backs[0]
    assert (back.x, back.y) == pytest.approx((110.0, 13.5))  # right column, same row
    assert back.rotation == 0 and first.rotation == 0


def test_short_edge_mirrors_the_rows() -> None:
    geometry = plan_sheet(sheet("avery-c32011"), 85, 54, duplex="short-edge")
    back = geometry.backs[0]
    assert (back.x, back.y) == pytest.approx((15.0, 297 - 13.5 - 54))  # left column, last row


def test_a_portrait_card_is_turned_to_fit_a_landscape_slot() -> None:
    s = sheet("C32011")
    w, h, _ = resolve_card_size(None, "portrait", s)
    assert (w, h) == (54, 85)
    geometry = plan_sheet(s, w, h, duplex="long-edge")
    assert all(f.rotation == 90 for f in geometry.fronts)
    assert all((f.width, f.height) == (85, 54) for f in geometry.fronts)
    assert all(b.rotation == 270 for b in geometry.backs)


def test_a_card_that_does_not_fit_the_stock_names_both_sizes() -> None:
    with pytest.raises(CardgenError) as caught:
        plan_sheet(sheet("avery-c32011"), 70, 45, duplex="none")
    assert caught.value.code == "CG502"
    assert "70 x 45 mm" in caught.value.message and "85 x 54 mm" in caught.value.message
    assert caught.value.fix is not None and "cr80" in caught.value.fix


def test_a_card_within_half_a_millimetre_fits_centred_on_its_slot() -> None:
    geometry = plan_sheet(sheet("sigel-dp839"), 85.4, 54.8, duplex="none")
    slot = geometry.fronts[0]
    assert (slot.x, slot.y) == pytest.approx((14.8, 10.1))
    with pytest.raises(CardgenError):
        plan_sheet(sheet("avery-c32011"), *SIZE_PRESETS["cr80"][1::-1], duplex="none")


# --- plain paper ------------------------------------------------------------------------


def test_plain_page_sizes() -> None:
    a4, letter = sheet("a4-10up"), sheet("letter-10up")
    assert (a4.page_w, a4.page_h) == (210, 297)
    assert (letter.page_w, letter.page_h) == (215.9, 279.4)
    assert a4.card_w is None and a4.cols == 2 and a4.rows == 5 and a4.gutter == 6


@pytest.mark.parametrize("preset", sorted(SIZE_PRESETS))
def test_a4_takes_ten_of_every_preset(preset: str) -> None:
    w, h, _ = SIZE_PRESETS[preset]
    geometry = plan_sheet(sheet("a4-10up"), w, h, duplex="long-edge")
    assert geometry.per_sheet == 10
    assert all(s.rotation == 90 and (s.width, s.height) == (h, w) for s in geometry.fronts)


@pytest.mark.parametrize(("preset", "count"), [
    ("phone-case", 8), ("cr80", 8), ("us-business", 10), ("compact", 10), ("mini", 10)])
def test_letter_takes_as_many_as_fit_inside_the_margins(preset: str, count: int) -> None:
    w, h, _ = SIZE_PRESETS[preset]
    geometry = plan_sheet(sheet("letter-10up"), w, h, duplex="none")
    assert geometry.per_sheet == count
    assert min(s.y for s in geometry.fronts) >= 10


def test_a_card_too_big_for_the_paper_is_an_error() -> None:
    with pytest.raises(CardgenError) as caught:
        plan_sheet(sheet("a4-10up"), 200, 280, duplex="none")
    assert caught.value.code == "CG502" and "200 x 280 mm" in caught.value.message


sizes = st.floats(min_value=30, max_value=100, allow_nan=False).map(lambda v: round(v, 2))


@settings(max_examples=150, deadline=None)
@given(w=sizes, h=sizes, plain=st.sampled_from(PLAIN))
def test_plain_slots_stay_inside_the_margins_and_never_overlap(
        w: float, h: float, plain: Sheet) -> None:
    geometry = plan_sheet(plain, w, h, duplex="none")
    slots = geometry.fronts
    assert 1 <= len(slots) <= plain.per_sheet
    assert [s.index for s in slots] == list(range(len(slots)))
    for s in slots:
        assert s.width >= s.height  # landscape slots
        assert {s.width, s.height} == {w, h}
        assert s.x >= plain.margin - 1e-9 and s.y >= plain.margin - 1e-9
        assert s.x + s.width <= plain.page_w - plain.margin + 1e-9
        assert s.y + s.height <= plain.page_h - plain.margin + 1e-9
    for a, b in combinations(slots, 2):
        assert not overlap(a.box, b.box)
        # Neighbours either butt (one shared cut) or leave a full gutter for crop marks.
        gap_x = max(b.x - (a.x + a.width), a.x - (b.x + b.width))
        gap_y = max(b.y - (a.y + a.height), a.y - (b.y + b.height))
        gap = max(gap_x, gap_y)
        assert abs(gap) < 1e-6 or gap >= plain.gutter - 1e-6
    # Centred on the page.
    left = min(s.x for s in slots)
    right = max(s.x + s.width for s in slots)
    assert left == pytest.approx(plain.page_w - right)


# --- crop marks -------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(w=sizes, h=sizes, plain=st.sampled_from(PLAIN),
       dx=st.floats(-2, 2), dy=st.floats(-2, 2))
def test_crop_marks_never_cross_a_card(w: float, h: float, plain: Sheet,
                                       dx: float, dy: float) -> None:
    geometry = plan_sheet(plain, w, h, duplex="none", offset=(dx, dy))
    marks = crop_marks(geometry, length=5, gap=1.5)
    assert marks
    for x1, y1, x2, y2 in marks:
        assert x1 == x2 or y1 == y2
        assert min(x1, x2) >= 0 and max(x1, x2) <= geometry.page_w
        assert min(y1, y2) >= 0 and max(y1, y2) <= geometry.page_h
        for slot in geometry.fronts:
            x, y, sw, sh = slot.box
            # No part of the mark within 1.5 mm of a card (a little slack for rounding).
            near = (x - 1.49, y - 1.49, sw + 2.98, sh + 2.98)
            seg = (min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))
            assert not overlap_closed(seg, near), (slot, (x1, y1, x2, y2))


def overlap_closed(seg: tuple[float, ...], box: tuple[float, ...]) -> bool:
    sx, sy, sw, sh = seg
    bx, by, bw, bh = box
    return sx <= bx + bw and bx <= sx + sw and sy <= by + bh and by <= sy + sh


def test_every_cut_line_has_marks_in_the_margins() -> None:
    geometry = plan_sheet(sheet("a4-10up"), 55, 85, duplex="none")
    marks = crop_marks(geometry)
    xs = sorted({s.x for s in geometry.fronts} | {s.x + s.width for s in geometry.fronts})
    ys = sorted({s.y for s in geometry.fronts} | {s.y + s.height for s in geometry.fronts})
    # Phone-case cards on A4: 2 columns with a gutter, 5 rows that butt (one cut between).
    assert len(xs) == 4 and len(ys) == 6
    for x in xs:
        assert any(m[0] == m[2] == pytest.approx(x) and m[3] < ys[0] for m in marks)
        assert any(m[0] == m[2] == pytest.approx(x) and m[1] > ys[-1] for m in marks)
    for y in ys:
        assert any(m[1] == m[3] == pytest.approx(y) and m[2] < xs[0] for m in marks)
        assert any(m[1] == m[3] == pytest.approx(y) and m[0] > xs[-1] for m in marks)


# --- offsets and print shop -------------------------------------------------------------


def test_offsets_shift_fronts_and_backs_as_printed() -> None:
    s = sheet("avery-c32011")
    plain = plan_sheet(s, 85, 54, duplex="long-edge")
    moved = plan_sheet(s, 85, 54, duplex="long-edge", offset=(0.4, -0.6),
                       back_offset=(0.2, 0.3))
    for a, b in zip(plain.fronts, moved.fronts, strict=True):
        assert (b.x - a.x, b.y - a.y) == pytest.approx((0.4, -0.6))
    for a, b in zip(plain.backs, moved.backs, strict=True):
        assert (b.x - a.x, b.y - a.y) == pytest.approx((0.6, -0.3))


@given(w=sizes, h=sizes, bleed=st.sampled_from([0.0, 2.0, 3.0, 5.0]))
def test_print_shop_page_is_the_card_plus_bleed(w: float, h: float, bleed: float) -> None:
    geometry = plan_sheet(sheet("print-shop"), w, h, duplex="long-edge", bleed=bleed,
                          offset=(1.0, 1.0))
    assert (geometry.page_w, geometry.page_h) == pytest.approx((w + 2 * bleed, h + 2 * bleed))
    assert geometry.fronts == (Slot(0, bleed, bleed, w, h, 0),)
    assert geometry.backs == geometry.fronts
    assert geometry.trim_box == (bleed, bleed, w, h)
    assert geometry.bleed_box == pytest.approx((0, 0, w + 2 * bleed, h + 2 * bleed))


def test_grid_sheets_have_no_trim_box() -> None:
    geometry = plan_sheet(sheet("a4-10up"), 55, 85, duplex="none")
    assert geometry.trim_box is None and geometry.bleed_box is None


# --- lookups ----------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [
    ("5911", "avery-5371"), ("8871", "avery-5371"), ("C32011", "avery-c32011"),
    ("avery-c32011", "avery-c32011"), ("Avery 5371", "avery-5371"), ("5371", "avery-5371"),
    ("SIGEL-DP839", "sigel-dp839"), ("herma-5028", "herma-5028"), ("L7414", "avery-l7414"),
    ("a4-10up", "a4-10up"), ("Letter-10up", "letter-10up"), ("print-shop", "print-shop"),
    ("avery-c32011-a4-85x54-10up", "avery-c32011"),
])
def test_names_users_type_find_the_sheet(typed: str, expected: str) -> None:
    assert sheet(typed).id == expected


def test_no_name_finds_two_different_sheets() -> None:
    for s in builtin_sheets():
        for name in sheet_names(s):
            assert sheet(name).id == s.id, name


def test_unknown_sheet_suggests_a_close_name() -> None:
    with pytest.raises(CardgenError) as caught:
        sheet("avery-c23011")
    assert caught.value.code == "CG501"
    assert caught.value.fix is not None
    assert "avery-c32011" in caught.value.fix and "cardgen list sheets" in caught.value.fix


def test_a_users_sheet_file(tmp_path: Path) -> None:
    data = {"id": "my-stock", "page": "A4", "card_w_mm": 85, "card_h_mm": 55, "cols": 2,
            "rows": 5, "x0_mm": 15, "y0_mm": 10, "dx_mm": 95, "dy_mm": 55}
    (tmp_path / "mine.json").write_text(json.dumps(data))
    s = load_sheet("mine.json", tmp_path)
    assert (s.id, s.page_w, s.page_h, s.per_sheet) == ("my-stock", 210, 297, 10)
    geometry = plan_sheet(s, 85, 55, duplex="none")
    assert geometry.fronts[3].box == (110, 65, 85, 55)


@pytest.mark.parametrize(("change", "field"), [
    ({"cols": 0}, "cols"),
    ({"dx_mm": 50}, "dx_mm"),
    ({"rows": 6}, "rows"),
    ({"card_h_mm": None}, "card_h_mm"),
    ({"x0_mm": "15mm"}, "x0_mm"),
    ({"kind": "roll"}, "kind"),
])
def test_a_bad_sheet_file_names_the_file_and_the_field(
        tmp_path: Path, change: dict[str, object], field: str) -> None:
    data: dict[str, object] = {"page_w_mm": 210, "page_h_mm": 297, "card_w_mm": 85,
                               "card_h_mm": 55, "cols": 2, "rows": 5, "x0_mm": 15,
                               "y0_mm": 10, "dx_mm": 95, "dy_mm": 55}
    data.update(change)
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(CardgenError) as caught:
        load_sheet("bad.json", tmp_path)
    assert "bad.json" in caught.value.message and f'"{field}"' in caught.value.message


def test_a_sheet_file_that_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{cols: 2}")
    with pytest.raises(CardgenError) as caught:
        load_sheet("bad.json", tmp_path)
    assert "bad.json" in caught.value.message and caught.value.location is not None


def test_a_missing_sheet_file(tmp_path: Path) -> None:
    with pytest.raises(CardgenError) as caught:
        load_sheet("sheets/none.json", tmp_path)
    assert caught.value.code == "CG501" and "sheets/none.json" in caught.value.message


# --- card sizes -------------------------------------------------------------------------


def test_card_size_defaults() -> None:
    assert resolve_card_size(None, "portrait", sheet("a4-10up")) == (55, 85, 0)
    assert resolve_card_size(None, "landscape", sheet("a4-10up")) == (85, 55, 0)
    assert resolve_card_size(None, "landscape", sheet("herma-5028")) == (83.8, 50.8, 2.0)
    assert resolve_card_size("cr80", "landscape", sheet("a4-10up")) == (85.6, 53.98, 3.18)
    custom = CardSize(width=60, height=90, corner_radius=2)
    assert resolve_card_size(custom, "landscape", sheet("print-shop")) == (90, 60, 2)


def test_unknown_card_size_suggests_a_preset() -> None:
    with pytest.raises(CardgenError) as caught:
        resolve_card_size("phone-cas", "portrait", sheet("a4-10up"))
    assert caught.value.code == "CG503"
    assert caught.value.fix is not None and "phone-case" in caught.value.fix


def test_start_at_skips_used_slots() -> None:
    assert list(slots_from(1, 10)) == list(range(10))
    assert list(slots_from(4, 10)) == [3, 4, 5, 6, 7, 8, 9]
    with pytest.raises(CardgenError):
        slots_from(11, 10)


def test_a_sheet_file_reports_every_error_at_once_where_it_is(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(
        '{\n  "page_w_mm": "wide",\n  "colls": 2,\n  "rows": 0,\n  "x0_mm": 1e308\n}\n')
    with pytest.raises(InputError) as caught:
        load_sheet("bad.json", tmp_path)
    found = [(p.location.line, p.location.column, p.code) for p in caught.value.problems()
             if p.location is not None]
    assert found == [(2, 3, "CG504"), (3, 3, "CG504"), (4, 3, "CG504"), (5, 3, "CG504")]
    messages = " ".join(p.message for p in caught.value.problems())
    assert 'did you mean "cols"?' in messages and "must be at most 2000" in messages


def test_a_yaml_sheet_file(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "page: A4\ncard_w_mm: 85\ncard_h_mm: 55\ncols: 2\nrows: 5\nx0_mm: 15\ny0_mm: 10\n"
        "dx_mm: 95\ndy_mm: 55\n")
    s = load_sheet("mine.yaml", tmp_path)
    assert (s.page_w, s.page_h, s.per_sheet, s.x0, s.dy) == (210, 297, 10, 15, 55)


@pytest.mark.parametrize(("offset", "back_offset", "edge"), [
    ((500.0, 0.0), (0.0, 0.0), "right"), ((-16.0, 0.0), (0.0, 0.0), "left"),
    ((0.0, 0.0), (0.0, 300.0), "bottom"), ((0.0, -14.0), (0.0, 0.0), "top"),
])
def test_offsets_that_move_cards_off_the_page_are_refused(
        offset: tuple[float, float], back_offset: tuple[float, float], edge: str) -> None:
    with pytest.raises(InputError) as caught:
        plan_sheet(sheet("avery-c32011"), 85, 54, duplex="long-edge", offset=offset,
                   back_offset=back_offset)
    (problem,) = caught.value.problems()
    assert problem.code == "CG540" and f"past the {edge} edge" in problem.message
    assert problem.path == ("print", "back_offset" if back_offset != (0.0, 0.0) else "offset")
