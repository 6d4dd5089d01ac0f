"""Reads back what a user would measure in a built PDF: page sizes, where each card sits,
the printed words, and the QR codes (decoded from a raster, as a phone would)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdf
from pypdf.generic import ContentStream

PT = 72 / 25.4


@dataclass(frozen=True)
class PlacedForm:
    """A Form XObject (one card face) drawn on a page, box in mm from the page's top-left."""

    name: str
    x: float
    y: float
    width: float
    height: float
    rotation: int


def _mul(a: list[float], b: list[float]) -> list[float]:
    # PDF matrices [a b c d e f]; returns a x b (a applied first).
    return [
        a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def page_sizes_mm(pdf: Path | bytes) -> list[tuple[float, float]]:
    reader = _reader(pdf)
    return [(float(p.mediabox.width) / PT, float(p.mediabox.height) / PT) for p in reader.pages]


def _reader(pdf: Path | bytes) -> pypdf.PdfReader:
    import io

    return pypdf.PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else str(pdf))


def placed_forms(pdf: Path | bytes, page_index: int) -> list[PlacedForm]:
    """Every card face drawn on the page, with its box on the page (mm, top-left, y down)."""
    reader = _reader(pdf)
    page = reader.pages[page_index]
    page_h = float(page.mediabox.height)
    xobjects = page["/Resources"].get("/XObject", {})
    content = ContentStream(page.get_contents(), reader)
    ctm = [1.0, 0, 0, 1.0, 0, 0]
    stack: list[list[float]] = []
    found: list[PlacedForm] = []
    for operands, operator in content.operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = _mul([float(v) for v in operands], ctm)
        elif operator == b"Do":
            name = str(operands[0])
            if "SheetMarks" in name:  # crop marks and ruler, not a card
                continue
            form = xobjects[name].get_object()
            x0, y0, x1, y1 = (float(v) for v in form["/BBox"])
            corners = []
            for bx, by in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
                corners.append((ctm[0] * bx + ctm[2] * by + ctm[4],
                                ctm[1] * bx + ctm[3] * by + ctm[5]))
            xs = [c[0] for c in corners]
            ys = [c[1] for c in corners]
            import math

            rotation = round(math.degrees(math.atan2(ctm[1], ctm[0]))) % 360
            found.append(PlacedForm(
                name, min(xs) / PT, (page_h - max(ys)) / PT,
                (max(xs) - min(xs)) / PT, (max(ys) - min(ys)) / PT, rotation))
    return found


def page_text(pdf: Path | bytes, page_index: int) -> str:
    return _reader(pdf).pages[page_index].extract_text() or ""


def all_text(pdf: Path | bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in _reader(pdf).pages)


def viewer_preferences(pdf: Path | bytes) -> dict[str, str]:
    root = _reader(pdf).trailer["/Root"]
    prefs = root.get("/ViewerPreferences", {})
    return {str(k): str(v) for k, v in prefs.items()}


def decode_page(pdf: Path | bytes, page_index: int, dpi: int = 300) -> list[str]:
    """Every QR code's text on a page, decoded from a raster as a phone camera would."""
    import pypdfium2
    import zxingcpp

    doc = pypdfium2.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    image = doc[page_index].render(scale=dpi / 72).to_pil()
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return sorted(r.text for r in results)


def decode_levels(pdf: Path | bytes, page_index: int, dpi: int = 300) -> list[tuple[str, str]]:
    """Every QR code on a page as (text, error-correction level the decoder read)."""
    import pypdfium2
    import zxingcpp

    doc = pypdfium2.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    image = doc[page_index].render(scale=dpi / 72).to_pil()
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return sorted((r.text, r.ec_level) for r in results)


def unembedded_fonts(pdf: Path | bytes) -> set[str]:
    """Base names of fonts used anywhere (pages and forms) without their font file."""
    reader = _reader(pdf)
    missing: set[str] = set()
    seen: set[int] = set()

    def font_file(font: object) -> bool:
        font = font.get_object()  # type: ignore[attr-defined]
        if font.get("/Subtype") == "/Type0":
            return all(font_file(d) for d in font["/DescendantFonts"])
        descriptor = font.get("/FontDescriptor")
        if descriptor is None:
            return False
        descriptor = descriptor.get_object()
        return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))

    def walk(resources: object) -> None:
        if resources is None:
            return
        resources = resources.get_object()  # type: ignore[attr-defined]
        if id(resources) in seen:
            return
        seen.add(id(resources))
        for font in (resources.get("/Font") or {}).values():
            if not font_file(font):
                missing.add(str(font.get_object().get("/BaseFont")))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return missing
