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
  startup  (--startup RUNS, instead of the two above) `cardgen studio FILE --no-browser`
           started RUNS times, each with chromium already running: ms from the command to
           its address printed, from the page's first request to the form, to both preview
           pictures shown, and to every design picker picture shown; median of the runs.
           "cold" runs get an empty XDG_CACHE_HOME each, "warm" runs share one filled by a
           first run. --baseline DIR runs the same against the cardgen package in DIR (e.g.
           a checkout of main) in the same session, for ratios baseline / this checkout.

Run: .venv/bin/python bench/bench_studio.py [--edits N] [--skip-browser] [EXAMPLE.yaml ...]
     .venv/bin/python bench/bench_studio.py --startup 5 [--baseline /work/main]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

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


STARTUP_STEPS = ("address", "form", "previews", "designs")


def startup_run(example: Path, browser: Any, cache: Path, package_root: Path) -> dict[str, float]:
    """ms from the command to its address, and from the page's request to the form, both
    previews and every design picture shown, for one start of the studio."""
    import os
    import shutil
    import tempfile

    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(package_root)}
    with tempfile.TemporaryDirectory(prefix="bench-studio-") as folder:
        file = Path(folder) / "cards.yaml"
        shutil.copy(example, file)
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "cardgen", "studio", str(file),
                                    "--no-browser"], stdout=subprocess.PIPE, text=True,
                                   cwd=folder, env=env)
        try:
            line = process.stdout.readline()  # type: ignore[union-attr]
            announced = time.perf_counter() - started
            url = line.split(": ", 1)[1].strip()
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            opened = time.perf_counter()
            page.goto(url)
            page.wait_for_function("() => document.body.dataset.ready === 'true'",
                                   timeout=60_000)
            form = time.perf_counter() - opened
            page.wait_for_function(
                "() => +document.body.dataset.renders >= 1 && [...document.querySelectorAll("
                "'#front-figure:not([hidden]) img, #back-figure:not([hidden]) img')]"
                ".every((i) => i.complete && i.naturalWidth > 0)",
                timeout=60_000)
            previews = time.perf_counter() - opened
            page.evaluate("() => document.querySelectorAll('.designs img').forEach("
                          "(i) => { i.loading = 'eager'; })")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.designs img')]"
                ".every((i) => i.complete && i.naturalWidth > 0)", timeout=60_000)
            designs = time.perf_counter() - opened
            page.close()
        finally:
            process.terminate()
            process.wait(20)
    return {"address": announced * 1000, "form": form * 1000, "previews": previews * 1000,
            "designs": designs * 1000}


def startup_part(example: Path, runs: int, baseline: Path | None) -> None:
    import tempfile

    from playwright.sync_api import sync_playwright

    checkouts = [("this", ROOT)] + ([("baseline", baseline.resolve())] if baseline else [])
    medians: dict[tuple[str, str], dict[str, float]] = {}
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as caches:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        for name, root in checkouts:
            warm = Path(caches) / f"{name}-warm"
            startup_run(example, browser, warm, root)  # fills the warm cache
            results: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
            # Interleaved, so a busy spell on the machine falls on both kinds.
            for run in range(runs):
                cold = Path(caches) / f"{name}-cold-{run}"
                results["cold"].append(startup_run(example, browser, cold, root))
                results["warm"].append(startup_run(example, browser, warm, root))
            for kind, rows in results.items():
                medians[(name, kind)] = {step: statistics.median(r[step] for r in rows)
                                         for step in STARTUP_STEPS}
        browser.close()
    print(f"startup ({example.name}, median of {runs} runs, ms; page times from the page's "
          "first request, chromium already running)")
    print(f"{'checkout':9} {'cache':5} {'address':>8} {'form':>6} {'previews':>9} "
          f"{'designs':>8} {'address+previews':>17}")
    for (name, kind), row in medians.items():
        print(f"{name:9} {kind:5} {row['address']:8.0f} {row['form']:6.0f} "
              f"{row['previews']:9.0f} {row['designs']:8.0f} "
              f"{row['address'] + row['previews']:17.0f}")
    if baseline:
        for kind in ("cold", "warm"):
            ours, base = medians[("this", kind)], medians[("baseline", kind)]
            whole = (base["address"] + base["previews"]) / (ours["address"] + ours["previews"])
            print(f"ratio baseline/this ({kind}): " + ", ".join(
                f"{step} {base[step] / ours[step]:.2f}" for step in STARTUP_STEPS) +
                f", address+previews {whole:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", nargs="*", type=Path)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--startup", type=int, default=0, metavar="RUNS")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR")
    args = parser.parse_args()
    if args.startup:
        startup_part((args.examples or [ROOT / "examples" / "neglect-matters.yaml"])[0].resolve(),
                     args.startup, args.baseline)
        return
    examples = [p.resolve() for p in args.examples] or sorted(
        [*(ROOT / "examples").glob("*.yaml"), *(ROOT / "examples" / "languages").glob("*.yaml")])
    server_part(examples, args.edits)
    if not args.skip_browser:
        browser_part(ROOT / "examples" / "youth-group.yaml", args.keys)


if __name__ == "__main__":
    main()
