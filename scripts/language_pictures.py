"""Pictures of the language examples for the README, cut from the real sheet PDFs.

Builds each examples/languages/<lang>.yaml with cardgen (exactly as `cardgen build` does),
renders the first page of the PDF, finds the first card through the page's own drawing
operators (the face form and its placement matrix), cuts it out and turns it upright.
Writes docs/languages/<lang>.png. Run: python scripts/language_pictures.py
"""

from __future__ import annotations

import io
import math
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from cardgen.build import BuildOptions, build_campaign

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("pl", "ro", "pa", "ur", "pt", "es", "ar", "bn", "gu", "it")
DPI = 300


def _multiply(m: list[float], n: list[float]) -> list[float]:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return [a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2]


def first_card_box(pdf: bytes) -> tuple[tuple[float, float, float, float], float]:
    """(left, bottom, right, top) in PDF points of the first card face drawn on page 1,
    and the angle in degrees it is turned by."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"]["/XObject"]
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = _multiply([float(v) for v in operands], ctm)
        elif operator == b"Do":
            form = xobjects[operands[0]].get_object()
            x0, y0, x1, y1 = (float(v) for v in form["/BBox"])
            corners = [(x * ctm[0] + y * ctm[2] + ctm[4], x * ctm[1] + y * ctm[3] + ctm[5])
                       for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
            xs, ys = [p[0] for p in corners], [p[1] for p in corners]
            return (min(xs), min(ys), max(xs), max(ys)), math.degrees(
                math.atan2(ctm[1], ctm[0]))
    raise SystemExit("no card face on page 1")


def picture(pdf: bytes) -> Image.Image:
    (left, bottom, right, top), angle = first_card_box(pdf)
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        height = page.get_height()
        image = page.render(scale=DPI / 72).to_pil().convert("RGB")
    finally:
        document.close()
    k = DPI / 72
    card = image.crop((round(left * k), round((height - top) * k), round(right * k),
                       round((height - bottom) * k)))
    return card.rotate(-round(angle), expand=True)


def main() -> int:
    out_dir = ROOT / "docs" / "languages"
    out_dir.mkdir(parents=True, exist_ok=True)
    for lang in sys.argv[1:] or LANGUAGES:
        with tempfile.TemporaryDirectory() as tmp:
            result = build_campaign(ROOT / "examples" / "languages" / f"{lang}.yaml",
                                    BuildOptions(output_dir=Path(tmp)))
            pdf = next(p for p in result.files if p.suffix == ".pdf").read_bytes()
        picture(pdf).save(out_dir / f"{lang}.png", format="PNG", optimize=True)
        print(f"wrote docs/languages/{lang}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
