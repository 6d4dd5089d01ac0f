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

A clean decode is not a scan (RESEARCH.md "Verifying"): codes with 0.5 mm modules read
back here and in 0 % of simulated phone captures. So each distinct code geometry (an
expectation's `geometry`: version, module size, colours, place on the card) is also
photographed by `camera`: the printed card around one of its codes, CHECK_CAPTURES seeded
captures at the typical condition (tilt, blur, ink spread, uneven light, noise, JPEG), every
one of which must decode to the payload, else ScanError (CG620). Codes sharing a geometry
look the same to a camera, so a batch of a thousand tracked links is photographed once: the
code with the smallest modules of each geometry stands for it. The codes with the smallest
modules also get a margin: how much smaller a picture they still read in (`ScanReport`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

from cardgen import workers as forked
from cardgen.errors import VerificationError
from cardgen.pdf import camera
from cardgen.qr.encode import BYTE_CAPACITY, QUIET_ZONE, WARN_MODULE_MM

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
    #: Codes with the same key look alike to a camera (version, module size, colours, place
    #: on the card): one of them is photographed for all. None: decoded only, not
    #: photographed.
    geometry: Hashable | None = None
    #: The card around the code on the page (x, y, width, height in mm, after rotation):
    #: what a photograph of it shows besides the code. None: the code and 4 mm around it.
    card: tuple[float, float, float, float] | None = None
    #: What the code is, for messages ("the front of variant oakfield-primary").
    label: str = ""
    #: Its error-correction level, for messages ("" when not known).
    error_correction: str = ""

    @property
    def module_mm(self) -> float:
        """Printed module size (for a code of unknown width, a lower bound)."""
        return self.side / ((self.modules or max_modules(self.payload)) + 2 * QUIET_ZONE)


#: Pixels a module for the first look at a code: 1.5 times FLOOR_PX_PER_MODULE, the lowest
#: at which every clean render in bench/bench_verify.py's sweep read back (720 codes:
#: versions 1-20, modules 0.5-1 mm, every quarter turn, fractional positions; and built
#: cards of every design, RGB and CMYK, portrait and landscape). At 1.75 pixels 15 missed,
#: at 1.5, 46. A miss costs a second look at 300 dpi, not a wrong verdict.
FAST_PX_PER_MODULE = 3.0
FLOOR_PX_PER_MODULE = 2.0

# Most ASCII characters a QR code of each version (1-40) holds at error correction H in
# byte mode: an upper bound on a payload's version whatever its level and segments.
_MAX_BYTES_AT_H = BYTE_CAPACITY["H"]


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


#: What else is checked on a page while it is loaded for its codes (the face check,
#: faces_check.py): given the page's index and the loaded page, what it found wrong. Loading
#: a sheet costs more than rasterising a card on it, so the page is loaded once for both.
PageCheck = Callable[[int, pdfium.PdfPage], list[str]]


def _verify_pages(document: pdfium.PdfDocument, pages: Sequence[tuple[int, list[QrExpectation]]],
                  dpi: int, findings: list[str] | None = None,
                  page_check: PageCheck | None = None) -> list[str]:
    """The codes' failures; what `page_check` finds goes in `findings`."""
    failures: list[str] = []
    count = len(document)
    for page_index, wanted in pages:
        if not 0 <= page_index < count:
            failures.extend(
                f"page {w.page_index + 1}: expected a QR code for {w.payload!r}, but the "
                f"PDF has {count} page{'' if count == 1 else 's'}" for w in wanted)
            continue
        page = document[page_index]
        try:
            for region, inside in _regions(wanted) if wanted else ():
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
            if page_check is not None and findings is not None:
                findings += page_check(page_index, page)
        finally:
            page.close()
    return failures


@dataclass
class _SharedPdf:
    """The PDF forked workers verify and the page check of the run: handed to them by the
    fork instead of a copy with every task; each worker opens the PDF once, on its first
    task."""

    pdf: bytes | Path
    page_check: PageCheck | None
    document: pdfium.PdfDocument | None = None


def _worker_verify(shared: _SharedPdf, task: tuple[Sequence[tuple[int, list[QrExpectation]]],
                                                   int]) -> tuple[int, list[str], list[str]]:
    if shared.document is None:
        shared.document = _open(shared.pdf)
    pages, dpi = task
    findings: list[str] = []
    failures = _verify_pages(shared.document, pages, dpi, findings, shared.page_check)
    return sum(len(w) for _, w in pages), failures, findings


#: Below this many pages to check, starting worker processes costs more than it saves.
PARALLEL_MIN_PAGES = 24


def _workers() -> int:
    return min(forked.cores(), 4)


class ScanError(VerificationError):
    """A code decodes from a clean render but not from every simulated phone capture."""

    code = "CG620"


#: Card around a code that its photograph shows, mm on every side (within the card).
CAMERA_MARGIN_MM = 4.0
#: How many of the photographed codes (those with the smallest modules) get a margin.
MARGIN_CODES = 1


@dataclass(frozen=True)
class ScanReport:
    """What the camera check saw: how many distinct code geometries were photographed, and
    the weakest of those whose margin was measured, with its verdict."""

    geometries: int = 0
    weakest: QrExpectation | None = None
    verdict: camera.CameraVerdict | None = None

    def weakness(self) -> tuple[float, float]:
        """Orders reports: the bigger the picture the weakest code needs, the weaker; then
        the smaller its modules."""
        if self.weakest is None or self.verdict is None:
            return (0.0, 0.0)
        return (self.verdict.smallest_px or 0.0, -self.weakest.module_mm)

    def summary(self) -> str:
        """One line for the build's summary ("" when nothing was photographed)."""
        if self.weakest is None or self.verdict is None:
            return ""
        want, verdict = self.weakest, self.verdict
        level = f", {want.error_correction}" if want.error_correction else ""
        version = f"version {(want.modules - 17) // 4}{level}, " if want.modules else ""
        typical = camera.TYPICAL.card_px
        if verdict.smallest_px is not None and verdict.smallest_px < typical:
            margin = (f"has a {verdict.margin:.0%} margin: it still reads with the card "
                      f"{verdict.smallest_px:.0f} px across instead of {typical:.0f}")
        else:
            margin = "has no margin: with the card any smaller in the picture it fails"
        shapes = f"{self.geometries} code shape{'s' if self.geometries != 1 else ''}"
        return (f"{shapes} photographed; the weakest ({version}{want.module_mm:.2f} mm "
                f"modules) read in {verdict.decoded} of {verdict.captures} simulated phone "
                f"captures and {margin}")


def _photographed(page: pdfium.PdfPage, want: QrExpectation, margin: bool
                  ) -> camera.CameraVerdict:
    """`want`'s code and the card around it, rendered as printed and put through the
    camera check."""
    pad = CAMERA_MARGIN_MM
    left, top = want.x - pad, want.y - pad
    right, bottom = want.x + want.side + pad, want.y + want.side + pad
    if want.card is not None:
        cx, cy, cw, ch = want.card
        left, top = max(left, cx), max(top, cy)
        right, bottom = min(right, cx + cw), min(bottom, cy + ch)
    dpi = round(camera.PRINT_PX_PER_MM * MM_PER_INCH)
    pixels, off_x, off_y = _render_page(page, dpi, (left, top, right, bottom))
    px = dpi / MM_PER_INCH
    box = ((want.x - off_x) * px, (want.y - off_y) * px, want.side * px)
    expected = want.payload.encode("ascii", errors="backslashreplace")

    def decodes(picture: Image.Image) -> bool:
        return any(bytes(b.bytes) == expected for b in zxingcpp.read_barcodes(
            picture, formats=_FULL_SIZE_QR, try_invert=False))

    return camera.camera_check(pixels, box, decodes, margin=margin,
                               close=want.module_mm < WARN_MODULE_MM)


def _camera_checks(pdf: bytes | Path, expectations: Sequence[QrExpectation],
                   photographed: set[Hashable]) -> ScanReport:
    """The camera check of one code of each geometry not in `photographed` (which gets
    them); raises ScanError naming every code that failed. The codes with the smallest
    modules get a margin."""
    groups: dict[Hashable, list[QrExpectation]] = defaultdict(list)
    for want in expectations:
        if want.geometry is not None and want.geometry not in photographed:
            groups[want.geometry].append(want)
    photographed.update(groups)
    if not groups:
        return ScanReport()
    # The smallest modules of each geometry stand for it; smallest first.
    chosen = sorted((min(group, key=lambda w: w.module_mm) for group in groups.values()),
                    key=lambda w: (w.module_mm, w.page_index, w.y, w.x))
    verdicts: list[tuple[QrExpectation, camera.CameraVerdict]] = []
    document = _open(pdf)
    try:
        for number, want in enumerate(chosen):
            page = document[want.page_index]
            try:
                verdicts.append((want, _photographed(page, want, number < MARGIN_CODES)))
            finally:
                page.close()
    finally:
        document.close()
    failed = [(w, v) for w, v in verdicts if not v.passed]
    if failed:
        raise _scan_error(failed)
    measured = [ScanReport(len(groups), w, v) for w, v in verdicts
                if v.smallest_px is not None]
    return max(measured, key=ScanReport.weakness)


def _scan_error(failed: Sequence[tuple[QrExpectation, camera.CameraVerdict]]) -> ScanError:
    typical = camera.TYPICAL
    condition = (f"{typical.tilt_deg:.0f}° tilt, {typical.blur_mm} mm blur, ink spread "
                 f"+{typical.ink_spread_mm} mm, {typical.gradient:.0%} light gradient, noise, "
                 f"JPEG {typical.jpeg_quality}, the card {typical.card_px:.0f} px across")
    described = []
    for want, verdict in failed:
        version = (want.modules - 17) // 4 if want.modules else 0
        what = want.label or f"the QR code on page {want.page_index + 1}"
        level = f" at error correction {want.error_correction}" if want.error_correction else ""
        described.append(
            f"{what} (page {want.page_index + 1}, x={want.x:.1f} mm, y={want.y:.1f} mm; "
            + (f"version {version}{level}, " if version else "")
            + f"{want.module_mm:.2f} mm modules) read in only {verdict.decoded} of the first "
            f"{verdict.tried} of {verdict.captures} captures, where it may miss "
            f"{verdict.misses}")
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return ScanError(
        "a QR code that decodes from a clean render fails in simulated phone captures of "
        f"the printed card ({condition}){more}: " + "; ".join(described),
        fix="do not print this PDF; give the code bigger modules. In order of what helps: a "
        "shorter link; `tracking: {param: b}` instead of UTM tags; a design or card size with "
        "a bigger code; a lower card.qr_error_correction. Print dark on light paper.")


def verify_pdf(pdf: bytes | Path, expectations: Sequence[QrExpectation], *, dpi: int = 300,
               progress: Callable[[int, int], None] | None = None,
               parallel: bool | None = None, page_check: PageCheck | None = None,
               check_pages: Iterable[int] = (),
               camera_log: CameraLog | None = None) -> list[str]:
    """Checks that every expected QR code decodes to exactly its payload, and (with
    `camera_log`) that one code of each geometry reads in simulated phone captures.

    Only pages with expectations are rendered, and of those only the area around the codes;
    progress(done, total) follows each page (each batch of pages when run in parallel).
    Long jobs are shared among forked worker processes, one per core (`parallel` None:
    when there are cores and pages enough). Raises VerificationError naming every failing
    code's page, position, expected and decoded text.

    With `camera_log`, the camera check (see the module's docstring) photographs each
    geometry it has not seen in this build, while the workers decode pages; raises ScanError
    (CG620) naming every code that failed it, once the clean decode has passed, and adds
    its report to the log.

    `page_check`, when given, also runs on each page of `check_pages` (and on each page with
    codes) while it is loaded; what it finds is returned, in page order, for the caller to
    judge.
    """
    findings: list[str] = []
    by_page: dict[int, list[QrExpectation]] = defaultdict(list)
    for want in expectations:
        by_page[want.page_index].append(want)
    for page_index in check_pages if page_check is not None else ():
        by_page.setdefault(page_index, [])
    pages = sorted(by_page.items())
    total = len(expectations)
    workers = _workers()
    if parallel is None:
        parallel = workers > 1 and len(pages) >= PARALLEL_MIN_PAGES and forked.available()
    failures: list[str] = []
    scan: ScanReport | ScanError | None = None
    if not parallel:
        document = _open(pdf)
        try:
            done = 0
            for page in pages:
                failures += _verify_pages(document, [page], dpi, findings, page_check)
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
                                context=_SharedPdf(pdf, page_check)) as results:
            done = 0
            # in task order, so failures are listed in page order
            for checked, found, seen in results:
                failures += found
                findings += seen
                done += checked
                if progress:
                    progress(done, total)
                if scan is None:
                    # The first result in, the workers hold the next pages: the camera
                    # check runs here meanwhile.
                    scan = _scanned(pdf, expectations, camera_log)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise VerificationError(
            "a QR code in the rendered PDF does not read back to its payload" + more + ": "
            + "; ".join(failures),
            fix="do not print this PDF. Give the code more room (a bigger design or size) or "
            "use lower error correction; if that does not help, report it as a cardgen bug "
            "with the input file",
        )
    if scan is None:
        scan = _scanned(pdf, expectations, camera_log)
    if isinstance(scan, ScanError):
        raise scan
    if camera_log is not None:
        camera_log.reports.append(scan)
    return findings


def _scanned(pdf: bytes | Path, expectations: Sequence[QrExpectation],
             camera_log: CameraLog | None) -> ScanReport | ScanError:
    """The camera check's report, or its error (raised once the clean decode has had its
    say: a code that does not even decode cleanly is the bigger news)."""
    if camera_log is None:
        return ScanReport()
    try:
        return _camera_checks(pdf, expectations, camera_log.photographed)
    except ScanError as exc:
        return exc


@dataclass
class CameraLog:
    """The camera check over one build's PDFs: the geometries photographed (each once in a
    build) and each PDF's report."""

    photographed: set[Hashable] = field(default_factory=set)
    reports: list[ScanReport] = field(default_factory=list)

    def weakest(self) -> ScanReport:
        """The reports as one: every geometry counted, the weakest code kept."""
        measured = [r for r in self.reports if r.weakest is not None and r.verdict is not None]
        geometries = sum(r.geometries for r in self.reports)
        if not measured:
            return ScanReport(geometries)
        weakest = max(measured, key=ScanReport.weakness)
        return ScanReport(geometries, weakest.weakest, weakest.verdict)


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
                f"page {page_index + 1} does not exist: the PDF has {len(document)} "
                f"page{'' if len(document) == 1 else 's'}",
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
