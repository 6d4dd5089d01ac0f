"""The pipeline the command line calls: YAML -> checked cards -> sheets -> PDF -> verified -> files.

`check_campaign` runs every check that can be made before drawing (numbers, links, text fit,
glyphs, contrast, QR module size, sheet fit) and returns the problems; `build_campaign` does
the same, then lays cards out on sheets, renders, decodes every distinct QR code back from
the rendered PDF, and only then writes the PDF(s) and the manifest, atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cardgen import config, designs, layout, links, phones, sheets, text
from cardgen.errors import CardgenError, InputError, OutputError, Problem, ProblemList
from cardgen.model import CardSpec, Variant
from cardgen.placed import FaceLayout, PagePlan, Placement, QrItem, Ruler

if TYPE_CHECKING:
    from cardgen.verify import QrExpectation

Side = Literal["front", "back"]
#: progress(stage, done, total): stage is "check" (variants laid out), "render" (files
#: drawn) or "verify" (QR codes decoded back); `done` counts up to `total` within a stage.
Progress = Callable[[str, int, int], None]


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
    files: tuple[Path, ...]
    variants: tuple[VariantReport, ...]
    warnings: tuple[Problem, ...]
    pages: int
    verified_codes: int

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
    fonts = attempt(("card", "font"), lambda: text.load_font_family(spec.card.font, base))
    if not isinstance(sheet, sheets.Sheet):
        return None, problems
    size = attempt(("card", "size"), lambda: sheets.resolve_card_size(
        spec.card.size, spec.card.orientation, sheet))
    if not isinstance(size, tuple):
        return None, problems
    card_w, card_h, _corner = size
    duplex = spec.print.duplex if spec.back is not None else "none"
    geometry = attempt(("print", "sheet"), lambda: sheets.plan_sheet(
        sheet, card_w, card_h, duplex=duplex,
        offset=(spec.print.offset.x, spec.print.offset.y),
        back_offset=(spec.print.back_offset.x, spec.print.back_offset.y),
        bleed=spec.print.bleed))
    if not isinstance(geometry, sheets.PageGeometry):
        return None, problems
    if not isinstance(design, designs.Design) or not isinstance(fonts, text.FontFamily):
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
            except ValueError as exc:
                problems.append(Problem("CG301", str(exc), "error", None, (side, "qr")))
                continue
            payloads[side] = payload
        face_layout, face_problems = layout.layout_face(
            spec, side, design=design, fonts=fonts, card_w=card_w, card_h=card_h,
            qr_payload=payload, base_dir=base)
        problems += face_problems
        if face_layout is not None:
            faces[side] = face_layout
    if any(p.severity == "error" for p in problems):
        return None, problems
    del start_at
    return PreparedCard(variant, sheet, geometry, faces, payloads), problems


def _check(path: Path, options: BuildOptions, progress: Progress | None = None) -> _Checked:
    loaded = config.load_campaign(
        path, variants_csv=options.variants_csv, only_variants=options.only_variants)
    today = options.today or dt.date.today()
    collected = ProblemList(list(loaded.warnings))
    cards: list[PreparedCard] = []
    for number, variant in enumerate(loaded.variants):
        if progress:
            progress("check", number, len(loaded.variants))
        card, problems = _prepare(variant, loaded, today, options.start_at)
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


def check_campaign(path: Path, options: BuildOptions | None = None) -> list[Problem]:
    """Every error and warning, located; nothing is drawn or written. Raises InputError only
    when the file cannot be read as a campaign at all (then there is nothing else to check)."""
    checked = _check(path, options or BuildOptions())
    from cardgen.errors import sorted_problems

    return sorted_problems(checked.problems)


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
    reports: list[VariantReport] = field(default_factory=list)


def _furniture(card: PreparedCard, label: str) -> dict[str, object]:
    sheet, geometry = card.sheet, card.geometry
    spec = card.variant.spec
    if sheet.kind == "print-shop":
        return {}
    top = min(s.y for s in geometry.fronts)
    furniture: dict[str, object] = {"label": label}
    if top >= 9:
        furniture["ruler"] = Ruler(x=min(s.x for s in geometry.fronts) + 4, y=top - 5.5,
                                   length=50.0)
        furniture["label_xy"] = (max(s.x + s.width for s in geometry.fronts) - 2, top - 5.5)
    if spec.print.crop_marks and sheet.card_w is None:
        furniture["crop_marks"] = tuple(sheets.crop_marks(geometry))
    return furniture


def _sheet_pages(card: PreparedCard, slot_cards: Sequence[PreparedCard | None], label: str,
                 doc: _Document) -> None:
    """A front page (and a back page) for one sheet whose slots hold `slot_cards`."""
    geometry = card.geometry
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
    furniture = _furniture(card, label)
    extra: dict[str, object] = {}
    if geometry.trim_box is not None:
        extra["trim_box"] = geometry.trim_box
        extra["bleed_box"] = geometry.bleed_box
    doc.pages.append(PagePlan(geometry.page_w, geometry.page_h, tuple(fronts),
                              **furniture, **extra))  # type: ignore[arg-type]
    if backs or (geometry.backs and any(o and "back" in o.faces for o in slot_cards)):
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
    from cardgen.verify import QrExpectation

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
                wanted.append(QrExpectation(index, x, y, side, item.payload))
    return wanted


def build_campaign(path: Path, options: BuildOptions | None = None,
                   progress: Progress | None = None) -> BuildResult:
    """Checks, renders, verifies and writes. Raises InputError (with every problem) when the
    input has errors, VerificationError when a QR code does not decode; writes nothing then."""
    from cardgen import render, verify

    options = options or BuildOptions()
    checked = _check(path, options, progress)
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
    outputs: dict[str, bytes] = {}
    reports: list[VariantReport] = []
    total_pages = 0
    verified = 0
    wanted_by_file: list[list[QrExpectation]] = []
    pdfs: list[bytes] = []
    for number, (name, group) in enumerate(groups):
        doc = _Document()
        for card in group:
            for side, face in card.faces.items():
                doc.faces[f"{card.variant.id}-{side}"] = face
        _lay_out_sheets(group, pack=pack, start_at=start_at if number == 0 or options.split
                        else 1, file_name=name, doc=doc, campaign=top.campaign)
        if progress:
            progress("render", number, len(groups))
        first = group[0]
        fonts = text.load_font_family(first.variant.spec.card.font, loaded.base_dir)
        pdf = render.render_document(
            doc.pages, doc.faces, title=top.campaign, furniture_font=fonts.regular,
            colour_mode=first.variant.spec.print.colour,
            bleed=first.variant.spec.print.bleed if first.sheet.kind == "print-shop" else 0.0,
            duplex=first.variant.spec.print.duplex)
        wanted_by_file.append(_expectations(doc) if options.verify else [])
        pdfs.append(pdf)
        outputs[name] = pdf
        reports.extend(doc.reports)
        total_pages += len(doc.pages)
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
    outputs[f"{loaded.slug}.manifest.csv"] = manifest_csv(reports).encode("utf-8")
    files = write_atomically(options.output_dir, outputs)
    return BuildResult(tuple(files), tuple(reports), tuple(problems.warnings), total_pages,
                       verified)


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


def write_atomically(output_dir: Path, outputs: dict[str, bytes]) -> list[Path]:
    """Writes every file to a temporary name in its folder, then renames them all: a run that
    fails part-way leaves the previous files as they were and no partial file."""
    written: list[tuple[Path, Path]] = []
    try:
        for name, data in outputs.items():
            target = (output_dir / name).resolve()
            if output_dir.resolve() not in target.parents:
                raise OutputError(f"refusing to write {target} outside {output_dir}")
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                       dir=target.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            written.append((Path(tmp_name), target))
        for part, target in written:
            os.replace(part, target)
    except OSError as exc:
        for part, _target in written:
            part.unlink(missing_ok=True)
        raise OutputError(f"could not write to {output_dir}: {exc.strerror or exc}",
                          fix="choose another folder with -o, or free some disk space") from exc
    except BaseException:
        for part, _target in written:
            part.unlink(missing_ok=True)
        raise
    return [target for _part, target in written]


__all__ = [
    "BuildOptions",
    "BuildResult",
    "InputError",
    "build_campaign",
    "check_campaign",
    "manifest_csv",
]
