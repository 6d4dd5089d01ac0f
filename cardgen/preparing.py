"""Laying out and checking every variant of a campaign, here or in forked workers.

`prepare_card` runs every check that can be made before drawing on one variant (numbers,
links, sheet, design, fonts, faces laid out, text fit, glyphs, contrast, QR module size,
discretion) and gives a `PreparedCard` ready for the sheets, or its problems.
`prepared_cards` does it for every variant in order: in this process for a small batch, in
forked worker processes (`cardgen.workers`) on every core for a big one, which get the
campaign through the fork, not a message. While a build runs, what it keeps to the end is
left out of the cycle collector's full passes (`collector_spared`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

from cardgen import workers as forked
from cardgen.checks import channels, links, phones
from cardgen.errors import CardgenError, Problem
from cardgen.input import config
from cardgen.input.model import CardSpec, Face, Variant
from cardgen.layout import designs, discretion, printshop, sheets
from cardgen.layout import face as layout
from cardgen.layout.fitcache import LayoutCache
from cardgen.layout.pages import PreparedCard, Side
from cardgen.layout.placed import FaceLayout
from cardgen.text import measure


@dataclass(frozen=True)
class Preparation:
    """What every variant of one build is prepared from."""

    loaded: config.LoadedCampaign
    today: dt.date
    start_at: int | None
    #: what this build (or session) has laid out before; forked workers each get a copy
    cache: LayoutCache = field(default_factory=LayoutCache)


def _problem_from_error(error: CardgenError, path: tuple[str | int, ...]) -> list[Problem]:
    return [
        Problem(p.code, p.message, p.severity, p.fix, p.path or path, p.location)
        for p in error.problems()
    ]


def prepare_card(variant: Variant, job: Preparation
                 ) -> tuple[PreparedCard | None, list[Problem]]:
    """One variant checked and laid out, ready for the sheets (None when it has errors),
    and every problem found, located by path within the variant."""
    spec: CardSpec = variant.spec
    base = job.loaded.base_dir
    problems: list[Problem] = []
    problems += phones.check_helplines(spec, today=job.today)
    problems += links.check_links(spec, code=variant.code)
    problems += channels.check_channels(spec)

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
        first_slot = job.start_at or spec.print.start_at
        attempt(("print", "start_at"), lambda: sheets.slots_from(first_slot, planned.per_sheet))
    if not isinstance(design, designs.Design) or not isinstance(fonts, measure.FontFamily):
        return None, problems
    faces: dict[Side, FaceLayout] = {}
    payloads: dict[Side, str] = {}
    sides: list[tuple[Side, object]] = [("front", spec.front)]
    if spec.back is not None and duplex != "none":
        sides.append(("back", spec.back))
    for side, face in sides:
        target = channels.face_qr_target(face) if isinstance(face, Face) else None
        payload = without_utm = None
        if target:
            try:
                payload = links.qr_payload(spec, target, variant.code)
                payloads[side] = payload
                without_utm = links.payload_without_utm(spec, target, variant.code)
            except ValueError as exc:
                # The number checks usually said it already, with a fix; say it once
                # (at the face's qr, the link, or the helpline's own number or address).
                helpline = ("helplines", target.split(".")[0])
                if not any((p.path in ((side, "qr"), (side, "qr_contact"),
                                       ("links", target, "url"))
                            or p.path[:2] == helpline)
                           and p.severity == "error" for p in problems):
                    problems.append(Problem("CG301", str(exc), "error", None, (side, "qr")))
        face_layout, face_problems = layout.layout_face(
            spec, side, design=design, fonts=fonts, card_w=card_w, card_h=card_h,
            qr_payload=payload, base_dir=base, cache=job.cache, qr_without_utm=without_utm)
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
            target = channels.face_qr_target(face) if face is not None else None
            if target is None:
                continue
            try:
                payload = links.qr_payload(spec, target, variant.code)
            except ValueError:
                continue  # reported, located, when the card is prepared
            jobs.append((payload, spec.card.qr_error_correction or ""))
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


#: a prepared card as a worker sends it: the parent has the variant, and the problems
_Sent = tuple[sheets.Sheet, sheets.PageGeometry, dict[Side, FaceLayout], dict[Side, str]]


def _prepare_in_worker(job: Preparation, index: int
                       ) -> tuple[bool, _Sent | None, list[Problem]]:
    """(done, the card without its variant, problems) for the variant at `index`. An
    unexpected exception is not sent (it may not survive pickling): done is False and the
    parent prepares that variant itself, so the error surfaces there as it would alone."""
    try:
        card, problems = prepare_card(job.loaded.variants[index], job)
    except Exception:
        return False, None, []
    if card is None:
        return True, None, problems
    return True, (card.sheet, card.geometry, card.faces, card.payloads), problems


@contextlib.contextmanager
def _prepared_ahead(job: Preparation, workers: int
                    ) -> Iterator[Iterator[tuple[PreparedCard | None, list[Problem]]]]:
    """Within the block, `prepare_card` of every variant, in order, done by `workers`
    forked processes (which get `job` through the fork) while the caller takes the
    results."""
    # About eight chunks a worker: each chunk is one message back (fewer cost the parent less
    # time unpickling and waking), and the last chunk is short enough not to keep one core
    # busy alone at the end.
    variants = job.loaded.variants
    chunk = max(1, len(variants) // (workers * 8))
    with forked.ordered_map(_prepare_in_worker, range(len(variants)), workers=workers,
                            chunk=chunk, context=job) as results:
        yield _received(job, results)


def _received(job: Preparation, results: Iterator[tuple[bool, _Sent | None, list[Problem]]]
              ) -> Iterator[tuple[PreparedCard | None, list[Problem]]]:
    # Every card of a batch gets the same sheet and geometry back, as when prepared here.
    shared: dict[object, object] = {}
    last: tuple[object, object] = (None, None)
    kept: tuple[sheets.Sheet, sheets.PageGeometry] | None = None
    for variant, (done, sent, problems) in zip(job.loaded.variants, results, strict=True):
        if not done:
            yield prepare_card(variant, job)
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
def prepared_cards(job: Preparation, meanwhile: Callable[[], None] | None = None
                   ) -> Iterator[Iterator[tuple[PreparedCard | None, list[Problem]]]]:
    """Within the block, `prepare_card` of every variant of the campaign, in order: by
    forked workers for a batch worth it (`_preparing_workers`), else here as they are
    taken. `meanwhile` runs once the workers have started: the first cards are not ready
    yet, so work done then costs no time."""
    workers = _preparing_workers(_codes_to_encode(job.loaded.variants))
    if not workers:
        yield (prepare_card(variant, job) for variant in job.loaded.variants)
        return
    with _prepared_ahead(job, workers) as prepared:
        if meanwhile is not None:
            meanwhile()
        yield prepared


@contextlib.contextmanager
def collector_spared() -> Iterator[None]:
    """Within the block, what `settle` marks is left out of the cycle collector's full
    passes: a 1,000-variant batch keeps its campaign, layouts and codes to the end, and
    re-scanning them in every full collection cost a tenth of the run. Marked objects go back
    to the collector when the block ends, so a long-lived process frees them as usual."""
    try:
        yield
    finally:
        gc.unfreeze()


def settle() -> None:
    """Everything alive now lives until the run ends (see `collector_spared`)."""
    gc.freeze()

