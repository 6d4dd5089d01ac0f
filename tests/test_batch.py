"""Campaign batches: --split file names, --variant, the manifest, progress, the summary, and a
200-variant packed build whose every QR code reads back as its own variant's tracked link."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, run_cli
from pdfprobe import decode_page, page_sizes_mm

from cardgen import preparing as build_module
from cardgen.input.model import Variant
from cardgen.pipeline import BuildOptions, build_campaign, check_campaign

HUB = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/"
SLUG = "neglect-matters-schools-2026"


def tracked(code: str) -> str:
    return f"{HUB}?utm_source={code}&utm_medium=card&utm_campaign=neglect-matters"


def batch(folder: Path, rows: list[tuple[str, str]], *, copies: int = 1,
          pack: bool = False) -> Path:
    """The schools example with its own variants CSV: (id, code) a row."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (EXAMPLES / "schools-batch.yaml").read_text(encoding="utf-8")
    text = text.replace("variants_csv: schools.csv", "variants_csv: batch.csv")
    text = text.replace("  copies: 40", f"  copies: {copies}\n  pack: {str(pack).lower()}")
    (folder / "batch.yaml").write_text(text, encoding="utf-8")
    with open(folder / "batch.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "code", "helplines.dsl.name"])
        for ident, code in rows:
            writer.writerow([ident, code, f"Lead of {ident}"])
    return folder / "batch.yaml"


def manifest(out: Path) -> list[dict[str, str]]:
    with open(out / f"{SLUG}.manifest.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_split_file_names_for_safe_ids(tmp_path: Path) -> None:
    ids = ["a", "B.2", "c_3", "d-"]
    source = batch(tmp_path / "in", [(ident, f"k{n}") for n, ident in enumerate(ids)])
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out), "--split")
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted([f"{SLUG}/{i}.pdf" for i in ids] + [f"{SLUG}.manifest.csv"])
    for row in manifest(out):
        assert row["file"] == f"{SLUG}/{row['variant']}.pdf"
        assert decode_page(out / row["file"], 0)[0] == tracked(row["code"])
    assert "4 variants" in result.output


@pytest.mark.parametrize("ident", ["../evil", "/abs", "a/b", ".hidden", "a\\b", "con:"])
def test_unsafe_ids_are_refused_with_the_row(ident: str, tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [("fine", "k1"), (ident, "k2")])
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out), "--split")
    assert result.exit_code == 1
    assert "batch.csv" in result.output and "row 3" in result.output
    assert not out.exists()
    assert not (tmp_path / "evil.pdf").exists()


def test_ids_differing_only_in_case_do_not_clash_in_split_files(tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [("oak", "k1"), ("Oak", "k2")])
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out), "--split")
    assert result.exit_code == 1
    assert "CG136" in result.output
    assert "'oak' and 'Oak' differ only in case" in result.output
    assert "batch.csv" in result.output
    assert not out.exists()
    # One PDF for the whole campaign has no such clash.
    assert run_cli("build", str(source), "-o", str(out)).exit_code == 0


def test_a_lead_number_that_lost_its_0_in_a_spreadsheet_is_refused_at_its_cell(
        tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [("oak", "k1"), ("elm", "k2")])
    (source.parent / "batch.csv").write_text(
        "id,code,helplines.dsl.phone\noak,k1,020 7946 0101\nelm,k2,2079460102\n",
        encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out))
    assert result.exit_code == 1
    assert "batch.csv:3 (row 3, column 'helplines.dsl.phone')" in result.output
    assert "CG213" in result.output and "write it as '020 7946 0102'" in result.output
    assert not out.exists()


def test_variant_option_builds_only_those(tmp_path: Path) -> None:
    rows = [(f"school-{n}", f"s{n}") for n in range(5)]
    source = batch(tmp_path / "in", rows, copies=10)
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out), "--variant", "school-3",
                     "--variant", "school-1")
    assert result.exit_code == 0, result.output
    assert [r["variant"] for r in manifest(out)] == ["school-1", "school-3"]
    pdf = out / f"{SLUG}.pdf"
    # Two variants of 10 cards on 10-up stock, double-sided: 2 sheets, 4 pages.
    assert len(page_sizes_mm(pdf)) == 4
    assert decode_page(pdf, 0) == [tracked("s1")] * 10
    assert decode_page(pdf, 2) == [tracked("s3")] * 10


def test_unknown_variant_is_an_error(tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [("school-1", "s1")])
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out), "--variant", "school-9")
    assert result.exit_code == 1
    assert "school-9" in result.output
    assert not out.exists()


def test_manifest_rows(tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [("oak", "k1"), ("elm", "k2")], copies=13)
    out = tmp_path / "out"
    assert run_cli("build", str(source), "-o", str(out)).exit_code == 0
    rows = manifest(out)
    assert [(r["variant"], r["code"], r["copies"], r["printed"], r["surplus"], r["sheets"],
             r["pages"], r["file"]) for r in rows] == [
        ("oak", "k1", "13", "20", "7", "2", "1-4", f"{SLUG}.pdf"),
        ("elm", "k2", "13", "20", "7", "2", "5-8", f"{SLUG}.pdf"),
    ]
    assert [r["front_qr"] for r in rows] == [tracked("k1"), tracked("k2")]
    assert [r["back_qr"] for r in rows] == ["", ""]


@pytest.mark.slow
def test_two_hundred_packed_variants_each_decode_to_their_own_link(tmp_path: Path) -> None:
    rows = [(f"school-{n:03d}", f"c{n:03d}") for n in range(200)]
    source = batch(tmp_path / "in", rows, pack=True)
    out = tmp_path / "out"
    result = build_campaign(source, BuildOptions(output_dir=out))
    assert result.cards == 200 and result.sheets == 20 and result.verified_codes == 200
    pdf = out / f"{SLUG}.pdf"
    pages = page_sizes_mm(pdf)
    assert len(pages) == 40  # 20 sheets, fronts and backs
    decoded: list[str] = []
    for index in range(0, len(pages), 2):
        on_sheet = decode_page(pdf, index)
        # Packed in order: sheet k holds variants 10k .. 10k+9.
        first = index // 2 * 10
        assert on_sheet == sorted(tracked(code) for _, code in rows[first:first + 10])
        decoded += on_sheet
        assert decode_page(pdf, index + 1) == []  # backs carry no code
    assert sorted(decoded) == sorted(tracked(code) for _, code in rows)
    by_variant = {r["variant"]: r["front_qr"] for r in manifest(out)}
    assert by_variant == {ident: tracked(code) for ident, code in rows}


def test_progress_reports_every_stage_to_its_end(tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [(f"s{n}", f"k{n}") for n in range(3)], copies=10)
    calls: list[tuple[str, int, int]] = []
    build_campaign(source, BuildOptions(output_dir=tmp_path / "out"),
                   progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = [c[0] for c in calls]
    assert stages == sorted(stages, key=["check", "render", "verify"].index)
    for stage, total in (("check", 3), ("render", 1), ("verify", 3)):
        mine = [c for c in calls if c[0] == stage]
        assert mine[-1] == (stage, total, total)
        assert [c[1] for c in mine] == sorted(c[1] for c in mine)


def test_summary_and_quiet(tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [("oak", "k1"), ("elm", "k2")], copies=13)
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert ("2 variants, 40 cards on 4 sheets (8 pages), 14 surplus; "
            "2 QR codes verified by decoding.") in result.output
    assert f"wrote {tmp_path / 'out' / SLUG}.pdf" in result.output
    # CliRunner is not a terminal: no progress bar, ever.
    assert "Verifying" not in result.output and "[#" not in result.output
    quiet = run_cli("build", str(source), "-o", str(tmp_path / "quiet"), "--quiet")
    assert quiet.exit_code == 0
    # Warnings only: the schools' UTM links make their codes 0.70 mm (CG621), nothing else.
    assert {line.split(": ")[1] for line in quiet.output.splitlines()
            if not line.startswith("    fix:")} == {"warning CG621"}
    assert (tmp_path / "quiet" / f"{SLUG}.pdf").exists()


def test_split_summary_counts_files(tmp_path: Path) -> None:
    source = batch(tmp_path / "in", [(f"s{n}", f"k{n}") for n in range(6)])
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out), "--split")
    assert result.exit_code == 0, result.output
    assert f"wrote 7 files in {out}, {out / SLUG}" in result.output


def _form_streams(pdf: Path) -> list[bytes]:
    import pypdf

    reader = pypdf.PdfReader(str(pdf))
    streams: list[bytes] = []
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, pypdf.generic.StreamObject) and obj.get("/Subtype") == "/Form":
            streams.append(obj.get_data())
    return streams


def test_what_every_school_shares_is_stored_once_and_printed_on_every_card(
        tmp_path: Path) -> None:
    rows = [(f"school-{n:02d}", f"c{n:02d}") for n in range(30)]
    out = tmp_path / "out"
    build_campaign(batch(tmp_path / "in", rows, pack=True), BuildOptions(output_dir=out))
    pdf = out / f"{SLUG}.pdf"
    streams = _form_streams(pdf)
    # The title and the national helpline are the same on every school's front: one copy.
    assert sum(s.count(b"(Worried about a") for s in streams) == 1
    assert sum(s.count(b"(0808 800 5000)") for s in streams) == 1
    # Each school's own lead is in its own face only.
    assert sum(s.count(b"(Lead of school-07)") for s in streams) == 1
    from pdfprobe import page_text

    for index in (0, 2, 4):  # fronts: ten cards each, every one with the shared words
        words = page_text(pdf, index)
        assert words.count("Worried about a") == 10 and words.count("0808 800 5000") == 10


# --- cards laid out by forked workers -----------------------------------------------------


def _problem_batch(folder: Path, n: int) -> Path:
    """`n` packed schools; every 50th has a number that is not a phone number (an error),
    every 70th a lead's name too long for the card."""
    source = batch(folder, [(f"school-{i:03d}", f"c{i:03d}") for i in range(n)], pack=True)
    with open(folder / "batch.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "code", "helplines.dsl.name", "helplines.dsl.phone"])
        for i in range(n):
            name = f"Lead of school {i}" + (" and of every other school nearby" * 30
                                             if i % 70 == 3 else "")
            phone = "12" if i % 50 == 7 else f"020 7946 {i:04d}"
            writer.writerow([f"school-{i:03d}", f"c{i:03d}", name, phone])
    return source


@pytest.fixture
def prepared_ahead(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the batches whose cards forked workers laid out."""
    used: list[int] = []
    original = build_module._prepared_ahead

    def counted(*args: Any, **kwargs: Any) -> Any:
        used.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(build_module, "_prepared_ahead", counted)
    return used


def _cores(monkeypatch: pytest.MonkeyPatch, cores: int) -> None:
    # One core: every card is laid out, and every code encoded, in this process.
    from cardgen import workers as forked

    monkeypatch.setattr(forked, "cores", lambda: cores)


@pytest.mark.slow
def test_cards_laid_out_by_forked_workers_print_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepared_ahead: list[int]) -> None:
    rows = [(f"school-{n:03d}", f"w{n:03d}") for n in range(build_module.PARALLEL_FROM + 10)]
    source = batch(tmp_path / "in", rows, pack=True)
    outputs = {}
    for cores in (2, 1):
        _cores(monkeypatch, cores)
        out = tmp_path / f"out-{cores}"
        result = build_campaign(source, BuildOptions(output_dir=out))
        assert result.cards == len(rows)
        outputs[cores] = [(out / name).read_bytes()
                          for name in (f"{SLUG}.pdf", f"{SLUG}.manifest.csv")]
    assert prepared_ahead == [1]  # the two-core build only
    assert outputs[2] == outputs[1]
    assert decode_page(tmp_path / "out-2" / f"{SLUG}.pdf", 0) == sorted(
        tracked(code) for _, code in rows[:10])


@pytest.mark.slow
def test_forked_workers_report_the_same_problems_in_the_same_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepared_ahead: list[int]) -> None:
    source = _problem_batch(tmp_path / "in", build_module.PARALLEL_FROM + 10)
    found = {}
    for cores in (2, 1):
        _cores(monkeypatch, cores)
        found[cores] = check_campaign(source)
    assert prepared_ahead == [1]
    assert found[2] == found[1]
    rows = [p.location.line for p in found[2] if p.code == "CG201" and p.location]
    assert rows == [9, 59, 109, 159, 209]  # every 50th school from the 8th, header on line 1
    assert any(p.code == "CG710" for p in found[2])


def test_an_unexpected_error_in_a_worker_surfaces_in_the_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepared_ahead: list[int]) -> None:
    """A bug met while a worker lays out a card is raised here, as it would be without
    workers, not lost or turned into a hang."""
    source = _problem_batch(tmp_path / "in", build_module.PARALLEL_FROM + 10)
    original = build_module.prepare_card
    where: list[int] = []

    def failing(variant: Variant, *args: Any) -> Any:
        if variant.id == "school-150":
            where.append(os.getpid())
            raise RuntimeError("layout bug on school-150")
        return original(variant, *args)

    monkeypatch.setattr(build_module, "prepare_card", failing)
    _cores(monkeypatch, 2)
    with pytest.raises(RuntimeError, match="school-150"):
        check_campaign(source)
    assert prepared_ahead == [1]
    assert where[-1] == os.getpid()  # raised again here after a worker met it


def test_small_batches_are_laid_out_here(monkeypatch: pytest.MonkeyPatch) -> None:
    _cores(monkeypatch, 2)
    codes = [(tracked(f"s{n}"), "M") for n in range(build_module.PARALLEL_FROM)]
    assert build_module._preparing_workers(codes[:-1]) == 0
    assert build_module._preparing_workers(codes[:-1] + codes[:1]) == 0  # a code twice is one
    assert build_module._preparing_workers(codes) == 2
    _cores(monkeypatch, 1)
    assert build_module._preparing_workers(codes) == 0


@pytest.mark.slow
def test_a_packed_batch_s_manifest_pages_hold_exactly_each_school_s_codes(
        tmp_path: Path) -> None:
    # Regression (issue 12.6): packed, the first school got every sheet and every row said
    # pages 1 to the end; a campaign manager reprinting one school needs its own pages.
    source = batch(tmp_path / "in", [], pack=True)
    copies = {f"school-{n:02d}": 3 + (n * 5) % 9 for n in range(40)}
    with open(source.parent / "batch.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "code", "copies", "helplines.dsl.name", "helplines.dsl.phone"])
        for n, (ident, count) in enumerate(copies.items()):
            writer.writerow([ident, f"p{n:02d}", count, f"Lead of {ident}",
                             f"020 7946 {n:04d}"])
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-o", str(out), "--start-at", "4")
    assert result.exit_code == 0, result.output
    pdf = out / f"{SLUG}.pdf"
    pages = len(page_sizes_mm(pdf))
    fronts = {index + 1: decode_page(pdf, index, dpi=200) for index in range(0, pages, 2)}
    rows = manifest(out)
    assert [r["variant"] for r in rows] == list(copies)
    sheets = pages // 2
    assert f"on {sheets} sheets" in result.output
    assert sum(copies.values()) + 3 <= sheets * 10 < sum(copies.values()) + 3 + 10
    for row in rows:
        first, last = map(int, row["pages"].split("-"))
        link = tracked(row["code"])
        inside = [page for page in fronts if first <= page <= last]
        assert sum(fronts[page].count(link) for page in inside) == copies[row["variant"]]
        assert all(link in fronts[page] for page in inside)  # no page without its cards
        assert not any(link in fronts[page] for page in fronts if page not in inside)
        assert int(row["sheets"]) == len(inside) == (last - first + 1) // 2
        assert row["printed"] == row["copies"] == str(copies[row["variant"]])
        assert row["helplines.dsl.name"] == f"Lead of {row['variant']}"
        assert row["helplines.dsl.phone"].startswith("020 7946 ")
    assert rows[0]["pages"].startswith("1-")
    assert rows[-1]["pages"].endswith(f"-{pages}")


def test_a_warning_every_school_shares_is_printed_once_by_check_and_build(
        tmp_path: Path) -> None:
    # Regression: build printed the UTM warning once per school, each "[variant ...]".
    path = batch(tmp_path, [("a", "A1"), ("b", "B2"), ("c", "C3")])
    checked = run_cli("check", str(path))
    built = run_cli("build", str(path), "-o", str(tmp_path / "out"))
    assert checked.exit_code == 0 and built.exit_code == 0, built.output
    for output in (checked.output, built.output):
        (line,) = [line for line in output.splitlines() if "warning CG621" in line]
        assert line.startswith(f"{path}:15:7: warning CG621: UTM tracking makes this link")
        assert "[variant" not in line
