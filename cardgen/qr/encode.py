"""QR payload -> module matrix, and the rule for how small a printed code may be.

Encoder choice: zxing-cpp (C++ behind a Python binding), not segno or qrcode. Measured
(RESEARCH.md "QR encoding") it builds a matrix 15-30x faster (0.07 ms against 2.3 ms for a
`tel:` payload; 0.57 s against 8.4 s for 1,000 distinct campaign URLs, where the encoder
is the bottleneck), and it mixes numeric and byte segments, so it picks smaller versions:
`tel:+448088005000` at error correction M fits version 1 (21 x 21 modules) instead of 2,
which means bigger modules on the same small card. It is also the decoder `verify` uses,
so there is one dependency for both directions. reportlab's own encoder is not used: it
defaults to error correction L and has a wrong block table at 15-H. Only full-size QR is
ever made (`BarcodeFormat.QRCodeModel2`; in zxing-cpp 3 plain `QRCode` names the whole
family, Micro QR and rMQR included, which phone cameras do not read). The mask pattern is
chosen by `qrmask`, the same choice zxing-cpp makes, from one encoding instead of eight.

Payloads must be ASCII: zxing-cpp would write other characters as ISO 8859-1 bytes without
an ECI header, and phone apps guess encodings differently. Upstream code turns IDNs into
punycode and percent-encodes paths before a payload gets here.

Size rule (RESEARCH.md "Verifying"; bench/bench_scan.py): modules under 0.6 mm are an
error, under 0.8 mm a warning. In simulated phone captures of a print (ink spread, blur,
tilt, uneven light, noise, JPEG) zxing-cpp read 0-50 % of codes at 0.50 mm, 92-100 % at
0.60 mm and at least 98 % from 0.65 mm; zbar needed 0.65-0.90 mm. Module size = printed
side (quiet zone included) / (n + 8).

Error correction is chosen per code from the side the layout gives it (`choose_level`): the
strongest of H, Q and M that keeps modules at 0.8 mm or more (where Q keeps them there it
reads as well as M in typical captures and far better under glare), else M, else L while
modules stay at 0.6 mm or more. `card.qr_error_correction` pins one level instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast, overload

import zxingcpp

from cardgen.errors import DocPath, Problem
from cardgen.qr import mask as qrmask

QUIET_ZONE = 4
#: Modules under this are an error: phones fail to read the code.
MIN_MODULE_MM = 0.6
#: Modules under this are a warning; the layout shrinks text to keep codes at least this.
WARN_MODULE_MM = 0.8
ERROR_CORRECTION_LEVELS = ("L", "M", "Q", "H")
#: Floating-point slack: a side computed as exactly n x 0.6 mm is not refused for noise.
_EPS = 1e-9
#: Most bytes a code of each version (1-40) holds at each level in byte mode (ISO/IEC 18004
#: table 7; tests/test_qr.py checks it against zxing-cpp).
BYTE_CAPACITY: dict[str, tuple[int, ...]] = {
    "L": (17, 32, 53, 78, 106, 134, 154, 192, 230, 271, 321, 367, 425, 458, 520, 586, 644, 718,
          792, 858, 929, 1003, 1091, 1171, 1273, 1367, 1465, 1528, 1628, 1732, 1840, 1952, 2068,
          2188, 2303, 2431, 2563, 2699, 2809, 2953),
    "M": (14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624,
          666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809,
          1911, 1989, 2099, 2213, 2331),
    "Q": (11, 20, 32, 46, 60, 74, 86, 108, 130, 151, 177, 203, 241, 258, 292, 322, 364, 394, 442,
          482, 509, 565, 611, 661, 715, 751, 805, 868, 908, 982, 1030, 1112, 1168, 1228, 1283,
          1351, 1423, 1499, 1579, 1663),
    "H": (7, 14, 24, 34, 44, 58, 64, 84, 98, 119, 137, 155, 177, 194, 220, 250, 280, 310, 338, 382,
          403, 439, 461, 511, 535, 593, 625, 658, 698, 742, 790, 842, 898, 958, 983, 1051, 1093,
          1139, 1219, 1273),
}



_DARK_TABLE = bytes([1] + [0] * 255)
_DARK_RUN = re.compile(rb"\x01+")


def dark_runs(modules: Sequence[Sequence[bool]] | Sequence[bytes]
              ) -> list[tuple[int, int, int]]:
    """(row, first column, length) of every maximal horizontal run of dark modules,
    row-major: what a renderer needs to draw a code as one path of rectangles."""
    runs: list[tuple[int, int, int]] = []
    for row, line in enumerate(modules):
        runs.extend((row, m.start(), m.end() - m.start())
                    for m in _DARK_RUN.finditer(bytes(line)))
    return runs


def dark_rectangles(modules: Sequence[Sequence[bool]] | Sequence[bytes]
                    ) -> list[tuple[int, int, int, int]]:
    """(column, row, width, height) rectangles that cover the dark modules exactly once: a
    run that repeats in the rows below it is one taller rectangle. Fewer path operators
    than one rectangle a run, so a card with a distinct code costs fewer bytes. Listed in
    the order they close (deterministic: it follows the rows)."""
    done: list[tuple[int, int, int, int]] = []
    growing: dict[tuple[int, int], int] = {}  # (column, width) -> the rectangle's first row
    row = -1
    for row, line in enumerate(modules):
        current: dict[tuple[int, int], int] = {}
        for m in _DARK_RUN.finditer(bytes(line)):
            start = m.start()
            key = (start, m.end() - start)
            current[key] = growing.pop(key, row)
        done.extend([(col, first, width, row - first)
                     for (col, width), first in growing.items()])
        growing = current
    done.extend([(col, first, width, row + 1 - first)
                 for (col, width), first in growing.items()])
    return done


def rectangle_path(modules: Sequence[Sequence[bool]] | Sequence[bytes]) -> str:
    """PDF path operators (`x y w h re`, module units, y down) for the dark modules: what
    the renderer fills as one path. Made once per code, in the encoding workers for batches."""
    return "\n".join(f"{col} {row} {width} {height} re"
                     for col, row, width, height in dark_rectangles(modules))


class ModuleMatrix(Sequence[tuple[bool, ...]]):
    """The square module matrix of a code, kept as the encoder's bytes (1 for dark, row after
    row) and read as rows of booleans: `matrix[row][col]`. A batch of a thousand codes used
    to turn every matrix into nested tuples up front, and hash them, for nothing."""

    __slots__ = ("dark", "size")

    def __init__(self, size: int, dark: bytes) -> None:
        if len(dark) != size * size:
            raise ValueError(f"{len(dark)} module bytes do not make a {size}x{size} matrix")
        self.size = size
        self.dark = dark

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> tuple[bool, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[bool, ...], ...]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self.size)))
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError("module row out of range")
        return tuple(map(bool, self.dark[index * self.size:(index + 1) * self.size]))

    def rows(self) -> list[bytes]:
        """Each row as bytes, 1 for dark: what `dark_runs` and `rectangle_path` read."""
        n = self.size
        return [self.dark[r * n:(r + 1) * n] for r in range(n)]

    def __eq__(self, other: object) -> bool:
        # Only another matrix: equal to a tuple of rows too would need the tuple's hash.
        if isinstance(other, ModuleMatrix):
            return self.size == other.size and self.dark == other.dark
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.size, self.dark))

    def __repr__(self) -> str:
        return f"ModuleMatrix({self.size}x{self.size})"


@dataclass(frozen=True)
class QrCode:
    """One encoded QR symbol. `modules[row][col]` is True for a dark module; the 4-module
    quiet zone is not included."""

    payload: str
    error_correction: str
    modules: ModuleMatrix
    #: the dark modules as PDF path operators in module units (see `rectangle_path`)
    path: str = ""

    @property
    def size(self) -> int:
        return len(self.modules)

    @property
    def version(self) -> int:
        return (self.size - 17) // 4

    @property
    def modules_with_quiet_zone(self) -> int:
        return self.size + 2 * QUIET_ZONE

    def dark_runs(self) -> list[tuple[int, int, int]]:
        return dark_runs(self.modules.rows())


_CACHE: dict[tuple[str, str], QrCode] = {}
_CACHE_SIZE = 20_000


def encode(payload: str, error_correction: str = "M") -> QrCode:
    """Encodes `payload` as a full-size QR code (cached: a payload is encoded once). Raises
    ValueError for an empty or non-ASCII payload, an unknown error-correction level, or a
    payload too long for any version."""
    key = (payload, error_correction)
    code = _CACHE.get(key)
    if code is None:
        size, dark = _encode_matrix(payload, error_correction)
        code = _store(key, size, dark)
    return code


def _store(key: tuple[str, str], size: int, dark: bytes) -> QrCode:
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    modules = ModuleMatrix(size, dark)
    code = _CACHE[key] = QrCode(key[0], key[1], modules, rectangle_path(modules.rows()))
    return code


def _encode_matrix(payload: str, error_correction: str) -> tuple[int, bytes]:
    """(n, n*n bytes with 1 for dark) of the code for `payload`."""
    _check_payload(payload, error_correction)
    size, dark = _symbol(payload, error_correction, 0)
    pattern = qrmask.best_pattern(qrmask.pack_symbol(dark, size), size,
                                  _function_values(payload, error_correction, size))
    if pattern:
        size, dark = _symbol(payload, error_correction, pattern)
    return size, dark


def _check_payload(payload: str, error_correction: str) -> None:
    if error_correction not in ERROR_CORRECTION_LEVELS:
        raise ValueError(
            f"QR error correction must be one of L, M, Q, H, not {error_correction!r}"
        )
    if not payload:
        raise ValueError("a QR payload cannot be empty")
    if not payload.isascii():
        bad = next(c for c in payload if not c.isascii())
        raise ValueError(
            f"QR payload {payload!r} contains the non-ASCII character {bad!r}; "
            "use punycode for domain names and percent-encoding for paths"
        )


def _symbol(payload: str, error_correction: str, pattern: int) -> tuple[int, bytes]:
    """zxing-cpp's symbol for `payload` with mask `pattern`: (n, n*n bytes, 1 for dark)."""
    try:
        barcode = zxingcpp.create_barcode(
            payload, zxingcpp.BarcodeFormat.QRCodeModel2, ec_level=error_correction,
            data_mask=pattern)
    except ValueError as exc:
        raise ValueError(
            f"QR payload of {len(payload)} characters cannot be encoded at error "
            f"correction {error_correction}: {exc}"
        ) from exc
    # zxing-cpp's Image exposes the buffer protocol; its stubs do not say so.
    image = memoryview(cast(Any, barcode.to_image(scale=1, add_quiet_zones=False)))
    rows, cols = image.shape or (0, 0)
    # Guards the Micro QR promise and the (n - 17) / 4 version arithmetic.
    if rows != cols or rows < 21 or (rows - 17) % 4:
        raise ValueError(f"encoder returned a {rows}x{cols} matrix, not a full-size QR code")
    # 0 is dark in zxing-cpp's image.
    return rows, image.tobytes().translate(_DARK_TABLE)


_FUNCTION_VALUES: dict[tuple[int, str], list[qrmask.Packed]] = {}


def _function_values(payload: str, error_correction: str, size: int) -> list[qrmask.Packed]:
    """For each mask pattern, the function modules of a symbol of this size and level (they
    differ only in the format bits): made once per size and level, from zxing-cpp."""
    key = (size, error_correction)
    known = _FUNCTION_VALUES.get(key)
    if known is None:
        known = _FUNCTION_VALUES[key] = [
            qrmask.function_values(qrmask.pack_symbol(_symbol(payload, error_correction,
                                                              pattern)[1], size), size)
            for pattern in range(len(qrmask.MASK_PATTERNS))]
    return known


def module_size_mm(code: QrCode | Symbol, side_mm: float) -> float:
    """Module size when the symbol, quiet zone included, is printed `side_mm` wide."""
    return side_mm / code.modules_with_quiet_zone


def min_side_mm(code: QrCode, min_module_mm: float = MIN_MODULE_MM) -> float:
    """Smallest printed side (quiet zone included) that gives modules of `min_module_mm`."""
    return code.modules_with_quiet_zone * min_module_mm


def modules_at(payload: str, error_correction: str) -> int:
    """The width in modules (quiet zone excluded) of `payload`'s code at `error_correction`:
    the version, without choosing a mask or keeping the symbol. Raises ValueError as
    `encode` does. How long the encoded data is depends only on which characters are
    digits, which others the alphanumeric mode holds, and which need bytes: payloads alike
    in that (a batch's links, one code apart) are encoded once between them."""
    known = _CACHE.get((payload, error_correction))
    if known is not None:
        return known.size
    _check_payload(payload, error_correction)
    key = (payload.translate(_CHARACTER_CLASS), error_correction)
    width = _WIDTHS.get(key)
    if width is None:
        if len(_WIDTHS) >= _CACHE_SIZE:
            _WIDTHS.clear()
        width = _WIDTHS[key] = _symbol(payload, error_correction, 0)[0]
    return width


#: Each ASCII character as its class in QR encoding: 0 a digit (numeric mode), A another
#: character the alphanumeric mode holds, a any other (byte mode).
_CHARACTER_CLASS = str.maketrans(
    {chr(c): "0" if chr(c).isdigit() else
     "A" if chr(c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" else "a" for c in range(128)})
_WIDTHS: dict[tuple[str, str], int] = {}


def choose_level(payload: str, side_mm: float, pinned: str | None = None) -> str:
    """The error-correction level for `payload`'s code printed `side_mm` wide (quiet zone
    included): `pinned` when given; else the strongest of H, Q and M whose modules stay at
    WARN_MODULE_MM or more; else M while its modules stay at MIN_MODULE_MM or more; else L
    (which may still be too small: `check_module_size` says so)."""
    if pinned is not None:
        return pinned

    def module(level: str) -> float:
        return side_mm / (modules_at(payload, level) + 2 * QUIET_ZONE)

    at_m = module("M")
    if at_m >= WARN_MODULE_MM - _EPS:
        # H and Q are never smaller than M: only then can they be big enough. A batch of
        # distinct links asks this for every card: a level that cannot be big enough is
        # known from M's version without encoding at it.
        width_m = modules_at(payload, "M")
        for level in ("H", "Q"):
            least = _fewest_modules(level, width_m) + 2 * QUIET_ZONE
            if side_mm / least >= WARN_MODULE_MM - _EPS and module(level) >= WARN_MODULE_MM - _EPS:
                return level
        return "M"
    return "M" if at_m >= MIN_MODULE_MM - _EPS else "L"


def _data_codewords(level: str, version: int) -> int:
    """Data codewords of a version at a level (byte capacity plus the mode and count bits)."""
    return BYTE_CAPACITY[level][version - 1] + (2 if version < 10 else 3)


def _fewest_modules(level: str, width_at_m: int) -> int:
    """A lower bound on the width at `level` of a payload whose code at M is `width_at_m`
    modules wide. The encoder takes the smallest version that holds the data, so at M the
    data did not fit one version less: it is more than that version's data codewords at M,
    and it can only take a version whose data codewords at `level` are more. (When the
    version one less counts characters with fewer bits, nothing is known.)"""
    version = (width_at_m - 17) // 4
    if version == 1 or version in (10, 27):
        return width_at_m
    more_than = _data_codewords("M", version - 1)
    while version < 40 and _data_codewords(level, version) <= more_than:
        version += 1
    return 17 + 4 * version


@dataclass(frozen=True)
class Symbol:
    """A payload's code by its size alone (no modules made): what a message needs to compare
    with another form of the payload."""

    payload: str
    size: int

    @property
    def version(self) -> int:
        return (self.size - 17) // 4

    @property
    def modules_with_quiet_zone(self) -> int:
        return self.size + 2 * QUIET_ZONE


def symbol_at(payload: str, error_correction: str) -> Symbol:
    """`payload`'s code at `error_correction`, by its size (see `modules_at`)."""
    return Symbol(payload, modules_at(payload, error_correction))


@dataclass(frozen=True)
class SizeContext:
    """What a module-size message may suggest besides a bigger code: whether the payload is a
    link, the same link tracked with `?b=` when it is tracked with UTM tags (its code at the
    pinned level, else at M), and whether the user pinned the error correction."""

    link: bool = True
    without_utm: Symbol | None = None
    pinned: bool = False


def check_module_size(code: QrCode, side_mm: float, path: DocPath,
                      context: SizeContext | None = None) -> list[Problem]:
    """CG401 (error) when modules would print under 0.6 mm, CG402 (warning) under 0.8 mm;
    CG621 (warning) instead of CG402 when UTM tracking is what pushes them under 0.8 mm.
    Each fix names what helps, in order: a shorter link, `tracking: {param: b}` instead of
    UTM tags, a design or size with a bigger code, a lower error-correction level."""
    context = context or SizeContext()
    module = module_size_mm(code, side_mm)
    if module >= WARN_MODULE_MM - _EPS:
        return []
    error = module < MIN_MODULE_MM - _EPS
    alternative = context.without_utm
    alt_module = module_size_mm(alternative, side_mm) if alternative is not None else 0.0
    if not error and alt_module >= WARN_MODULE_MM - _EPS:
        assert alternative is not None
        extra = len(code.payload) - len(alternative.payload)
        return [Problem(
            "CG621",
            f"UTM tracking makes this link {extra} characters longer than `?b=` would: its "
            f"QR code prints with {module:.2f} mm modules (version {code.version}), where "
            f"`tracking: {{param: b}}` gives {alt_module:.2f} mm (version "
            f"{alternative.version}); under {WARN_MODULE_MM} mm some phones struggle",
            "warning",
            "use `tracking: {param: b}` instead of `utm:` (the batch code is sent as ?b=<code>; "
            "your analytics can read it from there)", path)]
    limit = MIN_MODULE_MM if error else WARN_MODULE_MM
    needed = min_side_mm(code, limit)
    what = (
        f"the QR code's modules would print {module:.2f} mm wide "
        f"({side_mm:.1f} mm for a version {code.version} code of {code.size} modules plus "
        f"the quiet zone, error correction {code.error_correction}, payload "
        f"{len(code.payload)} characters); "
    )
    what += (
        f"under {MIN_MODULE_MM} mm phone cameras often cannot read it"
        if error
        else f"under {WARN_MODULE_MM} mm some phones struggle, the more so on a worn or "
        "home-printed card"
    )
    fixes = [f"a shorter link ({len(code.payload)} characters now)" if context.link
             else f"shorter QR content ({len(code.payload)} characters now)"]
    if alternative is not None:
        fixes.append(f"`tracking: {{param: b}}` instead of UTM tags ({alt_module:.2f} mm "
                     "modules)")
    fixes.append(f"a design or card size that gives the code more room (it needs "
                 f"{needed:.1f} mm for {limit} mm modules)")
    if code.error_correction != "L":
        fixes.append("a lower error-correction level (card.qr_error_correction: L)"
                     if code.error_correction == "M" or not context.pinned else
                     "a lower error-correction level (card.qr_error_correction: M or L, or "
                     "leave it out and cardgen chooses)")
    fix = "in order of what helps: " + "; ".join(
        f"{n}) {text}" for n, text in enumerate(fixes, 1))
    return [Problem("CG401" if error else "CG402", what, "error" if error else "warning",
                    fix, path)]
