"""How small can a card's QR code be in the PDF, and what does each smaller form cost in print?

Issue 4 asks for under 1 KB a card on job (a) of bench_batch.py. With the schools example's
tracked link (125 characters, a version 8 code) the code alone, drawn the way cardgen draws
it, compresses to ~1,550 bytes. This script draws the same codes in four forms and checks
each in every PDF renderer it finds, against cardgen's own form:

  path   cardgen's form: the dark modules as rectangles of ONE path, non-zero fill
         (RESEARCH.md: seam-free in every renderer).
  dash   ONE stroked path snaking along the rows, its dash array (~1,200 numbers) giving
         the dark runs. Seam-free (one stroke), but Adobe's PDF Library holds a dash
         array in 11 entries (AT_PDE_DASH.dashes[11]; Tech Soft 3D's PDF API: "should not
         exceed 11"): Acrobat-based print workflows are at risk.
  font   a TrueType font of 256 glyphs, each one 8-module pattern of a row; each row is a
         string of 7 glyphs in text render mode 7 (add to the clip), then one fill.
  mask   a 1-bit image mask, one pixel a module (/Interpolate false): raster.

Printed: compressed bytes a code, and for each renderer on PATH (pdfium always; pdftoppm,
gs and mutool when installed: Debian poppler-utils, ghostscript, mupdf-tools), at several
resolutions with and without anti-aliasing, how many of the 12 codes decode and how many
pixels differ from the path form by more than a quarter of the grey scale ("lighter"
where dark became light: seams and lost modules). Asserts nothing; not run in CI.

Run: python bench/bench_qr_forms.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import zxingcpp
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib.tables._c_m_a_p import cmap_format_4, cmap_format_6
from PIL import Image

from cardgen.qr import encode as qr

HUB = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/"
SIDE_PT = 36 * 72 / 25.4  # the classic design's code on Avery C32011 is 36 mm wide
UNIT = 128  # font units a module; 8 modules make the 1,024-unit em


def payload(code: str) -> str:
    return f"{HUB}?utm_source={code}&utm_medium=card&utm_campaign=neglect-matters"


def row_bytes(code: qr.QrCode) -> list[bytes]:
    """Each row as bytes of 8 modules, the leftmost in the high bit, padded with light."""
    out = []
    for row in code.modules.rows():
        padded = bytes(row) + b"\0" * (-code.size % 8)
        out.append(bytes(sum(bit << (7 - i) for i, bit in enumerate(padded[j:j + 8]))
                         for j in range(0, len(padded), 8)))
    return out


# -- the four forms: operators drawing the code in a square of `size` units, y up ----------

def path_form(code: qr.QrCode) -> bytes:
    return (f"1 0 0 -1 0 {code.size} cm\n".encode() + code.path.encode() + b"\nf")


def dash_form(code: qr.QrCode) -> bytes:
    n = code.size
    runs: list[list[int]] = []  # [dark, length] along the path
    for r, row in enumerate(code.modules.rows()):
        cells = bytes(row) if r % 2 == 0 else bytes(row)[::-1]
        # one light unit before and after each row, and the 1-unit step to the next row,
        # keep every corner of the path in a gap
        steps = [0] + list(cells) + [0] + ([0] if r < n - 1 else [])
        for dark in steps:
            if runs and runs[-1][0] == dark:
                runs[-1][1] += 1
            else:
                runs.append([dark, 1])
    lead = runs.pop(0)[1] if runs[0][0] == 0 else 0
    if runs[-1][0] == 1:
        runs.append([0, 0])
    runs[-1][1] += lead
    total = sum(length for _, length in runs)
    points = []
    for r in range(n):
        y = n - 1 - r
        a, b = (-1, n + 1) if r % 2 == 0 else (n + 1, -1)
        points += [(a, y), (b, y)]
    path = f"{points[0][0]} {points[0][1]} m " + " ".join(f"{x} {y} l" for x, y in points[1:])
    array = " ".join(str(length) for _, length in runs)
    return f"1 0 0 1 0 .5 cm 1 w 0 J [{array}] {total - lead} d\n{path} S".encode()


def _escape(data: bytes) -> bytes:
    out = bytearray()
    for c in data:
        if c in b"()\\":
            out += b"\\" + bytes([c])
        elif c == 13:  # a bare CR in a string is read as a line end
            out += b"\\r"
        else:
            out.append(c)
    return bytes(out)


def font_form(code: qr.QrCode) -> bytes:
    n = code.size
    lines = [b"BT /Q 8 Tf 0 Tc 0 Tw 100 Tz 0 Ts 1 TL 7 Tr 0 %d Td" % n]
    lines += [b"(" + _escape(row) + b")'" for row in row_bytes(code)]
    lines.append(b"ET 0 0 %d %d re f" % (n, n))
    return b"\n".join(lines)


def mask_form(code: qr.QrCode) -> bytes:
    n = code.size
    data = zlib.compress(b"".join(bytes(255 - c for c in row) for row in row_bytes(code)), 9)
    return (b"%d 0 0 %d 0 0 cm BI /W %d /H %d /IM true /BPC 1 /I false /F /Fl /L %d ID\n"
            % (n, n, n, n, len(data)) + data + b"\nEI")


FORMS: dict[str, Callable[[qr.QrCode], bytes]] = {
    "path": path_form, "dash": dash_form, "font": font_form, "mask": mask_form,
}


def module_font() -> bytes:
    names = [".notdef"] + [f"m{c:02x}" for c in range(256)]
    builder = FontBuilder(1024, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({})
    glyphs = {".notdef": TTGlyphPen(None).glyph()}
    for c in range(256):
        pen = TTGlyphPen(None)
        x = 0
        while x < 8:
            if c & (0x80 >> x):
                start = x
                while x < 8 and c & (0x80 >> x):
                    x += 1
                pen.moveTo((start * UNIT, 0))
                pen.lineTo((start * UNIT, UNIT))
                pen.lineTo((x * UNIT, UNIT))
                pen.lineTo((x * UNIT, 0))
                pen.closePath()
            else:
                x += 1
        glyphs[f"m{c:02x}"] = pen.glyph()
    builder.setupGlyf(glyphs)
    glyf = builder.font["glyf"]
    # a left side bearing that is not the outline's xMin moves the outline (TrueType)
    builder.setupHorizontalMetrics({
        name: (1024, glyf[name].xMin if glyf[name].numberOfContours else 0) for name in names})
    builder.setupHorizontalHeader(ascent=UNIT, descent=0)
    builder.setupNameTable({"familyName": "QRModules", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=UNIT, usWinAscent=UNIT, usWinDescent=0)
    builder.setupPost()
    font = builder.font
    mac, windows = cmap_format_6(6), cmap_format_4(4)
    mac.platformID, mac.platEncID, mac.language = 1, 0, 0
    mac.cmap = {c: f"m{c:02x}" for c in range(256)}
    windows.platformID, windows.platEncID, windows.language = 3, 0, 0  # symbol
    windows.cmap = {0xF000 + c: f"m{c:02x}" for c in range(256)}
    font["cmap"].tables = [mac, windows]
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


PAGE_HEIGHT_PT = 841.89


def placement(code: qr.QrCode, index: int) -> tuple[float, float, float]:
    """(module size, left, bottom) of the code's symbol on the page, in points."""
    module = SIDE_PT / (code.size + 8)
    return (module, 40 + (index % 3) * (SIDE_PT + 40) + 4 * module,
            60 + (index // 3) * (SIDE_PT + 40) + 4 * module)


def ideal(code: qr.QrCode, index: int, dpi: int
          ) -> tuple[tuple[int, int], np.ndarray, np.ndarray]:
    """((top, left) in pixels, pixels wholly inside a dark module, pixels wholly inside a
    light one, the quiet zone included) around the code at `index` at `dpi`."""
    module, left, bottom = placement(code, index)
    n, px = code.size, 72 / dpi
    quiet = 4 * module
    x0 = int((left - quiet) / px)
    y0 = int((PAGE_HEIGHT_PT - (bottom + n * module + quiet)) / px)
    width = int((n * module + 2 * quiet) / px) + 2
    xs = (np.arange(x0, x0 + width) + 0.5) * px
    ys = PAGE_HEIGHT_PT - (np.arange(y0, y0 + width) + 0.5) * px
    matrix = np.zeros((n + 8, n + 8), dtype=bool)
    matrix[4:4 + n, 4:4 + n] = np.frombuffer(code.modules.dark, dtype=np.uint8).reshape(n, n)

    def module_at(dx: float, dy: float) -> np.ndarray:
        col = np.floor((xs[None, :] + dx - left) / module).astype(int) + 4
        row = np.floor((bottom + n * module - ys[:, None] - dy) / module).astype(int) + 4
        col, row = np.broadcast_arrays(col, row)
        inside = (col >= 0) & (col < n + 8) & (row >= 0) & (row < n + 8)
        value = np.full(inside.shape, -1, dtype=np.int8)  # off the quiet zone: unknown
        value[inside] = matrix[row[inside], col[inside]]
        return value

    corners = [module_at(dx, dy) for dx in (-px / 2, px / 2) for dy in (-px / 2, px / 2)]
    dark = np.logical_and.reduce([c == 1 for c in corners])
    light = np.logical_and.reduce([c == 0 for c in corners])
    return (y0, x0), dark, light


def page_pdf(codes: list[qr.QrCode], form: str) -> bytes:
    """One A4 page with the codes 3 across, each SIDE_PT wide with its quiet zone."""
    body = []
    for i, code in enumerate(codes):
        module, x, y = placement(code, i)
        body.append(b"q 0 g %.4f 0 0 %.4f %.4f %.4f cm\n" % (module, module, x, y)
                    + FORMS[form](code) + b"\nQ")
    content = zlib.compress(b"\n".join(body), 6)
    font = module_font()
    packed = zlib.compress(font, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 %.2f] /Contents 4 0 R "
        b"/Resources << /Font << /Q 5 0 R >> >> >>" % PAGE_HEIGHT_PT,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /TrueType /BaseFont /QRModules /FirstChar 0 /LastChar 255 "
        b"/Widths [" + b" ".join([b"1000"] * 256) + b"] /FontDescriptor 6 0 R >>",
        b"<< /Type /FontDescriptor /FontName /QRModules /Flags 4 /FontBBox [0 0 1024 128] "
        b"/ItalicAngle 0 /Ascent 128 /Descent 0 /CapHeight 128 /StemV 80 /FontFile2 7 0 R >>",
        b"<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n"
        % (len(packed), len(font)) + packed + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body_bytes in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body_bytes + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


# -- renderers: grey pixels of page 1 -------------------------------------------------------

def with_pdfium(pdf: Path, dpi: int, smooth: bool, _work: Path) -> np.ndarray:
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=dpi / 72, grayscale=True, no_smoothpath=not smooth,
                        no_smoothtext=not smooth).to_pil()
    return np.asarray(image.convert("L"))


def with_poppler(pdf: Path, dpi: int, smooth: bool, work: Path) -> np.ndarray:
    flag = "yes" if smooth else "no"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-aa", flag, "-aaVector", flag,
                    "-singlefile", str(pdf), str(work / "poppler")], check=True)
    return np.asarray(Image.open(work / "poppler.pgm").convert("L"))


def with_ghostscript(pdf: Path, dpi: int, smooth: bool, work: Path) -> np.ndarray:
    bits = 4 if smooth else 1
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pgmraw",
                    f"-r{dpi}", f"-dTextAlphaBits={bits}", f"-dGraphicsAlphaBits={bits}",
                    "-o", str(work / "gs.pgm"), str(pdf)], check=True)
    return np.asarray(Image.open(work / "gs.pgm").convert("L"))


def with_mupdf(pdf: Path, dpi: int, smooth: bool, work: Path) -> np.ndarray:
    subprocess.run(["mutool", "draw", "-q", "-r", str(dpi), "-A", "8" if smooth else "0",
                    "-c", "gray", "-o", str(work / "mupdf.pgm"), str(pdf)], check=True,
                   stderr=subprocess.DEVNULL)
    return np.asarray(Image.open(work / "mupdf.pgm").convert("L"))


RENDERERS: dict[str, tuple[str | None, Callable[[Path, int, bool, Path], np.ndarray]]] = {
    "pdfium": (None, with_pdfium),
    "poppler": ("pdftoppm", with_poppler),
    "ghostscript": ("gs", with_ghostscript),
    "mupdf": ("mutool", with_mupdf),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="write the PDFs to this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cardgen-qrforms-"))
    work.mkdir(parents=True, exist_ok=True)

    codes = [qr.encode(payload(f"s{i:04d}")) for i in range(12)]
    print(f"12 codes, version {codes[0].version} ({codes[0].size} modules), "
          f"{len(payload('s0000'))}-character tracked link, {SIDE_PT / 72 * 25.4:.0f} mm wide")
    print(f"{'form':5} {'bytes a code (compressed)':>27}")
    for form, draw in FORMS.items():
        sizes = [len(zlib.compress(draw(code), 6)) for code in codes]
        note = " + the 12 KB font once a PDF" if form == "font" else ""
        print(f"{form:5} {sum(sizes) / len(sizes):27.0f}{note}")
    pdfs = {form: work / f"{form}.pdf" for form in FORMS}
    for form, pdf in pdfs.items():
        pdf.write_bytes(page_pdf(codes, form))

    print("\nper renderer: codes decoded of 12 | holes | bleed, where a hole is a pixel lying")
    print("wholly inside a dark module that came out light (a seam, a lost module) and bleed a")
    print("pixel wholly inside a light module that came out dark")
    print("renderer     dpi  aa  " + "  ".join(f"{form:>19}" for form in FORMS))
    for name, (tool, render) in RENDERERS.items():
        if tool is not None and shutil.which(tool) is None:
            print(f"{name:12} not installed ({tool})")
            continue
        for dpi in (150, 300, 600):
            wanted = [ideal(code, i, dpi) for i, code in enumerate(codes)]
            for smooth in (True, False):
                cells = []
                for pdf in pdfs.values():
                    pixels = render(pdf, dpi, smooth, work)
                    decoded = len(zxingcpp.read_barcodes(Image.fromarray(pixels)))
                    holes = bleed = 0
                    for (top, left), dark, light in wanted:
                        area = pixels[top:top + dark.shape[0], left:left + dark.shape[1]]
                        holes += int((area[dark] > 127).sum())
                        bleed += int((area[light] < 128).sum())
                    cells.append(f"{decoded:2d} | {holes:6d} {bleed:6d}")
                print(f"{name:12} {dpi:3d}  {'on ' if smooth else 'off'} "
                      + "  ".join(f"{cell:>19}" for cell in cells))
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
