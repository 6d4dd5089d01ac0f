"""Campaign batches at speed: cardgen against gLabels on the same 1,000-card job.

Jobs, built from examples/schools-batch.yaml (Avery C32011, classic design, tracked UTM link):
  (a) 1,000 variants of one copy each, packed: 1,000 cards, each with a distinct QR code;
  (b) a county batch: 500 variants x 20 cards = 10,000 cards, each variant on its own sheets;
  (g) job (a) through gLabels 3 (`glabels-3-batch`, Debian package glabels) merging a CSV,
      when it is installed; skipped cleanly when it is not.

Each job runs in a fresh child process, timed from outside (interpreter start, imports,
reading, layout, drawing, verifying and writing included: what a user waits for); the child
reports how long each stage took and its peak memory (ru_maxrss). Each cardgen job runs
`--runs` times (3) and the median run is reported, with the spread; gLabels runs once (it
takes 14 s). cardgen's modules are compiled to bytecode first, as `pip install` does: with
an editable install and PYTHONDONTWRITEBYTECODE set, every run would otherwise compile them
(50 ms). Printed: seconds, the ratio to gLabels, bytes per card, the verification share.
Asserts nothing; not run in CI.

Run: python bench/bench_batch.py [--quick] [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "schools-batch.yaml"
HUB = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/"


def payload(code: str) -> str:
    return f"{HUB}?utm_source={code}&utm_medium=card&utm_campaign=neglect-matters"


def write_job(folder: Path, variants: int, copies: int, pack: bool) -> Path:
    """The example campaign with `variants` schools of `copies` cards each."""
    folder.mkdir(parents=True, exist_ok=True)
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("variants_csv: schools.csv", "variants_csv: variants.csv")
    packing = "true" if pack else "false"
    text = text.replace("  copies: 40", f"  copies: {copies}\n  pack: {packing}")
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    with open(folder / "variants.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "code", "helplines.dsl.name", "helplines.dsl.phone"])
        for i in range(variants):
            writer.writerow([f"school-{i:04d}", f"s{i:04d}", f"Lead {i} (safeguarding lead)",
                             f"020 7946 {i % 10000:04d}"])
    return folder / "campaign.yaml"


GLABELS = """<?xml version="1.0"?>
<Glabels-document xmlns="http://glabels.org/xmlns/3.0/">
  <Template brand="Avery" part="C32011-10" size="A4" description="Business Cards">
    <Meta category="card"/>
    <Label-rectangle id="0" width="85mm" height="54mm" round="0mm" x_waste="0mm" y_waste="0mm">
      <Markup-margin size="3.2mm"/>
      <Layout nx="2" ny="5" x0="15mm" y0="13.5mm" dx="95mm" dy="54mm"/>
    </Label-rectangle>
  </Template>
  <Objects id="0" rotate="False">
    <Object-text x="42mm" y="4mm" w="40mm" h="46mm" lock_aspect_ratio="False" justify="Left"
     valign="Top" auto_shrink="False" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0">
      <Span font_family="Sans" font_size="9" font_weight="Normal" font_italic="False"
       color="0x14213dff" line_spacing="1">Worried about a child?<NL/>Talk to someone you trust,
 or call free.<NL/><Field name="name"/><NL/><Field name="phone"/><NL/>NSPCC Helpline<NL/>0808
 800 5000</Span>
    </Object-text>
    <Object-barcode x="4mm" y="9mm" w="36mm" h="36mm" lock_aspect_ratio="True"
     backend="libqrencode" style="IEC18004" text="False" checksum="True" color="0x000000ff"
     field="url" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0"/>
  </Objects>
  <Merge type="Text/Comma/Line1Keys" src="merge.csv"/>
</Glabels-document>
"""


def write_glabels_job(folder: Path, variants: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "merge.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "phone", "url"])
        for i in range(variants):
            writer.writerow([f"school-{i:04d}", f"Lead {i} (safeguarding lead)",
                             f"020 7946 {i % 10000:04d}", payload(f"s{i:04d}")])
    (folder / "job.glabels").write_text(GLABELS, encoding="utf-8")
    return folder / "job.glabels"


def child(yaml_file: Path, out: Path) -> None:
    """Runs one build in this process and prints stage times, sizes and peak memory."""
    started = time.perf_counter()
    from cardgen.pipeline import BuildOptions, build_campaign

    imported = time.perf_counter()
    marks: dict[str, float] = {}

    def progress(stage: str, _done: int, _total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    result = build_campaign(yaml_file, BuildOptions(output_dir=out), progress=progress)
    ended = time.perf_counter()
    order = [s for s in ("check", "render", "verify") if s in marks]
    stages = {}
    for stage, following in zip(order, [*order[1:], None], strict=True):
        stages[stage] = (marks[following] if following else ended) - marks[stage]
    pdf_bytes = sum(p.stat().st_size for p in result.files if p.suffix == ".pdf")
    print(json.dumps({
        "imports": imported - started, "build": ended - imported, "stages": stages,
        "cards": result.cards, "pages": result.pages, "codes": result.verified_codes,
        "pdf_bytes": pdf_bytes,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    # Out at once, as the `cardgen` command does (cardgen.cli.run): what a user waits for.
    sys.stdout.flush()
    os._exit(0)


def run_cardgen(yaml_file: Path) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(yaml_file), str(yaml_file.parent / "out")],
        check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def median_run(yaml_file: Path, runs: int) -> tuple[float, dict[str, object], str]:
    """The median of `runs` runs (wall time, the child's report) and the spread."""
    done = sorted((run_cardgen(yaml_file) for _ in range(runs)), key=lambda r: r[0])
    wall, data = done[len(done) // 2]
    return wall, data, f"{done[0][0]:.2f}-{done[-1][0]:.2f} s over {runs} runs"


def run_glabels(job: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["glabels-3-batch", "-o", str(out), str(job)], check=True,
                   capture_output=True, cwd=job.parent)
    return time.perf_counter() - start


def report(name: str, wall: float, data: dict[str, object]) -> None:
    stages = data["stages"]
    assert isinstance(stages, dict)
    cards = int(str(data["cards"]))
    verify = float(stages.get("verify", 0.0))
    per_card = int(str(data["pdf_bytes"])) / cards
    print(f"{name}: {cards} cards, {data['pages']} pages, {wall:.2f} s wall "
          f"(imports {float(str(data['imports'])):.2f} s; "
          + ", ".join(f"{k} {float(v):.2f} s" for k, v in stages.items())
          + f"); verification {verify / wall:.0%} of the run for {data['codes']} codes; "
          f"{per_card:.0f} bytes a card; peak memory {float(str(data['maxrss_mb'])):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--runs", type=int, default=3, help="runs of each cardgen job")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import compileall  # here, not at the top: the timed child does not need it

    compileall.compile_dir(ROOT / "cardgen", quiet=1)
    scale = 10 if args.quick else 1
    a_variants, b_variants = 1000 // scale, 500 // scale
    work = args.keep or Path(tempfile.mkdtemp(prefix="cardgen-bench-"))
    try:
        wall_a, data_a, spread_a = median_run(
            write_job(work / "a", a_variants, 1, pack=True), args.runs)
        report(f"(a) {a_variants} distinct QR codes, packed, Avery C32011", wall_a, data_a)
        print(f"(a) median run; {spread_a}")
        wall_b, data_b, spread_b = median_run(
            write_job(work / "b", b_variants, 20, pack=False), args.runs)
        report(f"(b) {b_variants} variants x 20 cards", wall_b, data_b)
        print(f"(b) median run; {spread_b}")
        print(f"(b) targets: under 5 s ({wall_b / 5:.2f} of it), under 200 MB "
              f"({float(str(data_b['maxrss_mb'])) / 200:.2f} of it)")
        if shutil.which("glabels-3-batch") is None:
            print("(g) gLabels: glabels-3-batch is not installed (Debian package glabels); "
                  "skipped")
            return
        job = write_glabels_job(work / "g", a_variants)
        pdf = work / "g" / "out.pdf"
        wall_g = run_glabels(job, pdf)
        per_card = pdf.stat().st_size / a_variants
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "glabels"],
                                 capture_output=True, text=True).stdout or "unknown version"
        print(f"(g) gLabels {version}, job (a) from a CSV: {wall_g:.2f} s wall, "
              f"{per_card:.0f} bytes a card, no verification")
        a_bytes = int(str(data_a["pdf_bytes"])) / a_variants
        print(f"(a) against gLabels: {wall_g / wall_a:.1f}x faster (target 10x), "
              f"{a_bytes / per_card:.2f}x the bytes a card (target under 1,000 bytes: "
              f"{a_bytes:.0f})")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
