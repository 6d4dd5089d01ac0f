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

Size rule (RESEARCH.md "Verifying", simulated poor print): modules under 0.5 mm fail, under
0.6 mm warn. Module size = printed side (quiet zone included) / (n + 8).
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
MIN_MODULE_MM = 0.5
WARN_MODULE_MM = 0.6
ERROR_CORRECTION_LEVELS = ("L", "M", "Q", "H")


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
    size, dark = _symbol(payload, error_correction, 0)
    pattern = qrmask.best_pattern(qrmask.pack_symbol(dark, size), size,
                                  _function_values(payload, error_correction, size))
    if pattern:
        size, dark = _symbol(payload, error_correction, pattern)
    return size, dark


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


def module_size_mm(code: QrCode, side_mm: float) -> float:
    """Module size when the symbol, quiet zone included, is printed `side_mm` wide."""
    return side_mm / code.modules_with_quiet_zone


def min_side_mm(code: QrCode, min_module_mm: float = MIN_MODULE_MM) -> float:
    """Smallest printed side (quiet zone included) that gives modules of `min_module_mm`."""
    return code.modules_with_quiet_zone * min_module_mm


def check_module_size(code: QrCode, side_mm: float, path: DocPath) -> list[Problem]:
    """CG401 (error) when modules would print under 0.5 mm, CG402 (warning) under 0.6 mm."""
    module = module_size_mm(code, side_mm)
    # A hair of tolerance so a side computed as exactly n x 0.5 mm is not refused for
    # floating-point noise.
    if module >= WARN_MODULE_MM - 1e-9:
        return []
    error = module < MIN_MODULE_MM - 1e-9
    limit = MIN_MODULE_MM if error else WARN_MODULE_MM
    needed = min_side_mm(code, limit)
    what = (
        f"the QR code's modules would print {module:.2f} mm wide "
        f"({side_mm:.1f} mm for a version {code.version} code of {code.size} modules plus "
        f"the quiet zone, payload {len(code.payload)} characters); "
    )
    what += (
        f"under {MIN_MODULE_MM} mm phones may fail to scan it"
        if error
        else f"under {WARN_MODULE_MM} mm it may not scan from a worn or home-printed card"
    )
    fixes = [
        f"use a shorter link ({len(code.payload)} characters now)",
        f"a design/size that gives the code more room (needs {needed:.1f} mm)",
    ]
    if code.error_correction != "L":
        fixes.append("lower error correction (card.qr_error_correction: L)")
    fix = ", ".join(fixes[:-1]) + ", or " + fixes[-1]
    return [Problem("CG401" if error else "CG402", what, "error" if error else "warning",
                    fix, path)]
