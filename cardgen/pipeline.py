"""The orchestration: YAML -> checked cards -> sheets -> PDF -> verified -> files or bytes.

`check_campaign` runs every check that can be made before drawing (numbers, links, text fit,
glyphs, contrast, QR module size, sheet fit) and returns the problems; `build_campaign` does
the same, then lays cards out on sheets, renders, decodes every distinct QR code back from
the rendered PDF, and only then writes the PDF(s) and the manifest, atomically;
`build_in_memory` returns them as bytes instead. The stages live elsewhere: preparing the
cards (here or in forked workers) in `preparing`, sheets and pages in `layout.pages`,
drawing and verifying in `pdf`, writing in `output`. The public face is `cardgen.api`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen import preparing
from cardgen.errors import InputError, OutputError, Problem, ProblemList, sorted_problems
from cardgen.input import config, limits
from cardgen.layout import printshop
from cardgen.layout.fitcache import LayoutCache
from cardgen.layout.pages import (
    Document,
    PreparedCard,
    VariantReport,
    lay_out_sheets,
    qr_box_on_page,
)
from cardgen.layout.placed import FaceLayout, QrItem
from cardgen.output import Staging, check_targets, manifest_csv, write_atomically
from cardgen.text import measure

if TYPE_CHECKING:
    from cardgen.pdf.verify import QrExpectation, ScanReport

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


@dataclass
class Caches:
    """What a session (`cardgen.Session`) keeps from one call to the next: the faces and
    fitted text it laid out, and the last few campaigns it read from YAML in memory (an
    editor checks, then previews, the same text). A build without one starts afresh."""

    layout: LayoutCache = field(default_factory=LayoutCache)
    campaigns: dict[tuple[object, ...], config.LoadedCampaign] = field(default_factory=dict)
    #: campaigns kept (the oldest goes first)
    campaigns_size: int = 8


def _load(source: Source, options: BuildOptions, cache: Caches | None
          ) -> config.LoadedCampaign:
    """The campaign read and validated, or, from a session, as read before from the same
    text. Only text that names no other file it reads (a variants CSV) is kept: a file can
    change between calls, the text cannot."""
    key: tuple[object, ...] | None = None
    if (cache is not None and source.text is not None and options.variants_csv is None
            and "variants_csv" not in source.text):
        key = (source.path, source.text, source.base_dir, options.only_variants)
        kept = cache.campaigns.get(key)
        if kept is not None:
            return kept
    loaded = config.load_campaign(
        source.path, variants_csv=options.variants_csv, only_variants=options.only_variants,
        text=source.text, base_dir=source.base_dir, keep_going=True)
    if key is not None and cache is not None:
        if len(cache.campaigns) >= cache.campaigns_size:
            del cache.campaigns[next(iter(cache.campaigns))]
        cache.campaigns[key] = loaded
    return loaded


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
    #: sheets in all the files (packed variants share sheets: not the sum of the rows)
    sheets: int = 0
    #: what the camera check saw (None: not verified)
    scan: ScanReport | None = None

    @property
    def cards(self) -> int:
        return sum(v.printed for v in self.variants)


@dataclass
class _Checked:
    loaded: config.LoadedCampaign
    cards: list[PreparedCard]
    problems: list[Problem] = field(default_factory=list)


def _check(path: Path | Source, options: BuildOptions, progress: Progress | None = None,
           meanwhile: Callable[[], None] | None = None, cache: Caches | None = None
           ) -> _Checked:
    """Loads and lays out every variant; call within `_collector_spared`. `meanwhile` runs
    once worker processes have started encoding a batch's codes and laying out its cards:
    the first cards are not ready yet, so work done then costs no time."""
    loaded = _load(_source(path), options, cache)
    preparing.settle()
    # errors in the file do not stop the checks of what is well written (every error at once)
    collected = ProblemList([*loaded.errors, *loaded.warnings])
    too_many = limits.cards_problem(sum(v.copies or 0 for v in loaded.variants),
                                    loaded.locate(None, ("print", "copies")))
    if too_many is not None:
        raise InputError([*collected.items, too_many])
    cards: list[PreparedCard] = []
    job = preparing.Preparation(loaded, options.today or dt.date.today(), options.start_at,
                                cache.layout if cache is not None else LayoutCache())
    with preparing.prepared_cards(job, meanwhile) as prepared:
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


def check_campaign(path: Path | Source, options: BuildOptions | None = None, *,
                   cache: Caches | None = None) -> list[Problem]:
    """Every error and warning, located; nothing is drawn or written. Raises InputError only
    when the file cannot be read as a campaign at all (then there is nothing else to check).
    With a session's `cache`, what it laid out or read before is not done again."""
    with preparing.collector_spared():
        checked = _check(path, options or BuildOptions(), cache=cache)
    return sorted_problems(checked.problems)


def prepare_cards(path: Path | Source, options: BuildOptions | None = None, *,
                  cache: Caches | None = None
                  ) -> tuple[config.LoadedCampaign, list[PreparedCard], list[Problem]]:
    """Every variant laid out and checked, as `build_campaign` would print it, and the
    warnings; raises InputError when there are errors (for `preview`, which draws faces)."""
    with preparing.collector_spared():
        checked = _check(path, options or BuildOptions(), cache=cache)
    ProblemList(checked.problems).raise_if_errors()
    return checked.loaded, checked.cards, checked.problems


def _expectations(doc: Document) -> list[QrExpectation]:
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
                variant, face_side = placement.face_key.rsplit("-", 1)
                wanted.append(QrExpectation(
                    index, x, y, side, item.payload, len(item.modules),
                    geometry=_camera_geometry(face, item),
                    card=(placement.x, placement.y, placement.width, placement.height),
                    label=f"the {face_side} QR code of variant {variant}",
                    error_correction=item.error_correction))
    return wanted


#: Module sizes within this of each other (mm) count as one geometry for the camera check,
#: which photographs the smallest of them.
_MODULE_STEP_MM = 0.02


def _camera_geometry(face: FaceLayout, item: QrItem) -> Hashable:
    """What a camera sees of a code besides its payload: its version, module size (in steps
    of _MODULE_STEP_MM), the card's colours and the code's place on the card (to 1 mm)."""
    module = item.side / (len(item.modules) + 8)
    return (len(item.modules), math.floor(module / _MODULE_STEP_MM), round(item.x),
            round(item.y), round(face.width, 1), round(face.height, 1), face.background)


def build_campaign(path: Path | Source, options: BuildOptions | None = None,
                   progress: Progress | None = None, *,
                   cache: Caches | None = None) -> BuildResult:
    """Checks, renders, verifies and writes. Raises InputError (with every problem) when the
    input has errors, VerificationError when a QR code does not decode; writes nothing then."""
    with preparing.collector_spared():
        return _build(path, options or BuildOptions(), progress, in_memory=False,
                      cache=cache)


def build_in_memory(path: Path | Source, options: BuildOptions | None = None,
                    progress: Progress | None = None, *,
                    cache: Caches | None = None) -> BuildResult:
    """`build_campaign` without the files: the same checks, PDFs and verification, the PDFs
    returned as bytes by file name (`documents`) with the manifest; nothing is written."""
    with preparing.collector_spared():
        return _build(path, options or BuildOptions(), progress, in_memory=True, cache=cache)


def _import_drawing() -> None:
    # reportlab, PDFium and PIL take a twentieth of a batch run to import; a batch imports
    # them while waiting for its first codes instead of after the layout.
    import pikepdf  # noqa: F401  (the face check's resource check)

    from cardgen.pdf import verify  # noqa: F401


def _build(path: Path | Source, options: BuildOptions, progress: Progress | None, *,
           in_memory: bool, cache: Caches | None) -> BuildResult:
    checked = _check(path, options, progress, meanwhile=_import_drawing, cache=cache)
    preparing.settle()  # the prepared cards too
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
    check_targets(options.output_dir, [name for name, _ in groups], protect=not options.force)
    staging = Staging(options.output_dir)
    try:
        return _render_verify_write(loaded, groups, options, problems, staging,
                                    progress, start_at=start_at, pack=pack)
    except BaseException:
        staging.discard()
        raise


def _render_verify_write(
    loaded: config.LoadedCampaign,
    groups: Sequence[tuple[str, list[PreparedCard]]], options: BuildOptions,
    problems: ProblemList, staging: Staging | None, progress: Progress | None, *,
    start_at: int, pack: bool,
) -> BuildResult:
    """Draws, verifies and writes each file of `groups`; with no `staging`, nothing is
    written and the PDFs come back as bytes."""
    from cardgen.pdf import draw, faces_check, verify

    top = loaded.variants[0].spec
    outputs: dict[str, bytes | Path] = {}
    reports: list[VariantReport] = []
    total_pages = 0
    verified = 0
    #: the camera check over every file of the build (a geometry is photographed once)
    camera_log = verify.CameraLog()
    wanted_by_file: list[list[QrExpectation]] = []
    pdfs: list[Path | bytes] = []
    face_checks: list[faces_check.FaceCheck | None] = []
    double_sided: set[str] = set()
    total_sheets = 0
    for number, (name, group) in enumerate(groups):
        doc = Document(double_sided=any("back" in c.faces for c in group))
        for card in group:
            for side, face in card.faces.items():
                doc.faces[f"{card.variant.id}-{side}"] = face
        lay_out_sheets(group, pack=pack, start_at=start_at if number == 0 or options.split
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
        # Every face whole, as well as its codes (faces_check.py).
        face_checks.append(faces_check.FaceCheck(
            doc.pages, doc.faces, fonts.regular, printshop.colour_mode(first.variant.spec))
            if options.verify else None)
        pdfs.append(pdf)
        outputs[name] = pdf
        reports.extend(doc.reports)
        total_pages += len(doc.pages)
        total_sheets += doc.sheets
        if doc.double_sided:
            double_sided.add(name)
    if progress:
        progress("render", len(groups), len(groups))
    to_verify = sum(len(w) for w in wanted_by_file)
    faces_check.prepare_together([c for c in face_checks if c is not None])
    for pdf, wanted, faces in zip(pdfs, wanted_by_file, face_checks, strict=True):
        if not wanted and faces is None:
            continue
        base = verified

        def verify_progress(done: int, _total: int, base: int = base) -> None:
            if progress:
                progress("verify", base + done, to_verify)

        findings = verify.verify_pdf(pdf, wanted, progress=verify_progress,
                                     page_check=faces.on_page if faces else None,
                                     check_pages=faces.pages if faces else (),
                                     camera_log=camera_log)
        if faces is not None:
            faces.finish(pdf, findings)
        verified += len(wanted)
    manifest = manifest_csv(reports).encode("utf-8")
    if staging is None:
        documents = {name: pdf for name, pdf in outputs.items() if isinstance(pdf, bytes)}
        return BuildResult((), tuple(reports), tuple(sorted_problems(problems.warnings)),
                           total_pages, verified, documents, manifest,
                           frozenset(double_sided), total_sheets, camera_log.weakest())
    outputs[f"{loaded.slug}.manifest.csv"] = manifest
    files = write_atomically(options.output_dir, outputs, protect=not options.force)
    return BuildResult(tuple(files), tuple(reports), tuple(sorted_problems(problems.warnings)),
                       total_pages, verified, {}, manifest, frozenset(double_sided),
                       total_sheets, camera_log.weakest())


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


__all__ = [
    "BuildOptions",
    "BuildResult",
    "Caches",
    "InputError",
    "Source",
    "build_campaign",
    "build_in_memory",
    "check_campaign",
    "prepare_cards",
]
