"""Will it scan? Printed QR codes decoded from simulated phone captures, by module size.

A clean render always decodes; a phone meets ink spread, blur, tilt, uneven light, noise and
JPEG. Each code here is drawn as cardgen draws it (one path of rectangles in a PDF),
rasterised by PDFium at 20 px a mm, then printed and photographed by cardgen's simulation
(cardgen.pdf.camera; seeded, so a run repeats) under two conditions:

  typical  ink spread +0.05 mm an edge, defocus blur sigma 0.2 mm on the card, 20 deg tilt,
           the card 500 px across 85 mm, a 30 % light gradient, sensor noise, JPEG q70
  harsh    ink +0.10 mm, blur 0.3 mm, 30 deg, 400 px, a glare spot, noise, JPEG q70

and decoded by zxing-cpp (what cardgen verifies with) and zbar (pyzbar, `pip install -e
'.[bench]'`, and Debian's libzbar0; left out, and said so, when missing). The bench's
captures use other seeds than cardgen's own camera check, so part 3 measures that check
against captures it has never seen.

Parts (printed as Markdown tables; asserts nothing; not run in CI):
  sizes   decode rate by module size for four payloads (a tel: number, a link with ?b=, the
          same link with UTM tags, a long link), error correction M, typical and harsh
  levels  error correction at a fixed printed side: L, M, Q and H, module size and rate
  check   cardgen's camera check (verify_pdf on a one-code PDF) near the floor: how many
          codes it accepts, and the lowest rate of an accepted one in other typical
          captures (the bar: a code cardgen accepts reads in at least 95 % of them)

Run: python bench/bench_scan.py [--full] [--captures N] [--parts sizes,levels,check]
Default: 12 captures a cell (40 for part 3's rates) and seven module sizes, about a minute
of CPU; --full: 100 captures a cell, ten sizes, twice the codes in part 3 (a few minutes).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from cardgen.pdf import camera
from cardgen.pdf.verify import CameraLog, QrExpectation, ScanError, verify_pdf
from cardgen.qr.encode import QUIET_ZONE, QrCode, choose_level, encode

PT = 72 / 25.4
HUB = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/"


def payloads(code: str) -> dict[str, str]:
    """The four kinds of payload, tracked links carrying batch code `code`."""
    return {
        "tel:": "tel:+448088005000",
        "?b= link": f"{HUB}?b={code}",
        "UTM link": f"{HUB}?utm_source={code}&utm_medium=card&utm_campaign=neglect-matters",
        "long link": (f"{HUB}?utm_source={code}-oakfield-primary-school-hertfordshire&utm_medium="
                      "printed-card&utm_campaign=neglect-matters-autumn-2026&utm_content="
                      "back-of-card-qr-code&utm_term=worried-about-a-child-talk-to-someone"
                      "&ref=county-safeguarding-partnership"),
    }


PAYLOADS = payloads("s0001")
#: Seeds of the bench's captures: far from cardgen's own (0, 1, 2, ...).
SEED_BASE = 1_000_000
_FULL_SIZE_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2)


@dataclass(frozen=True)
class Cell:
    """Captures of one code at one module size under one condition, and how many decoded."""

    zxing: int
    zbar: int | None
    captures: int

    def rate(self, decoder: str) -> float | None:
        count = self.zxing if decoder == "zxing" else self.zbar
        return None if count is None else count / self.captures


def one_code_pdf(code: QrCode, module_mm: float, margin_mm: float = 4.0
                 ) -> tuple[bytes, QrExpectation]:
    """A page holding the code as cardgen draws it, `module_mm` a module, `margin_mm` of
    white paper around its quiet zone; and what verification expects of it (a geometry of
    its own, so the camera check photographs it)."""
    side = code.modules_with_quiet_zone * module_mm
    page = side + 2 * margin_mm
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page * PT, page * PT), invariant=1)
    module = module_mm * PT
    left = (margin_mm + QUIET_ZONE * module_mm) * PT
    top = (page - margin_mm - QUIET_ZONE * module_mm) * PT
    canvas._code.append(f"q 0 g {module:.5f} 0 0 {-module:.5f} {left:.5f} {top:.5f} cm\n"
                        f"{code.path}\nf Q")
    canvas.showPage()
    canvas.save()
    want = QrExpectation(0, margin_mm, margin_mm, side, code.payload, code.size,
                         geometry=(code.payload, module_mm), card=(0.0, 0.0, page, page),
                         error_correction=code.error_correction)
    return out.getvalue(), want


def printed_raster(code: QrCode, module_mm: float) -> tuple[Image.Image,
                                                           tuple[float, float, float]]:
    """The page of `one_code_pdf` rasterised at camera.PRINT_PX_PER_MM, as verification
    renders it, and the code's box in it (px)."""
    pdf, want = one_code_pdf(code, module_mm)
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        raster = page.render(scale=camera.PRINT_PX_PER_MM * 25.4 / 72,
                             grayscale=True).to_pil().convert("L")
        page.close()
    finally:
        document.close()
    px = camera.PRINT_PX_PER_MM
    return raster, (want.x * px, want.y * px, want.side * px)


def zbar_decoder() -> Callable[[Image.Image], list[bytes]] | None:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError):  # the package, or Debian's libzbar0, is missing
        return None

    def decode(image: Image.Image) -> list[bytes]:
        return [d.data for d in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])]

    return decode


def zxing_decode(image: Image.Image) -> list[bytes]:
    return [bytes(b.bytes) for b in zxingcpp.read_barcodes(image, formats=_FULL_SIZE_QR)]


ZBAR = zbar_decoder()


@cache
def cell(payload: str, level: str, module_mm: float, condition: camera.Condition,
         captures: int) -> Cell:
    raster, box = printed_raster(encode(payload, level), module_mm)
    source = camera.printed(raster, box, condition)
    want = payload.encode("ascii")
    zx = 0
    zb: int | None = 0 if ZBAR else None
    for i in range(captures):
        picture = camera.capture(source, SEED_BASE + i)
        zx += want in zxing_decode(picture)
        if ZBAR is not None and zb is not None:
            zb += want in ZBAR(picture)
    return Cell(zx, zb, captures)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def verdict(module_mm: float) -> str:
    if module_mm < 0.6 - 1e-9:
        return "error (CG401)"
    if module_mm < 0.8 - 1e-9:
        return "warning (CG402)"
    return "accepted"


def sizes(module_sizes: Sequence[float], captures: int) -> None:
    names = list(PAYLOADS)
    versions = ", ".join(f"{n} v{encode(PAYLOADS[n], 'M').version}" for n in names)
    for condition in (camera.TYPICAL, camera.HARSH):
        print(f"\n### {condition.name} captures, error correction M ({versions}); "
              f"{captures} captures a cell, zxing-cpp / zbar\n")
        print("| module | " + " | ".join(names) + " | zxing-cpp, all | zbar, all | cardgen |")
        print("|---|" + "---|" * (len(names) + 3))
        for module in module_sizes:
            cells = [cell(PAYLOADS[n], "M", module, condition, captures) for n in names]
            texts = [f"{percent(c.rate('zxing'))} / {percent(c.rate('zbar'))}" for c in cells]
            zx = [c.zxing / c.captures for c in cells]
            zb = [r for c in cells if (r := c.rate("zbar")) is not None]
            zbar_text = f"{min(zb):.0%}–{max(zb):.0%}" if zb else "–"
            print(f"| {module:.2f} mm | " + " | ".join(texts)
                  + f" | {min(zx):.0%}–{max(zx):.0%} | {zbar_text} | {verdict(module)} |")
        sys.stdout.flush()


#: (payload, printed side in mm, quiet zone included) for the error-correction comparison:
#: sides where M gives modules a little over 0.8 mm, as on a card, and one with more room.
LEVEL_CASES = (("tel:", 24.0), ("tel:", 30.0), ("?b= link", 36.0), ("?b= link", 48.0),
               ("UTM link", 48.0))


def levels(captures: int) -> None:
    print(f"\n### error correction at a fixed printed side ({captures} captures a cell, "
          "zxing-cpp)\n")
    print("| payload | side | level | version | module | typical | harsh | cardgen picks |")
    print("|---|---|---|---|---|---|---|---|")
    for name, side in LEVEL_CASES:
        chosen = choose_level(PAYLOADS[name], side)
        for level in "LMQH":
            code = encode(PAYLOADS[name], level)
            module = round(side / code.modules_with_quiet_zone, 4)
            typical = cell(PAYLOADS[name], level, module, camera.TYPICAL, captures)
            harsh = cell(PAYLOADS[name], level, module, camera.HARSH, captures)
            print(f"| {name} | {side:.0f} mm | {level} | {code.version} | {module:.2f} mm | "
                  f"{percent(typical.rate('zxing'))} | {percent(harsh.rate('zxing'))} | "
                  f"{'yes' if level == chosen else ''} |")
        sys.stdout.flush()


def accepted(code: QrCode, module_mm: float) -> bool:
    """Whether cardgen's camera check passes the code printed at `module_mm`."""
    pdf, want = one_code_pdf(code, module_mm)
    try:
        verify_pdf(pdf, [want], camera_log=CameraLog())
    except ScanError:
        return False
    return True


def check(captures: int, full: bool) -> None:
    independent = max(captures, 40)
    steps = [round(0.60 + 0.01 * i, 2) for i in range(0, 21 if full else 11, 1 if full else 2)]
    batch_codes = ("s0001", "k7", "oak-3", "x99") if full else ("s0001", "k7")
    codes = [encode(p, "M") for c in batch_codes for p in payloads(c).values()]
    codes = list({c.payload: c for c in codes}.values())  # tel: is the same for every code
    print(f"\n### cardgen's camera check ({camera.CHECK_CAPTURES} captures that must all "
          f"decode; under 0.8 mm the first {camera.CLOSE_FIRST}, or all but "
          f"{camera.CLOSE_MISSES} of {camera.CLOSE_CAPTURES}) against {independent} other "
          f"typical captures, zxing-cpp, {len(codes)} codes a size\n")
    print("| module | accepted | lowest rate of an accepted code | rejected though 95 % or "
          "more elsewhere |")
    print("|---|---|---|---|")
    lowest_overall = 1.0
    for module in steps:
        rates_accepted: list[float] = []
        good_rejected = 0
        for code in codes:
            rate = cell(code.payload, "M", module, camera.TYPICAL,
                        independent).rate("zxing") or 0.0
            if accepted(code, module):
                rates_accepted.append(rate)
            elif rate >= 0.95:
                good_rejected += 1
        lowest = f"{min(rates_accepted):.0%}" if rates_accepted else "–"
        lowest_overall = min([lowest_overall, *rates_accepted])
        print(f"| {module:.2f} mm | {len(rates_accepted)} of {len(codes)} | {lowest} | "
              f"{good_rejected} |")
        sys.stdout.flush()
    print(f"\nLowest rate of any code the check accepted: {lowest_overall:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="100 captures a cell, more sizes and codes (a few minutes)")
    parser.add_argument("--captures", type=int, help="captures a cell")
    parser.add_argument("--parts", default="sizes,levels,check",
                        help="comma-separated: sizes, levels, check")
    args = parser.parse_args()
    captures = args.captures or (100 if args.full else 12)
    module_sizes = ((0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.90, 1.00) if args.full
                    else (0.50, 0.55, 0.60, 0.65, 0.70, 0.80, 1.00))
    parts = set(args.parts.split(","))
    started = time.process_time()
    missing = "not installed (pip install -e '.[bench]'; apt-get install libzbar0)"
    print(f"zbar: {'pyzbar' if ZBAR else missing}")
    if "sizes" in parts:
        sizes(module_sizes, captures)
    if "levels" in parts:
        levels(captures)
    if "check" in parts:
        check(captures, args.full)
    print(f"\n{time.process_time() - started:.0f} s of CPU")


if __name__ == "__main__":
    main()
