"""The public Python API: `cardgen.check`, `cardgen.build`, `cardgen.preview` and `Session`,
from a path, a YAML string and a dict, in memory or into a folder."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfprobe import decode_page, page_sizes_mm
from PIL import Image

import cardgen
from cardgen import CardgenError, InputError

CARD: dict[str, Any] = {
    "campaign": "Api card",
    "front": {"title": "Need to talk?", "qr": "childline"},
    "back": {"title": "Free help", "helplines": ["childline", "nspcc"]},
    "helplines": {
        "childline": {"name": "Childline", "phone": "0800 1111"},
        "nspcc": {"name": "NSPCC Helpline", "phone": "0808 800 5000"},
    },
    "print": {"copies": 10},
}
YAML = """\
campaign: Api card
front:
  title: Need to talk?
  qr: childline
helplines:
  childline: {name: Childline, phone: 0800 1111}
"""


def _decoded_png(png: bytes) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


def test_import_cardgen_names_the_api() -> None:
    assert {"check", "build", "preview", "Session", "BuildResult", "Problem",
            "CardgenError"} <= set(cardgen.__all__)
    assert (Path(cardgen.__file__).parent / "py.typed").is_file()


def test_build_from_a_dict_returns_pdf_bytes_whose_codes_decode(tmp_path: Path) -> None:
    result = cardgen.build(CARD, base_dir=tmp_path)
    assert result.pdf is not None and result.pdf.startswith(b"%PDF-")
    assert result.pdfs == {"api-card.pdf": result.pdf}
    assert result.paths == ()
    assert list(tmp_path.iterdir()) == []  # nothing written
    assert page_sizes_mm(result.pdf)[0] == pytest.approx((210, 297), abs=0.1)
    assert decode_page(result.pdf, 0) == ["tel:+448001111"] * 10
    assert result.codes_verified == 1
    assert [row["variant"] for row in result.manifest] == ["api-card"]
    assert result.manifest[0]["front_qr"] == "tel:+448001111"
    assert result.manifest_csv.startswith(b"variant,code,copies,")
    assert (result.cards, result.sheets, result.pages) == (10, 1, 2)


@pytest.mark.slow
def test_build_from_python_c_as_the_readme_says() -> None:
    script = ("import cardgen; r = cardgen.build({'campaign': 'C', 'front': {'qr': 'c'}, "
              "'helplines': {'c': {'name': 'Childline', 'phone': '0800 1111'}}}); "
              "import sys; sys.stdout.buffer.write(r.pdf)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert decode_page(done.stdout, 0)[0] == "tel:+448001111"


def test_in_memory_bytes_equal_the_written_file(tmp_path: Path) -> None:
    source = EXAMPLES / "neglect-matters.yaml"
    in_memory = cardgen.build(source)
    written = cardgen.build(source, tmp_path / "out")
    assert written.pdf is None and written.pdfs == {}
    pdf = tmp_path / "out" / "neglect-matters.pdf"
    manifest = tmp_path / "out" / "neglect-matters.manifest.csv"
    assert written.paths == (pdf.resolve(), manifest.resolve())
    assert in_memory.pdf == pdf.read_bytes()
    assert in_memory.manifest_csv == manifest.read_bytes() == written.manifest_csv


def test_a_yaml_string_and_a_str_path_build_like_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cards.yaml"
    path.write_text(YAML, encoding="utf-8")
    from_string = cardgen.build(YAML)
    assert cardgen.build(str(path)).pdf == from_string.pdf == cardgen.build(path).pdf


def test_a_dict_keeps_the_order_of_its_helplines(tmp_path: Path) -> None:
    from pdfprobe import page_text

    reversed_card = {**CARD, "back": {"title": "Free help"},
                     "helplines": dict(reversed(list(CARD["helplines"].items())))}
    for card, first in ((CARD, "Childline"), (reversed_card, "NSPCC")):
        text = page_text(cardgen.build(card).pdf or b"", 1)
        assert text.index(first) < text.index("NSPCC" if first == "Childline" else "Childline")


def test_check_locates_problems_in_a_yaml_string() -> None:
    problems = cardgen.check(YAML.replace("0800 1111", "0800 11x1"))
    phone = [p for p in problems if p.path == ("helplines", "childline", "phone")]
    assert phone and phone[0].severity == "error"
    assert str(phone[0].location) == "<string>:6:39"


def test_check_of_a_dict_names_the_key() -> None:
    bad = {**CARD, "helplines": {**CARD["helplines"],
                                 "nspcc": {"name": "NSPCC", "phone": "not a number"}}}
    problems = cardgen.check(bad)
    assert any(p.severity == "error" and p.path[:3] == ("helplines", "nspcc", "phone")
               and p.location is not None and p.location.file == "<dict>" for p in problems)


def test_check_never_raises_for_a_broken_document() -> None:
    problems = cardgen.check("campaign: [unclosed\n")
    assert problems and problems[0].severity == "error"
    assert str(problems[0].location).startswith("<string>:1")
    assert cardgen.check(CARD) == []


def test_build_raises_carrying_every_problem() -> None:
    bad = {**CARD, "card": {"design": "nope"}, "helplines": {
        **CARD["helplines"], "nspcc": {"name": "NSPCC", "phone": "12"}}}
    with pytest.raises(InputError) as caught:
        cardgen.build(bad)
    codes = {p.code for p in caught.value.problems()}
    assert "CG701" in codes and len([p for p in caught.value.problems()
                                     if p.severity == "error"]) >= 2


def test_files_a_string_names_are_relative_to_base_dir(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "schools.csv", tmp_path / "schools.csv")
    text = (EXAMPLES / "schools-batch.yaml").read_text(encoding="utf-8")
    with pytest.raises(CardgenError) as caught:
        cardgen.build(text, base_dir=tmp_path / "elsewhere")
    assert "schools.csv" in str(caught.value)
    result = cardgen.build(text, base_dir=tmp_path, variants=["oakfield-primary"])
    assert [row["variant"] for row in result.manifest] == ["oakfield-primary"]


def test_split_build_in_memory_gives_a_pdf_per_variant() -> None:
    result = cardgen.build(EXAMPLES / "schools-batch.yaml", split=True,
                           variants=["oakfield-primary", "st-albans-high"])
    assert result.pdf is None
    assert sorted(result.pdfs) == ["neglect-matters-schools-2026/oakfield-primary.pdf",
                                   "neglect-matters-schools-2026/st-albans-high.pdf"]


def test_preview_front_back_and_sheet_are_pngs_that_decode() -> None:
    source = EXAMPLES / "neglect-matters.yaml"
    front = cardgen.preview(source, dpi=150)
    assert front.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(front)).size == pytest.approx((325, 502), abs=1)
    assert _decoded_png(front) == [
        "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/?b=neglect-matters"]
    back = cardgen.preview(source, side="back", dpi=100)
    assert back != front and Image.open(io.BytesIO(back)).size == pytest.approx(
        (217, 335), abs=1)
    sheet = cardgen.preview(source, side="sheet", dpi=50)
    width, height = Image.open(io.BytesIO(sheet)).size
    assert (width, height) == pytest.approx((413, 585), abs=1)  # A4 at 50 dpi


def test_preview_of_a_missing_back_says_so() -> None:
    with pytest.raises(CardgenError) as caught:
        cardgen.preview(YAML, side="back")
    assert caught.value.code == "CG950"


def test_preview_of_a_side_that_is_not_one_names_the_sides() -> None:
    """Regression: side="sideways" built the card, then said "this card has no sideways to
    preview" with advice on adding a back."""
    with pytest.raises(ValueError, match="front, back, sheet, sheet-back, not 'sideways'"):
        cardgen.preview(YAML, side="sideways")  # type: ignore[arg-type]


def test_a_session_answers_repeated_checks_alike() -> None:
    session = cardgen.Session()
    first = session.check(YAML)
    again = session.check(YAML.replace("Need to talk?", "Need to talk now?"))
    assert first == again == []
    assert session.preview(YAML, dpi=72) == cardgen.preview(YAML, dpi=72)


def test_a_session_reads_the_same_text_once_and_sees_a_changed_csv(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cardgen.input import config

    reads: list[str] = []
    real = config.load_campaign

    def counted(path: Path, **kwargs: Any) -> Any:
        reads.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(config, "load_campaign", counted)
    session = cardgen.Session()
    assert session.check(YAML) == []
    session.preview(YAML, dpi=72)
    assert reads == ["<string>"]  # checked, then previewed: read once
    session.check(YAML.replace("Need to talk?", "Need to talk now?"))
    assert len(reads) == 2  # another text is read again
    # A text naming a CSV is read every time: the file may have changed in between.
    shutil.copy(EXAMPLES / "schools.csv", tmp_path / "schools.csv")
    text = (EXAMPLES / "schools-batch.yaml").read_text(encoding="utf-8")
    first = session.build(text, base_dir=tmp_path, variants=["oakfield-primary"])
    csv_file = tmp_path / "schools.csv"
    csv_file.write_text(csv_file.read_text(encoding="utf-8").replace(
        "Ms Patel", "Mr Patel"), encoding="utf-8")
    again = session.build(text, base_dir=tmp_path, variants=["oakfield-primary"])
    assert len(reads) == 4
    assert first.manifest[0]["helplines.dsl.name"].startswith("Ms Patel")
    assert again.manifest[0]["helplines.dsl.name"].startswith("Mr Patel")
    assert again.pdf != first.pdf


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 500),
                     st.text(max_size=12), st.sampled_from(["0800 1111", "hub", "a4-10up"]))
_KEYS = st.sampled_from(["campaign", "front", "back", "helplines", "links", "card", "print",
                         "title", "qr", "name", "phone", "url", "copies", "variants", "id",
                         "size", "design", "x"])
_TREES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=12)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.dictionaries(_KEYS, _TREES, max_size=6))
def test_check_of_any_dict_returns_problems_and_never_raises(data: dict[str, Any]) -> None:
    problems = cardgen.check({"campaign": "Any", **data})
    assert all(isinstance(p, cardgen.Problem) and p.code.startswith("CG") for p in problems)


def test_build_reports_progress_through_its_stages() -> None:
    seen: list[tuple[str, int, int]] = []
    cardgen.build(CARD, progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [stage for stage, _, _ in seen]
    assert stages.index("check") < stages.index("render") < stages.index("verify")
    assert ("verify", 1, 1) in seen


def test_preview_of_one_variant_shows_its_own_code() -> None:
    source = EXAMPLES / "schools-batch.yaml"
    oak = cardgen.preview(source, variant="oakfield-primary", dpi=150)
    river = cardgen.preview(source, variant="riverside-academy", dpi=150)
    assert ["utm_source=s01&" in c for c in _decoded_png(oak)] == [True]
    assert ["utm_source=s02&" in c for c in _decoded_png(river)] == [True]
