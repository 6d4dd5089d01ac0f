"""Card designs: data files that say where each element of a face goes, at any card size.

A design is YAML (built-ins in `templates/designs/`, or a user's file). For each face
(front, back) and orientation (portrait, landscape) it lists blocks stacked top to bottom
inside the safe margin. A block is an element name (`title`, `text`, `qr`, `helplines`,
`write_in`, `footer`, `logo`) or a `row` of two columns, one of which holds only the QR
code (a square as tall as the row allows) while the other stacks elements beside it.
Nothing is in millimetres but the margin and gaps, so one design fits every card size.

Text styles (size, minimum size, bold, colour role, alignment) are set for the design and
may be overridden per face; sizes are points. Colour roles are `ink`, `accent` and `paper`,
taken from the card's colours; a design may suggest its own colours (`colours:`), which
the card's `card.colours` override key by key.

The look is data too: a face may be filled with a colour role (`fill: accent`, text then
set in `paper` or `ink`), carry coloured `bands` along its edges (the content stays clear
of them), and stack fixed `label` lines and a `stamps` grid (a coffee-shop stamp card)
among its elements. Text on any of these is checked for contrast against what lies under
it; the QR code gets a plain patch of the paper colour whenever the face is not plain
paper.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from cardgen.errors import CardgenError
from cardgen.input.model import Colours, Length

Element = Literal["title", "text", "qr", "helplines", "write_in", "footer", "logo"]
#: Colour roles, taken from the card's colours (or the design's suggested ones)
Role = Literal["ink", "accent", "paper"]
Edge = Literal["top", "bottom", "left", "right"]
TEXT_ELEMENTS: tuple[str, ...] = ("title", "text", "write_in", "footer")
#: Face fields a design may place (logo comes from card.logo, not from the face).
FACE_FIELDS: tuple[str, ...] = ("title", "text", "qr", "helplines", "write_in", "footer")
Side = Literal["front", "back"]
Orientation = Literal["portrait", "landscape"]

#: The print-shop safe area: nothing may be placed closer to the cut than this.
MIN_MARGIN_MM = 3.0
#: Below this nobody can read a card; a design may not set a smaller minimum.
MIN_TEXT_PT = 5.0

Pt = Annotated[float, Field(gt=0, le=72)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextStyle(_Model):
    """How one kind of text is set: size in points, the smallest it may shrink to."""

    size: Pt
    min: Pt
    bold: bool = False
    colour: Role = "ink"
    align: Literal["left", "center", "right"] = "center"

    @model_validator(mode="after")
    def _sizes(self) -> TextStyle:
        if self.min > self.size:
            raise ValueError(f"min ({self.min} pt) is larger than size ({self.size} pt)")
        if self.min < MIN_TEXT_PT:
            raise ValueError(f"min must be at least {MIN_TEXT_PT} pt to stay readable")
        return self


class Styles(_Model):
    """Every style a face uses, with the spacing that belongs to elements."""

    title: TextStyle = TextStyle(size=13, min=8, bold=True)
    text: TextStyle = TextStyle(size=9, min=6)
    footer: TextStyle = TextStyle(size=7, min=6)
    write_in: TextStyle = TextStyle(size=8, min=6, align="left")
    helpline_name: TextStyle = TextStyle(size=8, min=6)
    helpline_number: TextStyle = TextStyle(size=13, min=8, bold=True)
    helpline_hours: TextStyle = TextStyle(size=7, min=6)
    #: a short rule in the accent colour under the title (0: none); text stays in ink,
    #: since many brand accents (orange, yellow) are too light for text on white
    title_rule: Length = Field(default=0.0, ge=0)
    title_rule_pt: float = Field(default=1.2, gt=0, le=6)
    #: space between two helplines
    helpline_gap: Length = Field(default=1.5, ge=0)
    #: helplines may stand in up to this many columns, each at least this wide
    helpline_columns: int = Field(default=2, ge=1, le=4)
    helpline_column_min: Length = Field(default=27.0, gt=0)
    #: height of the blank space above the write-in rule (room for handwriting)
    write_space: Length = Field(default=6.0, gt=0)
    #: the QR code's side at most this fraction of the width it stands in
    qr_max: float = Field(default=1.0, gt=0, le=1)
    #: logo box height, and where it sits across its line
    logo_height: Length = Field(default=7.0, gt=0)
    logo_align: Literal["left", "center", "right"] = "right"

    def text_style(self, name: str) -> TextStyle:
        style = getattr(self, name)
        assert isinstance(style, TextStyle)
        return style


class Label(_Model):
    """A fixed line of the design's own (a disguise's "ADMIT ONE"), set in a text style."""

    text: str = Field(min_length=1, max_length=80)
    style: Literal["title", "text", "footer"] = "text"


class LabelBlock(_Model):
    label: Label


class Stamps(_Model):
    """A grid of empty circles, as on a coffee shop's loyalty card."""

    rows: int = Field(default=2, ge=1, le=4)
    columns: int = Field(default=5, ge=1, le=10)
    #: the largest circle diameter; smaller when the column is narrow
    size: Length = Field(default=7.0, gt=0, le=20)
    colour: Role = "accent"


class StampsBlock(_Model):
    stamps: Stamps


def _kind(value: Any) -> str:
    """Which kind of block a value is, by its one key, so that a mistake inside a block is
    reported for that kind alone (not for every kind it might have been)."""
    if isinstance(value, dict):
        return next((k for k in ("row", "label", "stamps") if k in value), "element")
    if isinstance(value, RowBlock):
        return "row"
    if isinstance(value, LabelBlock):
        return "label"
    return "stamps" if isinstance(value, StampsBlock) else "element"


#: Pieces of a column: a face's element, or a piece of the design's own.
Piece = Annotated[
    Annotated[Element, Tag("element")] | Annotated[LabelBlock, Tag("label")]
    | Annotated[StampsBlock, Tag("stamps")],
    Discriminator(_kind),
]


class Row(_Model):
    """Two columns side by side: one is exactly [qr], the other stacks elements."""

    left: list[Piece] = Field(min_length=1)
    right: list[Piece] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_qr_column(self) -> Row:
        if (self.left == ["qr"]) == (self.right == ["qr"]):
            raise ValueError("a row needs exactly one column that is just [qr]")
        other = self.right if self.left == ["qr"] else self.left
        if "qr" in other:
            raise ValueError("a row places the QR code once")
        return self

    @property
    def qr_left(self) -> bool:
        return self.left == ["qr"]

    @property
    def column(self) -> list[Piece]:
        return self.right if self.qr_left else self.left


class RowBlock(_Model):
    row: Row


Block = Annotated[
    Annotated[Element, Tag("element")] | Annotated[RowBlock, Tag("row")]
    | Annotated[LabelBlock, Tag("label")] | Annotated[StampsBlock, Tag("stamps")],
    Discriminator(_kind),
]


def block_elements(block: Block) -> list[str]:
    """The face's elements a block places (a design's own labels and stamps are none)."""
    if isinstance(block, RowBlock):
        return ["qr", *(p for p in block.row.column if isinstance(p, str))]
    if isinstance(block, LabelBlock | StampsBlock):
        return []
    return [block]


class Band(_Model):
    """A strip of colour along one edge of the face (running into the bleed); the face's
    content keeps clear of it by the design's gap."""

    edge: Edge
    size: Length = Field(gt=0, le=40)
    colour: Role = "accent"


class FaceDesign(_Model):
    """One face of a design: blocks for each orientation, and its styles."""

    all_helplines: bool = Field(
        default=False,
        description="A face that omits `helplines` prints every helpline (else none).",
    )
    portrait: list[Block] = Field(min_length=1)
    landscape: list[Block] = Field(min_length=1)
    styles: Styles = Styles()
    #: the face's background colour role (the QR code then sits on a patch of paper)
    fill: Role = "paper"
    bands: list[Band] = Field(default_factory=list, max_length=4)

    @model_validator(mode="after")
    def _each_once(self) -> FaceDesign:
        for orientation in ("portrait", "landscape"):
            names = [n for b in getattr(self, orientation) for n in block_elements(b)]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{orientation} places {', '.join(twice)} more than once")
        return self

    def blocks(self, orientation: Orientation) -> list[Block]:
        return list(self.portrait if orientation == "portrait" else self.landscape)

    def places(self, element: str, orientation: Orientation) -> bool:
        return element in _placed(self, orientation)


# What a face places, asked several times for every card of a batch. By identity: designs
# are frozen and loaded once; the entry holds its face, so the id is not reused meanwhile.
_PLACED: dict[tuple[int, str], tuple[FaceDesign, frozenset[str]]] = {}


def _placed(face: FaceDesign, orientation: Orientation) -> frozenset[str]:
    found = _PLACED.get((id(face), orientation))
    if found is None or found[0] is not face:
        if len(_PLACED) >= 256:
            _PLACED.clear()
        names = frozenset(n for b in face.blocks(orientation) for n in block_elements(b))
        found = _PLACED[(id(face), orientation)] = (face, names)
    return found[1]


class _DesignFile(_Model):
    name: str = Field(min_length=1)
    description: str = ""
    margin: Length = Field(default=4.0, ge=MIN_MARGIN_MM, le=20)
    margin_min: Length | None = Field(default=None, ge=MIN_MARGIN_MM, le=20)
    gap: Length = Field(default=2.0, ge=0, le=20)
    line_spacing: float = Field(default=1.2, ge=1.0, le=3.0)
    styles: dict[str, Any] = Field(default_factory=dict)
    front: dict[str, Any]
    back: dict[str, Any]
    #: the card must not give away what it is for on `seen_face` (see cardgen.checks.discretion)
    discreet: bool = False
    seen_face: Side = "front"
    #: colours the design suggests; the card's own `card.colours` win key by key
    colours: Colours | None = None


@dataclass(frozen=True)
class Design:
    """A loaded design: layout data for both faces and orientations."""

    name: str
    description: str
    margin: float
    margin_min: float
    gap: float
    line_spacing: float
    front: FaceDesign
    back: FaceDesign
    source: Path | None = None
    discreet: bool = False
    seen_face: Side = "front"
    colours: Colours | None = None

    def face(self, side: Side) -> FaceDesign:
        return self.front if side == "front" else self.back


@functools.lru_cache(maxsize=1)
def _designs_dir() -> Path:
    # The package's own folder does not move while it runs; finding it costs a batch 0.1 ms
    # a variant.
    return Path(str(importlib.resources.files("cardgen.templates") / "designs"))


def builtin_names() -> list[str]:
    return list(_builtin_names())


@functools.lru_cache(maxsize=1)
def _builtin_names() -> tuple[str, ...]:
    # The package's own files do not change while it runs; a batch asks once a variant.
    return tuple(sorted(p.stem for p in _designs_dir().glob("*.yaml")))


def builtin_designs() -> list[Design]:
    """Every built-in design, by name."""
    return [load_design(name, Path.cwd()) for name in builtin_names()]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _bad(path: Path, why: str) -> CardgenError:
    return CardgenError(
        f"the design file {path} is not a valid design: {why}",
        fix="compare it with a built-in design (templates/designs/*.yaml) and correct it",
        code="CG702",
    )


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        message = str(err["msg"])
        if err["loc"] and err["loc"][-1] in ("margin", "margin_min") \
                and err["type"] == "greater_than_equal":
            # The number alone does not say why: print shops trim up to 3 mm off.
            message = (f"{MIN_MARGIN_MM:g} mm is the smallest margin (the safe area a print "
                       "shop needs: its cut can wander that far into the card)")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _parse(path: Path) -> Design:
    try:
        raw = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _bad(path, f"it cannot be read ({exc.strerror or exc})") from exc
    except (YAMLError, UnicodeDecodeError) as exc:
        raise _bad(path, f"it is not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise _bad(path, "it must be a mapping with name, front and back")
    try:
        top = _DesignFile.model_validate(raw)
        faces: dict[str, FaceDesign] = {}
        for side in ("front", "back"):
            face_raw = dict(getattr(top, side))
            styles = _merge(_merge(Styles().model_dump(), top.styles),
                            face_raw.pop("styles", None) or {})
            try:
                faces[side] = FaceDesign.model_validate({**face_raw, "styles": styles})
            except ValidationError as exc:
                raise _bad(path, f"{side}: {_describe(exc)}") from exc
    except ValidationError as exc:
        raise _bad(path, _describe(exc)) from exc
    return Design(
        name=top.name,
        description=top.description,
        margin=top.margin,
        margin_min=min(top.margin, top.margin_min if top.margin_min is not None else top.margin),
        gap=top.gap,
        line_spacing=top.line_spacing,
        front=faces["front"],
        back=faces["back"],
        source=path,
        discreet=top.discreet,
        seen_face=top.seen_face,
        colours=top.colours,
    )


_cache: dict[tuple[Path, int, int], Design] = {}


def _load_cached(path: Path) -> Design:
    try:
        stat = path.stat()
    except OSError as exc:
        raise _bad(path, f"it cannot be read ({exc.strerror or exc})") from exc
    key = (path, stat.st_mtime_ns, stat.st_size)
    design = _cache.get(key)
    if design is None:
        design = _parse(path)
        _cache[key] = design
    return design


@functools.lru_cache(maxsize=32)
def _builtin_design(name: str) -> Design:
    # The package's own files do not change while it runs: no need to look at their dates
    # once a variant.
    return _load_cached(_designs_dir() / f"{name}.yaml")


def load_design(name_or_path: str, base_dir: Path) -> Design:
    """A built-in design by name, or a design file (relative to `base_dir`). Raises
    CardgenError CG701 for an unknown name and CG702 for a file that is not a design."""
    wanted = name_or_path.strip()
    names = builtin_names()
    if wanted in names:
        return _builtin_design(wanted)
    looks_like_path = "/" in wanted or "\\" in wanted or wanted.endswith((".yaml", ".yml"))
    if looks_like_path:
        path = Path(wanted).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        if not path.is_file():
            raise CardgenError(
                f"the design file {path} does not exist",
                fix="check the path in card.design (it is relative to the YAML file), or "
                f"use a built-in design: {', '.join(names)}",
                code="CG701",
            )
        return _load_cached(path.resolve())
    close = difflib.get_close_matches(wanted.lower(), names, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise CardgenError(
        f"'{wanted}' is not a built-in design ({', '.join(names)})",
        fix=f"{hint}set card.design to one of {', '.join(names)}, or to a path to your own "
        "design file",
        code="CG701",
    )
