"""QR encoding, the printed-size rule and the error-correction choice: what a user sees as
'the code scans', as the CG401/CG402/CG621 messages, and as the level each code gets."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cardgen.qr.encode import (
    BYTE_CAPACITY,
    ERROR_CORRECTION_LEVELS,
    MIN_MODULE_MM,
    WARN_MODULE_MM,
    QrCode,
    SizeContext,
    check_module_size,
    choose_level,
    dark_rectangles,
    dark_runs,
    encode,
    min_side_mm,
    module_size_mm,
    modules_at,
    symbol_at,
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
    assert (MIN_MODULE_MM, WARN_MODULE_MM) == (0.6, 0.8)
    assert check_module_size(code, n * 0.8, path) == []
    assert check_module_size(code, 30.0, path) == []

    (warning,) = check_module_size(code, n * 0.7999, path)
    assert (warning.code, warning.severity) == ("CG402", "warning")
    (at_minimum,) = check_module_size(code, n * 0.6, path)
    assert (at_minimum.code, at_minimum.severity) == ("CG402", "warning")

    (error,) = check_module_size(code, n * 0.5999, path)
    assert (error.code, error.severity) == ("CG401", "error")
    assert error.path == path


def test_too_small_error_names_size_version_level_length_and_every_fix_in_order() -> None:
    code = encode(URL_103)
    side = code.modules_with_quiet_zone * 0.55
    without_utm = symbol_at("https://www.hertfordshire.gov.uk/neglect?b=oakfield-high", "M")
    (error,) = check_module_size(code, side, ("back", "qr"), SizeContext(True, without_utm))
    assert "0.55 mm" in error.message
    assert f"version {code.version}" in error.message
    assert "error correction M" in error.message
    assert "103 characters" in error.message
    assert error.fix is not None
    fixes = ["shorter link (103 characters now)", "`tracking: {param: b}` instead of UTM",
             f"it needs {code.modules_with_quiet_zone * 0.6:.1f} mm",
             "card.qr_error_correction: L"]
    places = [error.fix.find(f) for f in fixes]
    assert -1 not in places, error.fix
    assert places == sorted(places), "the fixes are listed in the order that helps most"


def test_tracking_advice_only_for_utm_links_and_shorter_content_for_numbers() -> None:
    code = encode(URL_103)
    (error,) = check_module_size(code, code.modules_with_quiet_zone * 0.5, ())
    assert error.fix is not None and "tracking" not in error.fix
    sms = encode("SMSTO:85258:" + "please call me back " * 8)
    (error,) = check_module_size(sms, sms.modules_with_quiet_zone * 0.5, (),
                                 SizeContext(link=False))
    assert error.fix is not None
    assert "shorter QR content" in error.fix and "link" not in error.fix


def test_no_lower_error_correction_advice_when_already_at_l() -> None:
    code = encode(URL_103, "L")
    (error,) = check_module_size(code, code.modules_with_quiet_zone * 0.3, ())
    assert error.fix is not None
    assert "qr_error_correction" not in error.fix


def test_a_pinned_high_level_is_told_it_may_be_left_out() -> None:
    code = encode(URL_103, "H")
    (warning,) = check_module_size(code, code.modules_with_quiet_zone * 0.7, (),
                                   SizeContext(pinned=True))
    assert warning.fix is not None and "leave it out and cardgen chooses" in warning.fix


def test_utm_that_pushes_modules_under_the_warning_line_says_use_param_b() -> None:
    code = encode(URL_103)
    without_utm = symbol_at("https://www.hertfordshire.gov.uk/neglect?b=oakfield-high", "M")
    assert without_utm.version < code.version
    # A side where the UTM code is under 0.8 mm and the ?b= code is not.
    side = without_utm.modules_with_quiet_zone * 0.82
    assert module_size_mm(code, side) < 0.8
    (warning,) = check_module_size(code, side, ("front", "qr"), SizeContext(True, without_utm))
    assert (warning.code, warning.severity) == ("CG621", "warning")
    assert "UTM tracking" in warning.message and "0.82 mm" in warning.message
    assert warning.fix is not None and "`tracking: {param: b}`" in warning.fix
    # Where ?b= would not reach 0.8 mm either, it is the ordinary warning, naming ?b= too.
    side = code.modules_with_quiet_zone * 0.65
    assert module_size_mm(without_utm, side) < 0.8
    (warning,) = check_module_size(code, side, (), SizeContext(True, without_utm))
    assert warning.code == "CG402"
    assert warning.fix is not None and "`tracking: {param: b}`" in warning.fix


def test_level_is_the_strongest_that_keeps_modules_at_the_warning_line() -> None:
    # tel: is version 1 at L and M, version 2 at Q and H.
    assert [modules_at(TEL, level) for level in "LMQH"] == [21, 21, 25, 25]
    assert choose_level(TEL, 33 * 0.8) == "H"
    assert choose_level(TEL, 33 * 0.8 - 0.01) == "M"
    assert choose_level(TEL, 29 * 0.6) == "M"
    sizes = {level: modules_at(URL_103, level) + 8 for level in "LMQH"}
    assert len(set(sizes.values())) == 4  # one version more at each level
    assert choose_level(URL_103, sizes["Q"] * 0.8) == "Q"
    assert choose_level(URL_103, sizes["H"] * 0.8) == "H"
    assert choose_level(URL_103, sizes["M"] * 0.8) == "M"
    assert choose_level(URL_103, sizes["M"] * 0.6) == "M"
    assert choose_level(URL_103, sizes["M"] * 0.6 - 0.01) == "L"
    assert choose_level(URL_103, 5.0) == "L"  # too small at any level: L, then CG401
    assert choose_level(URL_103, 100.0, pinned="L") == "L"
    assert choose_level(URL_103, 5.0, pinned="H") == "H"


@pytest.mark.parametrize("level", ERROR_CORRECTION_LEVELS)
def test_byte_capacity_is_what_the_encoder_holds(level: str) -> None:
    # Lower-case letters are byte mode: the most that fit each version, and one more not.
    for version in (*range(1, 21), 26, 27, 40):
        most = BYTE_CAPACITY[level][version - 1]
        assert modules_at("a" * most, level) == 17 + 4 * version, (level, version)
        if version < 40:
            assert modules_at("a" * (most + 1), level) > 17 + 4 * version, (level, version)


def brute_force_level(payload: str, side: float) -> str:
    """The rule, read plainly: every level encoded, the strongest at 0.8 mm, else M, else L."""
    def module(level: str) -> float:
        return side / (encode(payload, level).size + 8)
    for level in ("H", "Q", "M"):
        if module(level) >= 0.8 - 1e-9:
            return level
    return "M" if module("M") >= 0.6 - 1e-9 else "L"


def twin(payload: str, shift: int) -> str:
    """Another payload whose every character is of the same QR class (digit, alphanumeric,
    byte) as `payload`'s."""
    groups = ("0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
              "abcdefghijklmnopqrstuvwxyz!#&'(),;<=>?@[]^_`{|}~")
    out = []
    for ch in payload:
        group = next((g for g in groups if ch in g), None)
        out.append(ch if group is None else group[(group.index(ch) + shift) % len(group)])
    return "".join(out)


@settings(max_examples=100, deadline=None)
@given(payload=st.text(alphabet="abcxyz0123456789:/.?=&-_ABCXYZ $", min_size=1, max_size=300),
       shift=st.integers(1, 30), level=st.sampled_from(ERROR_CORRECTION_LEVELS))
def test_a_payload_of_the_same_character_classes_has_the_same_width(
        payload: str, shift: int, level: str) -> None:
    other = twin(payload, shift)
    assert modules_at(payload, level) == encode(payload, level).size
    assert modules_at(other, level) == encode(other, level).size


@settings(max_examples=150, deadline=None)
@given(payload=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789:/.?=&-_ABCDEFXYZ",
                       min_size=1, max_size=320),
       side=st.floats(12.0, 90.0))
def test_choosing_without_encoding_every_level_gives_the_rule(payload: str,
                                                              side: float) -> None:
    assert choose_level(payload, side) == brute_force_level(payload, side)


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
