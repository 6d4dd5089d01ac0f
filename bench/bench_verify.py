"""Verification speed and the pixels-a-module floor of its fast first look.

Three parts, each printing figures, asserting nothing (not run in CI):
  floor     clean codes (versions 1-20, modules 0.5-1 mm, every quarter turn, fractional
            positions), drawn as cardgen draws them, rasterised at a given number of pixels
            a module and decoded: how many read back exactly at each candidate. The fast look
            (verify.FAST_PX_PER_MODULE) must sit above the lowest candidate with no misses.
  pipeline  the same count on real built PDFs: every design (classic, discreet, qr-only),
            RGB and CMYK, portrait and landscape cards on the A4 10-up sheet.
  speed     verify_pdf against the old method (every code at 300 dpi, the page loaded for
            each region rasterised) in the same process, on A4 10-up pages of distinct
            22 mm codes and, with --job CAMPAIGN.yaml, on a real campaign (e.g. job a of
            bench_batch.py --keep): ms a code and the ratio old / new, serial and with
            worker processes.

Run: /tmp/venv/bin/python bench/bench_verify.py [--pages N] [--job CAMPAIGN.yaml] [--skip-floor]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from cardgen.pdf import verify
from cardgen.pdf.verify import MM_PER_INCH, QrExpectation, verify_pdf
from cardgen.qr.encode import QUIET_ZONE, encode

PT = 72 / 25.4
ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = (1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5)


def draw(canvas: Canvas, page_h: float, x: float, y: float, side: float, payload: str,
         turns: int = 0) -> None:
    """A code as render.py draws it: one non-zero path of runs, y down, turned about its
    centre by `turns` quarter turns."""
    code = encode(payload)
    module = side * PT / code.modules_with_quiet_zone
    canvas.saveState()
    canvas.translate((x + side / 2) * PT, page_h - (y + side / 2) * PT)
    canvas.rotate(90 * turns)
    canvas.translate(-side / 2 * PT, side / 2 * PT)
    canvas.scale(module, -module)
    path = canvas.beginPath()
    for row, col, length in code.dark_runs():
        path.rect(col + QUIET_ZONE, row + QUIET_ZONE, length, 1)
    canvas.drawPath(path, stroke=0, fill=1, fillMode=0)
    canvas.restoreState()


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
            draw(canvas, A4[1], x, y, 22, payload)
            wanted.append(QrExpectation(page, x, y, 22, payload, encode(payload).size))
        canvas.showPage()
    canvas.save()
    return out.getvalue(), wanted


def payloads_by_version(versions: range, each: int, rng: random.Random) -> list[str]:
    """`each` distinct payloads of every version in `versions` (at error correction M)."""
    found: dict[int, list[str]] = {v: [] for v in versions}
    length = 10
    while any(len(p) < each for p in found.values()) and length < 700:
        tail = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(length))
        payload = f"https://www.nspcc.org.uk/?b={tail}"
        version = (encode(payload).size - 17) // 4
        if version in found and len(found[version]) < each:
            found[version].append(payload)
        else:
            length += 3
    return [p for v in versions for p in found[v]]


def synthetic(rng: random.Random) -> tuple[bytes, list[QrExpectation]]:
    """One clean code a page, its page just bigger than it, at a fractional position."""
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    wanted: list[QrExpectation] = []
    page = 0
    for payload in payloads_by_version(range(1, 21), 2, rng):
        modules = encode(payload).size
        for module_mm in (0.5, 0.6, 0.7, 0.85, 1.0):
            for turns in range(4):
                side = module_mm * (modules + 2 * QUIET_ZONE)
                x, y = 8 + rng.random(), 8 + rng.random()
                height = side + 17
                canvas.setPageSize((height * PT, height * PT))
                draw(canvas, height * PT, x, y, side, payload, turns)
                canvas.showPage()
                wanted.append(QrExpectation(page, x, y, side, payload, modules))
                page += 1
    canvas.save()
    return out.getvalue(), wanted


def misses_at(pdf: bytes | Path, wanted: Sequence[QrExpectation], px_per_module: float
              ) -> int:
    """How many codes do not read back when rasterised with `px_per_module` (rounded down
    to a whole dpi, so never more than asked)."""
    document = verify._open(pdf)
    missed = 0
    try:
        for want in wanted:
            modules = (want.modules or verify.max_modules(want.payload)) + 2 * QUIET_ZONE
            dpi = int(px_per_module * MM_PER_INCH * modules / want.side)
            page = document[want.page_index]
            try:
                pixels, left, top = verify._render_page(page, dpi, verify._region([want]))
            finally:
                page.close()
            missed += not verify._reads_back(pixels, want.x - left, want.y - top, want, dpi)
    finally:
        document.close()
    return missed


def sweep(name: str, pdf: bytes | Path, wanted: Sequence[QrExpectation]) -> None:
    counts = ", ".join(f"{ppm}: {misses_at(pdf, wanted, ppm)}" for ppm in CANDIDATES)
    print(f"{name}, {len(wanted)} codes; misses by pixels a module: {counts}")


def capture(campaign: Path) -> list[tuple[Path, list[QrExpectation]]]:
    """Builds `campaign` and keeps each PDF and its expectations as build.py hands them to
    verify_pdf, with module counts (at error correction M, the default) if it gave none."""
    from cardgen import pipeline as build

    kept: list[tuple[Path, list[QrExpectation]]] = []
    original = verify.verify_pdf
    folder = Path(tempfile.mkdtemp(prefix="bench-verify-"))

    def keep(pdf: bytes | Path, wanted: Sequence[QrExpectation], **_: object) -> None:
        path = folder / f"{len(kept)}.pdf"
        path.write_bytes(pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes())
        kept.append((path, [QrExpectation(w.page_index, w.x, w.y, w.side, w.payload,
                                          w.modules or encode(w.payload).size)
                            for w in wanted]))

    verify.verify_pdf = keep  # type: ignore[assignment]
    try:
        build.build_campaign(campaign, build.BuildOptions(output_dir=folder / "out"))
    finally:
        verify.verify_pdf = original
    return kept


def pipeline() -> None:
    example = (ROOT / "examples" / "neglect-matters.yaml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        for design in ("classic", "discreet", "qr-only"):
            for colour in ("rgb", "cmyk"):
                for orientation in ("portrait", "landscape"):
                    for sheet_name in ("a4-10up",):
                        text = (example.replace("design: discreet", f"design: {design}")
                                .replace("orientation: portrait", f"orientation: {orientation}")
                                .replace("sheet: a4-10up", f"sheet: {sheet_name}\n  colour: "
                                         f"{colour}"))
                        path = Path(tmp) / f"{design}-{colour}-{orientation}-{sheet_name}.yaml"
                        path.write_text(text, encoding="utf-8")
                        try:
                            jobs = capture(path)
                        except Exception as exc:  # a combination the product refuses
                            print(f"{path.stem}: not built ({type(exc).__name__})")
                            continue
                        for pdf, wanted in jobs:
                            sweep(path.stem, pdf, wanted)


def old_verify(pdf: bytes | Path, wanted: Sequence[QrExpectation]) -> None:
    """The method before the fast look, serial (kept here as the baseline): each page's
    regions (verify._regions: the box around all its codes, or each code's own box) rendered
    at 300 dpi, the page loaded again for each region, every code decoded there."""
    by_page: dict[int, list[QrExpectation]] = {}
    for want in wanted:
        by_page.setdefault(want.page_index, []).append(want)
    document = verify._open(pdf)
    try:
        for page_index, inside_page in sorted(by_page.items()):
            for region, inside in verify._regions(inside_page):
                pixels, left, top = verify._render(document, page_index, 300, region)
                for want in inside:
                    assert verify._check_one(pixels, want.x - left, want.y - top, want,
                                             300) is None
    finally:
        document.close()


def median_of(runs: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def speed(name: str, pdf: bytes | Path, wanted: list[QrExpectation]) -> None:
    count = len(wanted)
    old = median_of(3, lambda: old_verify(pdf, wanted))
    serial = median_of(3, lambda: verify_pdf(pdf, wanted, parallel=False))
    default = median_of(3, lambda: verify_pdf(pdf, wanted))
    unknown = [QrExpectation(w.page_index, w.x, w.y, w.side, w.payload) for w in wanted]
    bounded = median_of(3, lambda: verify_pdf(pdf, unknown))
    print(f"{name}, {count} codes (median of 3): old method, serial, {old * 1000 / count:.2f} "
          f"ms a code ({old:.3f} s); verify_pdf serial {serial * 1000 / count:.2f} ms "
          f"({old / serial:.1f}x faster), default {default * 1000 / count:.2f} ms "
          f"({old / default:.1f}x, {default:.3f} s), default without module counts "
          f"{bounded * 1000 / count:.2f} ms ({old / bounded:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30, help="A4 10-up pages for speed")
    parser.add_argument("--job", type=Path, help="also time a real campaign's verification")
    parser.add_argument("--skip-floor", action="store_true", help="speed only")
    args = parser.parse_args()
    if not args.skip_floor:
        pdf, wanted = synthetic(random.Random(8))
        sweep("floor: clean synthetic codes", pdf, wanted)
        pipeline()
        print(f"fast look now at {verify.FAST_PX_PER_MODULE} pixels a module (floor recorded "
              f"in verify.py: {verify.FLOOR_PX_PER_MODULE})")
    speed(f"A4 10-up, {args.pages} pages", *sheet(args.pages))
    if args.job:
        for pdf, wanted in capture(args.job.resolve()):
            speed(args.job.name, pdf, wanted)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
