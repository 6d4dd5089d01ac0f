"""What an editor pays per keystroke: `check` then `preview` of the edited text, with one
`cardgen.Session` kept across keystrokes against the module functions (a fresh session each
call), in the same process and run, on a copy of examples/neglect-matters.yaml whose title
changes at every keystroke. Prints the median milliseconds of each and their ratio. Asserts
nothing.

Run: python bench/bench_session.py [keystrokes]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cardgen

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def keystrokes(count: int) -> list[str]:
    text = (EXAMPLES / "neglect-matters.yaml").read_text(encoding="utf-8")
    title = "What if I'm right?"
    assert title in text
    # typing the title one character more each time, as an editor sends it
    return [text.replace(title, title[:1 + n % len(title)] + " " * (n // len(title)))
            for n in range(count)]


def timed(texts: list[str], check: Callable[..., object],
          preview: Callable[..., object]) -> list[float]:
    times: list[float] = []
    for text in texts:
        start = time.perf_counter()
        check(text, base_dir=EXAMPLES)
        preview(text, base_dir=EXAMPLES, dpi=100)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    texts = keystrokes(count + 1)
    # warm the process (imports, fonts, designs) for both alike
    cardgen.preview(texts[0], base_dir=EXAMPLES, dpi=100)
    session = cardgen.Session()
    with_session = timed(texts[1:], session.check, session.preview)
    fresh = timed(texts[1:], cardgen.check, cardgen.preview)
    kept, alone = statistics.median(with_session), statistics.median(fresh)
    print(f"{count} keystrokes, check + preview each (median):")
    print(f"  one Session       {kept:7.1f} ms")
    print(f"  module functions  {alone:7.1f} ms")
    print(f"  ratio             {kept / alone:7.2f} (session / fresh)")


if __name__ == "__main__":
    main()
