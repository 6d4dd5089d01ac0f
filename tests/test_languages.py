"""Cards in the ten main languages of England after English: every example builds, the
glyphs drawn in the PDF are HarfBuzz's shaping of the text in the same font (proof that
Arabic joined, Bengali conjuncts formed and Nastaliq flowed), text comes back in logical
order, phone numbers read left to right inside right-to-left lines, no glyph is missing,
and the QR code still decodes. A character no font has is an error that says what to do."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import uharfbuzz as hb
from bidi.algorithm import get_display  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf.generic import ContentStream
from ruamel.yaml import YAML

from cardgen.pipeline import BuildOptions, build_campaign
from cardgen.text.fonts import available_faces
from tests.conftest import EXAMPLES, run_cli
from tests.pdfprobe import decode_page

LANGUAGES = ("pl", "ro", "pa", "ur", "pt", "es", "ar", "bn", "gu", "it")
COMPLEX = ("pa", "ur", "ar", "bn", "gu")
RTL = ("ur", "ar")
URL = "https://www.nspcc.org.uk/"


@dataclass
class DrawnLine:
    """One line of text drawn in a card face: the text it stands for (its ActualText, or
    the characters of plain text), each glyph's font, outline signature and x position."""

    text: str
    shaped: bool
    fonts: list[str]
    sigs: list[tuple[object, ...]]
    chars: list[str]
    xs: list[float]


def _signature(font: TTFont, glyph_name: str) -> tuple[object, ...]:
    glyf = font["glyf"]
    coords, ends, _ = glyf[glyph_name].getCoordinates(glyf)
    return (tuple((round(x), round(y)) for x, y in coords), tuple(ends),
            font["hmtx"][glyph_name][0])


def _to_unicode(font_dict: pypdf.generic.DictionaryObject) -> dict[int, str]:
    cmap = font_dict["/ToUnicode"].get_object().get_data().decode("latin-1")
    return {int(a, 16): chr(int(b, 16)) for a, b in re.findall(r"<(\w\w)> <(\w{4})>", cmap)}


def face_lines(pdf: bytes) -> list[DrawnLine]:
    """Every text line drawn in the first card-face form of the PDF."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    form = next(iter(page["/Resources"]["/XObject"].values())).get_object()
    fonts = form["/Resources"]["/Font"]
    subsets: dict[str, tuple[TTFont, dict[int, str], dict[int, str], str]] = {}
    for key, ref in fonts.items():
        font_dict = ref.get_object()
        if "/FontDescriptor" not in font_dict:
            continue
        data = font_dict["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        ttf = TTFont(io.BytesIO(data))
        codes = ttf["cmap"].getcmap(1, 0).cmap
        subsets[key] = (ttf, codes, _to_unicode(font_dict),
                        str(font_dict["/BaseFont"]).split("+", 1)[1])
    lines: list[DrawnLine] = []
    words: list[str] = []
    current: DrawnLine | None = None
    font_key = ""
    x = 0.0
    for operands, op in ContentStream(form, reader).operations:
        # A word's /Span says what poppler copies; the inner spans are pdfium's reading.
        if op == b"BDC" and operands[0] == "/Span" and "/ActualText" in operands[1]:
            words.append(str(operands[1]["/ActualText"]))
        elif op == b"BT":
            current = DrawnLine("", False, [], [], [], [])
            words = []
        elif op == b"ET" and current is not None:
            if current.sigs:
                current.shaped = bool(words)
                current.text = _logical(words) if words else "".join(current.chars)
                lines.append(current)
            current = None
        elif op == b"Tf":
            font_key = str(operands[0])
        elif op == b"Tm":
            x = float(operands[4])
        elif op == b"Tj" and current is not None and font_key in subsets:
            ttf, codes, uni, name = subsets[font_key]
            for code in bytes(operands[0].original_bytes):
                current.fonts.append(name)
                current.sigs.append(_signature(ttf, codes[code]))
                current.chars.append(uni.get(code, "\ufffd"))
                current.xs.append(x)
    return lines


def _logical(words: list[str]) -> str:
    """A shaped line's text in logical order from its words' ActualText, which cardgen
    writes in visual order (a right-to-left word reversed), as readers expect."""
    visual = " ".join(words)
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in visual):
        return visual
    return str(get_display(visual, base_dir="R"))


@cache
def _font_file(ps_name: str) -> Path:
    for face in available_faces():
        if TTFont(face.path, lazy=True)["name"].getDebugName(6) == ps_name:
            return face.path
    raise AssertionError(f"no available font is named {ps_name}")


@cache
def _font(path: Path) -> TTFont:
    return TTFont(path)


def harfbuzz_sigs(text: str, path: Path, language: str, *, spaces: bool = True
                  ) -> tuple[list[int], list[object]]:
    """HarfBuzz's glyphs for `text` in the font at `path`, in visual order (without the
    spaces' unless `spaces`)."""
    blob = hb.Blob.from_file_path(str(path))
    font = hb.Font(hb.Face(blob))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.language = language
    hb.shape(font, buf, {})
    order = _font(path).getGlyphOrder()
    # A shaped line draws no glyph for a space (it has no outline; readers see the gap).
    gids = [info.codepoint for info in buf.glyph_infos
            if spaces or text[info.cluster] != " "]
    return gids, [_signature(_font(path), order[g]) for g in gids]


def build(path: Path, out: Path) -> bytes:
    result = build_campaign(path, BuildOptions(output_dir=out))
    return next(p for p in result.files if p.suffix == ".pdf").read_bytes()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("languages")
    return {lang: build(EXAMPLES / "languages" / f"{lang}.yaml", out / lang)
            for lang in LANGUAGES}


def _example_texts(lang: str) -> dict[str, str]:
    data = YAML(typ="safe").load((EXAMPLES / "languages" / f"{lang}.yaml").read_text("utf-8"))
    return {"title": data["front"]["title"], "text": data["front"]["text"],
            "footer": data["front"]["footer"],
            "hours": data["helplines"]["childline"]["hours"]}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_drawn_glyphs_are_harfbuzz_shaping_of_the_line_in_the_same_font(
        built: dict[str, bytes], lang: str) -> None:
    lines = face_lines(built[lang])
    compared = 0
    for line in lines:
        if len(set(line.fonts)) != 1:
            continue  # a line mixing fonts (a number in a script font's line) is shaped per run
        path = _font_file(line.fonts[0])
        gids, expected = harfbuzz_sigs(line.text, path, lang, spaces=not line.shaped)
        assert 0 not in gids, f"HarfBuzz has no glyph for part of {line.text!r}"
        assert line.sigs == expected, f"{lang}: {line.text!r} is not drawn as HarfBuzz shapes it"
        compared += 1
    assert compared >= 5
    if lang in COMPLEX:
        # Shaped: the drawn glyphs are not the characters' own glyphs one by one.
        title = next(line for line in lines
                     if line.shaped and _example_texts(lang)["title"].startswith(line.text))
        assert title.shaped
        ttf = _font(_font_file(title.fonts[0]))
        cmap = ttf.getBestCmap()
        plain = [_signature(ttf, cmap[ord(c)]) for c in title.text if ord(c) in cmap
                 and unicodedata.category(c) != "Cf"]
        assert title.sigs != plain


@pytest.mark.parametrize("lang", LANGUAGES)
def test_text_comes_back_in_logical_order(built: dict[str, bytes], lang: str) -> None:
    texts = _example_texts(lang)
    # Lines are drawn top to bottom, so a wrapped field's lines follow each other.
    drawn = " ".join(line.text for line in face_lines(built[lang]))
    for field in ("title", "text", "hours", "footer"):
        assert " ".join(texts[field].split()) in drawn, field


@pytest.mark.parametrize("lang", ("bn", "gu", "pa", "pl"))
def test_pdfium_extracts_left_to_right_scripts_in_logical_order(
        built: dict[str, bytes], lang: str) -> None:
    document = pypdfium2.PdfDocument(built[lang])
    try:
        extracted = " ".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()
    texts = _example_texts(lang)
    assert texts["title"] in extracted
    assert texts["hours"] in extracted


@pytest.mark.parametrize("lang", RTL)
def test_a_phone_number_inside_a_right_to_left_line_reads_left_to_right(
        tmp_path: Path, lang: str) -> None:
    data = YAML(typ="safe").load((EXAMPLES / "languages" / f"{lang}.yaml").read_text("utf-8"))
    number_word = {"ar": "اتصل بالرقم", "ur": "اس نمبر پر کال کریں"}[lang]
    data["front"]["footer"] = f"{number_word} 0808 800 5000"
    target = tmp_path / f"{lang}.yaml"
    YAML().dump(data, target)
    lines = face_lines(build(target, tmp_path / "out"))
    line = next(line for line in lines if "0808" in line.text and line.shaped)
    digits = sorted((x, c) for x, c in zip(line.xs, line.chars, strict=True) if c.isdigit())
    assert "".join(c for _, c in digits) == "08088005000"
    # ... and the number sits at the line's left end, after (to the left of) the words.
    letters = [x for x, c in zip(line.xs, line.chars, strict=True)
               if not c.isdigit() and not c.isspace()]
    assert max(x for x, _ in digits) < min(letters)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_glyph_is_missing(built: dict[str, bytes], lang: str) -> None:
    for line in face_lines(built[lang]):
        for name, sig in zip(line.fonts, line.sigs, strict=True):
            font = _font(_font_file(name))
            assert sig != _signature(font, font.getGlyphOrder()[0]), line.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_qr_code_still_decodes(built: dict[str, bytes], lang: str) -> None:
    assert decode_page(built[lang], 0) == [URL] * 10


@pytest.mark.parametrize("lang", RTL)
def test_right_to_left_cards_align_left_aligned_text_to_the_right(lang: str) -> None:
    from cardgen.input.model import CardSpec
    from cardgen.layout.designs import load_design
    from cardgen.layout.face import layout_face
    from cardgen.text.measure import load_font_family

    data = YAML(typ="safe").load((EXAMPLES / "languages" / f"{lang}.yaml").read_text("utf-8"))
    data["front"]["write_in"] = {"ar": "الشخص البالغ الذي أثق به:",
                                 "ur": "میرا قابلِ اعتماد بڑا:"}[lang]
    layout, problems = layout_face(
        CardSpec.model_validate(data), "front", design=load_design("classic", EXAMPLES),
        fonts=load_font_family("Atkinson Hyperlegible", EXAMPLES), card_w=55.0, card_h=85.0,
        qr_payload=URL, base_dir=EXAMPLES)
    assert layout is not None, problems
    (label,) = [t for t in layout.text_items if t.field == "front.write_in"]
    assert label.align == "right" and label.shaped is not None


def test_a_character_no_font_has_fails_naming_it_the_field_and_what_to_install(
        tmp_path: Path) -> None:
    source = EXAMPLES / "languages" / "ur.yaml"
    target = tmp_path / "ur.yaml"
    shutil.copy(source, target)
    text = target.read_text("utf-8")
    target.write_text(re.sub(r"(?m)^  title: .*$", '  title: "担心孩子吗?"', text), "utf-8")
    result = run_cli("build", str(target), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "CG610" in result.output
    assert "U+62C5" in result.output and "担" in result.output
    assert "front.title" in result.output
    assert "install" in result.output
    assert not (tmp_path / "out").exists()


def test_list_fonts_shows_the_scripts_each_font_covers() -> None:
    result = run_cli("list", "fonts")
    assert result.exit_code == 0
    rows = {line.split("  ")[0]: line for line in result.output.splitlines()[2:]}
    assert "Gurmukhi" in rows["Noto Sans Gurmukhi"]
    assert "Arabic" in rows["Noto Nastaliq Urdu"] and "2.6" in rows["Noto Nastaliq Urdu"]
    assert "Bengali" in rows["Hind Siliguri"]
    assert "Latin" in rows["Atkinson Hyperlegible"]


# --- what a reader copies: poppler (pdftotext) and pdfium, the two engines most viewers use

_PUNCTUATION = ".,;:!?،؛؟۔"


def _words(text: str) -> list[str]:
    # Readers add bidi controls around runs, and place punctuation at a word's edge, and
    # the space between a number or a left-to-right word and a right-to-left word, by their
    # own rules: words are compared without them, numbers and left-to-right letters apart.
    text = re.sub("[\u202a-\u202e\u200e\u200f]", "", text)
    pieces = ("".join(run) for w in text.split()
              for _, run in itertools.groupby(w, key=_kind))
    return [p.strip(_PUNCTUATION) for p in pieces if p.strip(_PUNCTUATION)]


def _kind(char: str) -> str:
    if char.isdigit():
        return "digit"
    return "left-to-right" if unicodedata.bidirectional(char) == "L" else "other"


def _poppler_text(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (Debian package poppler-utils, .ci/run)")
    path = tmp_path / "card.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, "-f", "1", "-l", "1", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _pdfium_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def _in_order(words: list[str], extracted: list[str]) -> bool:
    n = len(words)
    return any(extracted[i:i + n] == words for i in range(len(extracted) - n + 1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_poppler_copies_every_language_in_logical_order(
        built: dict[str, bytes], lang: str, tmp_path: Path) -> None:
    extracted = _words(_poppler_text(built[lang], tmp_path))
    texts = _example_texts(lang)
    assert _in_order(_words(texts["title"]), extracted), extracted[:12]
    assert _in_order(_words(texts["hours"]), extracted), extracted[:12]
    for field in ("text", "footer"):
        for word in _words(texts[field]):
            assert word in extracted, (field, word)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pdfium_copies_every_language_in_logical_order(
        built: dict[str, bytes], lang: str) -> None:
    extracted = _words(_pdfium_text(built[lang]))
    for field, text in _example_texts(lang).items():
        assert _in_order(_words(text), extracted), (field, extracted[:12])


@pytest.mark.parametrize("lang", RTL)
def test_pdfium_copies_right_to_left_lines_whole_with_their_punctuation(
        built: dict[str, bytes], lang: str) -> None:
    # Issue 16: pdfium moved an Arabic vowel mark ("مجانًا" came out "اًمجان"), repeated
    # a Nastaliq word whose letters reach into the next ("خطرے خطرےمیں") and put
    # punctuation at the wrong end of a word ("،مباشر").
    lines = _pdfium_text(built[lang]).split("\r\n")
    texts = _example_texts(lang)
    for field in ("title", "hours", "footer"):
        assert texts[field] in lines, (field, lines[:10])
    # The text wraps: its lines follow each other.
    assert texts["text"] in " ".join(lines), lines[:10]


def test_arabic_and_urdu_lines_no_longer_copy_character_reversed(
        built: dict[str, bytes], tmp_path: Path) -> None:
    # The regression of issue 16: pdftotext gave every Arabic and Urdu line reversed.
    for lang in RTL:
        title = _words(_example_texts(lang)["title"])
        reversed_title = [w[::-1] for w in reversed(title)]
        for extracted in (_words(_poppler_text(built[lang], tmp_path)),
                          _words(_pdfium_text(built[lang]))):
            assert _in_order(title, extracted)
            assert not _in_order(reversed_title, extracted)


def test_same_card_same_bytes_whatever_was_drawn_before(built: dict[str, bytes],
                                                        tmp_path: Path) -> None:
    # Shaped glyphs get private-use codes in the order a process first draws them; the file
    # must not show it (the fixture drew Polish, Romanian and Panjabi before Urdu).
    assert build(EXAMPLES / "languages" / "ur.yaml", tmp_path / "again") == built["ur"]


# --- any right-to-left line copies in logical order, in poppler and pdfium

_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "ٹپچڈڑژکگںھہیے"
_MARKS = "ًٌٍَُِّْ"
_word = st.builds(
    lambda letters, marks: "".join(c + m for c, m in zip(letters, marks[:len(letters)],
                                                         strict=True)),
    st.text(_LETTERS, min_size=2, max_size=6),
    st.lists(st.sampled_from(["", "", "", *_MARKS]), min_size=6, max_size=6))
_rtl_word = st.one_of(_word, _word, st.tuples(_word, st.sampled_from(".،؟!:۔")).map("".join))
#: At most one of these in a title: poppler reads a number beside a left-to-right word,
#: and two one-letter words side by side, by rules of its own.
_other = st.sampled_from(["و", "999", "116 123", "NSPCC", "Childline", "24/7"])


@settings(max_examples=60)
@given(words=st.lists(_rtl_word, min_size=1, max_size=4), other=st.none() | _other,
       at=st.integers(0, 4), lang=st.sampled_from(RTL))
def test_any_right_to_left_title_copies_in_logical_order(
        words: list[str], other: str | None, at: int, lang: str) -> None:
    from cardgen.input.model import CardSpec
    from cardgen.layout.designs import load_design
    from cardgen.layout.face import layout_face
    from cardgen.layout.placed import PagePlan, Placement
    from cardgen.pdf.draw import render_document
    from cardgen.text.measure import load_font_family

    title = " ".join(words[:at] + ([other] if other else []) + words[at:])
    fonts = load_font_family("Atkinson Hyperlegible", EXAMPLES)
    spec = CardSpec.model_validate({"campaign": "Copy", "language": lang,
                                    "card": {"size": "phone-case", "design": "classic"},
                                    # A card's worth of text in its language: poppler
                                    # takes a page's direction from most of its letters.
                                    "front": {"title": title,
                                              "text": _example_texts(lang)["text"]}})
    face, problems = layout_face(spec, "front", design=load_design("classic", EXAMPLES),
                                 fonts=fonts, card_w=55.0, card_h=85.0, qr_payload=None,
                                 base_dir=EXAMPLES)
    assert face is not None, problems
    page = PagePlan(face.width, face.height, (Placement("f", 0.0, 0.0, face.width,
                                                        face.height, 0),))
    pdf = render_document([page], {"f": face}, title="copy", furniture_font=fonts.regular)
    lines = [t.text for t in face.text_items if t.field == "front.title"]
    # pdfium: each printed line exactly, punctuation and vowel marks in place.
    copied = _pdfium_text(pdf).split("\r\n")
    for line in lines:
        assert " ".join(line.replace("\u00a0", " ").split()) in copied, (line, copied)
    if next(unicodedata.bidirectional(c) for c in title if c.isalpha()) == "L":
        return  # poppler reads a left-to-right paragraph on a right-to-left card from the
        # right, as it reads the page
    # poppler: every word, and each line it makes in logical order. It places edge
    # punctuation by its own rules, and a vowel mark ending a word beside a left-to-right
    # word before the word's letters (it takes the mark for a neutral character), so those
    # are compared without marks; and it may read a short last word as a block of its own.
    with tempfile.TemporaryDirectory() as tmp:
        copied = _poppler_text(pdf, Path(tmp))
    expected = _words(_unmarked(title))
    got = [_words(_unmarked(line)) for line in copied.splitlines()]
    assert not Counter(expected) - Counter(w for line in got for w in line), (title, copied)
    for line in got:
        if line and set(line) <= set(expected):
            assert _in_order(line, expected), (title, copied)


def _unmarked(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


@pytest.mark.parametrize("lang", RTL)
def test_pdfium_copies_a_card_turned_on_its_sheet_whole(lang: str, tmp_path: Path) -> None:
    # Portrait cards on a sheet of landscape business cards are drawn turned 90 degrees.
    text = (EXAMPLES / "languages" / f"{lang}.yaml").read_text("utf-8")
    text = text.replace("size: phone-case", "size: {width: 54mm, height: 85mm}")
    source = tmp_path / f"{lang}.yaml"
    source.write_text(text.replace("sheet: a4-10up", "sheet: avery-c32011"), "utf-8")
    pdf = build(source, tmp_path / "out")
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert page is not None and b" 0 1 -1 0 " in page.get_data()  # the faces are turned
    lines = _pdfium_text(pdf).split("\r\n")
    texts = _example_texts(lang)
    for field in ("title", "hours", "footer"):
        assert texts[field] in lines, (field, lines[:10])
