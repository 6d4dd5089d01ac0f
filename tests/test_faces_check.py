"""The face check: every distinct face on the built PDF matches the face drawn on its own
(as `cardgen preview` draws it), and every resource a page or form names is in the file.

The failing builds here use test doubles of the writer (a picture dropped from the
resources, a face placed unturned); the check that catches them is the real one."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pypdfium2
import pytest
from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cardgen.errors import VerificationError
from cardgen.input.units import BLACK, WHITE
from cardgen.layout.placed import FaceLayout, PagePlan, Placement, RectItem
from cardgen.pdf import draw, faces_check, verify
from cardgen.pdf.faces_check import compare, face_samples, face_to_page, named_resources
from cardgen.text.measure import load_font_family

FONT = load_font_family("Atkinson Hyperlegible", Path(".")).regular


def _logo_card(folder: Path, copies: int = 10, back: str = "", colour: str = "rgb",
               logo: Image.Image | None = None) -> Path:
    (logo or Image.new("RGB", (200, 80), (0, 160, 0))).save(folder / "logo.png")
    source = folder / "card.yaml"
    source.write_text(f"""\
campaign: Logo check
card:
  design: classic
  logo: logo.png
front:
  title: Need to talk?
  qr: web
{back}links:
  web: {{name: Childline, url: "https://www.childline.org.uk/"}}
print:
  copies: {copies}
  colour: {colour}
""", encoding="utf-8")
    return source


def _drop_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that forgets to name the faces' pictures in the resources: the logo bug."""
    real = draw._base_document

    def without_pictures(canvas: object, data: bytes) -> object:
        base = real(canvas, data)  # type: ignore[arg-type]
        kept = re.sub(rb"/FormXob\.[0-9a-f]{32} \d+ 0 R", b"", base.resources)
        assert kept != base.resources
        return dataclasses.replace(base, resources=kept)

    monkeypatch.setattr(draw, "_base_document", without_pictures)


@pytest.mark.parametrize("colour", ["rgb", "cmyk"])
def test_a_build_naming_a_missing_picture_fails_with_cg931_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, colour: str) -> None:
    _drop_pictures(monkeypatch)
    out = tmp_path / "out"
    result = run_cli("build", str(_logo_card(tmp_path, colour=colour)), "-o", str(out))
    assert result.exit_code == 1
    assert "error CG931" in result.output
    assert re.search(r"form /FormXob\.Flogo_check_front: /XObject /FormXob\.[0-9a-f]{32} is "
                     r"named but not in its resources", result.output)
    assert not out.exists()


def _faces_of(source: Path) -> tuple[list[PagePlan], dict[str, FaceLayout]]:
    from cardgen.pipeline import BuildOptions, prepare_cards

    _loaded, cards, _problems = prepare_cards(source, BuildOptions())
    (card,) = cards
    face = card.faces["front"]
    key = f"{card.variant.id}-front"
    # Turned a quarter, as a portrait card sits in a landscape slot.
    page = PagePlan(210.0, 297.0, (Placement(key, 20.0, 30.0, face.height, face.width, 90),))
    return [page], {key: face}


@pytest.mark.parametrize("colour", ["rgb", "cmyk"])
def test_the_face_check_sees_a_logo_that_does_not_print(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, colour: draw.ColourMode) -> None:
    pages, faces = _faces_of(_logo_card(tmp_path))
    good = draw.render_document(pages, faces, title="t", furniture_font=FONT,
                                colour_mode=colour)
    faces_check.check_faces(good, pages, faces, furniture_font=FONT, colour_mode=colour)
    _drop_pictures(monkeypatch)
    broken = draw.render_document(pages, faces, title="t", furniture_font=FONT,
                                  colour_mode=colour)
    monkeypatch.undo()  # the face alone is drawn by the real writer
    with pytest.raises(VerificationError) as raised:
        faces_check.check_faces(broken, pages, faces, furniture_font=FONT, colour_mode=colour)
    assert raised.value.code == "CG930"
    message = str(raised.value)
    assert "the front of variant 'logo-check' (page 1)" in message
    # The classic design puts the logo at the top right of the card.
    left, right = (float(v) for v in re.findall(
        r"between ([\d.]+) and ([\d.]+) mm from the card's left", message)[0])
    assert right > 40 and left > 20


def test_the_face_check_sees_a_cmyk_logo_whose_transparency_is_lost(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Most programs store transparent pixels as transparent black: a CMYK picture written
    # without its soft mask prints a black box round the logo.
    logo = Image.new("RGBA", (200, 80), (0, 160, 0, 255))
    logo.paste((0, 0, 0, 0), (0, 0, 200, 20))
    pages, faces = _faces_of(_logo_card(tmp_path, logo=logo))
    good = draw.render_document(pages, faces, title="t", furniture_font=FONT,
                                colour_mode="cmyk")
    faces_check.check_faces(good, pages, faces, furniture_font=FONT, colour_mode="cmyk")
    monkeypatch.setattr(draw._CmykReader, "getRGBData",
                        lambda reader: draw.ImageReader.getRGBData(reader))
    broken = draw.render_document(pages, faces, title="t", furniture_font=FONT,
                                  colour_mode="cmyk")
    monkeypatch.undo()
    with pytest.raises(VerificationError) as raised:
        faces_check.check_faces(broken, pages, faces, furniture_font=FONT, colour_mode="cmyk")
    assert raised.value.code == "CG930"
    assert "the front of variant 'logo-check' (page 1)" in str(raised.value)


def test_a_build_whose_faces_are_placed_unturned_fails_with_cg930(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The backs (no QR code to catch it) are drawn unturned into their turned slots.
    real = draw._placement_matrix

    def unturned(placement: Placement, page_h_pt: float) -> str:
        if placement.face_key.endswith("-back"):
            placement = dataclasses.replace(placement, rotation=0)
        return real(placement, page_h_pt)

    monkeypatch.setattr(draw, "_placement_matrix", unturned)
    out = tmp_path / "out"
    back = "back:\n  title: Free, confidential help\n  helplines: [childline]\n" \
        "helplines:\n  childline: {name: Childline, phone: 0800 1111}\n"
    result = run_cli("build", str(_logo_card(tmp_path, back=back)), "-o", str(out))
    assert result.exit_code == 1
    assert "error CG930" in result.output
    assert "the back of variant 'logo-check' (page 2)" in result.output
    assert "front of" not in result.output
    assert not out.exists()


def test_a_good_logo_build_passes_every_check(tmp_path: Path) -> None:
    result = run_cli("build", str(_logo_card(tmp_path)), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "logo-check.pdf"
    assert faces_check.missing_resources(pdf) == []


@given(rotation=st.sampled_from([0, 90, 180, 270, -90, 450]),
       x=st.floats(0, 200), y=st.floats(0, 280), w=st.floats(20, 120), h=st.floats(20, 120))
def test_the_check_places_a_face_where_the_writer_does(rotation: int, x: float, y: float,
                                                      w: float, h: float) -> None:
    # Worked out independently (from the turned corners): a face the writer put elsewhere
    # would be compared with the wrong part of the sheet and fail, never pass unseen.
    face = FaceLayout(w, h, WHITE, ())
    turned = rotation % 180 == 90
    placement = Placement("v-front", x, y, h if turned else w, w if turned else h, rotation)
    written = [float(v) for v in draw._placement_matrix(placement, 842.0).split()]
    assert face_to_page(placement, face, 842.0) == pytest.approx(written, abs=1e-3)


def test_named_resources_reads_operators_not_printed_words() -> None:
    content = (b"q 1 0 0 1 5 5 cm /Fm1 Do Q BT /F1 9.5 Tf (call /Fm9 Do now) Tj ET "
               b"/GS1 gs /DeviceCMYK cs /Span <</ActualText <FEFF0041>>> BDC EMC /Fm1 Do "
               b"/Odd#20Name Do")
    assert named_resources(content) == [("/XObject", "/Fm1"), ("/Font", "/F1"),
                                        ("/ExtGState", "/GS1"), ("/XObject", "/Odd Name")]


def test_compare_allows_nothing_but_a_few_stray_pixels() -> None:
    card = Image.new("L", (200, 300), 255)
    ImageDraw.Draw(card).rectangle((40, 40, 160, 100), fill=0)
    assert compare(card, card.copy()) is None
    stray = card.copy()
    stray.putpixel((120, 200), 0)
    assert compare(card, stray) is None
    lost = card.copy()
    ImageDraw.Draw(lost).rectangle((60, 250, 70, 260), fill=0)  # 11 x 11 pixels
    difference = compare(card, lost)
    assert difference is not None and difference.pixels == 121
    mm = 25.4 / faces_check.DPI
    left, top, right, bottom = difference.box
    assert (left, top) == pytest.approx((60 * mm, 250 * mm))
    assert (right, bottom) == pytest.approx((71 * mm, 261 * mm))


def test_each_distinct_face_is_sampled_once() -> None:
    band = RectItem(0.0, 0.0, 55.0, 10.0, BLACK)
    same = FaceLayout(55.0, 85.0, WHITE, (band,))
    other = FaceLayout(55.0, 85.0, WHITE, ())
    faces = {"a-back": same, "b-back": same, "a-front": other}
    placements = tuple(Placement(key, 10.0 * i, 0.0, 55.0, 85.0, 0)
                       for i, key in enumerate(["a-front", "a-back", "b-back", "a-front"]))
    pages = [PagePlan(210.0, 297.0, placements), PagePlan(210.0, 297.0, placements)]
    samples = face_samples(pages, faces)
    assert [(s.key, s.page_index, s.variant, s.side) for s in samples] == [
        ("a-front", 0, "a", "front"), ("a-back", 0, "a", "back")]


def test_the_page_check_runs_on_each_page_in_the_workers_too(tmp_path: Path) -> None:
    face = FaceLayout(55.0, 85.0, WHITE, ())
    pages = [PagePlan(100.0, 100.0, (Placement("v-front", 0.0, 0.0, 55.0, 85.0, 0),))
             for _ in range(30)]
    pdf = draw.render_document(pages, {"v-front": face}, title="t", furniture_font=FONT)

    def page_check(index: int, page: pypdfium2.PdfPage) -> list[str]:
        return [f"page {index + 1}: {round(page.get_width())} pt"] if index % 7 == 3 else []

    for parallel in (False, True):
        found = verify.verify_pdf(pdf, [], parallel=parallel, page_check=page_check,
                                  check_pages=range(30))
        assert found == [f"page {n}: 283 pt" for n in (4, 11, 18, 25)]


def test_missing_resources_follows_forms_and_inherited_resources(tmp_path: Path) -> None:
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    pdf = pikepdf.new()
    pdf.add_blank_page()
    form = pdf.make_stream(b"q /Im9 Do Q")
    form.Type, form.Subtype = Name.XObject, Name.Form
    form.BBox = Array([0, 0, 10, 10])
    form.Resources = Dictionary(XObject=Dictionary())
    # The page's resources are its page tree's: the form is found there, the font is not.
    pdf.Root.Pages.Resources = Dictionary(XObject=Dictionary(Fm1=pdf.make_indirect(form)),
                                          Font=Dictionary())
    page = pdf.pages[0].obj
    if "/Resources" in page:
        del page["/Resources"]
    page.Contents = pdf.make_stream(b"q /Fm1 Do Q BT /F1 9 Tf (call /Nope Do) Tj ET /Fm1 Do")
    path = tmp_path / "hand-made.pdf"
    pdf.save(path)
    assert faces_check.missing_resources(path) == [
        "page 1, form /Fm1: /XObject /Im9 is named but not in its resources",
        "page 1: /Font /F1 is named but not in its resources"]
    with pytest.raises(VerificationError) as raised:
        faces_check.check_resources(path.read_bytes())
    assert raised.value.code == "CG931" and "(and 1 more)" in str(raised.value)
