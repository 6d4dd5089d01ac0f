"""`cardgen preview`: PNG pictures of each card face, from the same render code that prints.

Each variant's faces are laid out and checked exactly as `build` does, drawn by
`draw.render_document` onto a page the size of the card (trim size, no bleed), and that
PDF is rasterised by pdfium, the renderer `build` verifies with. The QR codes in the pictures
are decoded back before anything is made, so a preview that shows a code proves it scans.
The sheet pictures render the first printed sheet (front and back) of the real build instead.
Everything happens in memory; only `preview_faces` and `preview_sheets` write files.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import CardgenError, Problem
from cardgen.layout.pages import PreparedCard
from cardgen.layout.placed import FaceLayout, PagePlan, Placement
from cardgen.pipeline import BuildOptions, Caches, Source, build_in_memory, prepare_cards

MIN_DPI = 36
MAX_DPI = 1200


@dataclass(frozen=True)
class PreviewResult:
    files: tuple[Path, ...]
    warnings: tuple[Problem, ...]
    #: each picture's PNG bytes by its name (`<variant>-front.png`, `<variant>-sheet-front.png`)
    images: Mapping[str, bytes] = field(default_factory=dict)


def check_dpi(dpi: int) -> None:
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


def png_bytes(pdf: bytes, page_index: int, dpi: int) -> bytes:
    """One page of `pdf` as PNG bytes, rendered by pdfium."""
    from cardgen.pdf.verify import render_page_png

    out = io.BytesIO()
    render_page_png(pdf, page_index, dpi, out)
    return out.getvalue()


def face_images(source: Path | Source, options: BuildOptions, *, dpi: int = 150,
                sides: tuple[str, ...] = ("front", "back"), first_only: bool = False,
                cache: Caches | None = None) -> PreviewResult:
    """`<variant>-front.png` (and `-back.png`) for each variant `options` asks for (all by
    default; only the first with `first_only`), in memory. Raises InputError when the file
    has errors."""
    check_dpi(dpi)
    loaded, cards, problems = prepare_cards(source, options, cache=cache)
    images: dict[str, bytes] = {}
    for card in cards:
        pdf, drawn = face_pdf(card, loaded.base_dir)
        _verify_faces(pdf, card, drawn)
        for index, side in enumerate(drawn):
            if side in sides:
                images[f"{card.variant.id}-{side}.png"] = png_bytes(pdf, index, dpi)
        if first_only:
            break
    warnings = tuple(p for p in problems if p.severity == "warning")
    return PreviewResult((), warnings, images)


def sheet_images(source: Path | Source, options: BuildOptions, *, dpi: int = 100,
                 split: bool = True, cache: Caches | None = None) -> PreviewResult:
    """`<variant>-sheet-front.png` (and `-sheet-back.png`): the first sheet of each variant
    exactly as `build` prints it, built and verified in memory. Not `split`, the whole
    campaign's first sheet instead, named `<campaign>-sheet-front.png`."""
    check_dpi(dpi)
    built = build_in_memory(source, BuildOptions(
        split=split, strict=options.strict, only_variants=options.only_variants,
        variants_csv=options.variants_csv, start_at=options.start_at, today=options.today),
        cache=cache)
    images: dict[str, bytes] = {}
    for report in built.variants:
        pdf = built.documents[report.file]
        name = report.id if split else Path(report.file).stem
        pages = [("sheet-front", report.first_page - 1)]
        # A sheet's back is the page after its front, when the file is double-sided.
        if report.file in built.double_sided:
            pages.append(("sheet-back", report.first_page))
        for side, index in pages:
            if f"{name}-{side}.png" not in images:
                images[f"{name}-{side}.png"] = png_bytes(pdf, index, dpi)
        if not split:
            break
    return PreviewResult((), built.warnings, images)


def _write(output_dir: Path, result: PreviewResult) -> PreviewResult:
    from cardgen.output import write_atomically

    files = write_atomically(output_dir, {f"preview/{name}": png
                                          for name, png in result.images.items()})
    return PreviewResult(tuple(files), result.warnings, result.images)


def preview_faces(path: Path | Source, output_dir: Path, *, variants: tuple[str, ...] = (),
                  dpi: int = 150, variants_csv: Path | None = None) -> PreviewResult:
    """OUTPUT/preview/<variant>-front.png (and -back.png) for each variant asked for (all by
    default). Raises InputError when the file has errors; writes nothing then."""
    return _write(output_dir, face_images(
        path, BuildOptions(only_variants=variants, variants_csv=variants_csv), dpi=dpi))


def preview_sheets(path: Path | Source, output_dir: Path, *, variants: tuple[str, ...] = (),
                   dpi: int = 100, variants_csv: Path | None = None) -> PreviewResult:
    """OUTPUT/preview/<variant>-sheet-front.png (and -sheet-back.png): the first sheet of each
    variant exactly as `build` prints it (the PDF is built and verified, never written)."""
    return _write(output_dir, sheet_images(
        path, BuildOptions(only_variants=variants, variants_csv=variants_csv), dpi=dpi))


__all__ = ["PreviewResult", "face_images", "face_pdf", "png_bytes", "preview_faces",
           "preview_sheets", "sheet_images"]
