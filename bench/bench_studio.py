"""How fast the studio's preview follows an edit (target: 95th percentile under 150 ms).

Three parts, each printing figures, asserting nothing (not run in CI):
  server   for every example, what the server does for one edit (lay the page's document
           over the file, check it, picture the front and back) timed over a run of edits
           to front.title, with the studio's one `cardgen.Session`; and, as the baseline in
           the same run, the same edits (the same text laid over the file) through the
           module functions `cardgen.check` and `cardgen.preview` for each face (a fresh
           session each call, as a one-off script would). ms an edit (median, 95th
           percentile) and the ratio baseline / studio.
  browser  `cardgen studio` run as a user runs it and Debian's chromium typing into the
           title, one key at a time: ms from each edit to its new picture decoded on the
           page (window.cardgenTimings), median and 95th percentile; and the time from the
           command to its address, to the form on the page, and to the first picture.

Run: .venv/bin/python bench/bench_studio.py [--edits N] [--skip-browser] [EXAMPLE.yaml ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import cardgen
from cardgen.studio.document import StudioDocument
from cardgen.studio.server import PREVIEW_DPI, Studio

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def titles(count: int) -> list[str]:
    """What typing 'Need to talk to someone?' looks like to the server: one more letter each
    edit, starting over when the phrase is done."""
    phrase = "Need to talk to someone?"
    return [phrase[: 1 + i % len(phrase)] for i in range(count)]


def server_part(examples: list[Path], edits: int) -> None:
    print(f"server: ms an edit (check + front + back at {PREVIEW_DPI} dpi), {edits} edits")
    print(f"{'example':28} {'studio p50':>10} {'p95':>7} {'baseline p50':>13} {'p95':>7} "
          f"{'ratio':>6}")
    for example in examples:
        studio = Studio(StudioDocument.open(example))
        data = studio.document.as_json()
        studio.render(data, None, ["front", "back"])  # fonts and designs loaded once
        ours: list[float] = []
        base: list[float] = []
        for title in titles(edits):
            data["front"]["title"] = title
            start = time.perf_counter()
            answer = studio.render(data, None, ["front", "back"])
            ours.append((time.perf_counter() - start) * 1000)
            if not answer["images"]:
                print(f"  {example.name}: '{title}' did not picture: "
                      f"{[p['code'] for p in answer['problems']]}")
        for title in titles(max(5, edits // 4)):
            data["front"]["title"] = title
            start = time.perf_counter()
            text = studio.document.updated_text(data)
            cardgen.check(text, base_dir=example.parent)
            for side in ("front", "back") if data.get("back") else ("front",):
                cardgen.preview(text, side=side, dpi=PREVIEW_DPI,  # type: ignore[arg-type]
                                    base_dir=example.parent)
            base.append((time.perf_counter() - start) * 1000)
        name = str(example.relative_to(ROOT / "examples"))
        print(f"{name:28} {statistics.median(ours):10.1f} {percentile(ours, 0.95):7.1f} "
              f"{statistics.median(base):13.1f} {percentile(base, 0.95):7.1f} "
              f"{statistics.median(base) / statistics.median(ours):6.1f}")


def browser_part(example: Path, keys: int) -> None:
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-studio-") as folder:
        file = Path(folder) / "cards.yaml"
        shutil.copy(example, file)
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "cardgen", "studio", str(file),
                                    "--no-browser"], stdout=subprocess.PIPE, text=True,
                                   cwd=folder)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(60)
        announced = time.perf_counter() - started
        url = line[0].split(": ", 1)[1].strip()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                opened = time.perf_counter()
                page.goto(url)
                page.wait_for_function("() => document.body.dataset.ready === 'true'")
                form = time.perf_counter() - opened
                page.wait_for_function("() => +document.body.dataset.renders >= 1",
                                       timeout=60_000)
                usable = time.perf_counter() - opened
                title = page.locator('[name="front.title"]')
                title.fill("")
                page.wait_for_function("() => document.body.dataset.busy === 'false'")
                page.evaluate("() => { window.cardgenTimings.length = 0; }")
                title.focus()
                phrase = "Need to talk to someone? "
                for index in range(keys):
                    page.keyboard.type(phrase[index % len(phrase)])
                    page.wait_for_timeout(180)  # a quick typist: 5-6 keys a second
                page.wait_for_function("() => document.body.dataset.busy === 'false'")
                timings = page.evaluate("() => window.cardgenTimings")
                browser.close()
        finally:
            process.terminate()
            process.wait(20)
    print(f"browser ({example.name}): command to address printed {announced * 1000:.0f} ms; "
          f"address opened to the form on the page {form * 1000:.0f} ms, to the first "
          f"picture {usable * 1000:.0f} ms (a browser already running)")
    print(f"  edit to picture on the page, {len(timings)} pictures for {keys} keys: "
          f"median {statistics.median(timings):.0f} ms, "
          f"95th percentile {percentile(timings, 0.95):.0f} ms, max {max(timings):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", nargs="*", type=Path)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    examples = [p.resolve() for p in args.examples] or sorted(
        [*(ROOT / "examples").glob("*.yaml"), *(ROOT / "examples" / "languages").glob("*.yaml")])
    server_part(examples, args.edits)
    if not args.skip_browser:
        browser_part(ROOT / "examples" / "youth-group.yaml", args.keys)


if __name__ == "__main__":
    main()
