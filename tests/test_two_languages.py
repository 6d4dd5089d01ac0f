"""Two languages on one card: each face in its own language, direction and labels; each
paragraph in the direction of its first letter."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

from cardgen.input.model import CardSpec
from cardgen.layout.designs import load_design
from cardgen.layout.face import layout_face
from cardgen.layout.placed import FaceLayout
from cardgen.pipeline import BuildOptions, build_campaign
from cardgen.text.measure import load_font_family
from tests.conftest import EXAMPLES, write

FONTS = load_font_family("Atkinson Hyperlegible", EXAMPLES)
MIXED = "Help in English and اردو"


def card(**back: Any) -> dict[str, Any]:
    return {
        "campaign": "Two languages",
        "language": "en",
        "card": {"design": "classic"},
        "front": {"title": "Worried about a child?", "helplines": ["shout"]},
        "back": {"language": "ur", "title": "کیا آپ کو کسی بچے کی فکر ہے؟",
                 "helplines": ["shout"], **back},
        "helplines": {"shout": {"name": "Shout", "sms": "85258", "sms_body": "SHOUT"}},
    }


def lay(data: dict[str, Any], side: str) -> FaceLayout:
    spec = CardSpec.model_validate(data)
    face, problems = layout_face(spec, side,  # type: ignore[arg-type]
                                 design=load_design("classic", EXAMPLES), fonts=FONTS,
                                 card_w=55.0, card_h=85.0, qr_payload=None, base_dir=EXAMPLES)
    assert face is not None, problems
    return face


def texts(face: FaceLayout) -> list[str]:
    return [item.text for item in face.text_items]


def _rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def test_each_face_prints_its_labels_in_its_own_language() -> None:
    front, back = lay(card(), "front"), lay(card(), "back")
    assert "Text SHOUT to" in texts(front)
    assert "SHOUT لکھ کر بھیجیں" in texts(back)
    assert not any(_rtl(ch) for line in texts(front) for ch in line)


def test_each_face_aligns_in_its_own_direction() -> None:
    data = card(write_in="میرا قابل اعتماد بالغ:")
    data["front"]["write_in"] = "My trusted adult:"
    front, back = lay(data, "front"), lay(data, "back")
    # classic sets the write-in label to the left: mirrored on the Urdu face only.
    assert next(i for i in front.text_items if i.text == "My trusted adult:").align == "left"
    assert next(i for i in back.text_items
                if i.text == "میرا قابل اعتماد بالغ:").align == "right"


@pytest.mark.parametrize(("language", "text", "first_strong_rtl"), [
    ("ur", MIXED, False),            # the example: English keeps its word order
    ("en", "اردو and English", True),  # an Urdu sentence on an English face reads RTL
])
def test_a_paragraph_reads_in_the_direction_of_its_first_letter(
        language: str, text: str, first_strong_rtl: bool) -> None:
    data = card(text=text)
    data["back"]["language"] = language
    item = next(i for i in lay(data, "back").text_items if i.text == text)
    assert item.shaped is not None
    latin = [x for run in item.shaped for x, t in zip(run.xs, run.texts, strict=True)
             if t.strip() and t.isascii()]
    urdu = [x for run in item.shaped for x, t in zip(run.xs, run.texts, strict=True)
            if t.strip() and any(_rtl(c) for c in t)]
    if first_strong_rtl:
        # Right to left: the Urdu word that comes first stands at the right end.
        assert min(urdu) > max(latin)
    else:
        # Left to right: "Help" at the left, the Urdu word last, at the right end.
        assert max(latin) < min(urdu)


def test_an_english_line_on_an_urdu_face_keeps_its_word_order_in_the_pdf(
        tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    data = card(text=MIXED)
    target = tmp_path / "two.yaml"
    with target.open("w", encoding="utf-8") as handle:
        YAML().dump(data, handle)
    result = build_campaign(target, BuildOptions(output_dir=tmp_path / "out"))
    pdf = next(p for p in result.files if p.suffix == ".pdf")
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    try:
        # The back is page 2 (double-sided, long-edge).
        extracted = " ".join(document[1].get_textpage().get_text_range().split())
    finally:
        document.close()
    assert MIXED in extracted
    assert "Text SHOUT to" in " ".join(document_text(pdf, 0).split())


def document_text(pdf: Path, page: int) -> str:
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    try:
        return str(document[page].get_textpage().get_text_range())
    finally:
        document.close()


def test_a_face_language_is_checked_like_the_card_language(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    path = write(tmp_path, "campaign: X\nfront:\n  title: Hi\n  language: not a tag\n")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert "front.language" in result.output or "language" in result.output


def test_a_label_reads_in_its_face_language_even_when_it_starts_with_the_keyword() -> None:
    # "SHOUT لکھ کر بھیجیں" starts with a Latin letter, but it is an Urdu sentence: right
    # to left, so SHOUT (its first word) stands at the right end.
    back = lay(card(), "back")
    item = next(i for i in back.text_items if i.text == "SHOUT لکھ کر بھیجیں")
    assert item.shaped is not None
    latin = [x for run in item.shaped for x, t in zip(run.xs, run.texts, strict=True)
             if t.strip() and t.isascii()]
    urdu = [x for run in item.shaped for x, t in zip(run.xs, run.texts, strict=True)
            if t.strip() and any(_rtl(c) for c in t)]
    assert min(latin) > max(urdu)
