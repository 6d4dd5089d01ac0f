"""QR encoding and the printed-size rule: what a user sees as 'the code scans' and as the
CG401/CG402 messages."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cardgen.qr.encode import (
    MIN_MODULE_MM,
    WARN_MODULE_MM,
    QrCode,
    check_module_size,
    dark_rectangles,
    dark_runs,
    encode,
    min_side_mm,
    module_size_mm,
)

TEL = "tel:+448088005000"
# A tracked campaign link of the length the research measured (103 characters).
URL_103 = ("https://www.hertfordshire.gov.uk/neglect?utm_source=oakfield-high"
           "&utm_medium=card&utm_campaign=neglect1")
ascii_payloads = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=127),
                         min_size=1, max_size=250)


def decode_matrix(code: QrCode, scale: int = 4) -> list[bytes]:
    """Decodes a picture of the symbol (with its quiet zone), as a phone would."""
    dark = np.array(code.modules, dtype=bool)
    grid = np.pad(dark, 4, constant_values=False)
    pixels = np.where(grid, 0, 255).astype(np.uint8).repeat(scale, 0).repeat(scale, 1)
    image = Image.fromarray(pixels, mode="L")
    return [bytes(b.bytes) for b in zxingcpp.read_barcodes(image)]


def rebuild(runs: list[tuple[int, int, int]], n: int) -> tuple[tuple[bool, ...], ...]:
    grid = [[False] * n for _ in range(n)]
    for row, col, length in runs:
        for c in range(col, col + length):
            grid[row][c] = True
    return tuple(tuple(r) for r in grid)


def test_tel_payload_fits_version_1_at_m() -> None:
    code = encode(TEL)
    assert code.version == 1
    assert code.size == 21
    assert code.modules_with_quiet_zone == 29
    assert code.error_correction == "M"
    assert decode_matrix(code) == [TEL.encode()]


def test_tracked_url_of_103_characters() -> None:
    assert len(URL_103) == 103
    code = encode(URL_103)
    assert code.version <= 7
    assert code.size == 4 * code.version + 17
    assert decode_matrix(code) == [URL_103.encode()]


def test_higher_error_correction_never_shrinks_the_code() -> None:
    sizes = [encode(URL_103, ec).size for ec in "LMQH"]
    assert sizes == sorted(sizes)
    assert sizes[0] < sizes[-1]
    assert encode(URL_103, "H").error_correction == "H"
    assert decode_matrix(encode(URL_103, "H")) == [URL_103.encode()]


def test_short_payload_is_full_size_qr_never_micro_qr() -> None:
    # A Micro QR (11-17 modules) would fit "1"; phone cameras do not read those.
    assert encode("1").size == 21


def test_repeated_payloads_are_encoded_once() -> None:
    assert encode(TEL, "M") is encode(TEL, "M")


@pytest.mark.parametrize("payload", ["tel:+44 808 800 5000 é", "https://bücher.example/", "—"])
def test_non_ascii_payload_is_refused(payload: str) -> None:
    with pytest.raises(ValueError, match="non-ASCII"):
        encode(payload)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        encode("")
    with pytest.raises(ValueError, match="error correction"):
        encode(TEL, "X")
    with pytest.raises(ValueError, match="3000 characters"):
        encode("x" * 3000, "H")


@settings(max_examples=60, deadline=None)
@given(ascii_payloads)
def test_dark_runs_rebuild_the_matrix_and_the_matrix_decodes(payload: str) -> None:
    code = encode(payload)
    runs = code.dark_runs()
    assert rebuild(runs, code.size) == tuple(code.modules)
    # Maximal runs: two runs in one row never touch.
    for (r1, c1, l1), (r2, c2, _) in pairwise(runs):
        assert (r1, c1) < (r2, c2)
        if r1 == r2:
            assert c1 + l1 < c2
    assert decode_matrix(code) == [payload.encode("ascii")]


@given(st.lists(st.lists(st.booleans(), min_size=5, max_size=5), min_size=5, max_size=5))
def test_dark_runs_of_any_grid(grid: list[list[bool]]) -> None:
    runs = dark_runs(grid)
    assert rebuild(runs, 5) == tuple(tuple(r) for r in grid)
    assert sum(length for _, _, length in runs) == sum(map(sum, grid))


def test_module_size_counts_the_quiet_zone() -> None:
    code = encode(TEL)  # 21 modules + 8 quiet
    assert module_size_mm(code, 29.0) == pytest.approx(1.0)
    assert min_side_mm(code) == pytest.approx(29 * MIN_MODULE_MM)
    assert min_side_mm(code, WARN_MODULE_MM) == pytest.approx(29 * WARN_MODULE_MM)


def test_module_size_boundaries() -> None:
    code = encode(TEL)
    n = code.modules_with_quiet_zone
    path = ("front", "qr")
    assert check_module_size(code, n * 0.6, path) == []
    assert check_module_size(code, 30.0, path) == []

    (warning,) = check_module_size(code, n * 0.5999, path)
    assert (warning.code, warning.severity) == ("CG402", "warning")
    (at_minimum,) = check_module_size(code, n * 0.5, path)
    assert (at_minimum.code, at_minimum.severity) == ("CG402", "warning")

    (error,) = check_module_size(code, n * 0.4999, path)
    assert (error.code, error.severity) == ("CG401", "error")
    assert error.path == path


def test_too_small_error_names_size_version_length_and_every_fix() -> None:
    code = encode(URL_103)
    side = code.modules_with_quiet_zone * 0.4
    (error,) = check_module_size(code, side, ("back", "qr"))
    assert "0.40 mm" in error.message
    assert f"version {code.version}" in error.message
    assert "103 characters" in error.message
    assert error.fix is not None
    assert "shorter link (103 characters now)" in error.fix
    assert f"needs {code.modules_with_quiet_zone * 0.5:.1f} mm" in error.fix
    assert "card.qr_error_correction: L" in error.fix


def test_no_lower_error_correction_advice_when_already_at_l() -> None:
    code = encode(URL_103, "L")
    (error,) = check_module_size(code, code.modules_with_quiet_zone * 0.3, ())
    assert error.fix is not None
    assert "qr_error_correction" not in error.fix


@pytest.mark.slow
@given(st.lists(st.lists(st.booleans(), min_size=21, max_size=21), min_size=21, max_size=21))
def test_rectangles_cover_every_dark_module_exactly_once(grid: list[list[bool]]) -> None:
    modules = tuple(tuple(row) for row in grid)
    covered = [[0] * 21 for _ in range(21)]
    for col, row, width, height in dark_rectangles(modules):
        assert width > 0 and height > 0
        for r in range(row, row + height):
            for c in range(col, col + width):
                covered[r][c] += 1
    assert covered == [[1 if dark else 0 for dark in row] for row in modules]


def test_rectangles_are_fewer_than_runs_for_a_real_code() -> None:
    code = encode("https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/?b=s0001")
    assert len(dark_rectangles(code.modules)) < len(code.dark_runs())


def test_path_fills_exactly_the_dark_modules() -> None:
    from cardgen.qr.encode import rectangle_path

    code = encode(URL_103)
    assert code.path == rectangle_path(code.modules)
    covered = [[0] * code.size for _ in range(code.size)]
    for op in code.path.splitlines():
        col, row, width, height, name = op.split()
        assert name == "re"
        for r in range(int(row), int(row) + int(height)):
            for c in range(int(col), int(col) + int(width)):
                covered[r][c] += 1
    assert covered == [[1 if dark else 0 for dark in row] for row in code.modules]
