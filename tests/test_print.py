"""Print fidelity, measured in the built PDF: card-stock positions against the vendors'
geometry, duplex backs, rotation, offsets, start slot, print-shop boxes, marks and colours."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pypdf
import pytest
from conftest import run_cli
from pdfprobe import PT, PlacedForm, page_sizes_mm, placed_forms
from pypdf.generic import ContentStream

from cardgen.layout.sheets import load_sheet

# The gLabels and LibreOffice label geometry, kept with the tests: see tests/data/README.md.
REFERENCE = Path(__file__).resolve().parent / "data" / "sheets.json"
SHEETS: list[dict[str, Any]] = json.loads(REFERENCE.read_text(encoding="utf-8"))
TOL = 0.05

CARD = """\
campaign: Print Test
card:
  orientation: {orientation}
{card_extra}front:
  title: Need to talk?
  qr: web
back:
  title: Free help
  helplines: [childline]
helplines:
  childline: {{name: Childline, phone: 0800 1111}}
links:
  web: {{url: "https://www.childline.org.uk/"}}
print:
  sheet: {sheet}
  copies: {copies}
  duplex: {duplex}
{print_extra}"""


def write_card(folder: Path, *, sheet: str = "avery-c32011", orientation: str = "portrait",
               duplex: str = "long-edge", copies: int = 1, card_extra: str = "",
               print_extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "card.yaml"
    path.write_text(CARD.format(sheet=sheet, orientation=orientation, duplex=duplex,
                                copies=copies, card_extra=card_extra,
                                print_extra=print_extra), encoding="utf-8")
    return path


def build_pdf(yaml_file: Path, *extra: str) -> Path:
    out = yaml_file.parent / "out"
    result = run_cli("build", str(yaml_file), "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out / "print-test.pdf"


def box(form: PlacedForm) -> tuple[float, float, float, float]:
    return (form.x, form.y, form.width, form.height)


def reference_fronts(ref: dict[str, Any]) -> list[tuple[float, float, float, float]]:
    return [
        (ref["x0_mm"] + c * ref["dx_mm"], ref["y0_mm"] + r * ref["dy_mm"],
         ref["card_w_mm"], ref["card_h_mm"])
        for r in range(ref["rows"]) for c in range(ref["cols"])
    ]


def mirrored(b: tuple[float, float, float, float], mode: str, ref: dict[str, Any]
             ) -> tuple[float, float, float, float]:
    """Where a printer puts the back of box `b` (portrait pages: long edge mirrors x)."""
    x, y, w, h = b
    if mode == "long-edge":
        return (ref["page_w_mm"] - x - w, y, w, h)
    return (x, ref["page_h_mm"] - y - h, w, h)


def assert_boxes(found: list[PlacedForm], wanted: list[tuple[float, float, float, float]]
                 ) -> None:
    got = sorted(box(f) for f in found)
    assert len(got) == len(wanted)
    for g, w in zip(got, sorted(wanted), strict=True):
        assert g == pytest.approx(w, abs=TOL), (g, w)


# --- card stock ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["long-edge", "short-edge"])
@pytest.mark.parametrize("ref", SHEETS, ids=[s["id"] for s in SHEETS])
def test_card_stock_fronts_and_backs_match_the_vendor_geometry(
        ref: dict[str, Any], mode: str, tmp_path: Path) -> None:
    # A portrait card (the phone-case way up) on landscape stock is turned 90 degrees.
    pdf = build_pdf(write_card(tmp_path, sheet=ref["id"], duplex=mode))
    assert page_sizes_mm(pdf)[0] == pytest.approx((ref["page_w_mm"], ref["page_h_mm"]),
                                                  abs=0.1)
    fronts, backs = placed_forms(pdf, 0), placed_forms(pdf, 1)
    wanted = reference_fronts(ref)
    assert_boxes(fronts, wanted)
    assert_boxes(backs, [mirrored(b, mode, ref) for b in wanted])
    assert {f.rotation for f in fronts} == {90}
    # Head to head: turned over its long edge the back is turned the other way round.
    assert {b.rotation for b in backs} == ({270} if mode == "long-edge" else {90})
    # Each back lands behind its own front: slot i's back is the mirror of slot i's front.
    assert {f.name.replace("front", "") for f in fronts} == {
        b.name.replace("back", "") for b in backs}
    assert_boxes(fronts, [mirrored(box(b), mode, ref) for b in backs])


@pytest.mark.parametrize("ref", SHEETS, ids=[s["id"] for s in SHEETS])
def test_a_landscape_card_fills_the_slot_unturned(ref: dict[str, Any], tmp_path: Path) -> None:
    pdf = build_pdf(write_card(tmp_path, sheet=ref["id"], orientation="landscape",
                               duplex="none"))
    fronts = placed_forms(pdf, 0)
    assert_boxes(fronts, reference_fronts(ref))
    assert {f.rotation for f in fronts} == {0}
    assert len(page_sizes_mm(pdf)) == 1


def test_landscape_backs_on_a_short_edge_flip_are_turned_half_round(tmp_path: Path) -> None:
    ref = next(s for s in SHEETS if s["id"].startswith("avery-c32015"))
    pdf = build_pdf(write_card(tmp_path, sheet="C32015", orientation="landscape",
                               duplex="short-edge"))
    backs = placed_forms(pdf, 1)
    assert_boxes(backs, [mirrored(b, "short-edge", ref) for b in reference_fronts(ref)])
    assert {b.rotation for b in backs} == {180}


@pytest.mark.parametrize("code", ["5911", "8871", "5371", "28877"])
def test_equivalent_product_codes_print_on_the_5371_geometry(code: str, tmp_path: Path) -> None:
    ref = next(s for s in SHEETS if s["id"].startswith("avery-5371"))
    pdf = build_pdf(write_card(tmp_path, sheet=code, duplex="none"))
    assert_boxes(placed_forms(pdf, 0), reference_fronts(ref))


@pytest.mark.parametrize("ref", SHEETS, ids=[s["id"] for s in SHEETS])
def test_every_reference_code_names_its_sheet(ref: dict[str, Any]) -> None:
    for code in ref["product_codes"]:
        if " " in code:  # a note, not a code
            continue
        sheet = load_sheet(code, Path("."))
        assert (sheet.x0, sheet.y0, sheet.card_w, sheet.card_h) == (
            ref["x0_mm"], ref["y0_mm"], ref["card_w_mm"], ref["card_h_mm"])


def test_a_card_that_is_not_the_stock_size_is_an_error(tmp_path: Path) -> None:
    source = write_card(tmp_path, sheet="avery-c32011", card_extra="  size: us-business\n")
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "CG502" in result.output
    assert "50.8 x 88.9 mm" in result.output  # the card, as designed
    assert "85 x 54 mm" in result.output  # the stock's cards
    assert "nearest size preset is 'cr80' (85.6 x 53.98 mm)" in result.output
    assert re.search(r"card\.yaml:\d+:\d+", result.output)
    assert not (tmp_path / "out").exists()


def test_a_users_own_sheet_file_by_path(tmp_path: Path) -> None:
    ref = next(s for s in SHEETS if s["id"].startswith("sigel"))
    own = {k: ref[k] for k in ("page_w_mm", "page_h_mm", "card_w_mm", "card_h_mm", "cols",
                               "rows", "x0_mm", "y0_mm", "dx_mm", "dy_mm")}
    own["x0_mm"] = 12.5
    (tmp_path / "my-stock.json").write_text(json.dumps(own), encoding="utf-8")
    pdf = build_pdf(write_card(tmp_path, sheet="my-stock.json", duplex="none"))
    assert_boxes(placed_forms(pdf, 0), reference_fronts({**ref, "x0_mm": 12.5}))


# --- printer offsets and the start slot ------------------------------------------------------


def test_offsets_shift_every_front_and_back(tmp_path: Path) -> None:
    ref = next(s for s in SHEETS if s["id"].startswith("avery-c32011"))
    pdf = build_pdf(write_card(tmp_path, print_extra=(
        "  offset: {x: 0.4mm, y: -0.6mm}\n  back_offset: {x: 0.2mm, y: 1mm}\n")))
    wanted = reference_fronts(ref)
    assert_boxes(placed_forms(pdf, 0), [(x + 0.4, y - 0.6, w, h) for x, y, w, h in wanted])
    # A printer adds its own error to the back page as printed: not mirrored.
    backs = [mirrored(b, "long-edge", ref) for b in wanted]
    assert_boxes(placed_forms(pdf, 1), [(x + 0.6, y + 0.4, w, h) for x, y, w, h in backs])


@pytest.mark.parametrize("how", ["option", "yaml"])
def test_start_at_skips_used_slots_on_the_first_sheet_only(how: str, tmp_path: Path) -> None:
    ref = next(s for s in SHEETS if s["id"].startswith("avery-c32011"))
    extra = "  start_at: 4\n" if how == "yaml" else ""
    source = write_card(tmp_path, copies=12, duplex="long-edge", print_extra=extra)
    pdf = build_pdf(source, *(["--start-at", "4"] if how == "option" else []))
    slots = reference_fronts(ref)
    assert len(page_sizes_mm(pdf)) == 4  # two sheets, fronts and backs
    assert_boxes(placed_forms(pdf, 0), slots[3:])
    assert_boxes(placed_forms(pdf, 1), [mirrored(b, "long-edge", ref) for b in slots[3:]])
    assert_boxes(placed_forms(pdf, 2), slots)
    assert_boxes(placed_forms(pdf, 3), [mirrored(b, "long-edge", ref) for b in slots])


def test_start_at_past_the_last_slot_is_an_error(tmp_path: Path) -> None:
    source = write_card(tmp_path, print_extra="  start_at: 11\n")
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "CG505" in result.output and "from 1 to 10" in result.output
    assert re.search(r"card\.yaml:18:\d+", result.output)
    assert not (tmp_path / "out").exists()


# --- print-shop output ----------------------------------------------------------------------


def _boxes_mm(pdf: Path, index: int) -> dict[str, tuple[float, float, float, float]]:
    page = pypdf.PdfReader(str(pdf)).pages[index]
    out = {}
    for name in ("mediabox", "trimbox", "bleedbox"):
        b = getattr(page, name)
        out[name] = tuple(round(float(v) / PT, 2) for v in (b.left, b.bottom, b.right, b.top))
    return out  # type: ignore[return-value]


@pytest.mark.parametrize("bleed", [3.0, 5.0])
def test_print_shop_page_is_trim_plus_bleed_with_boxes(bleed: float, tmp_path: Path) -> None:
    source = write_card(tmp_path, sheet="print-shop", copies=2,
                        card_extra="  size: phone-case\n", print_extra=f"  bleed: {bleed}mm\n")
    pdf = build_pdf(source)
    sizes = page_sizes_mm(pdf)
    assert len(sizes) == 4  # one card a page, front and back
    for index in range(4):
        assert sizes[index] == pytest.approx((55 + 2 * bleed, 85 + 2 * bleed), abs=0.01)
        boxes = _boxes_mm(pdf, index)
        assert boxes["trimbox"] == pytest.approx((bleed, bleed, 55 + bleed, 85 + bleed),
                                                 abs=0.01)
        assert boxes["bleedbox"] == pytest.approx(boxes["mediabox"], abs=0.01)
        # The card's drawing (background included) covers the whole bleed.
        (form,) = placed_forms(pdf, index)
        assert box(form) == pytest.approx((0, 0, 55 + 2 * bleed, 85 + 2 * bleed), abs=0.01)
        assert not _segments(pdf, index)  # no crop marks unless asked for


def _segments(pdf: Path, index: int) -> list[tuple[float, float, float, float]]:
    """Straight lines drawn on the page (not inside card forms), mm from top-left. The
    sheet's repeated marks form is placed untransformed, so its lines count as the page's."""
    reader = pypdf.PdfReader(str(pdf))
    page = reader.pages[index]
    page_h = float(page.mediabox.height)
    xobjects = page["/Resources"].get("/XObject", {})
    operations = []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Do" and "SheetMarks" in str(operands[0]):
            form = xobjects[operands[0]].get_object()
            operations += ContentStream(form, reader).operations
        else:
            operations.append((operands, operator))
    found = []
    start: tuple[float, float] | None = None
    for operands, operator in operations:
        if operator == b"m":
            start = (float(operands[0]), float(operands[1]))
        elif operator == b"l" and start is not None:
            x2, y2 = float(operands[0]), float(operands[1])
            found.append((start[0] / PT, (page_h - start[1]) / PT, x2 / PT, (page_h - y2) / PT))
    return found


def test_print_shop_crop_marks_stand_outside_the_bleed(tmp_path: Path) -> None:
    source = write_card(tmp_path, sheet="print-shop", copies=1,
                        card_extra="  size: phone-case\n", print_extra="  crop_marks: true\n")
    pdf = build_pdf(source)
    for index in (0, 1):
        boxes = _boxes_mm(pdf, index)
        left, bottom, right, top = boxes["bleedbox"]
        page_w, page_h = page_sizes_mm(pdf)[index]
        assert right - left == pytest.approx(61, abs=0.01)
        assert page_w > 61 and page_h > 91  # the slug holds the marks
        trim = boxes["trimbox"]
        marks = _segments(pdf, index)
        assert len(marks) == 8
        for x1, y1, x2, y2 in marks:
            # y from the top, as the boxes are from the bottom: convert the bleed box.
            b_top, b_bottom = page_h - top, page_h - bottom
            outside = (max(x1, x2) <= left - 0.9 or min(x1, x2) >= right + 0.9
                       or max(y1, y2) <= b_top - 0.9 or min(y1, y2) >= b_bottom + 0.9)
            assert outside, (x1, y1, x2, y2)
            assert min(x1, x2) >= 0 and max(x1, x2) <= page_w
            assert min(y1, y2) >= 0 and max(y1, y2) <= page_h
            # Every mark lies on the extension of a trim edge.
            on_x = x1 == x2 and any(abs(x1 - t) < 0.01 for t in (trim[0], trim[2]))
            on_y = y1 == y2 and any(abs((page_h - y1) - t) < 0.01 for t in (trim[1], trim[3]))
            assert on_x or on_y


def test_print_shop_background_runs_into_the_bleed(tmp_path: Path) -> None:
    import pypdfium2

    source = write_card(tmp_path, sheet="print-shop", card_extra=(
        "  size: phone-case\n  colours: {paper: \"#ffe0b0\"}\n"))
    pdf = build_pdf(source)
    doc = pypdfium2.PdfDocument(str(pdf))
    image = doc[0].render(scale=150 / 72).to_pil().convert("RGB")
    px_per_mm = 150 / 25.4
    # 1 mm in from each corner of the page: inside the bleed, outside the trim.
    for mx, my in ((1, 1), (60, 1), (1, 90), (60, 90)):
        r, g, b = image.getpixel((int(mx * px_per_mm), int(my * px_per_mm)))
        assert (r, g, b) == pytest.approx((0xff, 0xe0, 0xb0), abs=3), (mx, my)


# --- colours --------------------------------------------------------------------------------


def _colour_operators(pdf: Path) -> set[bytes]:
    """Every colour-setting operator in every content stream: pages and card forms."""
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    found: set[bytes] = set()
    seen: set[int] = set()

    def walk(stream: Any, resources: Any) -> None:
        for _operands, operator in ContentStream(stream, reader).operations:
            if operator in (b"rg", b"RG", b"k", b"K", b"g", b"G", b"sc", b"scn", b"SC",
                            b"SCN", b"cs", b"CS"):
                found.add(operator)
        for xobject in (resources or {}).get("/XObject", {}).values():
            obj = xobject.get_object()
            if obj.get("/Subtype") == "/Form" and id(obj) not in seen:
                seen.add(id(obj))
                walk(obj, obj.get("/Resources"))

    for page in reader.pages:
        walk(page.get_contents(), page["/Resources"])
    return found


@pytest.mark.parametrize("how", ["colours", "print.colour"])
def test_cmyk_output_has_no_rgb_operators(how: str, tmp_path: Path) -> None:
    if how == "colours":
        source = write_card(tmp_path, card_extra=(
            "  colours: {ink: \"cmyk(0, 0, 0, 100)\", accent: \"cmyk(60, 90, 0, 20)\"}\n"))
    else:
        source = write_card(tmp_path, print_extra="  colour: cmyk\n")
    operators = _colour_operators(build_pdf(source))
    assert {b"k", b"K"} <= operators
    assert not operators & {b"rg", b"RG", b"g", b"G"}


def test_rgb_output_stays_rgb(tmp_path: Path) -> None:
    operators = _colour_operators(build_pdf(write_card(tmp_path)))
    assert b"rg" in operators
    assert not operators & {b"k", b"K"}


def test_cmyk_text_and_qr_print_in_black_ink_alone(tmp_path: Path) -> None:
    # The default ink #1d1d1b is near black: in CMYK it must not become four-colour black.
    pdf = build_pdf(write_card(tmp_path, sheet="print-shop", card_extra="  size: phone-case\n",
                               print_extra="  colour: cmyk\n"))
    reader = pypdf.PdfReader(str(pdf))
    (face,) = placed_forms(pdf, 0)
    text_fills = set()

    def walk(form: pypdf.generic.DictionaryObject) -> None:
        # A face places its shared part (background, common text) as a form of its own.
        fill: tuple[float, ...] = ()
        for operands, operator in ContentStream(form, reader).operations:
            if operator == b"k":
                fill = tuple(float(v) for v in operands)
            elif operator in (b"Tj", b"TJ", b"re") and fill != (0, 0, 0, 0):
                text_fills.add(fill)
            elif operator == b"Do":
                walk(form["/Resources"]["/XObject"][operands[0]].get_object())

    walk(reader.pages[0]["/Resources"]["/XObject"][face.name].get_object())
    assert text_fills == {(0.0, 0.0, 0.0, 1.0)}
