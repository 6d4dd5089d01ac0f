"""`cardgen preview`: PNG pictures of each card face, from the same render code that prints.

Each variant's faces are laid out and checked exactly as `build` does, drawn by
`render.render_document` onto a page the size of the card (trim size, no bleed), and that
PDF is rasterised by pdfium, the renderer `build` verifies with. The QR codes in the pictures
are decoded back before anything is written, so a preview that shows a code proves it scans.
`--sheet` renders the first printed sheet (front and back) of the real build instead.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from cardgen.errors import CardgenError, Problem
from cardgen.layout.placed import FaceLayout, PagePlan, Placement
from cardgen.pipeline import BuildOptions, PreparedCard, build_campaign, prepare_cards

MIN_DPI = 36
MAX_DPI = 1200


@dataclass(frozen=True)
class PreviewResult:
    files: tuple[Path, ...]
    warnings: tuple[Problem, ...]


def _check_dpi(dpi: int) -> None:
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise CardgenError(f"--dpi {dpi} is out of range", code="CG920",
                           fix=f"use a resolution from {MIN_DPI} to {MAX_DPI} (150 is plenty "
                           "for a screen, 300 for a close look)")


def face_pdf(card: PreparedCard, base_dir: Path) -> tuple[bytes, list[str]]:
    """One page a face, each the size of the card, drawn by the printing renderer; and the
    side of each page."""
    from cardgen.pdf import draw
    from cardgen.text import measure

    spec = card.variant.spec
    pages: list[PagePlan] = []
    faces: dict[str, FaceLayout] = {}
    sides: list[str] = []
    for side, face in card.faces.items():
        key = f"{card.variant.id}-{side}"
        faces[key] = face
        pages.append(PagePlan(face.width, face.height,
                              (Placement(key, 0.0, 0.0, face.width, face.height, 0),)))
        sides.append(side)
    fonts = measure.load_font_family(spec.card.font, base_dir)
    pdf = draw.render_document(pages, faces, title=f"{spec.campaign} preview",
                                 furniture_font=fonts.regular, colour_mode="rgb")
    return pdf, sides


def _verify_faces(pdf: bytes, card: PreparedCard, sides: list[str]) -> None:
    from cardgen.pdf.verify import QrExpectation, verify_pdf

    wanted = [
        QrExpectation(index, item.x, item.y, item.side, item.payload)
        for index, side in enumerate(sides)
        for item in card.faces[side].qr_items  # type: ignore[index]
    ]
    if wanted:
        verify_pdf(pdf, wanted)


def _png_bytes(pdf: bytes, page_index: int, dpi: int, scratch: Path) -> bytes:
    from cardgen.pdf.verify import render_page_png

    target = scratch / f"page-{page_index}.png"
    render_page_png(pdf, page_index, dpi, target)
    return target.read_bytes()


def preview_faces(path: Path, output_dir: Path, *, variants: tuple[str, ...] = (),
                  dpi: int = 150, variants_csv: Path | None = None) -> PreviewResult:
    """OUTPUT/preview/<variant>-front.png (and -back.png) for each variant asked for (all by
    default). Raises InputError when the file has errors; writes nothing then."""
    from cardgen.pipeline import write_atomically

    _check_dpi(dpi)
    loaded, cards, problems = prepare_cards(
        path, BuildOptions(only_variants=variants, variants_csv=variants_csv))
    outputs: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="cardgen-preview-") as scratch:
        for card in cards:
            pdf, sides = face_pdf(card, loaded.base_dir)
            _verify_faces(pdf, card, sides)
            for index, side in enumerate(sides):
                outputs[f"preview/{card.variant.id}-{side}.png"] = _png_bytes(
                    pdf, index, dpi, Path(scratch))
    files = write_atomically(output_dir, outputs)
    warnings = tuple(p for p in problems if p.severity == "warning")
    return PreviewResult(tuple(files), warnings)


def preview_sheets(path: Path, output_dir: Path, *, variants: tuple[str, ...] = (),
                   dpi: int = 100, variants_csv: Path | None = None) -> PreviewResult:
    """OUTPUT/preview/<variant>-sheet-front.png (and -sheet-back.png): the first sheet of each
    variant exactly as `build` prints it (the PDF is built, verified, then discarded)."""
    from cardgen.pipeline import write_atomically

    _check_dpi(dpi)
    loaded, cards, _problems = prepare_cards(
        path, BuildOptions(only_variants=variants, variants_csv=variants_csv))
    outputs: dict[str, bytes] = {}
    warnings: tuple[Problem, ...] = ()
    with tempfile.TemporaryDirectory(prefix="cardgen-preview-") as scratch:
        built = build_campaign(path, BuildOptions(
            output_dir=Path(scratch) / "pdf", split=True, only_variants=variants,
            variants_csv=variants_csv))
        warnings = built.warnings
        by_id = {card.variant.id: card for card in cards}
        for report in built.variants:
            pdf = Path(scratch) / "pdf" / report.file
            card = by_id[report.id]
            pages = [("sheet-front", report.first_page - 1)]
            if "back" in card.faces and report.last_page > report.first_page:
                pages.append(("sheet-back", report.first_page))
            for name, index in pages:
                outputs[f"preview/{report.id}-{name}.png"] = _png_bytes(
                    pdf.read_bytes(), index, dpi, Path(scratch))
    del loaded
    files = write_atomically(output_dir, outputs)
    return PreviewResult(tuple(files), warnings)


__all__ = ["PreviewResult", "face_pdf", "preview_faces", "preview_sheets"]
