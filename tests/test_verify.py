"""Verification by decoding rendered PDF pages: a wrong, missing or unreadable code must stop
the build with a message that says where it is."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from cardgen.errors import VerificationError
from cardgen.pdf.verify import (
    FAST_PX_PER_MODULE,
    MM_PER_INCH,
    QrExpectation,
    decode_all,
    fast_dpi,
    max_modules,
    render_page_png,
    verify_pdf,
)
from cardgen.qr.encode import ERROR_CORRECTION_LEVELS, QUIET_ZONE, encode, min_side_mm

PT = 72 / 25.4
PAGE_W, PAGE_H = A4[0] / PT, A4[1] / PT
TEL = "tel:+448088005000"
SMS = "SMSTO:85258:SHOUT"
URL = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/?b=k7"

# (x, y, side in mm from the page's top-left, payload, quarter turns, inverted)
Drawn = tuple[float, float, float, str, int, bool]


def make_pdf(pages: list[list[Drawn]],
             covers: list[tuple[float, float, float, float]] | None = None) -> bytes:
    """A4 pages with QR codes drawn as cardgen.pdf.draw does: one non-zero path of horizontal runs.
    Stands in for cardgen.pdf.draw, which tests of this module must not depend on. `covers`:
    white rectangles (x, y, width, height in mm) painted over the first page's codes."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for number, page in enumerate(pages):
        for x, y, side, payload, turns, inverted in page:
            code = encode(payload)
            module = side * PT / code.modules_with_quiet_zone
            canvas.saveState()
            # Move to the box's centre, turn, and draw from the box's top-left, y down.
            canvas.translate((x + side / 2) * PT, A4[1] - (y + side / 2) * PT)
            canvas.rotate(90 * turns)
            canvas.translate(-side / 2 * PT, side / 2 * PT)
            canvas.scale(module, -module)
            if inverted:
                canvas.setFillGray(0)
                canvas.rect(0, 0, code.modules_with_quiet_zone, code.modules_with_quiet_zone,
                            stroke=0, fill=1)
            canvas.setFillGray(1 if inverted else 0)
            path = canvas.beginPath()
            for row, col, length in code.dark_runs():
                path.rect(col + 4, row + 4, length, 1)
            canvas.drawPath(path, stroke=0, fill=1, fillMode=0)
            canvas.restoreState()
        for x, y, width, height in covers or [] if number == 0 else []:
            canvas.setFillGray(1)
            canvas.rect(x * PT, A4[1] - (y + height) * PT, width * PT, height * PT, stroke=0,
                        fill=1)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def code(x: float, y: float, side: float, payload: str, turns: int = 0,
         inverted: bool = False) -> Drawn:
    return (x, y, side, payload, turns, inverted)


def expect(page: int, drawn: Drawn, payload: str | None = None) -> QrExpectation:
    x, y, side, drawn_payload, _, _ = drawn
    return QrExpectation(page, x, y, side, payload if payload is not None else drawn_payload)


FRONT = [code(20, 20, 25, TEL), code(110, 20, 25, URL), code(20, 150, 20, SMS, turns=1)]
BACK = [code(60, 200, 30, URL, turns=3)]


@pytest.fixture(scope="module")
def sheet() -> bytes:
    return make_pdf([FRONT, [], BACK])


def test_correct_pdf_passes_and_reports_progress(sheet: bytes) -> None:
    wanted = [expect(0, d) for d in FRONT] + [expect(2, d) for d in BACK]
    calls: list[tuple[int, int]] = []
    verify_pdf(sheet, wanted, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 4), (4, 4)]


def test_accepts_a_path(sheet: bytes, tmp_path: Path) -> None:
    path = tmp_path / "cards.pdf"
    path.write_bytes(sheet)
    verify_pdf(path, [expect(2, BACK[0])])


def test_smallest_allowed_modules_verify_at_300_dpi() -> None:
    side = min_side_mm(encode(URL))  # 0.5 mm modules
    drawn = code(30.3, 40.7, side, URL)
    verify_pdf(make_pdf([[drawn]]), [expect(0, drawn)])


def test_wrong_payload_names_page_position_expected_and_decoded(sheet: bytes) -> None:
    wrong = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/?b=k8"
    with pytest.raises(VerificationError) as caught:
        verify_pdf(sheet, [expect(0, FRONT[0]), expect(2, BACK[0], wrong)])
    error = caught.value
    assert error.code == "CG800"
    message = error.message
    assert "page 3" in message
    assert "x=60.0 mm, y=200.0 mm" in message
    assert repr(wrong) in message
    assert repr(URL) in message
    assert "page 1" not in message
    assert error.fix and "do not print" in error.fix


def test_every_failure_is_reported(sheet: bytes) -> None:
    wanted = [expect(0, FRONT[0], "tel:+448088005001"), expect(0, FRONT[1], "https://x.org/")]
    with pytest.raises(VerificationError, match=r"and 1 more") as caught:
        verify_pdf(sheet, wanted)
    assert "tel:+448088005001" in caught.value.message
    assert "https://x.org/" in caught.value.message


def test_box_without_a_code_fails(sheet: bytes) -> None:
    empty = QrExpectation(1, 20, 20, 25, TEL)  # page 2 is blank
    with pytest.raises(VerificationError, match=r"page 2, .*no QR code could be decoded"):
        verify_pdf(sheet, [empty])


def test_a_neighbouring_code_does_not_stand_in_for_a_missing_one(sheet: bytes) -> None:
    # Right beside the TEL code (20..45 mm), 6 mm clear of it.
    beside = QrExpectation(0, 51, 20, 25, TEL)
    with pytest.raises(VerificationError, match="no QR code"):
        verify_pdf(sheet, [beside])


def test_page_past_the_end_fails(sheet: bytes) -> None:
    with pytest.raises(VerificationError, match=r"page 9: .*the PDF has 3 pages"):
        verify_pdf(sheet, [QrExpectation(8, 20, 20, 25, TEL)])


def test_light_on_dark_code_is_not_accepted() -> None:
    drawn = code(20, 20, 30, TEL, inverted=True)
    with pytest.raises(VerificationError, match="no QR code"):
        verify_pdf(make_pdf([[drawn]]), [expect(0, drawn)])


def test_not_a_pdf_is_a_verification_error() -> None:
    with pytest.raises(VerificationError, match="cannot be read"):
        verify_pdf(b"not a pdf", [QrExpectation(0, 0, 0, 10, TEL)])


def test_decode_all_lists_codes_per_page_top_to_bottom(sheet: bytes) -> None:
    assert decode_all(sheet) == [[TEL, URL, SMS], [], [URL]]


def test_render_page_png_is_page_sized_and_repeatable(sheet: bytes, tmp_path: Path) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    size = render_page_png(sheet, 0, 150, first)
    render_page_png(sheet, 0, 150, second)
    # pdfium rounds a fractional pixel edge up.
    assert size[0] == pytest.approx(PAGE_W / 25.4 * 150, abs=1)
    assert size[1] == pytest.approx(PAGE_H / 25.4 * 150, abs=1)
    assert first.read_bytes() == second.read_bytes()
    with Image.open(first) as image:
        assert image.size == size
        assert image.format == "PNG"
    with pytest.raises(VerificationError, match="page 4 does not exist"):
        render_page_png(sheet, 3, 72, tmp_path / "c.png")


def _many_pages(count: int) -> tuple[bytes, list[QrExpectation]]:
    """`count` pages, each with a distinct code in two far corners (so each code's own box
    is rasterised, not the area between them)."""
    pages: list[list[Drawn]] = []
    wanted: list[QrExpectation] = []
    for n in range(count):
        drawn = [code(12, 12, 22, f"{URL}&p={n}a"), code(PAGE_W - 40, PAGE_H - 40, 22,
                                                          f"{URL}&p={n}b")]
        pages.append(drawn)
        wanted += [expect(n, d) for d in drawn]
    return make_pdf(pages), wanted


@pytest.mark.parametrize("parallel", [False, True])
def test_long_jobs_verify_alike_serial_or_in_worker_processes(parallel: bool) -> None:
    pdf, wanted = _many_pages(30)
    calls: list[tuple[int, int]] = []
    verify_pdf(pdf, wanted, parallel=parallel,
               progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (60, 60)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    # Swap two codes of page 27: both misplacements are found, in page order, by workers too.
    swapped = list(wanted)
    swapped[54], swapped[55] = (expect(27, (12, 12, 22, URL, 0, False), wanted[55].payload),
                                expect(27, (PAGE_W - 40, PAGE_H - 40, 22, URL, 0, False),
                                       wanted[54].payload))
    with pytest.raises(VerificationError) as caught:
        verify_pdf(pdf, swapped, parallel=parallel)
    message = str(caught.value)
    assert "(and 1 more)" in message
    assert message.count("page 28, QR code") == 2
    assert f"expected '{URL}&p=27b' but it decodes to '{URL}&p=27a'" in message


# The fast first look (few pixels a module) must only ever save time: whatever it misses is
# judged again at 300 dpi, and nothing it sees can excuse a wrong, missing or damaged code.


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
               max_size=400),
       st.sampled_from(ERROR_CORRECTION_LEVELS))
def test_module_bound_is_never_below_the_real_code(payload: str, level: str) -> None:
    try:
        real = encode(payload, level).size
    except ValueError:  # too long for this level
        return
    assert max_modules(payload) >= real


@pytest.mark.parametrize("modules", [0, 21, 49, 97])
@pytest.mark.parametrize("module_mm", [0.05, 0.5, 0.7, 1.0, 3.0])
def test_fast_look_has_enough_pixels_a_module_and_never_more_than_300_dpi(
        modules: int, module_mm: float) -> None:
    want = QrExpectation(0, 10, 10, module_mm * ((modules or 21) + 2 * QUIET_ZONE), URL,
                         modules)
    dpi = fast_dpi(want)
    assert dpi <= 300
    counted = (modules or max_modules(URL)) + 2 * QUIET_ZONE
    if dpi < 300:
        assert dpi / MM_PER_INCH * want.side / counted >= FAST_PX_PER_MODULE


def test_job_sized_modules_are_looked_at_well_below_300_dpi() -> None:
    # Job (a) of bench_batch.py: a 125-character link, version 8, 0.7 mm modules.
    payload = URL + "&utm_source=s0000&utm_medium=card&utm_campaign=neglect-matters"
    modules = encode(payload).size
    side = 0.7 * (modules + 2 * QUIET_ZONE)
    assert fast_dpi(QrExpectation(0, 0, 0, side, payload, modules)) <= 120
    assert fast_dpi(QrExpectation(0, 0, 0, side, payload)) <= 150


def test_known_module_counts_verify_and_still_catch_wrong_and_missing(sheet: bytes) -> None:
    def counted(page: int, drawn: Drawn, payload: str | None = None) -> QrExpectation:
        plain = expect(page, drawn, payload)
        return QrExpectation(plain.page_index, plain.x, plain.y, plain.side, plain.payload,
                             encode(drawn[3]).size)

    verify_pdf(sheet, [counted(0, d) for d in FRONT] + [counted(2, d) for d in BACK])
    with pytest.raises(VerificationError, match=r"expected 'tel:\+448088005001' but it decodes"):
        verify_pdf(sheet, [counted(0, FRONT[0], "tel:+448088005001")])
    beside = QrExpectation(0, 51, 20, 25, TEL, encode(TEL).size)
    with pytest.raises(VerificationError, match="no QR code"):
        verify_pdf(sheet, [beside])


def test_code_missed_by_the_fast_look_is_judged_at_300_dpi() -> None:
    # The expectation understates the module count (version 1 for a version 5 code), so the
    # fast look sees about one pixel a module and cannot read it; 300 dpi can.
    side = min_side_mm(encode(URL))
    drawn = code(30.3, 40.7, side, URL)
    want = QrExpectation(0, drawn[0], drawn[1], side, URL, 21)
    assert fast_dpi(want) < 100
    verify_pdf(make_pdf([[drawn]]), [want])


def test_damaged_code_fails() -> None:
    # A white band across the middle of the symbol: more than error correction M restores.
    drawn = code(20, 20, 30, URL)
    pdf = make_pdf([[drawn]], covers=[(20, 31, 30, 8)])
    with pytest.raises(VerificationError, match="no QR code could be decoded"):
        verify_pdf(pdf, [expect(0, drawn)])
    with pytest.raises(VerificationError, match="no QR code could be decoded"):
        verify_pdf(pdf, [QrExpectation(0, 20, 20, 30, URL, encode(URL).size)])


def test_code_too_small_to_resolve_fails() -> None:
    # 0.08 mm modules: under one pixel a module even at 300 dpi, the most either look uses.
    drawn = code(20, 20, 0.08 * encode(URL).modules_with_quiet_zone, URL)
    with pytest.raises(VerificationError, match="no QR code could be decoded"):
        verify_pdf(make_pdf([[drawn]]), [expect(0, drawn)])
