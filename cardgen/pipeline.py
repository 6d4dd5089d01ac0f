"""The pipeline the command line calls: YAML -> checked cards -> sheets -> PDF -> verified -> files.

`check_campaign` runs every check that can be made before drawing (numbers, links, text fit,
glyphs, contrast, QR module size, sheet fit) and returns the problems; `build_campaign` does
the same, then lays cards out on sheets, renders, decodes every distinct QR code back from
the rendered PDF, and only then writes the PDF(s) and the manifest, atomically.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import io
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from cardgen import workers as forked
from cardgen.checks import discretion, links, phones
from cardgen.errors import CardgenError, InputError, OutputError, Problem, ProblemList
from cardgen.input import config, limits
from cardgen.input.model import CardSpec, Variant
from cardgen.layout import designs, printshop, sheets
from cardgen.layout import face as layout
from cardgen.layout.placed import FaceLayout, PagePlan, Placement, QrItem, Ruler
from cardgen.text import measure

if TYPE_CHECKING:
    from cardgen.pdf.verify import QrExpectation

Side = Literal["front", "back"]
#: progress(stage, done, total): stage is "check" (variants laid out), "render" (files
#: drawn) or "verify" (QR codes decoded back); `done` counts up to `total` within a stage.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Source:
    """A campaign document: the file at `path`, or (with `text`) YAML already in memory that
    messages call `path`, whose files (logo, CSV, design, font) are relative to `base_dir`
    (default: `path`'s folder)."""

    path: Path
    text: str | None = None
    base_dir: Path | None = None


def _source(path: Path | Source) -> Source:
    return path if isinstance(path, Source) else Source(Path(path))


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked for on the command line."""

    output_dir: Path = Path("output")
    split: bool = False
    strict: bool = False
    only_variants: tuple[str, ...] = ()
    variants_csv: Path | None = None
    start_at: int | None = None
    verify: bool = True
    today: dt.date | None = None
    force: bool = False


@dataclass(frozen=True)
class PreparedCard:
    """A variant whose faces are laid out and checked, ready to go on sheets."""

    variant: Variant
    sheet: sheets.Sheet
    geometry: sheets.PageGeometry
    faces: dict[Side, FaceLayout]
    payloads: dict[Side, str]


@dataclass(frozen=True)
class VariantReport:
    """One line of the manifest."""

    id: str
    code: str
    copies: int
    printed: int
    sheets: int
    first_page: int
    last_page: int
    file: str
    payloads: dict[str, str]

    @property
    def surplus(self) -> int:
        return self.printed - self.copies


@dataclass(frozen=True)
class BuildResult:
    """What a build made: the files written (or, built in memory, each PDF's bytes by its
    file name), the manifest, the warnings and the counts the summary line gives."""

    files: tuple[Path, ...]
    variants: tuple[VariantReport, ...]
    warnings: tuple[Problem, ...]
    pages: int
    verified_codes: int
    documents: Mapping[str, bytes] = field(default_factory=dict)
    manifest: bytes = b""
    #: the files (by name) printed on both sides: each sheet a front page and a back page
    double_sided: frozenset[str] = frozenset()

    @property
    def cards(self) -> int:
        return sum(v.printed for v in self.variants)

    @property
    def sheets(self) -> int:
        return sum(v.sheets for v in self.variants)


@dataclass
class _Checked:
    loaded: config.LoadedCampaign
    cards: list[PreparedCard]
    problems: list[Problem] = field(default_factory=list)


def _problem_from_error(error: CardgenError, path: tuple[str | int, ...]) -> list[Problem]:
    return [
        Problem(p.code, p.message, p.severity, p.fix, p.path or path, p.location)
        for p in error.problems()
    ]


def _prepare(variant: Variant, loaded: config.LoadedCampaign, today: dt.date,
             start_at: int | None) -> tuple[PreparedCard | None, list[Problem]]:
    spec: CardSpec = variant.spec
    base = loaded.base_dir
    problems: list[Problem] = []
    problems += phones.check_helplines(spec, today=today)
    problems += links.check_links(spec, code=variant.code)

    def attempt(path: tuple[str | int, ...], make: Callable[[], object]) -> object | None:
        try:
            return make()
        except CardgenError as exc:
            problems.extend(_problem_from_error(exc, path))
            return None

    sheet = attempt(("print", "sheet"), lambda: sheets.load_sheet(spec.print.sheet, base))
    design = attempt(("card", "design"), lambda: designs.load_design(spec.card.design, base))
    fonts = attempt(("card", "font"), lambda: measure.load_font_family(spec.card.font, base))
    # With an unknown sheet, faces are still laid out on plain paper so that text and QR
    # problems are reported in the same run.
    layout_sheet = sheet if isinstance(sheet, sheets.Sheet) else sheets.load_sheet("a4-10up", base)
    size = attempt(("card", "size"), lambda: sheets.resolve_card_size(
        spec.card.size, spec.card.orientation, layout_sheet))
    if not isinstance(size, tuple):
        return None, problems
    card_w, card_h, _corner = size
    duplex = spec.print.duplex if spec.back is not None else "none"
    geometry = None
    print_shop = False
    if isinstance(sheet, sheets.Sheet):
        geometry = attempt(("print", "sheet"), lambda: sheets.plan_sheet(
            sheet, card_w, card_h, duplex=duplex,
            offset=(spec.print.offset.x, spec.print.offset.y),
            back_offset=(spec.print.back_offset.x, spec.print.back_offset.y),
            bleed=spec.print.bleed))
    if isinstance(sheet, sheets.Sheet) and isinstance(geometry, sheets.PageGeometry):
        print_shop = sheet.kind == "print-shop"
        if print_shop and printshop.wants_crop_marks(spec):
            geometry = printshop.grow_for_crop_marks(geometry)
        planned = geometry
        first_slot = start_at or spec.print.start_at
        attempt(("print", "start_at"), lambda: sheets.slots_from(first_slot, planned.per_sheet))
    if not isinstance(design, designs.Design) or not isinstance(fonts, measure.FontFamily):
        return None, problems
    faces: dict[Side, FaceLayout] = {}
    payloads: dict[Side, str] = {}
    sides: list[tuple[Side, object]] = [("front", spec.front)]
    if spec.back is not None and duplex != "none":
        sides.append(("back", spec.back))
    for side, face in sides:
        target = getattr(face, "qr", None)
        payload = None
        if target:
            try:
                payload = links.qr_payload(spec, target, variant.code)
                payloads[side] = payload
            except ValueError as exc:
                # The number checks usually said it already, with a fix; say it once.
                if not any(p.path == (side, "qr") and p.severity == "error" for p in problems):
                    problems.append(Problem("CG301", str(exc), "error", None, (side, "qr")))
        face_layout, face_problems = layout.layout_face(
            spec, side, design=design, fonts=fonts, card_w=card_w, card_h=card_h,
            qr_payload=payload, base_dir=base)
        problems += face_problems
        if face_layout is not None:
            faces[side] = face_layout
            if print_shop:
                problems += printshop.safe_area_problems(face_layout, side)
    problems += discretion.check_discretion(spec, design)
    if any(p.severity == "error" for p in problems):
        return None, problems
    assert isinstance(sheet, sheets.Sheet) and isinstance(geometry, sheets.PageGeometry)
    return PreparedCard(variant, sheet, geometry, faces, payloads), problems


def _codes_to_encode(variants: Sequence[Variant]) -> list[tuple[str, str]]:
    """Every variant's QR codes (payload, error correction): how many distinct ones decides
    whether the batch is worth laying out in worker processes."""
    jobs: list[tuple[str, str]] = []
    for variant in variants:
        spec = variant.spec
        for face in (spec.front, spec.back):
            if face is None or not face.qr:
                continue
            try:
                payload = links.qr_payload(spec, face.qr, variant.code)
            except ValueError:
                continue  # reported, located, when the card is prepared
            jobs.append((payload, spec.card.qr_error_correction))
    return jobs


#: Below this many distinct codes, starting worker processes costs more than it saves.
PARALLEL_FROM = 200


def _preparing_workers(codes: Sequence[tuple[str, str]]) -> int:
    """How many forked workers lay out a batch's cards, encoding each card's codes first
    (0: the cards are laid out here). Layout is a quarter of the CPU time of checking a
    batch of distinct codes, the encoder the rest; with both on every core the parent only
    collects (a laid-out card adds about 1 KB to the 9 KB its code took to send back
    anyway). Small batches (fewer than `PARALLEL_FROM` codes) and systems without fork
    are laid out here."""
    workers = forked.cores()
    if len(set(codes)) < PARALLEL_FROM or workers < 2 or not forked.available():
        return 0
    return workers


#: what forked workers prepare from (set before they are forked, which copies it to them)
_forked: tuple[config.LoadedCampaign, dt.date, int | None] | None = None
#: a prepared card as a worker sends it: the parent has the variant, and the problems
_Sent = tuple[sheets.Sheet, sheets.PageGeometry, dict[Side, FaceLayout], dict[Side, str]]


def _prepare_in_worker(index: int) -> tuple[bool, _Sent | None, list[Problem]]:
    """(done, the card without its variant, problems) for the variant at `index`. An
    unexpected exception is not sent (it may not survive pickling): done is False and the
    parent prepares that variant itself, so the error surfaces there as it would alone."""
    if _forked is None:  # a worker forked after the block ended
        return False, None, []
    loaded, today, start_at = _forked
    try:
        card, problems = _prepare(loaded.variants[index], loaded, today, start_at)
    except Exception:
        return False, None, []
    if card is None:
        return True, None, problems
    return True, (card.sheet, card.geometry, card.faces, card.payloads), problems


@contextlib.contextmanager
def _prepared_ahead(loaded: config.LoadedCampaign, today: dt.date, start_at: int | None,
                    workers: int) -> Iterator[Iterator[tuple[PreparedCard | None,
                                                                list[Problem]]]]:
    """Within the block, `_prepare` of every variant, in order, done by `workers` forked
    processes while the caller takes the results."""
    global _forked
    _forked = (loaded, today, start_at)
    # About eight chunks a worker: each chunk is one message back (fewer cost the parent less
    # time unpickling and waking), and the last chunk is short enough not to keep one core
    # busy alone at the end.
    chunk = max(1, len(loaded.variants) // (workers * 8))
    try:
        with forked.ordered_map(_prepare_in_worker, range(len(loaded.variants)),
                                workers=workers, chunk=chunk) as results:
            yield _received(loaded, today, start_at, results)
    finally:
        _forked = None


def _received(loaded: config.LoadedCampaign, today: dt.date, start_at: int | None,
              results: Iterator[tuple[bool, _Sent | None, list[Problem]]]
              ) -> Iterator[tuple[PreparedCard | None, list[Problem]]]:
    # Every card of a batch gets the same sheet and geometry back, as when prepared here.
    shared: dict[object, object] = {}
    last: tuple[object, object] = (None, None)
    kept: tuple[sheets.Sheet, sheets.PageGeometry] | None = None
    for variant, (done, sent, problems) in zip(loaded.variants, results, strict=True):
        if not done:
            yield _prepare(variant, loaded, today, start_at)
            continue
        if sent is None:
            yield None, problems
            continue
        sheet, geometry, faces, payloads = sent
        # a chunk of results shares one sheet and geometry; compared once a chunk
        if sheet is not last[0] or geometry is not last[1]:
            last = (sheet, geometry)
            kept = (cast(sheets.Sheet, shared.setdefault(sheet, sheet)),
                    cast(sheets.PageGeometry, shared.setdefault(geometry, geometry)))
        assert kept is not None
        sheet, geometry = kept
        yield PreparedCard(variant, sheet, geometry, faces, payloads), problems


@contextlib.contextmanager
def _collector_spared() -> Iterator[None]:
    """Within the block, what `_settle` marks is left out of the cycle collector's full
    passes: a 1,000-variant batch keeps its campaign, layouts and codes to the end, and
    re-scanning them in every full collection cost a tenth of the run. Marked objects go back
    to the collector when the block ends, so a long-lived process frees them as usual."""
    try:
        yield
    finally:
        gc.unfreeze()


def _settle() -> None:
    """Everything alive now lives until the run ends (see `_collector_spared`)."""
    gc.freeze()


def _check(path: Path | Source, options: BuildOptions, progress: Progress | None = None,
           meanwhile: Callable[[], None] | None = None) -> _Checked:
    """Loads and lays out every variant; call within `_collector_spared`. `meanwhile` runs
    once worker processes have started encoding a batch's codes and laying out its cards:
    the first cards are not ready yet, so work done then costs no time."""
    source = _source(path)
    loaded = config.load_campaign(
        source.path, variants_csv=options.variants_csv, only_variants=options.only_variants,
        text=source.text, base_dir=source.base_dir)
    _settle()
    today = options.today or dt.date.today()
    collected = ProblemList(list(loaded.warnings))
    too_many = limits.cards_problem(sum(v.copies or 0 for v in loaded.variants),
                                    loaded.locate(None, ("print", "copies")))
    if too_many is not None:
        raise InputError([*collected.items, too_many])
    cards: list[PreparedCard] = []
    codes = _codes_to_encode(loaded.variants)
    workers = _preparing_workers(codes)
    with contextlib.ExitStack() as stack:
        prepared: Iterator[tuple[PreparedCard | None, list[Problem]]]
        if workers:
            prepared = stack.enter_context(
                _prepared_ahead(loaded, today, options.start_at, workers))
            if meanwhile is not None:
                meanwhile()
        else:
            prepared = (_prepare(v, loaded, today, options.start_at) for v in loaded.variants)
        for number, variant in enumerate(loaded.variants):
            if progress:
                progress("check", number, len(loaded.variants))
            card, problems = next(prepared)
            for problem in problems:
                where = problem.location or loaded.locate(variant.id, problem.path)
                scope = variant.id if len(loaded.variants) > 1 else None
                collected.add(problem.located(where).for_variant(scope))
            if card is not None:
                cards.append(card)
    if progress:
        progress("check", len(loaded.variants), len(loaded.variants))
    items = collected.items
    if options.strict:
        items = [p.as_error() for p in items]
    return _Checked(loaded, cards, items)


def check_campaign(path: Path | Source, options: BuildOptions | None = None) -> list[Problem]:
    """Every error and warning, located; nothing is drawn or written. Raises InputError only
    when the file cannot be read as a campaign at all (then there is nothing else to check)."""
    with _collector_spared():
        checked = _check(path, options or BuildOptions())
    from cardgen.errors import sorted_problems

    return sorted_problems(checked.problems)


def prepare_cards(path: Path | Source, options: BuildOptions | None = None
                  ) -> tuple[config.LoadedCampaign, list[PreparedCard], list[Problem]]:
    """Every variant laid out and checked, as `build_campaign` would print it, and the
    warnings; raises InputError when there are errors (for `preview`, which draws faces)."""
    with _collector_spared():
        checked = _check(path, options or BuildOptions())
    ProblemList(checked.problems).raise_if_errors()
    return checked.loaded, checked.cards, checked.problems


# --- sheets and pages -------------------------------------------------------------------


def _page_point(placement: Placement, face: FaceLayout, cx: float, cy: float
                ) -> tuple[float, float]:
    """A point of the upright face, in mm from the page's top-left, after rotation."""
    x, y, h = placement.x, placement.y, face.height
    rotation = placement.rotation % 360
    if rotation == 0:
        return x + cx, y + cy
    if rotation == 90:
        return x + cy, y + placement.height - cx
    if rotation == 180:
        return x + placement.width - cx, y + h - cy
    return x + h - cy, y + cx


def qr_box_on_page(placement: Placement, face: FaceLayout, item: QrItem
                   ) -> tuple[float, float, float]:
    """(x, y, side) of a QR symbol on the page, quiet zone included."""
    corners = [
        _page_point(placement, face, item.x + dx, item.y + dy)
        for dx in (0.0, item.side) for dy in (0.0, item.side)
    ]
    return min(c[0] for c in corners), min(c[1] for c in corners), item.side


@dataclass
class _Document:
    """Pages being assembled for one output file."""

    pages: list[PagePlan] = field(default_factory=list)
    faces: dict[str, FaceLayout] = field(default_factory=dict)
    double_sided: bool = False
    reports: list[VariantReport] = field(default_factory=list)
    #: the last sheet's occupants and placements, for sharing with a sheet filled the same
    last_sheet: tuple[object, tuple[tuple[Placement, ...], tuple[Placement, ...]]] | None = None


@functools.lru_cache(maxsize=64)
def _crop_marks(geometry: sheets.PageGeometry) -> tuple[tuple[float, float, float, float], ...]:
    # Every sheet of a variant has the same marks; a 1,000-sheet run asks 1,000 times.
    return tuple(sheets.crop_marks(geometry))


@functools.lru_cache(maxsize=64)
def _ruler(geometry: sheets.PageGeometry) -> tuple[Ruler, tuple[float, float]] | None:
    """The ruler and where the sheet label ends, above the top row when there is room.
    Computed once per layout, so every sheet of a run shares them."""
    top = min(s.y for s in geometry.fronts)
    if top < 9:
        return None
    return (Ruler(x=min(s.x for s in geometry.fronts) + 4, y=top - 5.5, length=50.0),
            (max(s.x + s.width for s in geometry.fronts) - 2, top - 5.5))


def _furniture(card: PreparedCard, label: str) -> dict[str, object]:
    sheet, geometry = card.sheet, card.geometry
    spec = card.variant.spec
    if sheet.kind == "print-shop":
        if printshop.wants_crop_marks(spec):
            return {"crop_marks": tuple(printshop.print_shop_crop_marks(
                geometry, spec.print.bleed))}
        return {}
    furniture: dict[str, object] = {"label": label}
    ruler = _ruler(geometry)
    if ruler is not None:
        furniture["ruler"], furniture["label_xy"] = ruler
    if spec.print.crop_marks and sheet.card_w is None:
        furniture["crop_marks"] = _crop_marks(geometry)
    return furniture


def _sheet_placements(geometry: sheets.PageGeometry, slot_cards: Sequence[PreparedCard | None],
                      doc: _Document) -> tuple[tuple[Placement, ...], tuple[Placement, ...]]:
    """The faces on one sheet's front and back. A sheet filled like the one before it
    shares that sheet's placements: 1,000 sheets of one card hold one set, not 1,000."""
    key = (geometry, tuple(None if c is None else c.variant.id for c in slot_cards))
    if doc.last_sheet is not None and doc.last_sheet[0] == key:
        return doc.last_sheet[1]
    fronts: list[Placement] = []
    backs: list[Placement] = []
    for index, occupant in enumerate(slot_cards):
        if occupant is None:
            continue
        vid = occupant.variant.id
        slot = geometry.fronts[index]
        fronts.append(Placement(f"{vid}-front", slot.x, slot.y, slot.width, slot.height,
                                slot.rotation))
        if "back" in occupant.faces and geometry.backs:
            back = geometry.backs[index]
            backs.append(Placement(f"{vid}-back", back.x, back.y, back.width, back.height,
                                   back.rotation))
    placed = (tuple(fronts), tuple(backs))
    doc.last_sheet = (key, placed)
    return placed


def _sheet_pages(card: PreparedCard, slot_cards: Sequence[PreparedCard | None], label: str,
                 doc: _Document) -> None:
    """A front page (and a back page) for one sheet whose slots hold `slot_cards`."""
    geometry = card.geometry
    fronts, backs = _sheet_placements(geometry, slot_cards, doc)
    furniture = _furniture(card, label)
    extra: dict[str, object] = {}
    if geometry.trim_box is not None:
        extra["trim_box"] = geometry.trim_box
        extra["bleed_box"] = geometry.bleed_box
        # The back of a print-shop card is trimmed too: it carries the same marks.
        if "crop_marks" in furniture:
            extra["crop_marks"] = furniture.pop("crop_marks")
    doc.pages.append(PagePlan(geometry.page_w, geometry.page_h, tuple(fronts),
                              **furniture, **extra))  # type: ignore[arg-type]
    if backs or doc.double_sided:
        # In a double-sided file every front needs its back page, even an empty one, or the
        # printer pairs the next front with this sheet's back.
        doc.pages.append(PagePlan(geometry.page_w, geometry.page_h, tuple(backs), **extra))  # type: ignore[arg-type]


def _lay_out_sheets(cards: Sequence[PreparedCard], *, pack: bool, start_at: int,
                    file_name: str, doc: _Document, campaign: str) -> None:
    first_skip = start_at - 1
    if pack:
        queue: list[PreparedCard] = []
        counts: dict[str, int] = {}
        for card in cards:
            copies = card.variant.copies or 1
            queue.extend([card] * copies)
            counts[card.variant.id] = copies
        per_sheet = cards[0].geometry.per_sheet
        slots: list[PreparedCard | None] = [None] * first_skip + list(queue)
        n_sheets = max(1, math.ceil(len(slots) / per_sheet))
        first_page = len(doc.pages) + 1
        for s in range(n_sheets):
            chunk = slots[s * per_sheet:(s + 1) * per_sheet]
            chunk += [None] * (per_sheet - len(chunk))
            _sheet_pages(cards[0], chunk, f"{campaign} · sheet {s + 1} of {n_sheets}", doc)
        last_page = len(doc.pages)
        for card in cards:
            copies = counts[card.variant.id]
            doc.reports.append(VariantReport(
                card.variant.id, card.variant.code, copies, copies, 0, first_page, last_page,
                file_name, _payload_columns(card)))
        if doc.reports:
            # The sheets are shared: count them once, on the first variant.
            first = doc.reports[-len(cards)]
            doc.reports[-len(cards)] = VariantReport(
                first.id, first.code, first.copies, first.printed, n_sheets, first.first_page,
                first.last_page, first.file, first.payloads)
        return
    for number, card in enumerate(cards):
        per_sheet = card.geometry.per_sheet
        skip = first_skip if number == 0 else 0
        copies = card.variant.copies or (per_sheet - skip)
        n_sheets = max(1, math.ceil((copies + skip) / per_sheet))
        printed = n_sheets * per_sheet - skip
        first_page = len(doc.pages) + 1
        for s in range(n_sheets):
            slot_cards: list[PreparedCard | None] = [card] * per_sheet
            if s == 0:
                slot_cards[:skip] = [None] * skip
            label = f"{campaign} · {card.variant.id} · sheet {s + 1} of {n_sheets}"
            _sheet_pages(card, slot_cards, label, doc)
        doc.reports.append(VariantReport(
            card.variant.id, card.variant.code, copies, printed, n_sheets, first_page,
            len(doc.pages), file_name, _payload_columns(card)))


def _payload_columns(card: PreparedCard) -> dict[str, str]:
    return {f"{side}_qr": payload for side, payload in card.payloads.items()}


def _expectations(doc: _Document) -> list[QrExpectation]:
    from cardgen.pdf.verify import QrExpectation

    seen: set[tuple[str, str]] = set()
    wanted: list[QrExpectation] = []
    for index, page in enumerate(doc.pages):
        for placement in page.placements:
            face = doc.faces[placement.face_key]
            for item in face.qr_items:
                key = (placement.face_key, item.payload)
                if key in seen:
                    continue
                seen.add(key)
                x, y, side = qr_box_on_page(placement, face, item)
                wanted.append(QrExpectation(index, x, y, side, item.payload, len(item.modules)))
    return wanted


def build_campaign(path: Path | Source, options: BuildOptions | None = None,
                   progress: Progress | None = None) -> BuildResult:
    """Checks, renders, verifies and writes. Raises InputError (with every problem) when the
    input has errors, VerificationError when a QR code does not decode; writes nothing then."""
    with _collector_spared():
        return _build(path, options or BuildOptions(), progress, in_memory=False)


def build_in_memory(path: Path | Source, options: BuildOptions | None = None,
                    progress: Progress | None = None) -> BuildResult:
    """`build_campaign` without the files: the same checks, PDFs and verification, the PDFs
    returned as bytes by file name (`documents`) with the manifest; nothing is written."""
    with _collector_spared():
        return _build(path, options or BuildOptions(), progress, in_memory=True)


def _import_drawing() -> None:
    # reportlab, PDFium and PIL take a twentieth of a batch run to import; a batch imports
    # them while waiting for its first codes instead of after the layout.
    from cardgen.pdf import verify  # noqa: F401


def _build(path: Path | Source, options: BuildOptions, progress: Progress | None, *,
           in_memory: bool) -> BuildResult:
    checked = _check(path, options, progress, meanwhile=_import_drawing)
    _settle()  # the prepared cards too
    problems = ProblemList(checked.problems)
    if options.split:
        for problem in _split_name_clashes(checked.loaded):
            problems.add(problem)
    problems.raise_if_errors()
    loaded = checked.loaded
    cards = checked.cards
    top = loaded.variants[0].spec
    start_at = options.start_at or top.print.start_at
    pack = top.print.pack
    groups: list[tuple[str, list[PreparedCard]]]
    if options.split:
        groups = [(f"{loaded.slug}/{c.variant.id}.pdf", [c]) for c in cards]
    else:
        groups = [(f"{loaded.slug}.pdf", list(cards))]
    if in_memory:
        return _render_verify_write(loaded, groups, options, problems, None, progress,
                                    start_at=start_at, pack=pack)
    # Checked before drawing: a file that may not be replaced stops the run at once.
    _targets(options.output_dir, [name for name, _ in groups], not options.force)
    staging = _Staging(options.output_dir)
    try:
        return _render_verify_write(loaded, groups, options, problems, staging,
                                    progress, start_at=start_at, pack=pack)
    except BaseException:
        staging.discard()
        raise


class _Staging:
    """Rendered PDFs waiting, under temporary names in their own folders, for verification
    and the final rename; removed with any folder made for them if the run fails."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.parts: list[Path] = []
        self.made: list[Path] = []

    def part(self, name: str) -> Path:
        folder = (self.output_dir / name).parent
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.made.extend(missing)
            return _new_part(folder, (self.output_dir / name).name, self.parts)
        except OSError as exc:
            raise OutputError(f"could not write to {self.output_dir}: {exc.strerror or exc}",
                              fix="choose another folder with -o, or free some disk space"
                              ) from exc

    def discard(self) -> None:
        for part in self.parts:
            part.unlink(missing_ok=True)
        for folder in self.made:  # deepest first
            with contextlib.suppress(OSError):  # not empty: something else is there
                folder.rmdir()


def _render_verify_write(
    loaded: config.LoadedCampaign,
    groups: Sequence[tuple[str, list[PreparedCard]]], options: BuildOptions,
    problems: ProblemList, staging: _Staging | None, progress: Progress | None, *,
    start_at: int, pack: bool,
) -> BuildResult:
    """Draws, verifies and writes each file of `groups`; with no `staging`, nothing is
    written and the PDFs come back as bytes."""
    from cardgen.pdf import draw, verify

    top = loaded.variants[0].spec
    outputs: dict[str, bytes | Path] = {}
    reports: list[VariantReport] = []
    total_pages = 0
    verified = 0
    wanted_by_file: list[list[QrExpectation]] = []
    pdfs: list[Path | bytes] = []
    double_sided: set[str] = set()
    for number, (name, group) in enumerate(groups):
        doc = _Document(double_sided=any("back" in c.faces for c in group))
        for card in group:
            for side, face in card.faces.items():
                doc.faces[f"{card.variant.id}-{side}"] = face
        _lay_out_sheets(group, pack=pack, start_at=start_at if number == 0 or options.split
                        else 1, file_name=name, doc=doc, campaign=top.campaign)
        if progress:
            progress("render", number, len(groups))
        first = group[0]
        fonts = measure.load_font_family(first.variant.spec.card.font, loaded.base_dir)
        spec = first.variant.spec
        colour_mode = printshop.colour_mode(spec)
        bleed = spec.print.bleed if first.sheet.kind == "print-shop" else 0.0
        pdf: Path | bytes
        try:
            if staging is None:
                pdf = draw.render_document(
                    doc.pages, doc.faces, title=top.campaign, furniture_font=fonts.regular,
                    colour_mode=colour_mode, bleed=bleed, duplex=spec.print.duplex)
            else:
                # Written straight to its temporary file, page by page: memory does not
                # grow with the number of sheets.
                pdf = staging.part(name)
                draw.render_to_file(
                    pdf, doc.pages, doc.faces, title=top.campaign,
                    furniture_font=fonts.regular, colour_mode=colour_mode, bleed=bleed,
                    duplex=spec.print.duplex)
        except OSError as exc:
            raise OutputError(f"could not write to {options.output_dir}: "
                              f"{exc.strerror or exc}",
                              fix="choose another folder with -o, or free some disk space"
                              ) from exc
        wanted_by_file.append(_expectations(doc) if options.verify else [])
        pdfs.append(pdf)
        outputs[name] = pdf
        reports.extend(doc.reports)
        total_pages += len(doc.pages)
        if doc.double_sided:
            double_sided.add(name)
    if progress:
        progress("render", len(groups), len(groups))
    to_verify = sum(len(w) for w in wanted_by_file)
    for pdf, wanted in zip(pdfs, wanted_by_file, strict=True):
        if not wanted:
            continue
        base = verified

        def verify_progress(done: int, _total: int, base: int = base) -> None:
            if progress:
                progress("verify", base + done, to_verify)

        verify.verify_pdf(pdf, wanted, progress=verify_progress)
        verified += len(wanted)
    manifest = manifest_csv(reports).encode("utf-8")
    if staging is None:
        documents = {name: pdf for name, pdf in outputs.items() if isinstance(pdf, bytes)}
        return BuildResult((), tuple(reports), tuple(problems.warnings), total_pages,
                           verified, documents, manifest, frozenset(double_sided))
    outputs[f"{loaded.slug}.manifest.csv"] = manifest
    files = write_atomically(options.output_dir, outputs, protect=not options.force)
    return BuildResult(tuple(files), tuple(reports), tuple(problems.warnings), total_pages,
                       verified, {}, manifest, frozenset(double_sided))


def _split_name_clashes(loaded: config.LoadedCampaign) -> list[Problem]:
    """Ids that differ only in case would overwrite each other's PDF on the case-insensitive
    file systems of Windows and macOS when each variant gets its own file."""
    first: dict[str, str] = {}
    found: list[Problem] = []
    for variant in loaded.variants:
        key = variant.id.casefold()
        if key in first:
            found.append(Problem(
                "CG136",
                f"the variants '{first[key]}' and '{variant.id}' differ only in case, so with "
                "--split their files would overwrite each other on Windows and macOS",
                "error", "rename one of the two variants", ("id",),
                loaded.locate(variant.id, ("id",)), variant.id))
        else:
            first[key] = variant.id
    return found


def manifest_csv(reports: Sequence[VariantReport]) -> str:
    """variant, code, copies, printed, surplus, sheets, pages, file and every QR payload."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variant", "code", "copies", "printed", "surplus", "sheets", "pages",
                     "file", "front_qr", "back_qr"])
    for r in reports:
        writer.writerow([r.id, r.code, r.copies, r.printed, r.surplus, r.sheets,
                         f"{r.first_page}-{r.last_page}", r.file,
                         r.payloads.get("front_qr", ""), r.payloads.get("back_qr", "")])
    return out.getvalue()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: how every manifest cardgen writes begins (later columns may be added)
MANIFEST_START = b"variant,code,copies,"


def written_by_cardgen(path: Path) -> bool:
    """Whether the file at `path` is one cardgen wrote: a PDF whose /Creator is cardgen, or
    a manifest starting with cardgen's header line. Anything else is the user's."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(MANIFEST_START))
            if head.startswith(b"%PDF-"):
                return b"/Creator (cardgen)" in head + handle.read()
    except OSError:
        return False
    return head == MANIFEST_START


def _new_part(directory: Path, name: str, parts: list[Path]) -> Path:
    """An empty temporary file beside `name` in `directory`, listed in `parts`."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    os.close(fd)
    # listed before writing, so a write that fails half-way is cleaned up too
    parts.append(Path(tmp_name))
    return Path(tmp_name)


def _write_part(directory: Path, name: str, data: bytes | Path, parts: list[Path]) -> Path:
    if isinstance(data, Path):
        # Already written (a PDF rendered page by page): it only needs making durable.
        if data.parent.resolve() != directory.resolve():
            raise ValueError(f"{data} is not in {directory}: it could not be renamed at once")
        part = data
        parts.append(part)
        with part.open("rb+") as handle:
            os.fsync(handle.fileno())
    else:
        part = _new_part(directory, name, parts)
        with part.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    # mkstemp makes files only their owner can read; a PDF is for sharing.
    os.chmod(part, 0o666 & ~_current_umask())
    return part


def _targets(output_dir: Path, outputs: Iterable[str], protect: bool) -> list[Path]:
    root = output_dir.resolve()
    targets: list[Path] = []
    for name in outputs:
        target = (output_dir / name).resolve()
        if root not in target.parents:
            raise OutputError(f"refusing to write {target} outside {output_dir}", code="CG902",
                              fix="use variant ids and a campaign name made of letters, "
                              "digits, '-' and '_'")
        if target.is_dir():
            raise OutputError(f"{target} is a folder, where cardgen would write a file",
                              code="CG903", fix="rename or move that folder, or use -o")
        if protect and target.exists() and not written_by_cardgen(target):
            raise OutputError(
                f"refusing to overwrite {target}: cardgen did not write it", code="CG901",
                fix="move that file away, choose another folder with -o, or add --force to "
                "replace it")
        targets.append(target)
    return targets


def write_atomically(output_dir: Path, outputs: Mapping[str, bytes | Path], *,
                     protect: bool = False) -> list[Path]:
    """Writes every file to a temporary name in its folder, then renames them all: a run that
    fails part-way (an error, a full disk, Ctrl-C) leaves the previous files as they were and
    no partial file. With `protect`, a file cardgen did not write (not its PDF or manifest)
    is not replaced. A Path value is a file already written under a temporary name in the
    target's folder (a large PDF): it is renamed, or removed if the run fails."""
    targets = _targets(output_dir, outputs, protect)
    parts: list[Path] = []
    renamed: list[Path] = []
    backups: dict[Path, Path | None] = {}
    try:
        for target, data in zip(targets, outputs.values(), strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_part(target.parent, target.name, data, parts)
        # keep the previous files (hard links, no copying) until every rename is done, so
        # the set of files is replaced as a whole or not at all
        for target in targets:
            backups[target] = None
            if target.exists():
                backup = target.with_name(f".{target.name}.previous.part")
                backup.unlink(missing_ok=True)
                os.link(target, backup)
                backups[target] = backup
        for part, target in zip(parts, targets, strict=True):
            # listed first: an interrupt right after the rename must still undo it (undoing
            # a rename that did not happen is harmless)
            renamed.append(target)
            os.replace(part, target)
    except BaseException as exc:
        _roll_back(parts, renamed, backups)
        if isinstance(exc, OSError):
            raise OutputError(f"could not write to {output_dir}: {exc.strerror or exc}",
                              fix="choose another folder with -o, or free some disk space"
                              ) from exc
        raise
    for kept in backups.values():
        if kept is not None:
            kept.unlink(missing_ok=True)
    return targets


def _roll_back(parts: list[Path], renamed: list[Path],
               backups: dict[Path, Path | None]) -> None:
    """Undoes a write: temporary files go, renamed targets get their previous file back."""
    for part in parts:
        part.unlink(missing_ok=True)
    for target in renamed:
        backup = backups.get(target)
        if backup is not None:
            os.replace(backup, target)
        else:
            target.unlink(missing_ok=True)
    for backup in backups.values():
        if backup is not None:
            backup.unlink(missing_ok=True)


__all__ = [
    "BuildOptions",
    "BuildResult",
    "InputError",
    "build_campaign",
    "check_campaign",
    "manifest_csv",
]
