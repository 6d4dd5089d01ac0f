"""Laying out one card face: the design says where, the text is fitted, items are placed.

The design's blocks are stacked inside the safe margin. Text is wrapped; if the face does
not fit, every text style on it shrinks together (one scale factor, each style stopping
at its own minimum) before the QR code is allowed to fall below 0.6 mm modules (the error
line; when its code at M cannot get that, the smaller code at L is tried); if it still does
not fit at the minimum sizes, the field that takes the most room is reported with the room
the design leaves it (CG710). Nothing is clipped and nothing overlaps: every item comes from
a box of its own. Once the code's side is known, its error correction is chosen
(`qr.encode.choose_level`) and its size checked (CG401, CG402, CG621).

Text in a script other than Latin, right-to-left text, or text with characters the card's
font lacks is shaped with HarfBuzz (`cardgen.text.shaping`, fonts from `cardgen.text.fonts`): it is
measured, wrapped and shrunk on its shaped widths, its lines are as tall as its fonts need
(Nastaliq 2.6 x size), and its text items carry the glyphs to draw. Pure Latin text stays
on the fast plain path. On right-to-left faces (language ar, ur, fa, he ...: the face's own
`language`, else the card's) the design's left and right alignments are mirrored; each
paragraph reads in the direction of its first letter.

A design's look is placed here too: its colours (`design_colours`: the card's own win), the
face's fill, edge bands the content keeps clear of, fixed labels, a stamps grid, a
background picture (`card.background`, covering the card into the bleed) and a paper patch
under the QR code on any face that is not plain paper. A logo that leaves no room on a line
of its own stands beside the title instead (only when the design's stacking does not fit).

Also checked here, before anything is drawn: every printed character exists in the card's
font or a fallback font (CG610, naming what to install), text contrast against the paper
or the face's fill (CG712), paper light enough for a black QR (CG713), elements the design
has no place for (CG714, a warning), fixed labels printed in English because the face's
language has none (CG182, a warning), helpline ids (CG715), the logo file (CG720), the
background picture (CG750, CG751) and, once placed, each line of text against the pixels
of the picture under it (CG752).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cardgen.checks.channels import printed_link
from cardgen.errors import DocPath, InputError, Problem
from cardgen.input.labels import has_labels, label, labelled_languages
from cardgen.input.languages import language_name
from cardgen.input.model import CardSpec, Face, Helpline
from cardgen.input.units import BLACK, Colour, contrast_ratio, relative_luminance
from cardgen.layout.backdrop import PICTURE_OVERHANG, Backdrop, backdrop, check_image
from cardgen.layout.designs import (
    FACE_FIELDS,
    TEXT_ELEMENTS,
    Block,
    Design,
    FaceDesign,
    LabelBlock,
    Orientation,
    Piece,
    RowBlock,
    Stamps,
    StampsBlock,
    Styles,
    TextStyle,
    block_elements,
)
from cardgen.layout.fitcache import ANY_WIDTH, BlockHolds, Holds, LayoutCache, Span, TooWide
from cardgen.layout.placed import (
    Align,
    CircleItem,
    FaceLayout,
    GlyphRun,
    ImageItem,
    Item,
    QrItem,
    RectItem,
    RuleItem,
    TextItem,
)
from cardgen.qr.encode import (
    MIN_MODULE_MM,
    WARN_MODULE_MM,
    QrCode,
    SizeContext,
    check_module_size,
    choose_level,
    encode,
    symbol_at,
)
from cardgen.text import fonts as fontdb
from cardgen.text.fonts import FontRef
from cardgen.text.measure import (
    FontFamily,
    font_extents,
    font_ref_for,
    logical_text,
    needs_shaping,
    shaped_extents,
    text_width_mm,
    wrap_shaped_text,
    wrap_tokens_span,
)
from cardgen.text.shaping import Direction, ShapedLine

Side = Literal["front", "back"]

TEXT_CONTRAST = 4.5
QR_PAPER_CONTRAST = 7.0
#: The layout shrinks text (down to each style's minimum) before a code's modules go under
#: this, the error line. Between it and the warning line (0.8 mm) the code is warned about
#: instead, with what would make it bigger: the user chooses, and text keeps its size.
PREFERRED_MODULE_MM = MIN_MODULE_MM
RULE_PT = 0.6
_EPS = 1e-6
_PT_MM = 25.4 / 72.0


# --- colours ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """The colours a card prints in: the card's own, else its design's, else the defaults."""

    ink: Colour
    paper: Colour
    accent: Colour

    def role(self, name: str) -> Colour:
        return {"accent": self.accent, "paper": self.paper}.get(name, self.ink)


def design_colours(spec: CardSpec, design: Design) -> Palette:
    """Each colour the card sets in `card.colours`, else the design's suggestion for it."""
    card = spec.card.colours
    given = card.model_fields_set if "colours" in spec.card.model_fields_set else set()
    suggested = design.colours

    def pick(name: str) -> Colour:
        if name not in given and suggested is not None \
                and name in suggested.model_fields_set:
            colour: Colour = getattr(suggested, name)
            return colour
        chosen: Colour = getattr(card, name)
        return chosen

    return Palette(pick("ink"), pick("paper"), pick("accent"))


# --- measured pieces ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    font: FontRef
    size: float
    colour: Colour
    align: Align
    field: str
    shaped: ShapedLine | None = None


@dataclass(frozen=True)
class _Slot:
    """One horizontal strip of a column: a text line, blank space, a rule or the logo.
    A rule of `rule_length` 0 runs the column's full width."""

    height: float
    line: _Line | None = None
    rule: bool = False
    logo: bool = False
    rule_length: float = 0.0
    rule_pt: float = RULE_PT
    rule_accent: bool = False
    align: Align = "center"
    stamps: Stamps | None = None
    #: the colour role of a rule that is not the accent (the write-in line: its label's)
    rule_role: str = "ink"


class _NoFit(Exception):
    """This attempt does not fit; carries what the error message needs."""

    def __init__(self, width: float, height: float, parts: list[tuple[str, float]],
                 gaps: float, token: tuple[str, str, DocPath, float, float] | None = None
                 ) -> None:
        super().__init__("no fit")
        self.width = width
        self.height = height
        self.parts = parts
        self.gaps = gaps
        # (element, token text, path, token width mm, size pt) of an unbreakable piece
        # wider than the column.
        self.token = token


@dataclass
class _Env:
    spec: CardSpec
    side: Side
    face: Face
    design: Design
    face_design: FaceDesign
    fonts: FontFamily
    ink: Colour
    accent: Colour
    helplines: list[tuple[str, Helpline]]
    qr: QrCode | None
    logo: tuple[Path, float] | None  # path, width / height
    #: what this build has fitted before (text, helpline entries)
    cache: LayoutCache
    #: the card's paper colour (text in the `paper` role, the QR code's patch) and the
    #: face's background colour (its design's `fill`)
    paper: Colour = BLACK
    fill: Colour = BLACK
    #: small stand-in for everything besides the text that fitting text reads (side, design,
    #: fonts, colours, language): keeps the keys of the fitting caches cheap to hash
    context: int = 0
    #: the tallest a block of helplines may grow in this attempt: one taller cannot fit the
    #: face, so fitting it stops there (10,000 helplines are not fitted at every text size)
    height_limit: float = math.inf

    @property
    def styles(self) -> Styles:
        return self.face_design.styles

    def font(self, style: TextStyle) -> FontRef:
        return self.fonts.bold if style.bold else self.fonts.regular

    def colour(self, style: TextStyle) -> Colour:
        return self.role(style.colour)

    def role(self, name: str) -> Colour:
        return {"accent": self.accent, "paper": self.paper}.get(name, self.ink)

    @property
    def language(self) -> str:
        # A face may be in its own language (an English front, an Urdu back).
        return self.face.language or self.spec.language

    def align(self, style: TextStyle) -> Align:
        # Right-to-left cards mirror the design: what starts at the left starts at the right.
        if fontdb.is_rtl_language(self.language):
            return {"left": "right", "right": "left", "center": "center"}[style.align]  # type: ignore[return-value]
        return style.align

    @property
    def label_direction(self) -> Direction:
        """The direction of the labels cardgen prints (`labels`): the face language's."""
        return "rtl" if fontdb.is_rtl_language(self.language) else "auto"

    def shaped_line_height(self, line: ShapedLine, size: float) -> float:
        ascent, descent = shaped_extents(line)
        spacing = max(self.design.line_spacing, line.line_spacing, ascent + descent)
        return spacing * size * _PT_MM

    def line_height(self, font: FontRef, size: float) -> float:
        ascent, descent = font_extents(font)
        return max(self.design.line_spacing, ascent + descent) * size * _PT_MM

    def present(self, name: Piece) -> bool:
        if not isinstance(name, str):
            return True  # the design's own labels and stamps
        if name == "qr":
            return self.qr is not None
        if name == "logo":
            return self.logo is not None
        if name == "helplines":
            return bool(self.helplines)
        if name == "footer" and self.face.silent_call:
            return True
        return _face_text(self.face, name) is not None


def _face_text(face: Face, name: str) -> str | None:
    value = getattr(face, name, None)
    return value if isinstance(value, str) else None


def _size(style: TextStyle, scale: float) -> float:
    # Quarter points: tidy sizes, and the same size for the same scale on every card.
    return max(style.min, math.floor(style.size * scale * 4 + _EPS) / 4)


def _text_slots(env: _Env, element: str, tokens: list[str], style: TextStyle, width: float,
                scale: float, field_name: str, path: DocPath, span: Span | None = None,
                direction: Direction = "auto") -> list[_Slot]:
    """The lines of `tokens` wrapped to `width`. With `span`, narrows it to the widths
    that wrap the same (see `Span`). `direction`: the paragraph's, when its first letter
    does not say it (see `_number_lines`)."""
    size = _size(style, scale)
    font = env.font(style)
    joined = " ".join(tokens)
    if needs_shaping(joined, font, env.language):
        if span is not None:
            span.exact = width
        return _shaped_slots(env, element, joined, style, width, size, field_name, path,
                             direction)
    lines, low, high = wrap_tokens_span(tokens, font, size, width)
    if span is not None:
        span.low = max(span.low, low)
        span.high = min(span.high, high)
    if lines is None:
        wide = next(t for t in tokens if text_width_mm(t, font, size) > width + 1e-9)
        raise _NoFit(width, 0.0, [], 0.0,
                     (element, wide, path, text_width_mm(wide, font, size), size))
    height = env.line_height(font, size)
    return [_Slot(height, _Line(line, font, size, env.colour(style), env.align(style),
                                field_name))
            for line in lines]


def _shaped_slots(env: _Env, element: str, text: str, style: TextStyle, width: float,
                  size: float, field_name: str, path: DocPath,
                  direction: Direction = "auto") -> list[_Slot]:
    """Text that needs HarfBuzz (non-Latin scripts, right to left, fallback fonts), wrapped
    on its shaped widths; each line keeps its glyphs for drawing."""
    font = env.font(style)
    lines = wrap_shaped_text(text, font, size, width, env.language, style.bold, direction)
    if lines is None:
        words = text.split()
        widths = [_shaped_width(env, w, font, size, style.bold) for w in words]
        widest = max(range(len(words)), key=lambda i: widths[i])
        raise _NoFit(width, 0.0, [], 0.0,
                     (element, words[widest], path, widths[widest], size))
    colour, align = env.colour(style), env.align(style)
    return [_Slot(env.shaped_line_height(line, size),
                  _Line(logical_text(line), font, size, colour, align, field_name, line))
            for line in lines]


def _shaped_width(env: _Env, word: str, font: FontRef, size: float, bold: bool) -> float:
    lines = wrap_shaped_text(word, font, size, 1e6, env.language, bold)
    return max((line.width_mm for line in lines or ()), default=0.0)


def _glyph_runs(line: ShapedLine, primary: FontRef) -> tuple[GlyphRun, ...]:
    runs: list[GlyphRun] = []
    current: list[tuple[int, float, float, str]] = []
    current_font: Path | None = None
    for glyph, text in zip(line.placed(), line.glyph_texts(), strict=True):
        if glyph.font != current_font and current:
            assert current_font is not None
            runs.append(_glyph_run(current_font, primary, current))
            current = []
        current_font = glyph.font
        current.append((glyph.gid, glyph.x_pt, glyph.y_pt, text))
    if current and current_font is not None:
        runs.append(_glyph_run(current_font, primary, current))
    return tuple(runs)


def _glyph_run(path: Path, primary: FontRef, glyphs: list[tuple[int, float, float, str]]
               ) -> GlyphRun:
    return GlyphRun(font_ref_for(path, primary), tuple(g[0] for g in glyphs),
                    tuple(round(g[1], 4) for g in glyphs),
                    tuple(round(g[2], 4) for g in glyphs), tuple(g[3] for g in glyphs))


def _paragraph_slots(env: _Env, element: str, text: str, style: TextStyle, width: float,
                     scale: float, span: Span | None = None, *, field_name: str = "",
                     path: DocPath = ()) -> list[_Slot]:
    slots: list[_Slot] = []
    path = path or (env.side, element)
    field_name = field_name or f"{env.side}.{element}"
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            continue
        slots += _text_slots(env, element, words, style, width, scale, field_name, path,
                             span)
    return slots


def _number_lines(helpline: Helpline, language: str
                  ) -> list[tuple[str, list[str], list[str]]]:
    """(field, words before the number, the number) of each way to reach a helpline.
    The number is one token, printed as written and never broken; the words before it
    ("Text SHOUT to", "WhatsApp", in the face's language: `labels`) go on a smaller line
    above it."""
    lines: list[tuple[str, list[str], list[str]]] = []
    if helpline.phone:
        lines.append(("phone", [], [helpline.phone]))
    if helpline.sms:
        words = (label("sms_with_keyword", language, keyword=helpline.sms_body)
                 if helpline.sms_body else label("sms", language))
        lines.append(("sms", words.split(), [helpline.sms]))
    if helpline.whatsapp:
        lines.append(("whatsapp", label("whatsapp", language).split(), [helpline.whatsapp]))
    return lines


def _channel_lines(helpline: Helpline, language: str) -> list[tuple[str, list[str], str]]:
    """(field, label words, address) of a helpline's email and web chat: the label in the
    face's language, then the address as one token (never broken), in the name's style."""
    lines: list[tuple[str, list[str], str]] = []
    if helpline.email:
        lines.append(("email", label("channel_email", language).split(),
                      helpline.email.strip()))
    if helpline.chat:
        lines.append(("chat", label("channel_chat", language).split(),
                      printed_link(helpline.chat)))
    return lines


def _off_the_bill(helpline: Helpline, language: str) -> str | None:
    """"Won't show on your phone bill", in the face's language, for `shows_on_bill: false`."""
    return None if helpline.shows_on_bill else label("channel_off_the_bill", language)


def _silent_call(env: _Env) -> str | None:
    """The police Silent Solution line a face with `silent_call: true` prints after its
    footer, in the face's language."""
    return label("channel_silent_call", env.language) if env.face.silent_call else None


def _english_labels(env: _Env, orientation: Orientation) -> Problem | None:
    """CG182 (a warning) when the face prints fixed labels (`_number_lines`,
    `_channel_lines`, `_off_the_bill`, `_silent_call`, hours words in a helpline's `hours:`)
    and cardgen has none in its language: they come out in English. Located where the
    language is written (the face's own, else the card's), so that two faces in one
    language make one warning."""
    language = env.language
    if has_labels(language):
        return None
    prints_labels = (env.face.silent_call and env.face_design.places("footer", orientation)) \
        or (env.face_design.places("helplines", orientation) and any(
            h.sms or h.whatsapp or h.email or h.chat or not h.shows_on_bill
            or (h.hours and h.hours.words) for _, h in env.helplines))
    if not prints_labels:
        return None
    path: DocPath = (env.side, "language") if env.face.language else ("language",)
    name = language_name(language)
    return Problem(
        "CG182",
        f"{'.'.join(map(str, path))}: cardgen has no fixed labels in '{language}'"
        f"{f' ({name})' if name else ''}, so the words it prints itself beside the numbers "
        "(\"Text … to\", \"WhatsApp\", \"Email\" ...) are in English",
        "warning",
        f"the labels exist in {', '.join(labelled_languages())}: use one of these, or write "
        "those words yourself in the face's text",
        path)


def _helpline_slots(env: _Env, width: float, scale: float,
                    helplines: list[tuple[str, Helpline]],
                    spans: list[Span] | None = None) -> list[_Slot]:
    st = env.styles
    slots: list[_Slot] = []
    height = 0.0
    for index, (hid, helpline) in enumerate(helplines):
        if index:
            slots.append(_Slot(st.helpline_gap * max(0.5, scale)))
            height += slots[-1].height
        entry, span = _entry_slots(env, hid, helpline, width, scale)
        slots += entry
        height += sum(slot.height for slot in entry)
        if spans is not None:
            spans.append(span)
        if height > env.height_limit + _EPS:
            raise _NoFit(width, height, [("helplines", height)], 0.0)
    return slots


# Fitted helplines, one entry at a time: in a batch usually one entry (the school's own
# contact) differs between variants while the others are the same on every card, and the
# QR side search fits the column at several nearby widths per card, which mostly wrap the
# same: each entry keeps its few spans of widths (`fitcache.Span`), not one fit per width.
def _entry_slots(env: _Env, hid: str, helpline: Helpline, width: float, scale: float
                 ) -> tuple[tuple[_Slot, ...], Span]:
    key = (env.context, hid, helpline.name, helpline.phone, helpline.sms, helpline.sms_body,
           helpline.whatsapp, helpline.hours, helpline.email, helpline.chat,
           helpline.shows_on_bill, scale)
    kept = env.cache.entries.find(key, width)
    if kept is not None:
        found, span = kept
        if isinstance(found, TooWide):
            raise _NoFit(width, 0.0, [], 0.0, found.token)
        return found, span
    span = Span()
    try:
        slots = tuple(_fit_entry(env, hid, helpline, width, scale, span))
    except _NoFit as fail:
        # Only a word or number wider than the column stops an entry (`_text_slots`); at
        # the widths of the span it is the same one, so the failure is kept too.
        assert fail.token is not None and fail.width == width and not fail.parts
        env.cache.entries.keep(key, span, TooWide(fail.token))
        raise
    env.cache.entries.keep(key, span, slots)
    return slots, span


def _fit_entry(env: _Env, hid: str, helpline: Helpline, width: float, scale: float,
               span: Span) -> list[_Slot]:
    st = env.styles
    slots: list[_Slot] = []
    base = f"{env.side}.helplines.{hid}"
    slots += _text_slots(env, "helplines", helpline.name.split(), st.helpline_name, width,
                         scale, f"{base}.name", ("helplines", hid, "name"), span)
    for key, words, number in _number_lines(helpline, env.language):
        path: DocPath = ("helplines", hid, key)
        if words:
            # A label is in the face's language whatever word it starts with ("SHOUT لکھ
            # کر بھیجیں" reads right to left on an Urdu face).
            slots += _text_slots(env, "helplines", words, st.helpline_name, width, scale,
                                 f"{base}.{key}", path, span, env.label_direction)
        slots += _text_slots(env, "helplines", number, st.helpline_number, width, scale,
                             f"{base}.{key}", path, span)
    off_the_bill = _off_the_bill(helpline, env.language)
    if off_the_bill is not None:
        slots += _text_slots(env, "helplines", off_the_bill.split(), st.helpline_hours, width,
                             scale, f"{base}.shows_on_bill", ("helplines", hid, "shows_on_bill"),
                             span)
    for key, words, address in _channel_lines(helpline, env.language):
        # the label and the address share a line when it is wide enough
        slots += _text_slots(env, "helplines", [*words, address], st.helpline_name, width,
                             scale, f"{base}.{key}", ("helplines", hid, key), span)
    if helpline.hours:
        slots += _text_slots(env, "helplines", helpline.hours.printed(env.language).split(),
                             st.helpline_hours, width, scale, f"{base}.hours",
                             ("helplines", hid, "hours"), span)
    return slots


def _write_in_slots(env: _Env, width: float, scale: float, span: Span | None = None
                    ) -> list[_Slot]:
    label = _face_text(env.face, "write_in") or ""
    slots = _paragraph_slots(env, "write_in", label, env.styles.write_in, width, scale, span)
    rule_h = RULE_PT * _PT_MM
    return [*slots, _Slot(env.styles.write_space),
            _Slot(rule_h, rule=True, rule_role=env.styles.write_in.colour)]


_TEXT_ELEMENTS = frozenset(TEXT_ELEMENTS)


def _element_plan(env: _Env, name: Piece, width: float, scale: float) -> _Plan:
    return _element_plan_holding(env, name, width, scale)[0]


def _piece_name(piece: Piece) -> str:
    """What a problem calls a piece: its element, or the design's own `label`/`stamps`."""
    if isinstance(piece, LabelBlock):
        return "label"
    if isinstance(piece, StampsBlock):
        return "stamps"
    if isinstance(piece, _LogoBeside):
        return "title"
    return piece


def _stamps_slots(env: _Env, stamps: Stamps, width: float) -> list[_Slot]:
    """A grid of circles as wide as the column allows, each at most the design's size."""
    pitch = min(stamps.size * 1.25, width / stamps.columns)
    return [_Slot(pitch * stamps.rows, stamps=stamps)]


def _element_plan_holding(env: _Env, name: Piece, width: float, scale: float
                          ) -> tuple[_Plan, Span | Holds]:
    """The element's plan at `width`, and the widths it is also the plan at. In a batch the
    same title and text are fitted on every card, so their plans are kept by the spans of
    widths that wrap them the same; helplines are kept entry by entry (`_entry_slots`)."""
    if isinstance(name, LabelBlock):
        span = Span()
        label = name.label
        slots = _paragraph_slots(env, "label", label.text, env.styles.text_style(label.style),
                                 width, scale, span, field_name="design.label",
                                 path=("card", "design"))
        return _SlotsPlan(slots), span
    if isinstance(name, StampsBlock):
        return _SlotsPlan(_stamps_slots(env, name.stamps, width)), ANY_WIDTH
    if isinstance(name, _LogoBeside):
        return _beside_plan(env, width, scale), Span(exact=width)
    if name == "helplines":
        return _helplines_plan_holding(env, width, scale)
    if name not in _TEXT_ELEMENTS:
        return _SlotsPlan(_element_slots(env, name, width, scale)), ANY_WIDTH
    key = (env.context, name, _face_text(env.face, name),
           name == "footer" and env.face.silent_call, scale)
    kept = env.cache.plans.find(key, width)
    if kept is not None:
        plan: _Plan = kept[0]
        return plan, kept[1]
    span = Span()
    slots = _element_slots(env, name, width, scale, span)
    made: _Plan = _SlotsPlan(slots, placed=None if any(s.logo for s in slots) else {})
    env.cache.plans.keep(key, span, made)
    return made, span


def _helplines_plan_holding(env: _Env, width: float, scale: float
                            ) -> tuple[_Plan, BlockHolds]:
    """The helplines in as many side-by-side columns (up to the design's limit, each at
    least its minimum width) as make the block shortest; fewer columns on a tie."""
    st = env.styles
    gap = _gap(env, scale) * 2
    best: _Plan | None = None
    # What the first failure said, not the exception itself: an exception kept in a local
    # of the frame it passed through is a reference cycle (exception, traceback, frame)
    # that holds every frame of the call and its locals until the garbage collector runs.
    failure: tuple[float, float, list[tuple[str, float]], float,
                   tuple[str, str, DocPath, float, float] | None] | None = None
    count = len(env.helplines)
    holds = BlockHolds(gap, st.helpline_column_min, [])
    for columns in range(1, min(st.helpline_columns, count) + 1):
        col_w = (width - gap * (columns - 1)) / columns
        if columns > 1 and col_w < st.helpline_column_min:
            holds.tried.append((columns, True, []))
            break
        per = math.ceil(count / columns)
        groups = [env.helplines[i:i + per] for i in range(0, count, per)]
        spans: list[Span] = []
        holds.tried.append((columns, False, spans))
        try:
            plans = [_SlotsPlan(_helpline_slots(env, col_w, scale, g, spans)) for g in groups]
        except _NoFit as fail:
            holds.failed = True
            failure = failure or (fail.width, fail.height, fail.parts, fail.gaps, fail.token)
            continue
        plan: _Plan = plans[0] if len(plans) == 1 else _ColumnsPlan(plans, gap)
        if best is None or plan.height < best.height - _EPS:
            best = plan
    if best is None:
        assert failure is not None
        raise _NoFit(*failure)
    return best, holds


def _gap(env: _Env, scale: float) -> float:
    # Gaps tighten with the text, down to half, so small cards keep their proportions.
    return env.design.gap * max(0.5, scale)


def _element_slots(env: _Env, name: str, width: float, scale: float,
                   span: Span | None = None) -> list[_Slot]:
    if name == "write_in":
        return _write_in_slots(env, width, scale, span)
    if name == "logo":
        # The logo shrinks with the text (to 60 %), so a small card keeps room for words.
        return [_Slot(env.styles.logo_height * max(0.6, min(1.0, scale)), logo=True)]
    text = _face_text(env.face, name) or ""
    style = env.styles.text_style(name)
    slots = _paragraph_slots(env, name, text, style, width, scale, span)
    silent = _silent_call(env) if name == "footer" else None
    if silent is not None:
        slots += _text_slots(env, name, silent.split(), style, width, scale,
                             f"{env.side}.silent_call", (env.side, "silent_call"), span)
    if name == "title" and env.styles.title_rule > 0:
        thickness = env.styles.title_rule_pt * _PT_MM
        slots += [_Slot(thickness * 2.5), _Slot(thickness, rule=True,
                                                rule_length=env.styles.title_rule,
                                                rule_pt=env.styles.title_rule_pt,
                                                rule_accent=True, align=style.align)]
    return slots


# --- plans: measured blocks that can be placed in a box ----------------------------------


class _Plan:
    height: float = 0.0

    def place(self, env: _Env, x: float, y: float, w: float, h: float) -> list[Item]:
        raise NotImplementedError


@dataclass
class _SlotsPlan(_Plan):
    slots: list[_Slot]
    height: float = 0.0
    #: the items placed before, by where and in what context; only on kept text plans,
    #: which a batch places at the same spot card after card (no logo slots: see `place`)
    placed: dict[tuple[float, float, float, int], tuple[Item, ...]] | None = field(
        default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.height = sum(s.height for s in self.slots)

    def place(self, env: _Env, x: float, y: float, w: float, h: float) -> list[Item]:
        # Items are frozen, so cards placed alike share them. Lines and rules depend only on
        # the spot and on the context (colours, fonts, side); a logo slot would depend on
        # the card's logo, and kept text plans have none.
        if self.placed is None:
            return self._place(env, x, y, w)
        key = (x, y, w, env.context)
        found = self.placed.get(key)
        if found is None:
            if len(self.placed) >= 16:
                self.placed.clear()
            found = self.placed[key] = tuple(self._place(env, x, y, w))
        return list(found)

    def _place(self, env: _Env, x: float, y: float, w: float) -> list[Item]:
        items: list[Item] = []
        top = y
        for slot in self.slots:
            if slot.line is not None:
                line = slot.line
                ascent, descent = (font_extents(line.font) if line.shaped is None
                                   else shaped_extents(line.shaped))
                size_mm = line.size * _PT_MM
                baseline = top + (slot.height - (ascent + descent) * size_mm) / 2
                baseline += ascent * size_mm
                anchor = {"left": x, "center": x + w / 2, "right": x + w}[line.align]
                shaped = None if line.shaped is None else _glyph_runs(line.shaped, line.font)
                width_pt = 0.0 if line.shaped is None else round(line.shaped.width_pt, 4)
                items.append(TextItem(line.text, anchor, baseline, line.font, line.size,
                                      line.colour, line.align, line.field, shaped, width_pt))
            elif slot.rule:
                mid = top + slot.height / 2
                length = min(w, slot.rule_length) if slot.rule_length > 0 else w
                rx = {"left": x, "center": x + (w - length) / 2, "right": x + w - length}[
                    slot.align]
                colour = env.accent if slot.rule_accent else env.role(slot.rule_role)
                items.append(RuleItem(rx, mid, rx + length, mid, slot.rule_pt, colour))
            elif slot.stamps is not None:
                items += _place_stamps(env, slot.stamps, x, top, w, slot.height)
            elif slot.logo and env.logo is not None:
                path, aspect = env.logo
                lh = slot.height
                lw = min(w, lh * aspect)
                lh = lw / aspect
                align = env.styles.logo_align
                lx = {"left": x, "center": x + (w - lw) / 2, "right": x + w - lw}[align]
                items.append(ImageItem(lx, top + (slot.height - lh) / 2, lw, lh, path))
            top += slot.height
        return items


def _place_stamps(env: _Env, stamps: Stamps, x: float, y: float, w: float, h: float
                  ) -> list[Item]:
    pitch = h / stamps.rows
    left = x + (w - pitch * stamps.columns) / 2
    colour = env.role(stamps.colour)
    return [CircleItem(round(left + (c + 0.5) * pitch, 4), round(y + (r + 0.5) * pitch, 4),
                       round(pitch * 0.4, 4), colour)
            for r in range(stamps.rows) for c in range(stamps.columns)]


@dataclass
class _ColumnsPlan(_Plan):
    columns: list[_SlotsPlan]
    gap: float
    height: float = 0.0

    def __post_init__(self) -> None:
        self.height = max(c.height for c in self.columns)

    def place(self, env: _Env, x: float, y: float, w: float, h: float) -> list[Item]:
        n = len(self.columns)
        col_w = (w - self.gap * (n - 1)) / n
        items: list[Item] = []
        for index, column in enumerate(self.columns):
            items += column.place(env, x + index * (col_w + self.gap), y, col_w, h)
        return items


@dataclass
class _QrPlan(_Plan):
    side_mm: float
    height: float = 0.0

    def __post_init__(self) -> None:
        self.height = self.side_mm

    def place(self, env: _Env, x: float, y: float, w: float, h: float) -> list[Item]:
        assert env.qr is not None
        return [QrItem(x + (w - self.side_mm) / 2, y + (h - self.side_mm) / 2, self.side_mm,
                       env.qr.payload, env.qr.modules, f"{env.side}.qr", env.qr.path,
                       env.qr.error_correction)]


@dataclass
class _StackPlan(_Plan):
    children: list[_Plan]
    gap: float
    height: float = 0.0

    def __post_init__(self) -> None:
        gaps = self.gap * max(0, len(self.children) - 1)
        self.height = sum(c.height for c in self.children) + gaps

    def place(self, env: _Env, x: float, y: float, w: float, h: float) -> list[Item]:
        extra = max(0.0, h - self.height)
        n = len(self.children)
        # Spare room first opens the gaps a little (up to 3x), then centres the whole.
        widen = min(extra / (n - 1), 2 * self.gap) if n > 1 else 0.0
        top = y + (extra - widen * (n - 1)) / 2
        items: list[Item] = []
        for child in self.children:
            items += child.place(env, x, top, w, child.height)
            top += child.height + self.gap + widen
        return items


@dataclass
class _RowPlan(_Plan):
    qr: _QrPlan
    column: _StackPlan
    qr_left: bool
    gap: float
    height: float = 0.0

    def __post_init__(self) -> None:
        self.height = max(self.qr.height, self.column.height)

    def place(self, env: _Env, x: float, y: float, w: float, h: float) -> list[Item]:
        side = self.qr.side_mm
        col_w = w - side - self.gap
        if self.qr_left:
            qx, cx = x, x + side + self.gap
        else:
            qx, cx = x + w - side, x
        return [*self.qr.place(env, qx, y, side, h), *self.column.place(env, cx, y, col_w, h)]


def _present_blocks(env: _Env, blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, RowBlock):
            column = [n for n in block.row.column if env.present(n)]
            if not env.present("qr"):
                out.extend(column)
            elif not column:
                out.append("qr")
            else:
                out.append(block)
        elif env.present(block):
            out.append(block)
    return out


def _plan_row(env: _Env, block: RowBlock, w: float, h: float, scale: float,
              qr_need: float) -> _RowPlan:
    assert env.qr is not None
    gap = _gap(env, scale)
    names: list[Piece] = [n for n in block.row.column if env.present(n)]
    cap = min(h, w * env.styles.qr_max, w - gap - 10.0)
    if cap <= 0:
        raise _NoFit(w, h, [("qr", qr_need)], 0.0)
    need = min(qr_need, cap)

    # The search tries nearby widths, which mostly wrap every element the same: a column
    # made before is the column again wherever all its elements' plans hold.
    made: list[tuple[list[Span | Holds], _StackPlan, list[tuple[str, float]], float]] = []

    def column_at(width: float) -> tuple[_StackPlan, list[tuple[str, float]], float]:
        found = next((m for m in made if all(v.holds(width) for v in m[0])), None)
        if found is None:
            planned = [_element_plan_holding(env, n, width, scale) for n in names]
            found = ([v for _, v in planned], _StackPlan([p for p, _ in planned], gap),
                     [(_piece_name(n), p.height)
                      for n, (p, _) in zip(names, planned, strict=True)],
                     gap * max(0, len(planned) - 1))
            made.append(found)
        return found[1], found[2], found[3]

    def fits(side: float) -> bool:
        try:
            return column_at(w - side - gap)[0].height <= h + _EPS
        except _NoFit:
            return False

    def attempt(side: float) -> _RowPlan:
        width = w - side - gap
        stack, parts, gaps = column_at(width)
        if stack.height > h + _EPS:
            raise _NoFit(width, h, list(parts), gaps)
        return _RowPlan(_QrPlan(side), stack, block.row.qr_left, gap)

    if fits(cap) or need >= cap - _EPS:
        return attempt(cap)  # raises when the code does not fit at its largest
    if not fits(need):
        attempt(need)  # raises: even the smallest acceptable code leaves no room
    lo, hi = need, cap
    # Five halvings find the QR side to 1/32 of the range (under 0.3 mm on a business
    # card); each more costs a column layout per card, which a batch pays a thousand times.
    for _ in range(5):
        mid = (lo + hi) / 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return attempt(lo)


def _plan_face(env: _Env, blocks: list[Block], w: float, h: float, scale: float,
               qr_need: float) -> _StackPlan:
    gap = _gap(env, scale)
    fixed: list[tuple[Piece, _Plan]] = []
    flex: Block | None = None
    for block in blocks:
        if block == "qr" or isinstance(block, RowBlock):
            flex = block
        else:
            fixed.append((block, _element_plan(env, block, w, scale)))
    gaps = gap * max(0, len(blocks) - 1)
    used = sum(p.height for _, p in fixed) + gaps
    avail = h - used
    parts = [(_piece_name(n), p.height) for n, p in fixed]
    flex_plan: _Plan | None = None
    if flex == "qr":
        cap = w * env.styles.qr_max
        side = min(cap, avail)
        if side < min(qr_need, cap) - _EPS:
            raise _NoFit(w, h, [*parts, ("qr", min(qr_need, cap))], gaps)
        flex_plan = _QrPlan(side)
    elif isinstance(flex, RowBlock):
        if avail <= 0:
            raise _NoFit(w, h, [*parts, ("qr", qr_need)], gaps)
        flex_plan = _plan_row(env, flex, w, avail, scale, qr_need)
    elif avail < -_EPS:
        raise _NoFit(w, h, parts, gaps)
    children: list[_Plan] = []
    fixed_iter = iter(fixed)
    for block in blocks:
        if block is flex and flex_plan is not None:
            children.append(flex_plan)
        else:
            children.append(next(fixed_iter)[1])
    return _StackPlan(children, gap)


def _styles_used(env: _Env, blocks: list[Block]) -> list[TextStyle]:
    st = env.styles
    names: list[Piece] = []
    for block in blocks:
        names += [block] if not isinstance(block, RowBlock) else list(block.row.column)
    used: list[TextStyle] = []
    for name in names:
        if isinstance(name, LabelBlock):
            used.append(st.text_style(name.label.style))
            continue
        if isinstance(name, _LogoBeside):
            used.append(st.title)
            continue
        if name == "helplines":
            used += [st.helpline_name, st.helpline_number, st.helpline_hours]
        elif name in TEXT_ELEMENTS:
            used.append(st.text_style(name))
    return used


def _scales(styles: list[TextStyle]) -> list[float]:
    floor = min((s.min / s.size for s in styles), default=1.0)
    scales: list[float] = []
    scale = 1.0
    while scale > floor + _EPS:
        scales.append(scale)
        scale = round(scale - 0.05, 4)
    scales.append(floor)
    return scales


# --- problems ----------------------------------------------------------------------------


def _ratio(ratio: float, limit: float) -> str:
    # Never print a failing ratio as the limit itself (4.499 is not "4.50").
    text = f"{ratio:.2f}"
    return f"{ratio:.3f}" if float(text) >= limit else text


def _fit_problem(env: _Env, fail: _NoFit) -> Problem:
    side = env.side
    if fail.token is not None:
        element, token, path, token_w, size = fail.token
        is_number = path[0] == "helplines" and path[-1] in ("phone", "sms", "whatsapp")
        is_address = path[0] == "helplines" and path[-1] in ("email", "chat")
        what = "number" if is_number else "address" if is_address else "word"
        return Problem(
            "CG710",
            f"{side}.{element} does not fit: the {what} '{token}' is {token_w:.1f} mm wide "
            f"at {size:g} pt, and the design leaves {fail.width:.1f} mm across for it",
            "error",
            "choose a bigger card size or another design"
            if is_number
            else "list this helpline on a face with more room, put the address in a QR code "
            f"instead (qr: {path[1]}.{path[-1]}), or choose a bigger card size"
            if is_address
            else "shorten or split that word, or choose a bigger card size",
            path,
        )
    # The design's own labels and stamps are not the user's to shorten.
    texts = [(n, hgt) for n, hgt in fail.parts if n not in ("qr", "logo", "label", "stamps")]
    if not texts:
        return Problem(
            "CG710",
            f"the {side} has no room for its QR code: the design leaves "
            f"{fail.width:.1f} mm x {fail.height:.1f} mm",
            "error", "choose a bigger card size or another design", (side, "qr"))
    element, needed = max(texts, key=lambda part: part[1])
    others = sum(hgt for n, hgt in fail.parts if n != element) + fail.gaps
    room = max(0.0, fail.height - others)
    style = env.styles.helpline_name if element == "helplines" else (
        env.styles.text_style(element))
    size = style.min
    if element == "helplines":
        count = len(env.helplines)
        return Problem(
            "CG710",
            f"{side}.helplines do not fit: "
            f"{'1 helpline needs' if count == 1 else f'{count} helplines need'} "
            f"{needed:.1f} mm of height "
            f"at the smallest sizes, and the design leaves {fail.width:.1f} mm x {room:.1f} mm "
            f"for {'it' if count == 1 else 'them'}",
            "error",
            "list fewer helplines on this face, shorten their names or hours, or choose a "
            "bigger card size",
            (side, "helplines"),
        )
    text = _face_text(env.face, element) or ""
    font = env.font(style)
    line_h = env.line_height(font, size)
    lines_fit = math.floor((room + _EPS) / line_h) if element != "write_in" else math.floor(
        (room - env.styles.write_space - RULE_PT * _PT_MM + _EPS) / line_h)
    per_char = text_width_mm(text, font, size) / max(1, len(text))
    chars_fit = int(max(0, lines_fit) * fail.width / per_char * 0.9) if per_char else 0
    shorten = max(1, len(text) - chars_fit)
    return Problem(
        "CG710",
        f"{side}.{element} does not fit: it needs {needed:.1f} mm of height at {size:g} pt, "
        f"and the design leaves {fail.width:.1f} mm x {room:.1f} mm for it at {size:g} pt",
        "error",
        f"shorten it by about {shorten} characters, or choose a bigger card size",
        (side, element),
    )


def _printed_texts(env: _Env, names: set[str]) -> list[tuple[str, DocPath, str, TextStyle]]:
    """(field, path, text, style) of everything this face prints."""
    out: list[tuple[str, DocPath, str, TextStyle]] = []
    st = env.styles
    for name in TEXT_ELEMENTS:
        text = _face_text(env.face, name)
        if text is not None and name in names:
            out.append((f"{env.side}.{name}", (env.side, name), text, st.text_style(name)))
    silent = _silent_call(env)
    if silent is not None and "footer" in names:
        out.append((f"{env.side}.silent_call", (env.side, "silent_call"), silent, st.footer))
    if "helplines" in names:
        for hid, helpline in env.helplines:
            base = f"helplines.{hid}"
            out.append((f"{base}.name", ("helplines", hid, "name"), helpline.name,
                        st.helpline_name))
            for key, words, number in _number_lines(helpline, env.language):
                # "Text SHOUT to" carries the user's sms_body: point at that field.
                words_key = "sms_body" if key == "sms" and helpline.sms_body else key
                out.append((f"{base}.{words_key}", ("helplines", hid, words_key),
                            " ".join(words), st.helpline_name))
                out.append((f"{base}.{key}", ("helplines", hid, key), number[0],
                            st.helpline_number))
            off_the_bill = _off_the_bill(helpline, env.language)
            if off_the_bill is not None:
                out.append((f"{base}.shows_on_bill", ("helplines", hid, "shows_on_bill"),
                            off_the_bill, st.helpline_hours))
            for key, words, address in _channel_lines(helpline, env.language):
                out.append((f"{base}.{key}", ("helplines", hid, key),
                            " ".join([*words, address]), st.helpline_name))
            if helpline.hours:
                out.append((f"{base}.hours", ("helplines", hid, "hours"),
                            helpline.hours.printed(env.language), st.helpline_hours))
    return out


def _glyph_problems(env: _Env, printed: list[tuple[str, DocPath, str, TextStyle]]
                    ) -> list[Problem]:
    """CG610 for each character that neither the card's font nor any fallback font has (it
    would print as an empty box)."""
    problems: list[Problem] = []
    for _field_name, path, text, style in printed:
        font = env.font(style)
        if not needs_shaping(text, font, env.language):
            continue
        primary = fontdb.face_from_path(font.path) or font.path
        problems += fontdb.check_text(text, primary, env.language, style.bold, field=path)
    return problems


def _contrast_problems(env: _Env, printed: list[tuple[str, DocPath, str, TextStyle]],
                       has_qr: bool, picture: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    paper = env.paper
    fill_role = env.face_design.fill
    under = "the paper colour" if fill_role == "paper" else (
        f"the {fill_role} colour the design '{env.design.name}' fills the {env.side} with")
    # Over a picture, each text box is checked against its pixels once placed instead.
    for role, colour in (() if picture else (("ink", env.ink), ("accent", env.accent),
                                             ("paper", env.paper))):
        if not any(style.colour == role for _, _, _, style in printed):
            continue
        ratio = contrast_ratio(colour, env.fill)
        if ratio < TEXT_CONTRAST:
            text_darker = relative_luminance(colour) <= relative_luminance(env.fill)
            darker = "darker" if text_darker else "lighter"
            problems.append(Problem(
                "CG712",
                f"text in the {role} colour {colour} on {under} {env.fill} has a "
                f"contrast of {_ratio(ratio, TEXT_CONTRAST)}:1; text needs at least "
                f"{TEXT_CONTRAST}:1 to be readable",
                "error",
                f"make card.colours.{role} {darker} or card.colours.{fill_role} "
                f"{'lighter' if darker == 'darker' else 'darker'}",
                ("card", "colours", role),
            ))
    if has_qr:
        ratio = contrast_ratio(BLACK, paper)
        if ratio < QR_PAPER_CONTRAST:
            problems.append(Problem(
                "CG713",
                f"the QR code prints black on the paper colour {paper}, a contrast of only "
                f"{_ratio(ratio, QR_PAPER_CONTRAST)}:1; phones need a light background "
                f"(at least {QR_PAPER_CONTRAST:g}:1 against black)",
                "error",
                "choose a light card.colours.paper, such as white or a pale tint",
                ("card", "colours", "paper"),
            ))
    return problems


def _logo_path(spec: CardSpec, base_dir: Path) -> Path:
    path = Path(spec.card.logo or "").expanduser()
    return path if path.is_absolute() else base_dir / path


def _load_logo(spec: CardSpec, base_dir: Path) -> tuple[tuple[Path, float] | None,
                                                         list[Problem]]:
    if not spec.card.logo:
        return None, []
    image, problems = check_image(
        spec.card.logo, base_dir, what="logo", code="CG720", path=("card", "logo"),
        fix="set card.logo to a PNG or JPEG file, relative to the YAML file, or remove it")
    return (None if image is None else (image.path, image.width / image.height)), problems


def _background_value(spec: CardSpec, side: Side) -> tuple[str | None, DocPath]:
    value = spec.card.background
    if value is None or isinstance(value, str):
        return value, ("card", "background")
    return getattr(value, side), ("card", "background", side)


def _load_background(spec: CardSpec, side: Side, base_dir: Path, card_w: float,
                     card_h: float) -> tuple[ImageItem | None, list[Problem]]:
    """The face's background picture, covering the card and running into the bleed."""
    value, path = _background_value(spec, side)
    if value is None:
        return None, []
    image, problems = check_image(
        value, base_dir, what="background picture", code="CG750", path=path,
        fix="set card.background to a PNG or JPEG file, relative to the YAML file, or "
        "remove it", keep_pixels=True)
    if image is None:
        return None, problems
    over = PICTURE_OVERHANG
    item = ImageItem(-over, -over, card_w + 2 * over, card_h + 2 * over, image.path,
                     cover=True)
    try:
        # Sampled now, from the pixels the check decoded (then let go): a photograph is
        # decoded once, and not held while the face is laid out.
        _backdrop_of(item, card_w, card_h)
    except (OSError, ValueError) as exc:
        return None, [*problems, _picture_gone(item, path, exc)]
    return item, problems


def _backdrop_of(picture: ImageItem, card_w: float, card_h: float) -> Backdrop:
    """The background picture sampled over the card (cached by the file's date and size)."""
    try:
        info = picture.path.stat()
        mtime, size = info.st_mtime_ns, info.st_size
    except OSError:
        mtime, size = 0, -1
    return backdrop(picture.path, mtime, picture, card_w, card_h, size)


def _picture_gone(picture: ImageItem, where: DocPath, exc: Exception) -> Problem:
    # Checked a moment ago; moved, deleted or overwritten since.
    return Problem(
        "CG750", f"the background picture {picture.path} cannot be read any more ({exc}); "
        "it was moved, deleted or changed while cardgen was reading it", "error",
        "leave the picture in place while cardgen runs, then run it again (re-export "
        "the picture as PNG or JPEG if it is damaged)", where)


def _text_path(side: Side, field_name: str) -> DocPath:
    parts = field_name.split(".")
    if parts[0] == "design":
        return ("card", "design")
    if len(parts) > 2 and parts[1] == "helplines":
        return ("helplines", *parts[2:])
    return tuple(parts)


def _picture_contrast_problems(env: _Env, picture: ImageItem, items: list[Item],
                               card_w: float, card_h: float) -> list[Problem]:
    """CG752 for each field with a line whose box, on the background picture, has less
    than 4.5:1 contrast against some sample of the picture under it (each field once)."""
    value, where = _background_value(env.spec, env.side)
    try:
        under = _backdrop_of(picture, card_w, card_h)
    except (OSError, ValueError) as exc:
        return [_picture_gone(picture, where, exc)]
    worst: dict[str, tuple[float, TextItem]] = {}
    for item in items:
        if not isinstance(item, TextItem):
            continue
        ratio = under.lowest_contrast(item.colour, item_box(item))
        if ratio < TEXT_CONTRAST and ratio < worst.get(item.field, (99.0, item))[0]:
            worst[item.field] = (ratio, item)
    return [Problem(
        "CG752",
        f"{field_name} is printed over the background picture with a contrast of "
        f"{_ratio(ratio, TEXT_CONTRAST)}:1 at its worst ('{item.text}' in {item.colour}); "
        f"text needs at least {TEXT_CONTRAST}:1 against the pixels under it",
        "error",
        f"use a picture that is plainer (or lighter or darker) where the text goes, change "
        f"the text colour (card.colours), or remove {'.'.join(str(p) for p in where)}",
        _text_path(env.side, field_name),
    ) for field_name, (ratio, item) in worst.items() if value]


def _qr_patches(env: _Env, items: list[Item]) -> list[Item]:
    """A plain patch of paper under each QR code, quiet zone included, wherever the face is
    not plain paper: phones need light, even ground around the code."""
    return [RectItem(i.x, i.y, i.side, i.side, env.paper) for i in items
            if isinstance(i, QrItem)]


def _resolve_helplines(spec: CardSpec, side: Side, face: Face, face_design: FaceDesign
                       ) -> tuple[list[tuple[str, Helpline]], list[Problem]]:
    if face.helplines is None:
        if not face_design.all_helplines:
            return [], []
        return list(spec.helplines.items()), []
    found: list[tuple[str, Helpline]] = []
    problems: list[Problem] = []
    for index, hid in enumerate(face.helplines):
        helpline = spec.helplines.get(hid)
        if helpline is None:
            known = ", ".join(spec.helplines) or "none"
            problems.append(Problem(
                "CG715", f"{side}.helplines lists '{hid}', which is not a helpline id",
                "error", f"use one of the ids under helplines: ({known})",
                (side, "helplines", index)))
        else:
            found.append((hid, helpline))
    return found, problems


# --- the entry point ---------------------------------------------------------------------


def _layout_key(spec: CardSpec, side: Side, design: Design, fonts: FontFamily, card_w: float,
                card_h: float, qr_payload: str | None, base_dir: Path) -> tuple[object, ...]:
    """Everything a face's layout reads. In a batch most faces differ only in what the face
    does not print (another school's lead on the front leaves the back alike), so the key
    holds the printed helplines, not all of them."""
    face = spec.front if side == "front" else spec.back
    assert face is not None
    if face.helplines is None:
        ids = list(spec.helplines) if design.face(side).all_helplines else []
    else:
        ids = list(face.helplines)
    printed = tuple(
        (hid, spec.helplines[hid].model_dump_json() if hid in spec.helplines else None)
        for hid in ids
    )
    logo = _stamp(_logo_path(spec, base_dir)) if spec.card.logo else None
    return (side, face.model_dump_json(), spec.card.model_dump_json(), spec.language,
            spec.back is None, printed, design.name, _stamp(design.source), fonts, card_w,
            card_h, qr_payload, base_dir, logo)


def _stamp(path: Path | None) -> tuple[object, ...] | None:
    """A file as a cache key: its path, time and size, so that a file changed during a
    session (a new logo under the same name, an edited design) is another file."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return (path,)
    return (path, stat.st_mtime_ns, stat.st_size)


def layout_face(spec: CardSpec, side: Side, *, design: Design, fonts: FontFamily,
                card_w: float, card_h: float, qr_payload: str | None,
                base_dir: Path, cache: LayoutCache | None = None,
                qr_without_utm: str | None = None
                ) -> tuple[FaceLayout | None, list[Problem]]:
    """Places one face of `spec` on a card of `card_w` x `card_h` mm (upright). Returns
    the layout, or None when there are errors, and every problem found. Layouts are
    immutable, so a face laid out before with the same `cache` (one per build or session;
    none: a fresh one) is returned from it, and text fitted before is reused.
    `qr_without_utm`: the payload tracked with `?b=` when `qr_payload` carries UTM tags
    (what a too-small code's message compares with; made from the same link and code, so
    not part of the key)."""
    if (spec.front if side == "front" else spec.back) is None:
        return None, []
    cache = cache if cache is not None else LayoutCache()
    if qr_payload is not None and cache.first_sight(qr_payload):
        return _layout_face(spec, side, design=design, fonts=fonts, card_w=card_w,
                            card_h=card_h, qr_payload=qr_payload, base_dir=base_dir,
                            cache=cache, qr_without_utm=qr_without_utm)
    key = _layout_key(spec, side, design, fonts, card_w, card_h, qr_payload, base_dir)
    hit: tuple[FaceLayout | None, tuple[Problem, ...]] | None = cache.face(key)
    if hit is None:
        laid_out, problems = _layout_face(spec, side, design=design, fonts=fonts,
                                          card_w=card_w, card_h=card_h,
                                          qr_payload=qr_payload, base_dir=base_dir,
                                          cache=cache, qr_without_utm=qr_without_utm)
        hit = (laid_out, tuple(problems))
        cache.keep_face(key, hit)
    return hit[0], list(hit[1])


def _layout_face(spec: CardSpec, side: Side, *, design: Design, fonts: FontFamily,
                 card_w: float, card_h: float, qr_payload: str | None,
                 base_dir: Path, cache: LayoutCache, qr_without_utm: str | None = None
                 ) -> tuple[FaceLayout | None, list[Problem]]:
    face = spec.front if side == "front" else spec.back
    if face is None:
        return None, []
    orientation: Orientation = "landscape" if card_w > card_h else "portrait"
    face_design = design.face(side)
    problems: list[Problem] = []

    helplines, helpline_problems = _resolve_helplines(spec, side, face, face_design)
    problems += helpline_problems

    picture, picture_problems = _load_background(spec, side, base_dir, card_w, card_h)
    problems += picture_problems
    logo: tuple[Path, float] | None = None
    places_logo = face_design.places("logo", orientation)
    if places_logo:
        logo, logo_problems = _load_logo(spec, base_dir)
        problems += logo_problems
    elif spec.card.logo and side == "front" and not design.front.places("logo", orientation) \
            and (spec.back is None or not design.back.places("logo", orientation)):
        problems.append(Problem(
            "CG714", f"the design '{design.name}' has no place for the logo on this card, so "
            "it is not printed", "warning",
            "use a design that shows a logo (classic on the front, discreet on the back), "
            "or remove card.logo", ("card", "logo")))

    code: QrCode | None = None
    pinned = spec.card.qr_error_correction
    if (face.qr or face.qr_contact) and qr_payload is not None and face_design.places(
            "qr", orientation):
        try:
            # Sized at the pinned level, else at M; the level is chosen once the side is known.
            code = encode(qr_payload, pinned or "M")
        except ValueError as exc:
            problems.append(Problem("CG403", str(exc), "error",
                                    "use a shorter link or lower card.qr_error_correction",
                                    (side, "qr")))

    colours = design_colours(spec, design)
    env = _Env(spec, side, face, design, face_design, fonts, colours.ink, colours.accent,
               helplines, code, logo, cache,
               paper=colours.paper, fill=colours.role(face_design.fill),
               context=cache.context_id(
                   (side, design.name, _stamp(design.source), fonts, colours.ink,
                    colours.accent, face.language or spec.language, colours.paper)))

    for name in (*FACE_FIELDS, "qr_contact", "silent_call"):
        given = getattr(face, name) not in (None, False)
        # a contact card is the face's QR code; the silent-call line goes with the footer
        place = {"qr_contact": "qr", "silent_call": "footer"}.get(name, name)
        if given and not face_design.places(place, orientation):
            problems.append(Problem(
                "CG714",
                f"the design '{design.name}' has no place for {side}.{name} on a "
                f"{orientation} card, so it is not printed",
                "warning",
                f"remove {side}.{name}, or choose a design that prints it (e.g. classic)",
                (side, name)))

    english = _english_labels(env, orientation)
    if english is not None:
        problems.append(english)

    blocks = _present_blocks(env, face_design.blocks(orientation))
    placed_names: set[str] = {
        n for b in blocks for n in block_elements(b)}
    printed = _printed_texts(env, placed_names)
    # The design's own lines are printed too: their characters and colours are checked.
    for block in blocks:
        pieces = block.row.column if isinstance(block, RowBlock) else [block]
        printed += [("design.label", ("card", "design"), p.label.text,
                     env.styles.text_style(p.label.style))
                    for p in pieces if isinstance(p, LabelBlock)]
    glyph_problems = _glyph_problems(env, printed)
    problems += glyph_problems
    problems += _contrast_problems(env, printed, code is not None, picture is not None)
    if glyph_problems:
        # Text that cannot be printed cannot be measured either.
        return None, problems

    items: list[Item] = []
    if blocks:
        try:
            fitted, fit_problem = _fit_margins(env, blocks, card_w, card_h)
            if pinned is None and code is not None and _under_floor(fitted, code):
                # Under the floor at M: L's smaller code may fit, or shrink text less.
                lower = encode(code.payload, "L")
                if lower.size < code.size:
                    env = dataclasses.replace(env, qr=lower)
                    fitted, fit_problem = _fit_margins(env, blocks, card_w, card_h)
        except InputError as exc:
            return None, problems + exc.problems()
        if fitted is None:
            assert fit_problem is not None
            problems.append(fit_problem)
            return None, problems
        items = fitted
    if picture is not None:
        problems += _picture_contrast_problems(env, picture, items, card_w, card_h)
    under: list[Item] = [*([picture] if picture is not None else []),
                         *_band_items(env, card_w, card_h)]
    if picture is not None or env.fill != env.paper:
        under += _qr_patches(env, items)
    items = [*under, *items]
    if env.qr is not None:
        for index, item in enumerate(items):
            if isinstance(item, QrItem):
                items[index], found = _sized_code(item, env.qr, pinned, qr_without_utm,
                                                  (side, "qr"))
                problems += found
    if any(p.severity == "error" for p in problems):
        return None, problems
    return FaceLayout(card_w, card_h, env.fill, tuple(items)), problems


def _under_floor(items: list[Item] | None, code: QrCode) -> bool:
    """Whether a layout failed, or gave `code` modules under MIN_MODULE_MM."""
    return items is None or _qr_side(items) < code.modules_with_quiet_zone * MIN_MODULE_MM - _EPS


def _sized_code(item: QrItem, laid_out: QrCode, pinned: str | None,
                without_utm: str | None, path: DocPath) -> tuple[QrItem, list[Problem]]:
    """The placed code at the error-correction level its side allows (`choose_level`), and
    what `check_module_size` says of it."""
    level = choose_level(laid_out.payload, item.side, pinned)
    code = laid_out if level == laid_out.error_correction else encode(laid_out.payload, level)
    if code is not laid_out:
        item = dataclasses.replace(item, modules=code.modules, path=code.path,
                                   error_correction=level)
    if code.modules_with_quiet_zone * WARN_MODULE_MM <= item.side + _EPS:
        return item, []
    alternative = None
    if without_utm is not None:
        # At M (or the pinned level): at 0.8 mm or more there, it would get that or better.
        alternative = symbol_at(without_utm, pinned or "M")
    link = code.payload.startswith(("https:", "http:"))
    return item, check_module_size(code, item.side, path,
                                   SizeContext(link, alternative, pinned is not None))


def _qr_side(items: list[Item]) -> float:
    return max((i.side for i in items if isinstance(i, QrItem)), default=0.0)


def _fit_margins(env: _Env, blocks: list[Block], card_w: float, card_h: float
                 ) -> tuple[list[Item] | None, Problem | None]:
    """Placed items at the design's margin, or at its smaller `margin_min` (never under
    the 3 mm safe area) when that is what it takes to fit the text or a comfortable QR."""
    design = env.design
    qr_pref = env.qr.modules_with_quiet_zone * PREFERRED_MODULE_MM if env.qr else 0.0
    best: list[Item] | None = None
    problem: Problem | None = None
    margins = [design.margin] + ([design.margin_min] if design.margin_min < design.margin
                                 else [])
    # When the logo on a line of its own leaves no room (a small card's full back), it
    # stands beside the title instead; layouts that fit as designed are not changed.
    attempts = [(blocks, margin) for margin in margins]
    beside = _logo_beside_title(blocks)
    if beside is not None:
        attempts += [(beside, margin) for margin in margins]
    for number, (stack, margin) in enumerate(attempts):
        if best is not None and stack is beside:
            break
        left, top, right, bottom = _insets(env.face_design, margin, design.gap)
        w, h = card_w - left - right, card_h - top - bottom
        if w <= 1 or h <= 1:
            problem = Problem(
                "CG710", f"the card ({card_w:.1f} x {card_h:.1f} mm) is too small for the "
                f"design's {margin:g} mm margins", "error", "choose a bigger card size",
                ("card", "size"))
            continue
        plan, fit_problem = _fit(env, stack, w, h, report=number == len(attempts) - 1)
        if plan is None:
            problem = fit_problem
            continue
        items = plan.place(env, left, top, w, h)
        if env.qr is None or _qr_side(items) >= qr_pref - _EPS:
            return items, None
        if best is None or _qr_side(items) > _qr_side(best) + _EPS:
            best = items
    return best, (None if best is not None else problem)


@dataclass(frozen=True)
class _LogoBeside:
    """The logo and the title on one line: the title wrapped in what the logo leaves."""


def _logo_beside_title(blocks: list[Block]) -> list[Block] | None:
    """`blocks` with the logo moved beside the title (one line where the title stood), or
    None when the face does not stack both."""
    if "logo" not in blocks or "title" not in blocks:
        return None
    merged: list[Any] = [_LogoBeside() if b == "title" else b for b in blocks if b != "logo"]
    return merged


@dataclass
class _BesidePlan(_Plan):
    title: _Plan
    logo_w: float
    logo_h: float
    gap: float
    height: float = 0.0

    def __post_init__(self) -> None:
        self.height = max(self.title.height, self.logo_h)

    def place(self, env: _Env, x: float, y: float, w: float, h: float) -> list[Item]:
        assert env.logo is not None
        path, aspect = env.logo
        lw = min(self.logo_w, self.logo_h * aspect)
        lh = lw / aspect
        title_w = w - self.logo_w - self.gap
        logo_left = env.styles.logo_align == "left"
        tx = x + self.logo_w + self.gap if logo_left else x
        lx = x if logo_left else x + w - lw
        return [ImageItem(lx, y + (self.height - lh) / 2, lw, lh, path),
                *self.title.place(env, tx, y + (self.height - self.title.height) / 2,
                                  title_w, self.title.height)]


def _beside_plan(env: _Env, width: float, scale: float) -> _BesidePlan:
    assert env.logo is not None
    logo_h = env.styles.logo_height * max(0.6, min(1.0, scale))
    logo_w = min(width * 0.3, logo_h * env.logo[1])
    gap = _gap(env, scale)
    return _BesidePlan(_element_plan(env, "title", width - logo_w - gap, scale), logo_w,
                       logo_h, gap)


def _insets(face_design: FaceDesign, margin: float, gap: float
            ) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) room between the card's edges and its content: the margin,
    or a band along that edge and a gap after it."""
    insets = {"left": margin, "top": margin, "right": margin, "bottom": margin}
    for band in face_design.bands:
        insets[band.edge] = max(insets[band.edge], band.size + gap)
    return insets["left"], insets["top"], insets["right"], insets["bottom"]


def _band_items(env: _Env, card_w: float, card_h: float) -> list[Item]:
    items: list[Item] = []
    for band in env.face_design.bands:
        colour = env.role(band.colour)
        size = min(band.size, card_w if band.edge in ("left", "right") else card_h)
        box = {"top": (0.0, 0.0, card_w, size), "bottom": (0.0, card_h - size, card_w, size),
               "left": (0.0, 0.0, size, card_h), "right": (card_w - size, 0.0, size, card_h)}
        items.append(RectItem(*box[band.edge], colour))
    return items


def _fit(env: _Env, blocks: list[Block], w: float, h: float, *, report: bool = True
         ) -> tuple[_StackPlan | None, Problem | None]:
    """The face planned at the largest text scale that fits `w` x `h`; or, when none does,
    the problem to report (with `report`; else None, the caller reports another attempt).
    Helplines taller than `h` are not fitted to their end at every scale: they cannot fit,
    and only the message needs their whole height, measured once."""
    qr_pref = env.qr.modules_with_quiet_zone * PREFERRED_MODULE_MM if env.qr else 0.0
    qr_min = env.qr.modules_with_quiet_zone * MIN_MODULE_MM if env.qr else 0.0
    scales = _scales(_styles_used(env, blocks))
    env.height_limit = h
    try:
        for scale in scales:
            try:
                return _plan_face(env, blocks, w, h, scale, qr_pref), None
            except _NoFit:
                continue
        smallest = scales[-1]
        try:
            return _plan_face(env, blocks, w, h, smallest, qr_min), None
        except _NoFit:
            if not report:
                return None, None
        env.height_limit = math.inf
        try:
            return _plan_face(env, blocks, w, h, smallest, qr_min), None
        except _NoFit as fail:
            return None, _fit_problem(env, fail)
    finally:
        env.height_limit = math.inf


def item_box(item: Item) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in mm that `item` may mark on the card (text by its
    font's ascent and descent)."""
    if isinstance(item, TextItem):
        if item.shaped is not None:
            width = item.shaped_width_pt * _PT_MM
            paths = [run.font.path for run in item.shaped]
            ascent = max((font_extents(FontRef("", p))[0] for p in paths), default=0.0)
            descent = max((font_extents(FontRef("", p))[1] for p in paths), default=0.0)
        else:
            width = text_width_mm(item.text, item.font, item.size_pt)
            ascent, descent = font_extents(item.font)
        size_mm = item.size_pt * _PT_MM
        left = {"left": item.x, "center": item.x - width / 2, "right": item.x - width}[
            item.align]
        return left, item.baseline - ascent * size_mm, left + width, (
            item.baseline + descent * size_mm)
    if isinstance(item, QrItem):
        return item.x, item.y, item.x + item.side, item.y + item.side
    if isinstance(item, RuleItem):
        half = item.width_pt * _PT_MM / 2
        return (min(item.x1, item.x2), min(item.y1, item.y2) - half, max(item.x1, item.x2),
                max(item.y1, item.y2) + half)
    if isinstance(item, CircleItem):
        r = item.radius + item.width_pt * _PT_MM / 2
        return item.cx - r, item.cy - r, item.cx + r, item.cy + r
    return item.x, item.y, item.x + item.width, item.y + item.height

