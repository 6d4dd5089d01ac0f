"""Where each card goes on a printed sheet: pure geometry in millimetres, no drawing.

Sheet layouts are data (`templates/sheets/*.json`, or a user's own JSON or YAML file with
the same fields, validated by `SheetFile`). There are three kinds of sheet:

- card stock (`kind: grid` with a fixed `card_w_mm`/`card_h_mm`): pre-cut cards at the
  vendor's exact positions; the card must be the stock's size, either way round;
- plain paper (`kind: grid` with `card_w_mm: null`): the slots are the card's own size,
  turned landscape, in at most `cols` x `rows` centred on the page, with `gutter_mm` between
  cards where it fits (else the cards butt and share one cut) and at least `margin_mm` round
  the edge for the printer's unprintable border and the crop marks;
- `print-shop`: one card a page, the page being the card plus the bleed on every side.

All coordinates have their origin at the page's top-left corner, y down, in millimetres.

Duplex: the back of slot i is placed where the printer will put it behind front slot i.
Turning a portrait page over its long edge mirrors x; over its short edge mirrors y (a
landscape page swaps the two). The column (or row) order is mirrored, never the content.
A back's content is turned so the card is "head to head": holding the card upright and
turning it over like a book page shows the back upright, whichever duplex mode the printer
uses. So on a short-edge flip an unrotated back is turned 180 degrees, and a portrait card
that is turned 90 degrees on the front is turned 270 degrees on a long-edge back.

Printer offsets are corrections for where a printer really puts the page: every front is
shifted by `offset`, every back by `offset + back_offset`, both as printed (a printer applies
its own x error to the back page as it prints it, so the offset is not mirrored). Print-shop
pages ignore offsets: they are for home printers, and would move the card off the trim box.
"""

from __future__ import annotations

import difflib
import importlib.resources
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cardgen.errors import CardgenError, InputError, Location, Problem
from cardgen.input import yaml_source
from cardgen.input.model import CardSize

SheetKind = Literal["grid", "print-shop"]
Duplex = Literal["none", "long-edge", "short-edge"]

#: How far a card may differ from a card-stock slot and still be printed on it (mm).
FIT_TOLERANCE = 0.5

#: name -> (width, height, corner radius) in mm, upright in portrait (width < height).
SIZE_PRESETS: dict[str, tuple[float, float, float]] = {
    "phone-case": (55.0, 85.0, 0.0),
    "cr80": (53.98, 85.60, 3.18),
    "us-business": (50.8, 88.9, 0.0),
    "compact": (50.0, 80.0, 0.0),
    "mini": (45.0, 70.0, 0.0),
}

DEFAULT_SIZE = "phone-case"

#: Page names a user sheet file may give instead of page_w_mm/page_h_mm (portrait, mm).
PAGE_SIZES: dict[str, tuple[float, float]] = {
    "a4": (210.0, 297.0),
    "a5": (148.0, 210.0),
    "a3": (297.0, 420.0),
    "letter": (215.9, 279.4),
    "legal": (215.9, 355.6),
}

_EPS = 1e-6


@dataclass(frozen=True)
class Sheet:
    """One sheet layout. For print-shop sheets `page_w`/`page_h` are 0: the page is the card
    plus the bleed. For plain paper `card_w`/`card_h` and `x0`..`dy` are None: the grid is
    computed from the card's size (see `plan_sheet`)."""

    id: str
    name: str
    kind: SheetKind
    page_w: float
    page_h: float
    card_w: float | None
    card_h: float | None
    corner_radius: float
    cols: int
    rows: int
    x0: float | None
    y0: float | None
    dx: float | None
    dy: float | None
    gutter: float
    product_codes: tuple[str, ...]
    aliases: tuple[str, ...]
    vendor: str
    notes: str
    page: str | None = None
    margin: float = 10.0
    source: str = ""

    @property
    def per_sheet(self) -> int:
        """Slots on one sheet at most (a plain sheet may hold fewer of a large card: use
        `PageGeometry.per_sheet` for the count of a planned sheet)."""
        return self.cols * self.rows

    @property
    def is_card_stock(self) -> bool:
        return self.kind == "grid" and self.card_w is not None


@dataclass(frozen=True)
class Slot:
    """Where one card face is drawn: its box on the page (mm, top-left, y down) and how far
    its upright content is turned counter-clockwise (0, 90, 180 or 270) to fill the box."""

    index: int
    x: float
    y: float
    width: float
    height: float
    rotation: int = 0

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.width, self.height)


@dataclass(frozen=True)
class PageGeometry:
    """Every slot of one sheet, fronts and (when duplex) backs, by slot index."""

    page_w: float
    page_h: float
    fronts: tuple[Slot, ...]
    backs: tuple[Slot, ...] = ()
    #: (x, y, width, height) from the page's top-left; print-shop pages only.
    trim_box: tuple[float, float, float, float] | None = None
    bleed_box: tuple[float, float, float, float] | None = None
    #: "x" or "y": the page axis mirrored between a front and its back; None without duplex.
    flip: Literal["x", "y"] | None = None

    @property
    def per_sheet(self) -> int:
        return len(self.fronts)


# --- loading -----------------------------------------------------------------------------


def _key(text: str) -> str:
    """Lookup key: case, spaces, hyphens and other punctuation do not matter."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


#: The largest page a sheet file may give (mm): beyond A0, and PDF viewers' limits.
MAX_PAGE_MM = 2000.0

_Mm = Annotated[float, Field(allow_inf_nan=False)]
_Count = Annotated[int, Field(ge=1, le=100)]


class SheetFile(BaseModel):
    """A sheet file as written (`templates/sheets/*.json`, or a user's JSON or YAML file):
    every field, its type and its range. What the fields must say together (a page size,
    cards that fit the page and do not overlap) is checked by `_together`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = None
    name: str | None = None
    kind: Literal["grid", "print-shop"] = "grid"
    vendor: str | None = None
    notes: str | None = None
    source: str | None = None
    product_codes: list[str] | None = None
    aliases: list[str] | None = None
    page: str | None = None
    page_w_mm: Annotated[_Mm, Field(gt=0, le=MAX_PAGE_MM)] | None = None
    page_h_mm: Annotated[_Mm, Field(gt=0, le=MAX_PAGE_MM)] | None = None
    card_w_mm: Annotated[_Mm, Field(gt=0, le=MAX_PAGE_MM)] | None = None
    card_h_mm: Annotated[_Mm, Field(gt=0, le=MAX_PAGE_MM)] | None = None
    corner_radius_mm: Annotated[_Mm, Field(ge=0, le=50)] | None = None
    cols: _Count | None = None
    rows: _Count | None = None
    x0_mm: Annotated[_Mm, Field(ge=0, le=MAX_PAGE_MM)] | None = None
    y0_mm: Annotated[_Mm, Field(ge=0, le=MAX_PAGE_MM)] | None = None
    dx_mm: Annotated[_Mm, Field(gt=0, le=MAX_PAGE_MM)] | None = None
    dy_mm: Annotated[_Mm, Field(gt=0, le=MAX_PAGE_MM)] | None = None
    gutter_mm: Annotated[_Mm, Field(ge=0, le=MAX_PAGE_MM)] | None = None
    margin_mm: Annotated[_Mm, Field(ge=0, le=MAX_PAGE_MM)] | None = None


@dataclass(frozen=True)
class _Bad:
    """One thing wrong in a sheet file: the field (a path into it), its code and words."""

    path: tuple[str | int, ...]
    message: str
    code: str = "CG504"


_WORDS = {"greater_than": "more than", "greater_than_equal": "at least",
          "less_than": "less than", "less_than_equal": "at most"}


def _field_words(error: Mapping[str, Any]) -> str:
    """A pydantic error about one field of a sheet file, in words."""
    kind, value, ctx = str(error["type"]), error.get("input"), error.get("ctx") or {}
    field = str(error["loc"][0]) if error["loc"] else ""
    shown = "nothing" if value is None else repr(value) if not isinstance(value, str) \
        else f"'{value}'"
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, list(SheetFile.model_fields), n=1)
        return ("is not a field of a sheet file" + (f": did you mean \"{close[0]}\"?" if close
                else f"; the fields are {', '.join(SheetFile.model_fields)}"))
    if kind in _WORDS:
        limit = next(iter(ctx.values()), "")
        return f"must be {_WORDS[kind]} {limit:g}, not {shown}" if isinstance(
            limit, int | float) else f"must be {_WORDS[kind]} {limit}, not {shown}"
    if kind.startswith("int_"):
        return f"must be a whole number from 1 to 100, not {shown}"
    if kind.startswith("float_") or kind == "finite_number":
        return f"must be a number of millimetres, not {shown}"
    if kind == "literal_error":
        return f"must be \"grid\" or \"print-shop\", not {shown}"
    if kind == "list_type" or (kind == "string_type" and len(error["loc"]) > 1):
        return "must be a list of names, such as [\"5371\", \"5911\"]"
    if kind == "string_type":
        return f"must be text, not {shown}"
    return f"{error['msg']}, not {shown}"


def _sheet_from_data(data: object, default_id: str) -> tuple[Sheet | None, list[_Bad]]:
    """A `Sheet` from a parsed sheet file, or every problem with it."""
    if not isinstance(data, dict):
        return None, [_Bad((), "must be a JSON object of fields such as \"cols\": 2")]
    try:
        written = SheetFile.model_validate(data)
    except ValidationError as exc:
        return None, [_Bad(tuple(e["loc"]), _field_words(e)) for e in exc.errors()]
    return _together(written, default_id)


def _together(f: SheetFile, default_id: str) -> tuple[Sheet | None, list[_Bad]]:
    """What the fields say together: a page size, and cards on the page, not overlapping."""
    bad: list[_Bad] = []
    sheet_id = (f.id or "").strip() or default_id
    common = {
        "id": sheet_id, "name": f.name or sheet_id, "vendor": f.vendor or "",
        "notes": f.notes or "", "source": f.source or "",
        "product_codes": tuple(f.product_codes or ()), "aliases": tuple(f.aliases or ()),
        "page": f.page, "corner_radius": f.corner_radius_mm or 0.0,
    }
    if f.kind == "print-shop":
        return Sheet(kind="print-shop", page_w=0.0, page_h=0.0, card_w=None, card_h=None,
                     cols=1, rows=1, x0=None, y0=None, dx=None, dy=None, gutter=0.0,
                     **common), []  # type: ignore[arg-type]
    page_w, page_h = f.page_w_mm, f.page_h_mm
    if page_w is None or page_h is None:
        known = PAGE_SIZES.get((f.page or "").lower())
        if known is None:
            for field in ("page_w_mm", "page_h_mm"):
                if getattr(f, field) is None:
                    bad.append(_Bad((field,), "is missing: give the page size in millimetres "
                                    "(or \"page\": \"A4\" or \"Letter\")"))
        else:
            page_w, page_h = known
    for field in ("cols", "rows"):
        if getattr(f, field) is None:
            bad.append(_Bad((field,), "is missing: give a whole number from 1 to 100"))
    card_w, card_h = f.card_w_mm, f.card_h_mm
    if (card_w is None) != (card_h is None):
        bad.append(_Bad(("card_h_mm" if card_h is None else "card_w_mm",),
                        "must be given together with the other card size (or both null for "
                        "plain paper)"))
    if card_w is not None and card_h is not None and f.corner_radius_mm is not None \
            and f.corner_radius_mm > min(card_w, card_h) / 2:
        bad.append(_Bad(("corner_radius_mm",), f"({f.corner_radius_mm:g}) is more than half "
                        f"the card's short side ({min(card_w, card_h):g} mm)", "CG541"))
    if bad or page_w is None or page_h is None or f.cols is None or f.rows is None:
        return None, bad
    cols, rows = f.cols, f.rows
    if card_w is None or card_h is None:
        return Sheet(kind="grid", page_w=page_w, page_h=page_h, card_w=None, card_h=None,
                     cols=cols, rows=rows, x0=None, y0=None, dx=None, dy=None,
                     gutter=6.0 if f.gutter_mm is None else f.gutter_mm,
                     margin=10.0 if f.margin_mm is None else f.margin_mm,
                     **common), []  # type: ignore[arg-type]
    for field, needed in (("x0_mm", True), ("y0_mm", True), ("dx_mm", cols > 1),
                          ("dy_mm", rows > 1)):
        if needed and getattr(f, field) is None:
            bad.append(_Bad((field,), "is missing: give a number of millimetres"))
    if bad or f.x0_mm is None or f.y0_mm is None:
        return None, bad
    x0, y0 = f.x0_mm, f.y0_mm
    dx = card_w if f.dx_mm is None else f.dx_mm
    dy = card_h if f.dy_mm is None else f.dy_mm
    if cols > 1 and dx < card_w - _EPS:
        bad.append(_Bad(("dx_mm",), f"({dx:g}) is less than the card width ({card_w:g}): "
                        "the cards would overlap", "CG541"))
    if rows > 1 and dy < card_h - _EPS:
        bad.append(_Bad(("dy_mm",), f"({dy:g}) is less than the card height ({card_h:g}): "
                        "the cards would overlap", "CG541"))
    right = x0 + (cols - 1) * dx + card_w
    bottom = y0 + (rows - 1) * dy + card_h
    if right > page_w + 0.01:
        bad.append(_Bad(("cols",), f"puts the last column's right edge at {right:g} mm, past "
                        f"the page's width of {page_w:g} mm: check x0_mm, dx_mm, card_w_mm "
                        "and cols", "CG541"))
    if bottom > page_h + 0.01:
        bad.append(_Bad(("rows",), f"puts the last row's bottom edge at {bottom:g} mm, past "
                        f"the page's height of {page_h:g} mm: check y0_mm, dy_mm, card_h_mm "
                        "and rows", "CG541"))
    if bad:
        return None, bad
    return Sheet(kind="grid", page_w=page_w, page_h=page_h, card_w=card_w, card_h=card_h,
                 cols=cols, rows=rows, x0=x0, y0=y0, dx=dx, dy=dy,
                 gutter=max(0.0, dx - card_w) if f.gutter_mm is None else f.gutter_mm,
                 **common), []  # type: ignore[arg-type]


@cache
def _builtin() -> tuple[Sheet, ...]:
    folder = importlib.resources.files("cardgen.templates") / "sheets"
    found: list[Sheet] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        sheet, bad = _sheet_from_data(data, entry.name[:-5])
        if sheet is None:  # a broken built-in is a bug in cardgen, not the user's input
            raise RuntimeError(f"built-in sheet {entry.name}: {bad}")
        found.append(sheet)
    return tuple(found)


def builtin_sheets() -> list[Sheet]:
    """Every built-in sheet, by id."""
    return list(_builtin())


def sheet_names(sheet: Sheet) -> list[str]:
    """Every name that finds `sheet`: its id, aliases, product codes and vendor-code pairs."""
    names = [sheet.id, *sheet.aliases, *sheet.product_codes]
    if sheet.vendor:
        names += [f"{sheet.vendor}-{code}" for code in sheet.product_codes]
    return names


@cache
def _index() -> dict[str, Sheet]:
    index: dict[str, Sheet] = {}
    for sheet in _builtin():
        for name in sheet_names(sheet):
            key = _key(name)
            if key and key not in index:
                index[key] = sheet
    return index


def _looks_like_path(name: str) -> bool:
    return name.lower().endswith((".json", ".yaml", ".yml")) or "/" in name or "\\" in name


def load_sheet(name_or_path: str, base_dir: Path) -> Sheet:
    """A built-in sheet by id, alias or product code (any case), or a user's sheet file
    (relative to `base_dir`). Raises `CardgenError` CG501 for an unknown name or a missing
    file, and `InputError` with every problem of a file that is not a valid sheet (CG504
    for a field, CG541 for cards that overlap or run off the page)."""
    name = name_or_path.strip()
    if not _looks_like_path(name):
        found = _index().get(_key(name))
        if found is not None:
            return found
        candidate = base_dir / name
        if not candidate.is_file():
            raise _unknown_sheet(name)
        return _load_file(candidate, name)
    path = Path(name)
    path = path if path.is_absolute() else base_dir / path
    if not path.is_file():
        raise CardgenError(
            f"sheet file '{name}' not found (looked for {path})",
            code="CG501",
            fix="check the path under print.sheet (it is relative to the YAML file), or use a "
                "built-in sheet: see `cardgen list sheets`",
        )
    return _load_file(path, name)


def _unknown_sheet(name: str) -> CardgenError:
    names = sorted({n for s in _builtin() for n in (s.id, *s.aliases)})
    by_key = {_key(n): n for n in names}
    close = difflib.get_close_matches(_key(name), list(by_key), n=3, cutoff=0.6)
    hint = ""
    if close:
        hint = "did you mean " + " or ".join(f"'{by_key[c]}'" for c in close) + "? "
    return CardgenError(
        f"unknown sheet '{name}'",
        code="CG501",
        fix=f"{hint}`cardgen list sheets` shows every built-in sheet and product code; or give "
            "the path to your own sheet .json file",
    )


def _load_file(path: Path, shown: str) -> Sheet:
    """A user's sheet file, JSON or YAML. Every problem in it is raised at once (InputError),
    each at its file:line:column."""
    where = Location(str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CardgenError(f"cannot read sheet file '{shown}': {exc}", code="CG504",
                           location=where) from exc
    if path.suffix.lower() == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise CardgenError(
                f"sheet file '{shown}' is not valid JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}",
                code="CG504", location=Location(str(path), exc.lineno, exc.colno),
                fix="compare it with a built-in sheet, e.g. templates/sheets/avery-c32011.json",
            ) from exc
        # JSON is YAML, read with the position of every field; a tab (whitespace in JSON,
        # never inside its strings) is one character as a space is
        text = text.replace("\t", " ")
    data, index, problems = yaml_source.parse_yaml(text, str(path))
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    sheet, bad = _sheet_from_data(data, path.stem)
    if sheet is not None:
        return sheet
    fix = (f"correct it in {path.name}; fields are as in the built-in sheets (page_w_mm, "
           "page_h_mm, card_w_mm, card_h_mm, cols, rows, x0_mm, y0_mm, dx_mm, dy_mm)")
    found: list[Problem] = []
    for b in bad:
        spot = index.get(b.path) or index.get(b.path[:1]) or index.get(())
        at = spot.key if spot is not None and spot.key is not None else (
            spot.at() if spot is not None else where)
        field = ".".join(str(p) for p in b.path) or "(top level)"
        found.append(Problem(b.code, f"sheet file '{shown}': \"{field}\" {b.message}",
                             "error", fix, ("print", "sheet"), at))
    raise InputError(found)


# --- card sizes --------------------------------------------------------------------------


def _oriented(w: float, h: float, orientation: str) -> tuple[float, float]:
    short, long = min(w, h), max(w, h)
    return (long, short) if orientation == "landscape" else (short, long)


def nearest_preset(w: float, h: float) -> str:
    """The size preset closest to a w x h card, either way round."""
    short, long = min(w, h), max(w, h)
    return min(SIZE_PRESETS, key=lambda n: max(abs(SIZE_PRESETS[n][0] - short),
                                                abs(SIZE_PRESETS[n][1] - long)))


def resolve_card_size(size: str | CardSize | None, orientation: str, sheet: Sheet
                      ) -> tuple[float, float, float]:
    """(width, height, corner radius) in mm, upright as designed: portrait is taller than
    wide, landscape wider than tall. No size means the card stock's own size, or phone-case
    on plain paper and print-shop sheets. An unknown preset is CardgenError CG503."""
    if orientation not in ("portrait", "landscape"):
        raise CardgenError(f"unknown orientation '{orientation}'", code="CG503",
                           fix="write orientation: portrait or orientation: landscape")
    if isinstance(size, CardSize):
        w, h = _oriented(size.width, size.height, orientation)
        return w, h, size.corner_radius
    if size is None:
        if sheet.card_w is not None and sheet.card_h is not None:
            w, h = _oriented(sheet.card_w, sheet.card_h, orientation)
            return w, h, sheet.corner_radius
        size = DEFAULT_SIZE
    key = size.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in SIZE_PRESETS:
        close = difflib.get_close_matches(key, list(SIZE_PRESETS), n=2, cutoff=0.5)
        hint = ("did you mean " + " or ".join(f"'{c}'" for c in close) + "? ") if close else ""
        raise CardgenError(
            f"unknown card size '{size}'",
            code="CG503",
            fix=f"{hint}use one of {', '.join(SIZE_PRESETS)} (`cardgen list sizes`), or "
                "{width: 55mm, height: 85mm}",
        )
    pw, ph, radius = SIZE_PRESETS[key]
    w, h = _oriented(pw, ph, orientation)
    return w, h, radius


# --- planning ----------------------------------------------------------------------------


def _fmt(w: float, h: float) -> str:
    return f"{w:g} x {h:g} mm"


def _axis(available: float, size: float, wanted: int, gutter: float) -> tuple[int, float]:
    """How many cards of `size` fit along one axis (at most `wanted`) and the gutter between
    them: the full gutter when the cards fit with it, else none (neighbours share a cut;
    a gutter narrower than the crop marks need would only leave a sliver to cut away)."""
    for gap in (gutter, 0.0):
        n = min(wanted, math.floor((available + gap + _EPS) / (size + gap)))
        if n >= wanted or gap == 0.0:
            return max(n, 0), gap
    return 0, 0.0  # pragma: no cover - the loop always returns


def _plain_fronts(sheet: Sheet, card_w: float, card_h: float) -> list[Slot]:
    rotation = 90 if card_w < card_h else 0
    w, h = (card_h, card_w) if rotation else (card_w, card_h)
    avail_w = sheet.page_w - 2 * sheet.margin
    avail_h = sheet.page_h - 2 * sheet.margin
    cols, gap_x = _axis(avail_w, w, sheet.cols, sheet.gutter)
    rows, gap_y = _axis(avail_h, h, sheet.rows, sheet.gutter)
    if cols < 1 or rows < 1:
        raise CardgenError(
            f"a {_fmt(card_w, card_h)} card does not fit on {sheet.id} "
            f"({_fmt(sheet.page_w, sheet.page_h)} with {sheet.margin:g} mm margins)",
            code="CG502",
            fix="choose a smaller card size (`cardgen list sizes`) or a bigger sheet",
        )
    grid_w = cols * w + (cols - 1) * gap_x
    grid_h = rows * h + (rows - 1) * gap_y
    x0 = (sheet.page_w - grid_w) / 2
    y0 = (sheet.page_h - grid_h) / 2
    return [
        Slot(r * cols + c, x0 + c * (w + gap_x), y0 + r * (h + gap_y), w, h, rotation)
        for r in range(rows) for c in range(cols)
    ]


def _stock_fronts(sheet: Sheet, card_w: float, card_h: float) -> list[Slot]:
    assert sheet.card_w is not None and sheet.card_h is not None
    assert sheet.x0 is not None and sheet.y0 is not None
    assert sheet.dx is not None and sheet.dy is not None
    slot_w, slot_h = sheet.card_w, sheet.card_h

    def fits(w: float, h: float) -> bool:
        return abs(w - slot_w) <= FIT_TOLERANCE and abs(h - slot_h) <= FIT_TOLERANCE

    if fits(card_w, card_h):
        rotation, w, h = 0, card_w, card_h
    elif fits(card_h, card_w):
        rotation, w, h = 90, card_h, card_w
    else:
        nearest = nearest_preset(slot_w, slot_h)
        pw, ph, _ = SIZE_PRESETS[nearest]
        preset_fits = fits(ph, pw) or fits(pw, ph)
        raise CardgenError(
            f"a {_fmt(card_w, card_h)} card does not fit the {_fmt(slot_w, slot_h)} cards "
            f"of {sheet.id}",
            code="CG502",
            fix=f"leave out card.size to print at the stock's own size "
                f"({_fmt(slot_w, slot_h)}), or choose a sheet for your card size "
                f"(`cardgen list sheets`); the nearest size preset is '{nearest}' "
                f"({_fmt(ph, pw)}), which {'fits' if preset_fits else 'does not fit'} "
                "this stock",
        )
    # Centre a card that is a little off the stock's size on its slot.
    cx, cy = (slot_w - w) / 2, (slot_h - h) / 2
    return [
        Slot(r * sheet.cols + c, sheet.x0 + c * sheet.dx + cx, sheet.y0 + r * sheet.dy + cy,
             w, h, rotation)
        for r in range(sheet.rows) for c in range(sheet.cols)
    ]


def flip_axis(page_w: float, page_h: float, duplex: str) -> Literal["x", "y"] | None:
    """The page axis mirrored when the sheet turns over: long-edge on a portrait page turns
    about the vertical axis (x mirrored), short-edge about the horizontal one (y mirrored);
    a landscape page swaps the two."""
    if duplex == "none":
        return None
    if duplex not in ("long-edge", "short-edge"):
        raise ValueError(f"duplex must be none, long-edge or short-edge, not {duplex!r}")
    portrait = page_h >= page_w
    return "x" if (duplex == "long-edge") == portrait else "y"


def flip_box(box: tuple[float, float, float, float], axis: Literal["x", "y"],
             page_w: float, page_h: float) -> tuple[float, float, float, float]:
    """The box a printer puts behind `box` on the other side of the sheet."""
    x, y, w, h = box
    if axis == "x":
        return (page_w - x - w, y, w, h)
    return (x, page_h - y - h, w, h)


def back_rotation(front_rotation: int, axis: Literal["x", "y"]) -> int:
    """The back's content rotation that keeps the card head to head with its front."""
    # The card's "up" on the front page is mirrored by the flip; the back is turned so its
    # own up points the same physical way.
    if axis == "x":
        return (360 - front_rotation) % 360
    return (180 - front_rotation) % 360


def _shift(slot: Slot, by: tuple[float, float]) -> Slot:
    return Slot(slot.index, slot.x + by[0], slot.y + by[1], slot.width, slot.height,
                slot.rotation)


# Pure, and asked the same for every variant of a batch; sheets and geometries are frozen.
@lru_cache(maxsize=256)
def plan_sheet(sheet: Sheet, card_w: float, card_h: float, *, duplex: str,
               offset: tuple[float, float] = (0.0, 0.0),
               back_offset: tuple[float, float] = (0.0, 0.0),
               bleed: float = 0.0) -> PageGeometry:
    """Every front slot (and back slot, when duplex) of `sheet` for a card_w x card_h card,
    upright as designed. A card that does not fit is CardgenError CG502 naming both sizes."""
    if card_w <= 0 or card_h <= 0:
        raise CardgenError(f"a card must have a size, not {_fmt(card_w, card_h)}",
                           code="CG502", fix="give card.size a width and height above 0")
    if sheet.kind == "print-shop":
        page_w, page_h = card_w + 2 * bleed, card_h + 2 * bleed
        front = Slot(0, bleed, bleed, card_w, card_h, 0)
        axis = flip_axis(page_w, page_h, duplex)
        return PageGeometry(
            page_w, page_h, (front,), (front,) if axis else (),
            trim_box=(bleed, bleed, card_w, card_h), bleed_box=(0.0, 0.0, page_w, page_h),
            flip=axis,
        )
    if sheet.card_w is None:
        fronts = _plain_fronts(sheet, card_w, card_h)
    else:
        fronts = _stock_fronts(sheet, card_w, card_h)
    axis = flip_axis(sheet.page_w, sheet.page_h, duplex)
    backs: list[Slot] = []
    if axis is not None:
        back_shift = (offset[0] + back_offset[0], offset[1] + back_offset[1])
        for slot in fronts:
            x, y, w, h = flip_box(slot.box, axis, sheet.page_w, sheet.page_h)
            backs.append(_shift(Slot(slot.index, x, y, w, h,
                                     back_rotation(slot.rotation, axis)), back_shift))
    shifted = tuple(_shift(s, offset) for s in fronts)
    _on_the_page(sheet, shifted, "fronts", "print.offset", offset, ("print", "offset"))
    both = (offset[0] + back_offset[0], offset[1] + back_offset[1])
    _on_the_page(sheet, tuple(backs), "backs", "print.offset and print.back_offset together"
                 if back_offset != (0.0, 0.0) else "print.offset", both,
                 ("print", "back_offset" if back_offset != (0.0, 0.0) else "offset"))
    return PageGeometry(sheet.page_w, sheet.page_h, shifted, tuple(backs), flip=axis)


def _on_the_page(sheet: Sheet, slots: tuple[Slot, ...], which: str, named: str,
                 offset: tuple[float, float], path: tuple[str, ...]) -> None:
    """Raises CG540 (at print.offset or print.back_offset) when printer offsets move a card
    off the page: a printer cannot print there, and the cut cards would be blank."""
    if not slots:
        return
    edges = {
        "left": -min(s.x for s in slots),
        "top": -min(s.y for s in slots),
        "right": max(s.x + s.width for s in slots) - sheet.page_w,
        "bottom": max(s.y + s.height for s in slots) - sheet.page_h,
    }
    edge, past = max(edges.items(), key=lambda item: item[1])
    if past <= 0.01:
        return
    raise InputError([Problem(
        "CG540", f"with {named} at x {offset[0]:g} mm, y {offset[1]:g} mm, the {which} of "
        f"the cards reach {past:.3g} mm past the {edge} edge of the "
        f"{_fmt(sheet.page_w, sheet.page_h)} page of {sheet.id}", "error",
        "an offset corrects where a printer puts the page by a few millimetres: measure it "
        "with `cardgen calibrate`, or set it back to 0", path)])


# --- crop marks and start slot -----------------------------------------------------------


def _free_run(origin: tuple[float, float], direction: tuple[int, int],
              boxes: Iterable[tuple[float, float, float, float]],
              page_w: float, page_h: float) -> float:
    """How far a ray from `origin` runs before it meets a card (edges included) or leaves
    the page."""
    ox, oy = origin
    dx, dy = direction
    if dx > 0:
        run = page_w - ox
    elif dx < 0:
        run = ox
    elif dy > 0:
        run = page_h - oy
    else:
        run = oy
    for x, y, w, h in boxes:
        if dx != 0 and y - _EPS <= oy <= y + h + _EPS:
            ahead = (x - ox) if dx > 0 else (ox - (x + w))
        elif dy != 0 and x - _EPS <= ox <= x + w + _EPS:
            ahead = (y - oy) if dy > 0 else (oy - (y + h))
        else:
            continue
        if ahead >= -_EPS:
            run = min(run, max(ahead, 0.0))
    return run


def crop_marks(geometry: PageGeometry, *, length: float = 5.0, gap: float = 1.5
               ) -> list[tuple[float, float, float, float]]:
    """Cut guides (x1, y1, x2, y2) along the extension of every card edge, out in the page's
    margins and gutters, stopping `gap` short of any card and of the page edge. Cards that
    butt share one cut, so a shared edge gets its marks in the margins only."""
    boxes = [s.box for s in geometry.fronts]
    marks: set[tuple[float, float, float, float]] = set()
    for x, y, w, h in boxes:
        corners = {(x, y), (x + w, y), (x, y + h), (x + w, y + h)}
        for cx, cy in corners:
            rays = [((-1 if cx == x else 1), 0), (0, (-1 if cy == y else 1))]
            for ddx, ddy in rays:
                run = _free_run((cx, cy), (ddx, ddy), boxes, geometry.page_w, geometry.page_h)
                start, end = gap, min(gap + length, run - gap)
                if end - start < 1.0:  # too short to see or to cut along
                    continue
                x1, y1 = cx + ddx * start, cy + ddy * start
                x2, y2 = cx + ddx * end, cy + ddy * end
                seg = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
                marks.add(tuple(round(v, 4) for v in seg))  # type: ignore[arg-type]
    return sorted(marks)


def slots_from(start_at: int, per_sheet: int) -> range:
    """Slot indexes to fill on the first sheet when `print.start_at` skips used cards (the
    first slot is 1, counting row by row from the top-left, as a user counts)."""
    if not 1 <= start_at <= per_sheet:
        raise CardgenError(
            f"start_at {start_at} is not a slot on this sheet (it has {per_sheet})",
            code="CG505",
            fix=f"set print.start_at to a number from 1 to {per_sheet}",
        )
    return range(start_at - 1, per_sheet)


# --- listing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetListing:
    """One built-in sheet as `cardgen list sheets` shows it."""

    id: str
    name: str
    page: str
    card: str
    per_sheet: str
    codes: tuple[str, ...]


def list_sheets() -> list[SheetListing]:
    """Every built-in sheet, described in words a user checks against the packet: the page,
    the card size (card stock fixes it), cards per sheet and equivalent product codes."""
    rows: list[SheetListing] = []
    for sheet in _builtin():
        if sheet.kind == "print-shop":
            page, card, per = "card + bleed", "any", "1"
        else:
            label = f"{sheet.page} " if sheet.page else ""
            page = f"{label}{_fmt(sheet.page_w, sheet.page_h)}"
            if sheet.card_w is not None and sheet.card_h is not None:
                # To 0.1 mm, as printed on the packet (the geometry keeps every digit).
                card = _fmt(round(sheet.card_w, 1), round(sheet.card_h, 1))
                per = str(sheet.per_sheet)
            else:
                card, per = "any (crop marks)", f"up to {sheet.per_sheet}"
        codes = tuple(dict.fromkeys(sheet.product_codes))
        rows.append(SheetListing(sheet.id, sheet.name, page, card, per, codes))
    return rows
