"""`cardgen export`: each card face as its own file, for a group chat, a web page or a phone
wallpaper -- PNG, SVG or a one-page PDF the size of the card.

Faces are laid out and checked exactly as `build` does. A PNG is rendered by pdfium from
the printing renderer's PDF; an SVG is written from the same layout by `pdf.svg` (text as
glyph outlines, so it shows without the fonts) and rasterised by resvg with no system fonts
to check it. Every QR code is decoded back from the very file that will be written (the
PNG's pixels, the SVG as resvg draws it, the PDF as pdfium draws it) before anything is
written; a code that does not read is an error (CG760) naming the file and what to change.

Codes:

- CG760 error: a QR code in an exported file does not decode to its payload.
- CG761 error: --format is not png, svg or pdf.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from cardgen.errors import CardgenError, Problem
from cardgen.layout.pages import PreparedCard
from cardgen.layout.placed import FaceLayout, PagePlan, Placement
from cardgen.pipeline import BuildOptions, prepare_cards

ExportFormat = Literal["png", "svg", "pdf"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)
#: The default resolution: a card 85 mm tall is 1,004 pixels, sharp on any phone.
DEFAULT_DPI = 300
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    warnings: tuple[Problem, ...]


def _face_pdf(card: PreparedCard, side: str, face: FaceLayout, base_dir: Path) -> bytes:
    from cardgen.pdf import draw
    from cardgen.text import measure

    spec = card.variant.spec
    key = f"{card.variant.id}-{side}"
    page = PagePlan(face.width, face.height,
                    (Placement(key, 0.0, 0.0, face.width, face.height, 0),))
    fonts = measure.load_font_family(spec.card.font, base_dir)
    return draw.render_document([page], {key: face}, title=f"{spec.campaign} {side}",
                                furniture_font=fonts.regular, colour_mode="rgb")


def _png_of_pdf(pdf: bytes, dpi: int) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        try:
            image = page.render(scale=dpi / 72).to_pil()
        finally:
            page.close()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _png_of_svg(svg: bytes, width_px: int) -> bytes:
    import resvg_py

    # No system fonts: the check proves the file shows without any font installed.
    # resvg needs a dpi to turn the millimetre size into pixels (0 leaves it without one).
    return bytes(resvg_py.svg_to_bytes(svg_string=svg.decode("utf-8"), width=width_px,
                                       dpi=96, skip_system_fonts=True))


def decoded_payloads(png: bytes) -> list[str]:
    """Every QR code's text found in a PNG."""
    import zxingcpp
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        pixels = image.convert("L")
    return [bytes(b.bytes).decode("utf-8", errors="backslashreplace")
            for b in zxingcpp.read_barcodes(
                pixels, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2))]


def _check_codes(name: str, png: bytes, face: FaceLayout, dpi: int) -> None:
    wanted = sorted(item.payload for item in face.qr_items)
    found = decoded_payloads(png) if wanted else []
    missing = [p for p in wanted if p not in found]
    if missing:
        smallest = min(item.side / (len(item.modules) + 8) for item in face.qr_items)
        pixels = smallest * dpi / MM_PER_INCH
        raise CardgenError(
            f"the QR code in {name} does not decode to {missing[0]!r} (found "
            f"{found or 'no code'}); its modules are {pixels:.1f} pixels wide at {dpi} dpi",
            fix="export at a higher --dpi (300 or more), or give the code more room on the "
            "card; if that does not help, report it as a cardgen bug with the input file",
            code="CG760")


def export_face(card: PreparedCard, side: str, face: FaceLayout, base_dir: Path,
                fmt: ExportFormat, dpi: int = DEFAULT_DPI) -> bytes:
    """One face as a file's bytes, its codes decoded back from those bytes first."""
    name = f"{card.variant.id}-{side}.{fmt}"
    # SVG and PDF are drawn to any size: their codes are checked at the default resolution.
    check_dpi = dpi if fmt == "png" else DEFAULT_DPI
    if fmt == "svg":
        from cardgen.pdf.svg import face_svg

        data = face_svg(face, title=f"{card.variant.spec.campaign} ({side})")
        width_px = max(1, round(face.width / MM_PER_INCH * check_dpi))
        _check_codes(name, _png_of_svg(data, width_px), face, check_dpi)
        return data
    pdf = _face_pdf(card, side, face, base_dir)
    png = _png_of_pdf(pdf, check_dpi)
    _check_codes(name, png, face, check_dpi)
    return png if fmt == "png" else pdf


def export_faces(path: Path, output_dir: Path, *, fmt: str = "png", dpi: int = DEFAULT_DPI,
                 variants: Sequence[str] = (), variants_csv: Path | None = None
                 ) -> ExportResult:
    """OUTPUT/<variant>-front.<fmt> (and -back) for each variant asked for (all by default).
    Raises InputError when the file has errors and CardgenError when a code does not read
    back; nothing is written then."""
    from cardgen.output import write_atomically
    from cardgen.pictures import check_dpi

    if fmt not in FORMATS:
        raise CardgenError(f"--format {fmt} is not one cardgen exports",
                           fix=f"use one of {', '.join(FORMATS)}", code="CG761")
    chosen = cast(ExportFormat, fmt)
    check_dpi(dpi)
    loaded, cards, problems = prepare_cards(
        path, BuildOptions(only_variants=tuple(variants), variants_csv=variants_csv))
    outputs: dict[str, bytes] = {}
    for card in cards:
        for side, face in card.faces.items():
            outputs[f"{card.variant.id}-{side}.{fmt}"] = export_face(
                card, side, face, loaded.base_dir, chosen, dpi)
    files = write_atomically(output_dir, outputs)
    warnings = tuple(p for p in problems if p.severity == "warning")
    return ExportResult(tuple(files), warnings)


__all__ = ["DEFAULT_DPI", "FORMATS", "ExportFormat", "ExportResult", "decoded_payloads",
           "export_face", "export_faces"]
