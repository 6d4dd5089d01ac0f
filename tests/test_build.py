"""End to end: YAML in, PDF and manifest out, measured as a user would measure them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import EXAMPLES, MINIMAL, run_cli, write
from pdfprobe import (
    decode_page,
    page_sizes_mm,
    page_text,
    placed_forms,
    unembedded_fonts,
    viewer_preferences,
)

HUB = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/"


def build(yaml_file: Path, out: Path, *extra: str) -> Path:
    result = run_cli("build", str(yaml_file), "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_builds(example: Path, tmp_path: Path) -> None:
    out = build(example, tmp_path / "out")
    pdfs = list(out.glob("*.pdf"))
    manifests = list(out.glob("*.manifest.csv"))
    assert len(pdfs) == 1 and len(manifests) == 1
    assert pdfs[0].read_bytes().startswith(b"%PDF")
    # Regression: reportlab's default Helvetica was named, unembedded, in every form.
    assert unembedded_fonts(pdfs[0]) == set()


@pytest.fixture(scope="module")
def neglect_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("neglect")
    build(EXAMPLES / "neglect-matters.yaml", out)
    return out / "neglect-matters.pdf"


def test_a4_pages_and_page_count(neglect_pdf: Path) -> None:
    sizes = page_sizes_mm(neglect_pdf)
    # 100 copies on 10-up sheets, double-sided: 10 fronts and 10 backs.
    assert len(sizes) == 20
    for width, height in sizes:
        assert width == pytest.approx(210.0, abs=0.1)
        assert height == pytest.approx(297.0, abs=0.1)


def test_cards_sit_in_a_centred_grid_at_their_printed_size(neglect_pdf: Path) -> None:
    cards = placed_forms(neglect_pdf, 0)
    assert len(cards) == 10
    for card in cards:
        # A portrait 55 x 85 mm card is turned to fill a landscape slot.
        assert (card.width, card.height) == (pytest.approx(85.0, abs=0.1),
                                             pytest.approx(55.0, abs=0.1))
        assert card.rotation in (90, 270)
    left = min(c.x for c in cards)
    right = max(c.x + c.width for c in cards)
    assert left == pytest.approx(210.0 - right, abs=0.1)
    top = min(c.y for c in cards)
    bottom = max(c.y + c.height for c in cards)
    assert top == pytest.approx(297.0 - bottom, abs=0.1)
    boxes = sorted((round(c.x, 2), round(c.y, 2)) for c in cards)
    assert len(set(boxes)) == 10
    for a in cards:
        for b in cards:
            if a is b:
                continue
            overlap_x = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
            overlap_y = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
            assert overlap_x <= 0.01 or overlap_y <= 0.01


def _flip(box: tuple[float, float, float, float], mode: str, page: tuple[float, float]
          ) -> tuple[float, float, float, float]:
    x, y, w, h = box
    if mode == "long-edge":
        return (page[0] - x - w, y, w, h)
    return (x, page[1] - y - h, w, h)


@pytest.mark.parametrize("mode", ["long-edge", "short-edge"])
def test_each_back_lands_behind_its_own_front(mode: str, examples: Path, tmp_path: Path) -> None:
    source = examples / "neglect-matters.yaml"
    source.write_text(source.read_text().replace("duplex: long-edge", f"duplex: {mode}")
                      .replace("copies: 100", "copies: 7"))
    out = build(source, tmp_path / "out")
    pdf = out / "neglect-matters.pdf"
    fronts = placed_forms(pdf, 0)
    backs = placed_forms(pdf, 1)
    assert len(fronts) == len(backs) == 10
    back_boxes = [(b.x, b.y, b.width, b.height) for b in backs]
    for front in fronts:
        flipped = _flip((front.x, front.y, front.width, front.height), mode, (210.0, 297.0))
        assert any(all(abs(f - b) < 0.1 for f, b in zip(flipped, box, strict=True))
                   for box in back_boxes), (mode, front)
    assert {f.name.replace("front", "") for f in fronts} == {
        b.name.replace("back", "") for b in backs}


def test_qr_codes_decode_to_the_tracked_help_page(neglect_pdf: Path) -> None:
    decoded = decode_page(neglect_pdf, 0, dpi=300)
    assert decoded == [HUB + "?b=neglect-matters"] * 10


def test_printed_words_are_the_users_own(neglect_pdf: Path) -> None:
    front = page_text(neglect_pdf, 0)
    back = page_text(neglect_pdf, 1)
    assert "What if I'm right?" in front
    assert "0808 800 5000" in back
    assert "0800 1111" in back
    assert "0300 123 4043" in back
    assert "Worried about a child?" in back
    # The discreet front gives nothing away: no numbers on it.
    assert "0808" not in front


def test_sheet_asks_for_actual_size_and_carries_a_ruler(neglect_pdf: Path) -> None:
    assert viewer_preferences(neglect_pdf).get("/PrintScaling") == "/None"
    assert "50 mm" in page_text(neglect_pdf, 0)


def test_same_input_same_bytes(tmp_path: Path) -> None:
    first = build(EXAMPLES / "youth-group.yaml", tmp_path / "a") / "chain-for-change.pdf"
    second = build(EXAMPLES / "youth-group.yaml", tmp_path / "b") / "chain-for-change.pdf"
    assert first.read_bytes() == second.read_bytes()
    manifest_a = (tmp_path / "a" / "chain-for-change.manifest.csv").read_bytes()
    manifest_b = (tmp_path / "b" / "chain-for-change.manifest.csv").read_bytes()
    assert manifest_a == manifest_b


def test_manifest_lists_every_variant_and_payload(tmp_path: Path) -> None:
    out = build(EXAMPLES / "schools-batch.yaml", tmp_path / "out")
    rows = list(csv.DictReader((out / "neglect-matters-schools-2026.manifest.csv").open()))
    assert [r["variant"] for r in rows] == [
        "oakfield-primary", "riverside-academy", "st-albans-high", "hillcrest-infants",
        "meadow-view-junior"]
    oak = rows[0]
    assert oak["code"] == "s01"
    assert oak["copies"] == "60"
    assert int(oak["printed"]) >= 60 and int(oak["printed"]) % 10 == 0
    assert "utm_source=s01" in oak["front_qr"]
    assert "utm_medium=card" in oak["front_qr"]


def test_letter_sheet(examples: Path, tmp_path: Path) -> None:
    source = examples / "youth-group.yaml"
    source.write_text(source.read_text().replace("copies: 30", "copies: 30\n  sheet: letter-10up"))
    out = build(source, tmp_path / "out")
    for width, height in page_sizes_mm(out / "chain-for-change.pdf"):
        assert (width, height) == (pytest.approx(215.9, abs=0.1), pytest.approx(279.4, abs=0.1))


def test_single_sided_card_has_no_back_pages(tmp_path: Path) -> None:
    out = build(EXAMPLES / "youth-group.yaml", tmp_path / "out")
    # 30 copies on 10-up: three sheets, fronts only.
    assert len(page_sizes_mm(out / "chain-for-change.pdf")) == 3
    decoded = decode_page(out / "chain-for-change.pdf", 0)
    assert decoded == ["https://www.childline.org.uk/"] * 10


def test_output_files_get_ordinary_permissions(tmp_path: Path) -> None:
    """Regression: files were written 0600 (mkstemp's default), unreadable to other users."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = build(EXAMPLES / "youth-group.yaml", tmp_path / "out")
    finally:
        os.umask(old)
    for name in ("chain-for-change.pdf", "chain-for-change.manifest.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644


def test_single_sided_variant_keeps_duplex_pairs(examples: Path, tmp_path: Path) -> None:
    """Regression: a variant without a back made the next variant's backs print behind the
    wrong fronts, because its sheet had no back page."""
    source = examples / "neglect-matters.yaml"
    source.write_text(source.read_text().replace("copies: 100", "copies: 10") + """
variants:
  - {id: plain, back: null}
  - {id: full}
""")
    out = build(source, tmp_path / "out")
    pdf = out / "neglect-matters.pdf"
    assert len(page_sizes_mm(pdf)) == 4
    assert placed_forms(pdf, 1) == []
    assert {f.name for f in placed_forms(pdf, 2)} == {"/FormXob.Ffull_front"}
    assert {f.name for f in placed_forms(pdf, 3)} == {"/FormXob.Ffull_back"}


@pytest.mark.slow
def test_same_bytes_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    """Set and dict order must never reach the PDF: two interpreters with different hash
    seeds write identical files."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "cardgen", "build",
                        str(EXAMPLES / "schools-batch.yaml"), "-o", str(out), "-q"],
                       check=True, env=env, capture_output=True)
        outputs.append(out)
    for name in ("neglect-matters-schools-2026.pdf", "neglect-matters-schools-2026.manifest.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()


def test_a_build_gives_back_to_the_collector_what_it_set_aside(tmp_path: Path) -> None:
    import gc

    from cardgen.errors import InputError
    from cardgen.pipeline import BuildOptions, build_campaign

    before = gc.get_freeze_count()
    build_campaign(EXAMPLES / "youth-group.yaml", BuildOptions(output_dir=tmp_path))
    with pytest.raises(InputError):
        build_campaign(write(tmp_path, MINIMAL.replace("example.org/help", "example.org/\tx")),
                       BuildOptions(output_dir=tmp_path / "bad"))
    # A long-lived process (a server, a test run) frees a finished campaign as usual.
    assert gc.get_freeze_count() == before
