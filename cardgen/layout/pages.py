"""Page assembly: prepared cards on sheets, sheets as pages, and what each variant got.

`lay_out_sheets` puts each variant's cards in the sheet's slots (each variant from a new
sheet, or packed one after another), and makes a front page and (double-sided) a back page
per sheet, with the sheet's furniture (label, ruler, crop marks); every placement names a
face drawn once. `VariantReport` is what a variant got: its manifest line. All in mm, no
drawing: `cardgen.pdf.draw` turns the pages into PDF.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from cardgen.input.model import Variant
from cardgen.layout import printshop, sheets
from cardgen.layout.placed import FaceLayout, PagePlan, Placement, QrItem, Ruler

Side = Literal["front", "back"]


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
    """One line of the manifest: the sheets (how many) and pages (first to last) that hold
    the variant's cards, shared sheets of a packed batch included."""

    id: str
    code: str
    copies: int
    printed: int
    sheets: int
    first_page: int
    last_page: int
    file: str
    payloads: dict[str, str]
    #: the values the variant sets itself, by dotted key (`Variant.settings`)
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def surplus(self) -> int:
        return self.printed - self.copies


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
class Document:
    """Pages being assembled for one output file."""

    pages: list[PagePlan] = field(default_factory=list)
    faces: dict[str, FaceLayout] = field(default_factory=dict)
    double_sided: bool = False
    reports: list[VariantReport] = field(default_factory=list)
    #: sheets laid out (each a front page, and a back page when double-sided)
    sheets: int = 0
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
                      doc: Document) -> tuple[tuple[Placement, ...], tuple[Placement, ...]]:
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
                 doc: Document) -> None:
    """A front page (and a back page) for one sheet whose slots hold `slot_cards`."""
    geometry = card.geometry
    fronts, backs = _sheet_placements(geometry, slot_cards, doc)
    doc.sheets += 1
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


def lay_out_sheets(cards: Sequence[PreparedCard], *, pack: bool, start_at: int,
                    file_name: str, doc: Document, campaign: str) -> None:
    first_skip = start_at - 1
    if pack:
        # Variants follow each other slot by slot; each one's row names the sheets its
        # cards are on (a sheet shared with its neighbours counts for both).
        slots: list[PreparedCard | None] = [None] * first_skip
        runs: list[tuple[PreparedCard, int, int]] = []  # card, first slot, copies
        for card in cards:
            copies = card.variant.copies or 1
            runs.append((card, len(slots), copies))
            slots.extend([card] * copies)
        per_sheet = cards[0].geometry.per_sheet
        n_sheets = max(1, math.ceil(len(slots) / per_sheet))
        sheet_pages: list[tuple[int, int]] = []  # first and last page of each sheet
        for s in range(n_sheets):
            chunk = slots[s * per_sheet:(s + 1) * per_sheet]
            chunk += [None] * (per_sheet - len(chunk))
            first_page = len(doc.pages) + 1
            _sheet_pages(cards[0], chunk, f"{campaign} · sheet {s + 1} of {n_sheets}", doc)
            sheet_pages.append((first_page, len(doc.pages)))
        for card, first_slot, copies in runs:
            first_sheet = first_slot // per_sheet
            last_sheet = (first_slot + copies - 1) // per_sheet
            doc.reports.append(VariantReport(
                card.variant.id, card.variant.code, copies, copies,
                last_sheet - first_sheet + 1, sheet_pages[first_sheet][0],
                sheet_pages[last_sheet][1], file_name, _payload_columns(card),
                card.variant.settings))
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
            len(doc.pages), file_name, _payload_columns(card), card.variant.settings))


def _payload_columns(card: PreparedCard) -> dict[str, str]:
    """Each face's QR payload, and the error-correction level its code got."""
    columns = {f"{side}_qr": payload for side, payload in card.payloads.items()}
    for side, face in card.faces.items():
        for item in face.qr_items[:1]:
            columns[f"{side}_qr_error_correction"] = item.error_correction
    return columns

