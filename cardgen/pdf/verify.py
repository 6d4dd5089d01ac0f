"""Proof by decoding: every QR code in a built PDF must read back to exactly its payload.

A code is checked the way a phone would meet it: the PDF page is rasterised (pypdfium2)
and the code decoded from pixels by zxing-cpp, a decoder independent of how the PDF was
drawn. Each code is first looked at with FAST_PX_PER_MODULE pixels a module (its module
size known from the expectation, or bounded from its payload), never more than 300 dpi;
only a code that does not read back there is looked at again at the full 300 dpi, which
gives the verdict and the message. A pass is an exact byte match inside the code's own
box at either resolution: a missing, wrong, unreadable or neighbour's code fails both.

zxing-cpp read 40/40 codes byte for byte at every resolution tried,
in 16-25 ms an A4 page at 300 dpi; pyzbar failed small modules and needs a system library,
OpenCV read at most 9 of 10 (RESEARCH.md "Verifying").

Each page that has expectations is loaded once and rendered around its codes; each
expected box is cropped with a small margin and decoded on its own, so a neighbouring
card's code cannot stand in for a missing one. Comparison is on the decoded bytes, not on
text the decoder may have transcoded. Inverted (light on dark) codes are not accepted:
cards promise dark on light.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

from cardgen import workers as forked
from cardgen.errors import VerificationError
from cardgen.qr.encode import QUIET_ZONE

MM_PER_INCH = 25.4
#: Slack around an expected box, in mm: room for anti-aliased edges and rounding.
CROP_MARGIN_MM = 2.0

#: A grey raster (PIL mode L): PIL crops in C and zxing-cpp reads it directly, so
#: verification does not need numpy, a twentieth of a batch run just to import.
Pixels = Image.Image
# zxing-cpp 3's `QRCode` is a family that includes Micro QR and rMQR, which phone cameras
# do not read: only a full-size (model 2) symbol counts as found.
_FULL_SIZE_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2)


@dataclass(frozen=True)
class QrExpectation:
    """A QR code the PDF must carry: page (0-based), the symbol's box including its quiet
    zone in mm from the page's top-left (y down, after any rotation), and its payload."""

    page_index: int
    x: float
    y: float
    side: float
    payload: str
    #: The symbol's width in modules, quiet zone excluded (21 for version 1); 0: not known,
    #: bounded from the payload's length.
    modules: int = 0


#: Pixels a module for the first look at a code: 1.5 times FLOOR_PX_PER_MODULE, the lowest
#: at which every clean render in bench/bench_verify.py's sweep read back (720 codes:
#: versions 1-20, modules 0.5-1 mm, every quarter turn, fractional positions; and built
#: cards of every design, RGB and CMYK, portrait and landscape). At 1.75 pixels 15 missed,
#: at 1.5, 46. A miss costs a second look at 300 dpi, not a wrong verdict.
FAST_PX_PER_MODULE = 3.0
FLOOR_PX_PER_MODULE = 2.0

# Most ASCII characters a QR code of each version (1-40) holds at error correction H in
# byte mode: an upper bound on a payload's version whatever its level and segments.
_MAX_BYTES_AT_H = (7, 14, 24, 34, 44, 58, 64, 84, 98, 119, 137, 155, 177, 194, 220, 250,
                   280, 310, 338, 382, 403, 439, 461, 511, 535, 593, 625, 658, 698, 742,
                   790, 842, 898, 958, 983, 1051, 1093, 1139, 1219, 1273)


def max_modules(payload: str) -> int:
    """The widest symbol (modules, quiet zone excluded) cardgen can have made for `payload`,
    at any error correction: never fewer modules than the real code has."""
    length = len(payload.encode("ascii", errors="backslashreplace"))
    version = next((v for v, most in enumerate(_MAX_BYTES_AT_H, 1) if length <= most), 40)
    return 17 + 4 * version


def fast_dpi(want: QrExpectation, most: int = 300) -> int:
    """Resolution that gives the code at least FAST_PX_PER_MODULE pixels a module."""
    modules = (want.modules or max_modules(want.payload)) + 2 * QUIET_ZONE
    module_mm = want.side / modules if want.side > 0 else 0.0
    if module_mm <= 0:
        return most
    return min(most, math.ceil(FAST_PX_PER_MODULE * MM_PER_INCH / module_mm))


def _open(pdf: bytes | Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    except pdfium.PdfiumError as exc:
        raise VerificationError(
            f"the PDF to verify cannot be read: {exc}",
            fix="this is a bug in cardgen; report it with the input file",
        ) from exc


Region = tuple[float, float, float, float]


def _render(document: pdfium.PdfDocument, page_index: int, dpi: int,
            region: Region | None = None) -> tuple[Pixels, float, float]:
    """The page (or only `region` of it: left, top, right, bottom in mm from the media box's
    top-left) as an 8-bit grey raster, and where the rendered area starts on the page (mm
    from the media box's top-left), since pdfium renders the crop box."""
    page = document[page_index]
    try:
        return _render_page(page, dpi, region)
    finally:
        page.close()


def _render_page(page: pdfium.PdfPage, dpi: int,
                 region: Region | None = None) -> tuple[Pixels, float, float]:
    """_render of a page already loaded: loading parses the whole page's content, which
    costs more than rasterising one code's box, so a page is loaded once for all its codes."""
    to_mm = MM_PER_INCH / 72
    media_left, _, _, media_top = page.get_mediabox()
    crop_left, crop_bottom, crop_right, crop_top = page.get_cropbox()
    left, top = (crop_left - media_left) * to_mm, (media_top - crop_top) * to_mm
    cut = (0.0, 0.0, 0.0, 0.0)
    if region is not None:
        # A batch page often holds one code to check: rasterising only the box around
        # it is ten times cheaper than the whole sheet.
        width, height = crop_right - crop_left, crop_top - crop_bottom
        x0 = min(max(0.0, (region[0] - left) / to_mm), width)
        y0 = min(max(0.0, (region[1] - top) / to_mm), height)
        x1 = min(max(x0, (region[2] - left) / to_mm), width)
        y1 = min(max(y0, (region[3] - top) / to_mm), height)
        cut = (x0, height - y1, width - x1, y0)
        left, top = left + x0 * to_mm, top + y0 * to_mm
    bitmap = page.render(scale=dpi / 72, grayscale=True, crop=cut)
    pixels = bitmap.to_pil()
    if pixels.mode != "L":
        pixels = pixels.convert("L")
    return pixels, left, top


def _region(wanted: Sequence[QrExpectation]) -> Region:
    """The box around every expected code of one page, with room for the crop margin."""
    pad = CROP_MARGIN_MM + 1.0
    return (min(w.x for w in wanted) - pad, min(w.y for w in wanted) - pad,
            max(w.x + w.side for w in wanted) + pad, max(w.y + w.side for w in wanted) + pad)


def _decode(pixels: Pixels) -> list[zxingcpp.Barcode]:
    if pixels.width == 0 or pixels.height == 0:
        return []
    return list(zxingcpp.read_barcodes(pixels, formats=_FULL_SIZE_QR, try_invert=False))


def _crop(pixels: Pixels, left_mm: float, top_mm: float, side_mm: float, dpi: int,
          margin_mm: float) -> tuple[Pixels, int, int]:
    px = dpi / MM_PER_INCH
    width, height = pixels.size
    x0 = max(0, int((left_mm - margin_mm) * px))
    y0 = max(0, int((top_mm - margin_mm) * px))
    x1 = min(width, math.ceil((left_mm + side_mm + margin_mm) * px))
    y1 = min(height, math.ceil((top_mm + side_mm + margin_mm) * px))
    return pixels.crop((x0, y0, max(x0, x1), max(y0, y1))), x0, y0


def _centre(barcode: zxingcpp.Barcode) -> tuple[float, float]:
    pos = barcode.position
    corners = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
    return (sum(p.x for p in corners) / 4, sum(p.y for p in corners) / 4)


def _text(raw: bytes) -> str:
    return raw.decode("ascii", errors="backslashreplace")


def _check_one(pixels: Pixels, left_mm: float, top_mm: float, want: QrExpectation,
               dpi: int) -> str | None:
    """None when the box holds a code that decodes to exactly the payload, else why not."""
    crop, x0, y0 = _crop(pixels, left_mm, top_mm, want.side, dpi, CROP_MARGIN_MM)
    found = _decode(crop)
    where = (f"page {want.page_index + 1}, QR code at x={want.x:.1f} mm, y={want.y:.1f} mm "
             f"from the page's top-left ({want.side:.1f} mm wide)")
    if not found:
        return f"{where}: no QR code could be decoded there; expected {want.payload!r}"
    expected = want.payload.encode("ascii", errors="backslashreplace")
    if any(bytes(b.bytes) == expected for b in found):
        return None
    # Report the code nearest the box's centre: that is the one meant to be there.
    px = dpi / MM_PER_INCH
    cx, cy = (left_mm + want.side / 2) * px - x0, (top_mm + want.side / 2) * px - y0
    nearest = min(found, key=lambda b: (_centre(b)[0] - cx) ** 2 + (_centre(b)[1] - cy) ** 2)
    return (f"{where}: expected {want.payload!r} but it decodes to "
            f"{_text(bytes(nearest.bytes))!r}")


def _regions(wanted: Sequence[QrExpectation]) -> list[tuple[Region, list[QrExpectation]]]:
    """What to rasterise on one page: the box around all its codes, or, when they are spread
    over a sheet (ten codes on a 10-up page), each code's own box, a quarter of the area."""
    union = _region(wanted)
    boxes = [(_region([w]), [w]) for w in wanted]
    area = sum((r[2] - r[0]) * (r[3] - r[1]) for r, _ in boxes)
    if len(wanted) > 1 and area < 0.5 * (union[2] - union[0]) * (union[3] - union[1]):
        return boxes
    return [(union, list(wanted))]


def _reads_back(pixels: Pixels, left_mm: float, top_mm: float, want: QrExpectation,
                dpi: int) -> bool:
    """Whether the code's own box holds a code that decodes to exactly its payload."""
    crop, _, _ = _crop(pixels, left_mm, top_mm, want.side, dpi, CROP_MARGIN_MM)
    expected = want.payload.encode("ascii", errors="backslashreplace")
    return any(bytes(b.bytes) == expected for b in _decode(crop))


def _verify_pages(document: pdfium.PdfDocument, pages: Sequence[tuple[int, list[QrExpectation]]],
                  dpi: int) -> list[str]:
    failures: list[str] = []
    count = len(document)
    for page_index, wanted in pages:
        if not 0 <= page_index < count:
            failures.extend(
                f"page {w.page_index + 1}: expected a QR code for {w.payload!r}, but the "
                f"PDF has {count} page(s)" for w in wanted)
            continue
        page = document[page_index]
        try:
            for region, inside in _regions(wanted):
                # First look: few pixels a module, enough for a clean code to read back.
                fast = max(fast_dpi(w, dpi) for w in inside)
                again = list(inside)
                if fast < dpi:
                    pixels, off_x, off_y = _render_page(page, fast, region)
                    again = [w for w in inside
                             if not _reads_back(pixels, w.x - off_x, w.y - off_y, w, fast)]
                if not again:
                    continue
                # Second look, at full resolution: a code that fails here has failed.
                pixels, off_x, off_y = _render_page(page, dpi, region)
                for want in again:
                    failure = _check_one(pixels, want.x - off_x, want.y - off_y, want, dpi)
                    if failure:
                        failures.append(failure)
        finally:
            page.close()
    return failures


@dataclass
class _SharedPdf:
    """The PDF forked workers verify: handed to them by the fork instead of a copy with
    every task; each worker opens it once, on its first task."""

    pdf: bytes | Path
    document: pdfium.PdfDocument | None = None


def _worker_verify(shared: _SharedPdf, task: tuple[Sequence[tuple[int, list[QrExpectation]]],
                                                   int]) -> tuple[int, list[str]]:
    if shared.document is None:
        shared.document = _open(shared.pdf)
    pages, dpi = task
    return sum(len(w) for _, w in pages), _verify_pages(shared.document, pages, dpi)


#: Below this many pages to check, starting worker processes costs more than it saves.
PARALLEL_MIN_PAGES = 24


def _workers() -> int:
    return min(forked.cores(), 4)


def verify_pdf(pdf: bytes | Path, expectations: Sequence[QrExpectation], *, dpi: int = 300,
               progress: Callable[[int, int], None] | None = None,
               parallel: bool | None = None) -> None:
    """Checks that every expected QR code decodes to exactly its payload.

    Only pages with expectations are rendered, and of those only the area around the codes;
    progress(done, total) follows each page (each batch of pages when run in parallel).
    Long jobs are shared among forked worker processes, one per core (`parallel` None:
    when there are cores and pages enough). Raises VerificationError naming every failing
    code's page, position, expected and decoded text.
    """
    by_page: dict[int, list[QrExpectation]] = defaultdict(list)
    for want in expectations:
        by_page[want.page_index].append(want)
    pages = sorted(by_page.items())
    total = len(expectations)
    workers = _workers()
    if parallel is None:
        parallel = workers > 1 and len(pages) >= PARALLEL_MIN_PAGES and forked.available()
    failures: list[str] = []
    if not parallel:
        document = _open(pdf)
        try:
            done = 0
            for page in pages:
                failures += _verify_pages(document, [page], dpi)
                done += len(page[1])
                if progress:
                    progress(done, total)
        finally:
            document.close()
    else:
        _open(pdf).close()  # a PDF that cannot be read fails here, once, not in a worker
        size = max(4, min(32, len(pages) // (workers * 4) or 1))
        tasks = [(pages[i:i + size], dpi) for i in range(0, len(pages), size)]
        with forked.ordered_map(_worker_verify, tasks, workers=workers, chunk=1,
                                context=_SharedPdf(pdf)) as results:
            done = 0
            # in task order, so failures are listed in page order
            for checked, found in results:
                failures += found
                done += checked
                if progress:
                    progress(done, total)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise VerificationError(
            "a QR code in the rendered PDF does not read back to its payload" + more + ": "
            + "; ".join(failures),
            fix="do not print this PDF. Give the code more room (a bigger design or size) or "
            "use lower error correction; if that does not help, report it as a cardgen bug "
            "with the input file",
        )


def decode_all(pdf: bytes | Path, *, dpi: int = 300) -> list[list[str]]:
    """Every QR code's text on every page; within a page, top to bottom, then left to
    right (by the code's centre, to the nearest millimetre)."""
    px_per_mm = dpi / MM_PER_INCH
    document = _open(pdf)
    try:
        result: list[list[str]] = []
        for page_index in range(len(document)):
            pixels, _, _ = _render(document, page_index, dpi)
            found = sorted(
                _decode(pixels),
                key=lambda b: (round(_centre(b)[1] / px_per_mm), round(_centre(b)[0] / px_per_mm)),
            )
            result.append([_text(bytes(b.bytes)) for b in found])
        return result
    finally:
        document.close()


def render_page_png(pdf: bytes | Path, page_index: int, dpi: int, out: Path | BinaryIO
                    ) -> tuple[int, int]:
    """Writes one page as a PNG (colour, as printed) and returns its (width, height) in px."""
    document = _open(pdf)
    try:
        if not 0 <= page_index < len(document):
            raise VerificationError(
                f"page {page_index + 1} does not exist: the PDF has {len(document)} page(s)",
                fix="ask for a page that exists",
            )
        page = document[page_index]
        try:
            image: Image.Image = page.render(scale=dpi / 72).to_pil()
        finally:
            page.close()
    finally:
        document.close()
    # Fixed metadata so the same PDF gives the same PNG bytes.
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return image.size
