"""Laying out card faces: every design fits the examples at every size, nothing overlaps or
leaves the safe area, and what does not fit is an error that says where and how much."""

from __future__ import annotations

import gc
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from ruamel.yaml import YAML

from cardgen.errors import Problem
from cardgen.input.model import CardSpec
from cardgen.layout import face as layout_module
from cardgen.layout import fitcache
from cardgen.layout.designs import Design, load_design
from cardgen.layout.face import item_box, layout_face
from cardgen.layout.fitcache import LayoutCache
from cardgen.layout.placed import FaceLayout, ImageItem, QrItem, RuleItem, TextItem
from cardgen.qr.encode import encode
from cardgen.text.measure import load_font_family

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FONTS = load_font_family("Atkinson Hyperlegible", EXAMPLES)
PRESETS = {
    "phone-case": (55.0, 85.0),
    "cr80": (53.98, 85.6),
    "us-business": (50.8, 88.9),
    "compact": (50.0, 80.0),
    "mini": (45.0, 70.0),
}
NSPCC = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/"
#: What the links module makes of each example's `qr:` target (tracked with its code).
PAYLOADS = {
    "neglect-matters.yaml": NSPCC + "?b=neglect-matters",
    "schools-batch.yaml": NSPCC + "?utm_source=s05&utm_medium=card&utm_campaign=neglect-matters",
    "youth-group.yaml": "https://www.childline.org.uk/",
}
URL_103 = "https://www.hertfordshire.gov.uk/neglect/help-and-advice?utm_source=k7&utm_medium=card&utm_campaign=nm1"


def raw_example(name: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((EXAMPLES / name).read_text(encoding="utf-8"))
    data.pop("variants_csv", None)
    return dict(data)


def spec_of(data: dict[str, Any]) -> CardSpec:
    return CardSpec.model_validate(data)


class Caches:
    """The cache `lay` lays faces out with, shared as within one build."""

    current = LayoutCache()


def lay(spec: CardSpec, side: str = "front", design: str = "discreet",
        size: tuple[float, float] = (55.0, 85.0), payload: str | None = URL_103,
        base_dir: Path = EXAMPLES) -> tuple[FaceLayout | None, list[Problem]]:
    face = spec.front if side == "front" else spec.back
    qr = payload if face is not None and face.qr else None
    return layout_face(spec, side,  # type: ignore[arg-type]
                       design=load_design(design, EXAMPLES), fonts=FONTS, card_w=size[0],
                       card_h=size[1], qr_payload=qr, base_dir=base_dir,
                       cache=Caches.current)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def assert_sound(face: FaceLayout, design: Design) -> None:
    """Every item inside the safe margin, no two items overlapping, text at least 6 pt."""
    margin = design.margin_min
    boxes = [item_box(item) for item in face.items]
    for item, (left, top, right, bottom) in zip(face.items, boxes, strict=True):
        assert left >= margin - 1e-6 and top >= margin - 1e-6, item
        assert right <= face.width - margin + 1e-6, item
        assert bottom <= face.height - margin + 1e-6, item
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        apart = a[2] <= b[0] + 1e-6 or b[2] <= a[0] + 1e-6 or a[3] <= b[1] + 1e-6 \
            or b[3] <= a[1] + 1e-6
        assert apart, (face.items[i], face.items[j])
    assert all(t.size_pt >= 6 for t in face.text_items)


# Content written for one design does not always fit another on the smallest card: the
# neglect example's three helplines with opening hours, plus title, text and QR code, all on
# classic's single face of a 45 x 70 mm card. That is reported (CG710), not squeezed.
TOO_MUCH = {("neglect-matters.yaml", "classic", "mini")}


@pytest.mark.parametrize("example", sorted(PAYLOADS))
@pytest.mark.parametrize("design", ["discreet", "classic", "qr-only"])
@pytest.mark.parametrize("size", sorted(PRESETS))
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_every_design_lays_out_the_examples_at_every_size(
        example: str, design: str, size: str, orientation: str) -> None:
    spec = spec_of(raw_example(example))
    w, h = PRESETS[size]
    card = (w, h) if orientation == "portrait" else (h, w)
    for side in ("front", "back"):
        face = spec.front if side == "front" else spec.back
        if face is None:
            continue
        layout, problems = lay(spec, side, design, card, PAYLOADS[example])
        if (example, design, size) in TOO_MUCH and side == "front":
            assert layout is None
            assert [p.code for p in errors(problems)] == ["CG710"]
            assert problems[0].path == ("front", "helplines")
            continue
        assert errors(problems) == [], problems
        # A 128-character tracked link is under 0.8 mm on many smaller cards: a warning.
        allowed = {"CG402"} | ({"CG714"} if design == "qr-only" else set())
        assert {p.code for p in problems} <= allowed, problems
        assert layout is not None
        for item in layout.qr_items:
            module = item.side / (len(item.modules) + 8)
            assert module >= 0.6 - 1e-9
            assert ("CG402" in {p.code for p in problems}) == (module < 0.8 - 1e-9)
        assert_sound(layout, load_design(design, EXAMPLES))
        assert (len(layout.qr_items) == 1) == (face.qr is not None)
        printed = [t.text for t in layout.text_items]
        if face.title:
            assert " ".join(t.text for t in layout.text_items if t.field.endswith(".title")) \
                == face.title
        numbers = [hl.phone for hl in spec.helplines.values()]
        shown = [n for n in numbers if n in printed]
        for number in shown:
            assert printed.count(number) == 1


def test_helpline_numbers_are_printed_exactly_as_written() -> None:
    data = raw_example("youth-group.yaml")
    data["helplines"]["childline"]["phone"] = "0800 11 11"
    data["helplines"]["shout"]["whatsapp"] = "+44 7700 900 123"
    layout, problems = lay(spec_of(data), "front", "classic", payload=PAYLOADS["youth-group.yaml"])
    assert layout is not None, problems
    lines = [(t.field, t.text) for t in layout.text_items]
    assert ("front.helplines.childline.phone", "0800 11 11") in lines
    assert ("front.helplines.shout.sms", "Text SHOUT to") in lines
    assert ("front.helplines.shout.sms", "85258") in lines
    assert ("front.helplines.shout.whatsapp", "+44 7700 900 123") in lines
    number = next(t for t in layout.text_items if t.text == "0800 11 11")
    name = next(t for t in layout.text_items if t.text == "Childline")
    assert number.font == FONTS.bold and number.size_pt > name.size_pt


@given(groups=st.lists(st.text(alphabet="0123456789", min_size=2, max_size=4), min_size=2,
                       max_size=4))
@settings(max_examples=40, deadline=None)
def test_numbers_are_never_broken_across_lines(groups: list[str]) -> None:
    number = " ".join(groups)
    data = raw_example("neglect-matters.yaml")
    data["helplines"]["nspcc"]["phone"] = number
    layout, problems = lay(spec_of(data), "back", "discreet", (45.0, 70.0))
    if layout is None:
        assert [p.code for p in errors(problems)] == ["CG710"]
        assert problems[0].path == ("helplines", "nspcc", "phone")
        return
    assert [t.text for t in layout.text_items if t.field == "back.helplines.nspcc.phone"] \
        == [number]


def test_a_number_too_wide_for_the_card_is_an_error_naming_it() -> None:
    data = raw_example("neglect-matters.yaml")
    data["helplines"]["nspcc"]["phone"] = "0808 800 5000 1234 5678 9012"
    layout, problems = lay(spec_of(data), "back", "discreet", (45.0, 70.0))
    assert layout is None
    (problem,) = errors(problems)
    assert problem.code == "CG710"
    assert problem.path == ("helplines", "nspcc", "phone")
    assert "0808 800 5000 1234 5678 9012" in problem.message
    assert "mm" in problem.message


def test_omitted_helplines_print_none_on_the_discreet_front_and_all_on_its_back() -> None:
    data = raw_example("neglect-matters.yaml")
    data["back"].pop("helplines")
    spec = spec_of(data)
    front, _ = lay(spec, "front")
    back, _ = lay(spec, "back")
    assert front is not None and back is not None
    assert not any(".helplines." in t.field for t in front.text_items)
    names = [t.text for t in back.text_items if t.field.endswith(".name")]
    assert names == ["NSPCC Helpline", "Childline (for young people)", "Children's services"]


def test_a_long_title_shrinks_before_it_fails() -> None:
    data = raw_example("neglect-matters.yaml")
    data["front"]["title"] = ("What if I'm right about what I have been seeing at home "
                              "lately, and nobody listens? What if I'm right about it all, and "
                              "what if nobody else has noticed what is happening there?")
    layout, problems = lay(spec_of(data), "front")
    assert layout is not None, problems
    sizes = {t.size_pt for t in layout.text_items if t.field == "front.title"}
    design = load_design("discreet", EXAMPLES)
    assert max(sizes) < design.front.styles.title.size
    assert min(sizes) >= design.front.styles.title.min
    (qr,) = layout.qr_items
    assert qr.side / (len(qr.modules) + 8) >= 0.6  # text gave way, not the code


def test_a_title_too_long_at_the_minimum_size_names_the_field_and_the_room() -> None:
    data = raw_example("neglect-matters.yaml")
    data["front"]["title"] = "Worried about someone you know? " * 20
    layout, problems = lay(spec_of(data), "front")
    assert layout is None
    (problem,) = errors(problems)
    assert problem.code == "CG710"
    assert problem.path == ("front", "title")
    assert "front.title" in problem.message
    assert " mm x " in problem.message and "at 8 pt" in problem.message
    assert problem.fix is not None
    assert "shorten it by about" in problem.fix and "bigger card size" in problem.fix
    shorten = int(problem.fix.split("about ")[1].split()[0])
    assert 0 < shorten < len(data["front"]["title"].strip())


def test_the_qr_side_includes_the_quiet_zone_and_gives_comfortable_modules() -> None:
    layout, problems = lay(spec_of(raw_example("neglect-matters.yaml")), "front")
    assert layout is not None, problems
    assert len(URL_103) == 103
    (qr,) = layout.qr_items
    # Error correction is chosen per code: the strongest that keeps modules at 0.8 mm.
    code = encode(URL_103, qr.error_correction)
    assert qr.payload == URL_103 and qr.modules == code.modules
    assert qr.side / (code.size + 8) >= 0.8
    assert qr.error_correction == "Q"
    assert qr.side / (encode(URL_103, "H").size + 8) < 0.8
    assert qr.field == "front.qr"


def test_a_character_missing_from_every_font_is_an_error_naming_it() -> None:
    data = raw_example("neglect-matters.yaml")
    data["front"]["title"] = "Need help? 中"
    layout, problems = lay(spec_of(data), "front")
    assert layout is None
    (problem,) = errors(problems)
    assert problem.code == "CG610"
    assert "U+4E2D" in problem.message and "中" in problem.message
    assert "front.title" in problem.message
    assert problem.path == ("front", "title")
    assert "card.font" in (problem.fix or "")


def test_low_contrast_ink_is_an_error_with_both_colours_and_the_ratio() -> None:
    data = raw_example("neglect-matters.yaml")
    data["card"]["colours"] = {"ink": "#777777", "paper": "#ffffff"}
    layout, problems = lay(spec_of(data), "back")
    assert layout is None
    (problem,) = errors(problems)
    assert problem.code == "CG712"
    assert "#777777" in problem.message and "#ffffff" in problem.message
    assert "4.48:1" in problem.message
    assert problem.path == ("card", "colours", "ink")


def test_a_light_accent_is_fine_because_text_is_never_set_in_it() -> None:
    data = raw_example("neglect-matters.yaml")
    data["card"]["colours"] = {"accent": "#fca311"}
    layout, problems = lay(spec_of(data), "back")
    assert layout is not None and errors(problems) == []
    accent = spec_of(data).card.colours.accent
    assert all(t.colour != accent for t in layout.text_items)
    assert any(isinstance(i, RuleItem) and i.colour == accent for i in layout.items)


def test_dark_paper_under_a_qr_code_is_cg713() -> None:
    data = raw_example("neglect-matters.yaml")
    data["card"]["colours"] = {"ink": "#ffffff", "paper": "#333333"}
    layout, problems = lay(spec_of(data), "front")
    assert layout is None
    assert [p.code for p in errors(problems)] == ["CG713"]
    assert "#333333" in errors(problems)[0].message


def test_write_in_is_a_label_with_a_line_to_write_on() -> None:
    data = raw_example("neglect-matters.yaml")
    data["back"]["write_in"] = "My trusted adult:"
    layout, problems = lay(spec_of(data), "back")
    assert layout is not None, problems
    label = next(t for t in layout.text_items if t.field == "back.write_in")
    rules = [i for i in layout.items if isinstance(i, RuleItem) and i.y1 > label.baseline]
    assert rules
    rule = rules[0]
    assert rule.x2 - rule.x1 >= min(40.0, layout.width - 2 * 4.0) - 1e-6
    assert rule.y1 - label.baseline >= 5.0  # room for handwriting


def test_logo_goes_on_the_discreet_back_inside_the_margin(tmp_path: Path) -> None:
    Image.new("RGB", (200, 100), "purple").save(tmp_path / "logo.png")
    data = raw_example("neglect-matters.yaml")
    data["card"]["logo"] = "logo.png"
    spec = spec_of(data)
    back, problems = lay(spec, "back", base_dir=tmp_path)
    assert back is not None, problems
    (logo,) = [i for i in back.items if isinstance(i, ImageItem)]
    assert logo.path == tmp_path / "logo.png"
    assert logo.width / logo.height == pytest.approx(2.0)
    assert_sound(back, load_design("discreet", EXAMPLES))
    front, _ = lay(spec, "front", base_dir=tmp_path)
    assert front is not None
    assert not any(isinstance(i, ImageItem) for i in front.items)


@pytest.mark.parametrize("content", [None, b"this is not an image"])
def test_missing_or_broken_logo_is_cg720(tmp_path: Path, content: bytes | None) -> None:
    if content is not None:
        (tmp_path / "logo.png").write_bytes(content)
    data = raw_example("neglect-matters.yaml")
    data["card"]["logo"] = "logo.png"
    layout, problems = lay(spec_of(data), "back", base_dir=tmp_path)
    assert layout is None
    (problem,) = errors(problems)
    assert problem.code == "CG720" and problem.path == ("card", "logo")
    assert "logo.png" in problem.message


def test_qr_only_reports_front_text_it_does_not_print() -> None:
    layout, problems = lay(spec_of(raw_example("neglect-matters.yaml")), "front", "qr-only")
    assert layout is not None
    assert [(p.code, p.severity, p.path) for p in problems] == [
        ("CG714", "warning", ("front", "text"))]
    assert not any(t.field == "front.text" for t in layout.text_items)


#: Lays out every face of every example, in a process of its own, and prints them all.
_LAY_OUT_EXAMPLES = """
import sys
from pathlib import Path
from cardgen.pipeline import BuildOptions, prepare_cards
for name in sys.argv[1:]:
    _loaded, cards, _problems = prepare_cards(Path(name), BuildOptions())
    for card in cards:
        for side, face in sorted(card.faces.items()):
            print(card.variant.id, side, repr(face))
"""


def test_layout_is_deterministic() -> None:
    # In fresh processes, with different string hashing, so neither a cache (which would
    # hand back the very same object) nor the order of a set can hide a difference.
    import os
    import subprocess
    import sys

    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    files.append(str(EXAMPLES / "languages" / "ar.yaml"))
    runs = []
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", _LAY_OUT_EXAMPLES, *files],
                              capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        runs.append(done.stdout)
    assert runs[0].count("FaceLayout(") >= 8
    assert runs[0] == runs[1]


@given(w=st.floats(40, 110), h=st.floats(40, 110),
       design=st.sampled_from(["discreet", "classic", "qr-only"]))
@settings(max_examples=40, deadline=None)
def test_any_custom_size_either_lays_out_soundly_or_says_why(w: float, h: float,
                                                             design: str) -> None:
    spec = spec_of(raw_example("youth-group.yaml"))
    layout, problems = lay(spec, "front", design, (w, h), PAYLOADS["youth-group.yaml"])
    if layout is None:
        assert errors(problems)
        assert {p.code for p in errors(problems)} <= {"CG710", "CG401"}
        assert all(p.fix for p in errors(problems))
    else:
        assert_sound(layout, load_design(design, EXAMPLES))
        assert all(isinstance(i, TextItem | QrItem | RuleItem | ImageItem)
                   for i in layout.items)


def _forget() -> None:
    """Forget every fitted text, helpline entry and face, as a new build would."""
    Caches.current = LayoutCache()


def _school(lead: str, phone: str) -> CardSpec:
    data = raw_example("schools-batch.yaml")
    data["helplines"]["dsl"] = {"name": lead, "phone": phone}
    return spec_of(data)


BATCH_LEADS = [
    ("Lead 1 (safeguarding lead)", "020 7946 0001"),
    ("Ms A. Okonkwo-Harrington, designated safeguarding lead", "020 7946 0002"),
    ("Mr B. Li", "0161 496 0003"),
    ("Lead 1000 (safeguarding lead)", "020 7946 1000"),
    ("Our school's safeguarding team (ask at reception)", "+44 20 7946 0004"),
    ("Lead 1 (safeguarding lead)", "020 7946 0001"),  # the first again: all from cache
]


def _batch(size: tuple[float, float]) -> list[list[tuple[FaceLayout | None, list[Problem]]]]:
    cards = []
    for index, (lead, phone) in enumerate(BATCH_LEADS):
        spec = _school(lead, phone)
        payload = PAYLOADS["schools-batch.yaml"] + str(index)
        cards.append([lay(spec, side, "classic", size, payload) for side in ("front", "back")])
    return cards


@pytest.mark.parametrize("size", [(85.0, 54.0), (70.0, 45.0), (54.0, 85.0), (60.0, 40.0)])
def test_a_batch_laid_out_from_warm_caches_matches_every_card_fitted_afresh(
        size: tuple[float, float], monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression guard for the batch caches (helplines kept entry by entry over spans of
    # widths, texts by span, the QR side search reusing columns): after many other cards a
    # card must come out exactly as when every text is wrapped afresh at every width tried,
    # failures (CG710) included.
    _forget()
    warm = _batch(size)
    with monkeypatch.context() as patched:
        patched.setattr(fitcache.Span, "holds", lambda self, width: False)
        patched.setattr(fitcache.BlockHolds, "holds", lambda self, width: False)
        _forget()
        afresh = _batch(size)
    _forget()
    assert warm == afresh
    assert any(face is not None for card in afresh for face, _ in card)
    assert any(face is None for card in afresh for face, _ in card) == (size == (60.0, 40.0))


def test_a_card_whose_first_qr_size_fails_leaves_no_garbage_cycles() -> None:
    # Regression: the helplines kept their first failure (an exception) in a local, and
    # the exception's traceback held that frame: every card of a batch left its whole call
    # stack as garbage for the collector (200 objects a card, a tenth of the layout time).
    size = (85.0, 54.0)  # the largest QR side leaves the column too narrow for the number
    first = _school("Lead 1 (safeguarding lead)", "020 7946 0001")
    second = _school("Lead 2 (safeguarding lead)", "020 7946 0002")
    lay(first, "front", "classic", size)
    gc.collect()
    gc.disable()
    try:
        laid_out, _ = lay(second, "front", "classic", size)
        assert laid_out is not None
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_face_is_kept_by_its_build_s_cache_only() -> None:
    # Caches belong to a build (or a session), not to the module: a fresh cache lays the
    # face out again, equal but not the same object; the same cache gives it back.
    spec = spec_of(raw_example("neglect-matters.yaml"))
    _forget()
    first, _ = lay(spec, "back", "discreet", (55.0, 85.0), None)
    again, _ = lay(spec, "back", "discreet", (55.0, 85.0), None)
    _forget()
    afresh, _ = lay(spec, "back", "discreet", (55.0, 85.0), None)
    assert first is again
    assert afresh == first and afresh is not first


def test_layout_caches_are_bounded() -> None:
    cache = LayoutCache(size=4, faces=3, contexts=2)
    design = load_design("classic", EXAMPLES)
    for n in range(12):
        spec = _school(f"Lead {n} (safeguarding lead)", f"020 7946 {n:04d}")
        for side in ("front", "back"):
            layout_face(spec, side, design=design, fonts=FONTS, card_w=85.0,  # type: ignore[arg-type]
                        card_h=54.0, qr_payload=PAYLOADS["schools-batch.yaml"],
                        base_dir=EXAMPLES, cache=cache)
    assert 0 < len(cache.entries) <= 4 and 0 < len(cache.plans) <= 4
    assert len(cache) <= 4 + 4 + 3 + 3 + 2
    table: fitcache.SpanTable[str] = fitcache.SpanTable(size=10, per_key=2)
    for width in (10.0, 20.0, 30.0):
        table.keep(("k",), fitcache.Span(exact=width), f"at {width}")
    assert table.find(("k",), 10.0) is None  # the oldest span went
    assert table.find(("k",), 30.0) == ("at 30.0", fitcache.Span(exact=30.0))


@pytest.mark.parametrize("count", [300, 600])
def test_checking_many_helplines_fits_each_a_bounded_number_of_times(
        count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression (issue 13.6): a face of 10,000 helplines was fitted 22 times (every text
    # scale, both margins) before saying it does not fit; now a block taller than the face
    # stops being fitted there, and only the message measures it whole. Work grows with
    # the number of helplines, not that times the attempts.
    data = raw_example("neglect-matters.yaml")
    data["helplines"] = {f"h{i}": {"name": f"Helpline {i}", "phone": "0800 1111"}
                         for i in range(count)}
    data["back"].pop("helplines", None)
    spec = spec_of(data)
    fitted: list[str] = []
    real = layout_module._fit_entry

    def counted(env: Any, hid: str, *args: Any) -> Any:
        fitted.append(hid)
        return real(env, hid, *args)

    monkeypatch.setattr(layout_module, "_fit_entry", counted)
    _forget()
    laid_out, problems = lay(spec, "back", "discreet", (55.0, 85.0), None)
    assert laid_out is None
    assert [p.code for p in errors(problems)] == ["CG710"]
    assert f"{count} helplines need" in errors(problems)[0].message
    assert len(fitted) <= 3 * count, len(fitted)
