"""Memory and time of a build as the number of cards grows: 1,000 vs 10,000 cards.

A 10,000-card campaign must not need ten times the memory of a 1,000-card one: each card
face is drawn once (a Form XObject) and every sheet only places it. Prints the peak Python
allocation (tracemalloc) and the time per card for each size, and their ratios against the
1,000-card baseline run in the same process. Asserts nothing.

Run: python bench/bench_memory.py [small] [large]
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from cardgen.pipeline import BuildOptions, build_campaign

CARD = """\
campaign: Memory bench
front:
  title: Need to talk?
  qr: hub
back:
  helplines: [childline]
helplines:
  childline: {{name: Childline, phone: 0800 1111}}
links:
  hub: {{url: "https://www.childline.org.uk/", track: true}}
print:
  copies: {copies}
"""


def measure(folder: Path, copies: int) -> tuple[float, float, int]:
    """(peak MB, seconds, PDF bytes) of building `copies` cards."""
    path = folder / f"cards-{copies}.yaml"
    path.write_text(CARD.format(copies=copies), encoding="utf-8")
    options = BuildOptions(output_dir=folder / f"out-{copies}", force=True)
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    result = build_campaign(path, options)
    seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pdf = next(p for p in result.files if p.suffix == ".pdf")
    return peak / 1e6, seconds, pdf.stat().st_size


def main() -> None:
    small = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    large = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure(folder, 10)  # warm caches (fonts, designs) so both runs pay the same
        base_mb, base_s, base_bytes = measure(folder, small)
        big_mb, big_s, big_bytes = measure(folder, large)
    cards = large / small
    print(f"{small:>7,} cards: peak {base_mb:7.1f} MB, {base_s:6.2f} s, PDF {base_bytes:,} B")
    print(f"{large:>7,} cards: peak {big_mb:7.1f} MB, {big_s:6.2f} s, PDF {big_bytes:,} B")
    print(f"cards x{cards:.0f}: peak memory x{big_mb / base_mb:.2f}, "
          f"time x{big_s / base_s:.2f}, PDF size x{big_bytes / base_bytes:.2f}")
    print(f"per card: {base_mb * 1e6 / small:,.0f} B vs {big_mb * 1e6 / large:,.0f} B of peak")


if __name__ == "__main__":
    main()
