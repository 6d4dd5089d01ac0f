"""The phone-camera check: simulated captures of the printed card repeat exactly, read a
comfortable code, not a tiny one, and a code that fails them stops the build with its fix."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from itertools import pairwise

import pytest
import zxingcpp
from PIL import Image, ImageChops
from test_verify import code, make_pdf

from cardgen.errors import VerificationError
from cardgen.pdf import camera, verify
from cardgen.pdf.verify import CameraLog, QrExpectation, ScanError, verify_pdf
from cardgen.qr.encode import encode

URL = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/?b=k7"
PX = camera.PRINT_PX_PER_MM


def printed_area(payload: str, module_mm: float, margin_mm: float = 4.0
                 ) -> tuple[Image.Image, tuple[float, float, float]]:
    """A clean raster of the code on white paper, as verification renders it."""
    modules = encode(payload)
    n = modules.modules_with_quiet_zone
    unit = round(module_mm * PX)  # whole pixels a module: exact, no drawing library needed
    side = n * unit
    pad = round(margin_mm * PX)
    image = Image.new("L", (side + 2 * pad, side + 2 * pad), 255)
    dark = Image.new("L", (unit, unit), 0)
    for row, line in enumerate(modules.modules):
        for col, is_dark in enumerate(line):
            if is_dark:
                image.paste(dark, (pad + (col + 4) * unit, pad + (row + 4) * unit))
    return image, (pad, pad, side)


def reads(picture: Image.Image, payload: str) -> bool:
    return any(bytes(b.bytes) == payload.encode() for b in zxingcpp.read_barcodes(picture))


def test_a_capture_repeats_exactly_for_its_seed_and_differs_for_another() -> None:
    raster, box = printed_area(URL, 0.8)
    source = camera.printed(raster, box, camera.TYPICAL)
    first, again = camera.capture(source, 3), camera.capture(source, 3)
    assert first.tobytes() == again.tobytes()
    other = camera.capture(source, 4)
    assert other.size != first.size or ImageChops.difference(first, other).getbbox()


def test_typical_captures_read_a_comfortable_code_and_not_a_tiny_one() -> None:
    big = camera.printed(*printed_area(URL, 0.9), camera.TYPICAL)
    assert all(reads(camera.capture(big, seed), URL) for seed in range(6))
    tiny = camera.printed(*printed_area(URL, 0.4), camera.TYPICAL)
    assert not any(reads(camera.capture(tiny, seed), URL) for seed in range(6))


def test_the_check_passes_a_comfortable_code_with_a_margin_and_fails_a_tiny_one() -> None:
    verdict = camera.camera_check(*printed_area(URL, 0.9), lambda p: reads(p, URL))
    assert verdict.passed and verdict.decoded == verdict.captures == camera.CHECK_CAPTURES
    assert verdict.smallest_px is not None and verdict.smallest_px < camera.TYPICAL.card_px
    assert verdict.margin > 0
    failed = camera.camera_check(*printed_area(URL, 0.4), lambda p: reads(p, URL))
    assert not failed.passed and failed.smallest_px is None and failed.margin == 0


def camera_expectation(drawn: tuple[float, float, float, str, int, bool],
                       geometry: Hashable = "g") -> QrExpectation:
    x, y, side, payload, _, _ = drawn
    return QrExpectation(0, x, y, side, payload, encode(payload).size, geometry=geometry,
                         label="the front QR code of variant oakfield", error_correction="M")


def test_verification_reports_the_weakest_code_and_its_margin() -> None:
    drawn = code(20, 20, 41, URL)
    module = 41 / encode(URL).modules_with_quiet_zone
    log = CameraLog()
    verify_pdf(make_pdf([[drawn]]), [camera_expectation(drawn)], camera_log=log)
    report = log.weakest()
    assert report.geometries == 1
    assert report.weakest is not None and report.weakest.payload == URL
    summary = report.summary()
    captures = camera.CHECK_CAPTURES
    assert summary.startswith(f"1 code shape photographed; the weakest (version 5, M, "
                              f"{module:.2f} mm modules) read in {captures} of {captures} "
                              "simulated phone captures and has a")
    assert "margin: it still reads with the card" in summary


def test_a_code_that_decodes_cleanly_but_not_in_captures_is_cg620_with_its_fix() -> None:
    # 0.45 mm modules: they read back at 300 dpi, not in a hand.
    drawn = code(20, 20, encode(URL).modules_with_quiet_zone * 0.45, URL)
    pdf = make_pdf([[drawn]])
    # Decoded only (no camera log, or no geometry), it passes.
    verify_pdf(pdf, [camera_expectation(drawn)])
    verify_pdf(pdf, [dataclasses.replace(camera_expectation(drawn), geometry=None)],
               camera_log=CameraLog())
    with pytest.raises(ScanError) as caught:
        verify_pdf(pdf, [camera_expectation(drawn)], camera_log=CameraLog())
    error = caught.value
    assert isinstance(error, VerificationError) and error.code == "CG620"
    assert "the front QR code of variant oakfield" in error.message
    assert "0.45 mm modules" in error.message and "read in only" in error.message
    assert error.fix is not None
    order = ["shorter link", "`tracking: {param: b}`", "bigger code", "card.qr_error_correction"]
    places = [error.fix.find(part) for part in order]
    assert -1 not in places and places == sorted(places), error.fix


def test_one_code_of_each_geometry_is_photographed_once_per_build(
        monkeypatch: pytest.MonkeyPatch) -> None:
    looked: list[str] = []
    real = verify._photographed

    def counted(page: object, want: QrExpectation, margin: bool) -> camera.CameraVerdict:
        looked.append(want.payload)
        return real(page, want, margin)  # type: ignore[arg-type]

    monkeypatch.setattr(verify, "_photographed", counted)
    small, big = code(20, 20, 41, URL), code(110, 20, 42, URL.replace("k7", "k8"))
    other = code(20, 120, 30, "tel:+448088005000")
    pdf = make_pdf([[small, big, other]])
    wanted = [camera_expectation(small, "links"), camera_expectation(big, "links"),
              camera_expectation(other, "tel")]
    log = CameraLog()
    verify_pdf(pdf, wanted, camera_log=log)
    # The smaller of the two alike codes stands for both.
    assert sorted(looked) == sorted([URL, "tel:+448088005000"])
    assert log.weakest().geometries == 2 and log.photographed == {"links", "tel"}
    verify_pdf(pdf, wanted, camera_log=log)  # another file of the same build
    assert len(looked) == 2


def test_a_code_under_the_warning_line_gets_more_captures_and_may_miss_one() -> None:
    raster, box = printed_area(URL, 0.65)
    seen: list[bool] = []

    def decodes(picture: Image.Image) -> bool:
        seen.append(reads(picture, URL))
        return seen[-1]

    verdict = camera.camera_check(raster, box, decodes, close=True, margin=False)
    if all(seen):  # the first CLOSE_FIRST all read: passed without more
        assert len(seen) == verdict.captures == camera.CLOSE_FIRST and verdict.passed
    else:
        assert verdict.passed == (seen.count(False) <= camera.CLOSE_MISSES)
        assert len(seen) == verdict.tried
    # Every capture is counted once, whatever the outcome.
    assert verdict.decoded == seen.count(True)


def test_each_capture_faces_the_card_from_another_side() -> None:
    turns = [camera._turn(seed) for seed in range(12)]
    axes = sorted(axis for axis, _ in turns)
    spins = sorted(spin for _, spin in turns)
    # A dozen captures leave no wide gap in the tilt's axis or the phone's turn.
    assert max(b - a for a, b in pairwise([*axes, axes[0] + 1])) < 0.2
    assert max(b - a for a, b in pairwise([*spins, spins[0] + 1])) < 0.2
