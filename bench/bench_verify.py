"""Where verification time goes, per A4 10-up page: rasterising vs decoding, and cropped
per-code decoding (what verify_pdf does) vs decoding the whole page (what decode_all does).

Prints ratios, asserts nothing. Run: /tmp/venv/bin/python bench/bench_verify.py [pages]
The test PDF is drawn with reportlab directly (as tests/test_verify.py does) so the bench
does not depend on the rest of the build.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from functools import partial

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from cardgen import verify
from cardgen.qr import encode
from cardgen.verify import QrExpectation, decode_all, verify_pdf

PT = 72 / 25.4


def sheet(pages: int) -> tuple[bytes, list[QrExpectation]]:
    """A4 pages of 10 cards (2 x 5, 85 x 55 mm), each with a distinct 22 mm tracked link."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    wanted: list[QrExpectation] = []
    for page in range(pages):
        for slot in range(10):
            x = 20 + (slot % 2) * 85 + 58
            y = 11 + (slot // 2) * 55 + 16
            payload = f"https://www.nspcc.org.uk/neglect/?b=s{page:03d}{slot}"
            code = encode(payload)
            module = 22 * PT / code.modules_with_quiet_zone
            canvas.saveState()
            canvas.translate(x * PT, A4[1] - y * PT)
            canvas.scale(module, -module)
            path = canvas.beginPath()
            for row, col, length in code.dark_runs():
                path.rect(col + 4, row + 4, length, 1)
            canvas.drawPath(path, stroke=0, fill=1, fillMode=0)
            canvas.restoreState()
            wanted.append(QrExpectation(page, x, y, 22, payload))
        canvas.showPage()
    canvas.save()
    return out.getvalue(), wanted


def map_decode(crops: list[verify.Pixels]) -> object:
    return [verify._decode(c) for c in crops]


def best_of(runs: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pdf, wanted = sheet(pages)
    document = verify._open(pdf)
    try:
        for dpi in (150, 300):
            render = best_of(3, partial(verify._render, document, 0, dpi))
            pixels, _, _ = verify._render(document, 0, dpi)
            whole = best_of(3, partial(verify._decode, pixels))
            crops = [verify._crop(pixels, w.x, w.y, w.side, dpi, verify.CROP_MARGIN_MM)[0]
                     for w in wanted[:10]]
            cropped = best_of(3, partial(map_decode, crops))
            print(f"{dpi} dpi, one page: render {render * 1000:.1f} ms, decode 10 crops "
                  f"{cropped * 1000:.1f} ms ({cropped / render:.2f}x render), decode whole "
                  f"page {whole * 1000:.1f} ms ({whole / cropped:.2f}x the crops)")
    finally:
        document.close()
    for dpi in (150, 300):
        full = best_of(2, partial(verify_pdf, pdf, wanted, dpi=dpi))
        print(f"verify_pdf at {dpi} dpi: {full / pages * 1000:.1f} ms a page "
              f"({len(wanted)} codes, {pages} pages)")
    every = best_of(2, lambda: decode_all(pdf))
    print(f"decode_all at 300 dpi: {every / pages * 1000:.1f} ms a page")
    only_first = best_of(2, lambda: verify_pdf(pdf, wanted[:10]))
    print(f"verify_pdf of one page out of {pages}: {only_first * 1000:.1f} ms "
          f"(ratio to all pages {only_first / best_of(1, lambda: verify_pdf(pdf, wanted)):.2f})")


if __name__ == "__main__":
    main()
