"""What prints is what was previewed: every card face on the finished PDF, checked whole.

Decoding the QR codes back (verify.py) proves the codes; it cannot see a logo that never
printed, a line of text a form lost, or a face placed from the wrong variant's form. So,
before anything is written, two more checks run on the finished bytes:

- **Every resource named exists.** Each page's and each form's content stream is read
  (pikepdf opens the file and follows the forms) and every name its operators use -- a form
  or picture (`Do`), a font (`Tf`), a graphics state, colour space, pattern, shading or
  property list -- must be in the resources that stream is drawn with. A viewer draws
  nothing for a missing one (poppler: "XObject ... is unknown"; MuPDF: "cannot find XObject
  resource"). Error CG931. The operators are found by a pattern over the decoded stream,
  with its literal strings taken out first (cardgen writes no inline images).
- **Every distinct face looks like its preview.** Each face is drawn on its own, one page
  the size of the card, the way `cardgen preview` draws it (`draw.render_document`, in the
  build's colour mode, with nothing shared between faces), and rasterised by pdfium. The
  same face is rasterised from the finished sheet by pdfium with a transform that puts the
  face's own corner on the raster's corner and turns it upright, so both rasters share one
  pixel grid and differ only where the drawing differs (in grey, as verify.py looks: a
  colour swapped for one exactly as light is not seen). A face whose rasters differ by more
  than anti-aliasing can explain is error CG930, naming the face, its variant and where on
  the card they differ. Faces equal item for item (the same back on every variant) are one
  face: each is checked once, at its first placement, not once per copy.

A thin band at the face's edge is not compared: a neighbour's bleed, a slot outline or a
cut mark may touch it on the sheet.
"""

from __future__ import annotations

import ctypes
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops

from cardgen.errors import VerificationError
from cardgen.layout.placed import FaceLayout, PagePlan, Placement

if TYPE_CHECKING:
    from cardgen.pdf.draw import ColourMode
    from cardgen.text.fonts import FontRef

MM_PER_INCH = 25.4
PT_PER_MM = 72 / MM_PER_INCH
#: Resolution of the comparison: a pixel a point (2.8 a millimetre), so a lost word of 6 pt
#: type or a lost logo covers dozens of pixels.
DPI = 72
#: A pixel differs when its grey level differs by more than this (of 255). Both rasters
#: share one pixel grid, so anti-aliased edges agree to a few levels; this is loose enough
#: for float rounding in a turned form and tight enough for any ink that is missing or moved.
PIXEL_TOLERANCE = 24
#: Differing pixels a face may have before it fails: a stray anti-aliased corner or two.
MOST_DIFFERING_PIXELS = 4
#: Pixels at the face's edge that are not compared (see the module's docstring).
EDGE_PX = 2

Affine = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class FaceSample:
    """Where a distinct face is first placed: its key (`<variant>-<side>`), the page
    (0-based) and the placement on it."""

    key: str
    page_index: int
    placement: Placement

    @property
    def variant(self) -> str:
        return self.key.rsplit("-", 1)[0]

    @property
    def side(self) -> str:
        return self.key.rsplit("-", 1)[-1]


def face_samples(pages: Sequence[PagePlan], faces: Mapping[str, FaceLayout]
                 ) -> list[FaceSample]:
    """The first placement of each distinct face, in page order. Faces equal item for item
    are drawn from one form and count once."""
    seen_keys: set[str] = set()
    seen_faces: set[FaceLayout] = set()
    samples: list[FaceSample] = []
    for index, page in enumerate(pages):
        for placement in page.placements:
            if placement.face_key in seen_keys:
                continue
            seen_keys.add(placement.face_key)
            face = faces[placement.face_key]
            if face in seen_faces:
                continue
            seen_faces.add(face)
            samples.append(FaceSample(placement.face_key, index, placement))
    return samples


# --- resources ----------------------------------------------------------------------------

#: Operators that name a resource, with the resource category the name is looked up in.
_NAMING = {b"Do": "/XObject", b"Tf": "/Font", b"gs": "/ExtGState", b"sh": "/Shading",
           b"cs": "/ColorSpace", b"CS": "/ColorSpace", b"scn": "/Pattern", b"SCN": "/Pattern",
           b"BDC": "/Properties", b"DP": "/Properties"}
#: Colour spaces named by operators without being resources.
_DEVICE_SPACES = {"/DeviceGray", "/DeviceRGB", "/DeviceCMYK", "/Pattern"}
#: A literal string, taken out before names are looked for: printed words are not operators.
_STRING = re.compile(rb"\((?:\\.|[^\\)])*\)", re.S)
_DELIMITED = rb"[^\s/\[\]<>(){}%]"
#: A name operand and the operator after it (a font's name comes before its size).
_NAMED = re.compile(rb"/(" + _DELIMITED + rb"+)\s+(?:([-+.\d]+)\s+)?("
                    + b"|".join(_NAMING) + rb")(?!" + _DELIMITED + rb")")
_ESCAPED = re.compile(rb"#([0-9A-Fa-f]{2})")


def named_resources(content: bytes) -> list[tuple[str, str]]:
    """(category, name) of every resource a content stream's operators name, each once, in
    order of first use: ('/XObject', '/Fm1') for `/Fm1 Do`, ('/Font', '/F1') for
    `/F1 12 Tf`. Tokens are matched on the decoded stream: qpdf's full tokenizer, through
    pikepdf, was several times slower on a 2,000-page batch."""
    used = dict.fromkeys(
        (raw, operator) for raw, size, operator in _NAMED.findall(_STRING.sub(b"()", content))
        if not size or operator == b"Tf")
    found: list[tuple[str, str]] = []
    for raw, operator in used:
        name = "/" + _ESCAPED.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")
        category = _NAMING[operator]
        if category == "/ColorSpace" and name in _DEVICE_SPACES:
            continue
        found.append((category, name))
    return found


def missing_resources(pdf: bytes | Path) -> list[str]:
    """Every name a page's or form's content uses that its resources do not hold, as
    'page N: /XObject /Name ...' (or 'page N, form /Name: ...'). Empty when all are there.
    Forms are followed into the forms they place; each form is read once."""
    import pikepdf

    try:
        document = pikepdf.open(pdf if isinstance(pdf, Path) else io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        return [f"the PDF cannot be read: {exc}"]
    with document:
        return _ResourceCheck(pikepdf).pages(document)


class _ResourceCheck:
    """Walks pages and the forms they place. A batch's 2,000 pages share one resource
    dictionary: its entries are read once, not once a page."""

    def __init__(self, pikepdf: Any) -> None:
        self.pikepdf = pikepdf
        self.missing: list[str] = []
        self.forms_seen: set[tuple[int, int]] = set()
        self.contents_seen: set[tuple[bytes, tuple[int, int]]] = set()
        self.tables: dict[tuple[tuple[int, int], str], dict[str, Any]] = {}

    def pages(self, document: Any) -> list[str]:
        for number, page in enumerate(document.pages, 1):
            try:
                content = page.obj.get("/Contents")
                data = b"" if content is None else (
                    b"\n".join(c.read_bytes() for c in content)
                    if isinstance(content, self.pikepdf.Array) else content.read_bytes())
            except self.pikepdf.PdfError as exc:
                self.missing.append(f"page {number}: its content cannot be read ({exc})")
                continue
            self.content(data, self.page_resources(page.obj), f"page {number}")
        return self.missing

    @staticmethod
    def page_resources(page: Any) -> Any:
        """A page's resources, its own or inherited from the page tree above it."""
        node, seen = page, 0
        while node is not None and seen < 64:
            resources = node.get("/Resources")
            if resources is not None:
                return resources
            node, seen = node.get("/Parent"), seen + 1
        return None

    def table(self, resources: Any, category: str) -> dict[str, Any]:
        if resources is None:
            return {}
        key = (resources.objgen, category)
        known = self.tables.get(key) if key[0] != (0, 0) else None
        if known is None:
            entries = resources.get(category)
            known = {} if entries is None else {str(k): entries.get(k) for k in entries}
            if key[0] != (0, 0):
                self.tables[key] = known
        return known

    def content(self, data: bytes, resources: Any, where: str) -> None:
        pikepdf = self.pikepdf
        # Sheets of one run differ only in their printed words ("sheet 2 of 9"): without
        # them, a content drawn with the same resources names the same things.
        words_out = _STRING.sub(b"()", data)
        if resources is not None and resources.objgen != (0, 0):
            key = (words_out, resources.objgen)
            if key in self.contents_seen:
                return
            self.contents_seen.add(key)
        for category, name in named_resources(words_out):
            target = self.table(resources, category).get(name)
            if target is None:
                self.missing.append(
                    f"{where}: {category} {name} is named but not in its resources")
                continue
            if category != "/XObject" or not isinstance(target, pikepdf.Stream):
                continue
            if target.objgen in self.forms_seen:
                continue
            if target.objgen != (0, 0):
                self.forms_seen.add(target.objgen)
            if target.get("/Subtype") != pikepdf.Name.Form:
                continue
            try:
                inner = target.read_bytes()
            except pikepdf.PdfError as exc:
                self.missing.append(f"{where}, form {name}: its content cannot be read ({exc})")
                continue
            self.content(inner, target.get("/Resources", resources), f"{where}, form {name}")


def check_resources(pdf: bytes | Path) -> None:
    """Raises VerificationError (CG931) when a page or form names a resource the PDF does
    not hold."""
    missing = missing_resources(pdf)
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise VerificationError(
            f"the PDF names a resource it does not hold{more}: " + "; ".join(missing[:5]),
            fix="do not print this PDF: viewers and printers would leave that part blank. "
            "Report it as a cardgen bug with the input file",
            code="CG931")


# --- pictures of faces --------------------------------------------------------------------


def _then(first: Affine, second: Affine) -> Affine:
    """The transform that applies `first`, then `second` (PDF matrices [a b c d e f])."""
    a, b, c, d, e, f = first
    p, q, r, s, t, u = second
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s,
            e * p + f * r + t, e * q + f * s + u)


def _inverse(m: Affine) -> Affine:
    a, b, c, d, e, f = m
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(e * ia + f * ic), -(e * ib + f * id_))


def face_to_page(placement: Placement, face: FaceLayout, page_h_pt: float) -> Affine:
    """Face space (points, origin at the upright face's bottom-left, y up) to page space:
    the face turned by the placement's rotation (counter-clockwise) and moved so that it
    fills the slot box. Worked out from the corners, not taken from the drawing code."""
    angle = math.radians(placement.rotation % 360)
    cos, sin = round(math.cos(angle)), round(math.sin(angle))
    w, h = face.width * PT_PER_MM, face.height * PT_PER_MM
    corners = [(cos * x - sin * y, sin * x + cos * y) for x in (0, w) for y in (0, h)]
    left = placement.x * PT_PER_MM
    bottom = page_h_pt - (placement.y + placement.height) * PT_PER_MM
    return (cos, sin, -sin, cos, left - min(x for x, _ in corners),
            bottom - min(y for _, y in corners))


def _raster_size(face: FaceLayout) -> tuple[int, int]:
    return (max(1, round(face.width / MM_PER_INCH * DPI)),
            max(1, round(face.height / MM_PER_INCH * DPI)))


def _to_raster(face: FaceLayout) -> Affine:
    """Face space to raster pixels (x right, y down from the face's top-left)."""
    scale = DPI / 72
    return (scale, 0.0, 0.0, -scale, 0.0, face.height * PT_PER_MM * scale)


def _render(page: pdfium.PdfPage, display_to_pixels: Affine, size: tuple[int, int]
            ) -> Image.Image:
    """`page` rasterised through a transform from pdfium's display space (points from the
    crop box's top-left, y down) to pixels."""
    width, height = size
    # Grey, as verify.py rasterises: half the time of colour, and a missing or moved mark
    # shows in its lightness.
    bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
    matrix = pdfium_c.FS_MATRIX(*display_to_pixels)
    clip = pdfium_c.FS_RECTF(0, 0, width, height)
    pdfium_c.FPDF_RenderPageBitmapWithMatrix(
        bitmap, page, ctypes.byref(matrix), ctypes.byref(clip),
        pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_GRAYSCALE)
    image: Image.Image = bitmap.to_pil()
    return image.convert("L") if image.mode != "L" else image


def _page_to_display(page: pdfium.PdfPage) -> Affine:
    left, _bottom, _right, top = page.get_cropbox()
    return (1.0, 0.0, 0.0, -1.0, -left, top)


def render_face_on_page(page: pdfium.PdfPage, placement: Placement, face: FaceLayout
                        ) -> Image.Image:
    """The face as placed on `page`, turned upright, on the same pixel grid as
    `render_face_alone` gives."""
    _left, _bottom, _right, top = page.get_mediabox()
    to_page = face_to_page(placement, face, top)
    display_to_face = _inverse(_then(to_page, _page_to_display(page)))
    return _render(page, _then(display_to_face, _to_raster(face)), _raster_size(face))


def render_face_alone(page: pdfium.PdfPage, face: FaceLayout) -> Image.Image:
    """A page that holds only the face, the size of the card."""
    display_to_face = _inverse(_page_to_display(page))
    return _render(page, _then(display_to_face, _to_raster(face)), _raster_size(face))


@dataclass(frozen=True)
class FaceDifference:
    """How a face on the sheet differs from the face alone: pixels differing, of how many
    compared, and the box (mm from the card's top-left: left, top, right, bottom)."""

    pixels: int
    compared: int
    box: tuple[float, float, float, float]


def compare(alone: Image.Image, on_page: Image.Image) -> FaceDifference | None:
    """None when the two rasters agree within the tolerance, else where they differ."""
    worst = ImageChops.difference(alone.convert("L"), on_page.convert("L"))
    width, height = worst.size
    inner = worst.crop((EDGE_PX, EDGE_PX, max(EDGE_PX, width - EDGE_PX),
                        max(EDGE_PX, height - EDGE_PX)))
    differing = sum(inner.histogram()[PIXEL_TOLERANCE + 1:])
    if differing <= MOST_DIFFERING_PIXELS:
        return None
    mask = inner.point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    x0, y0, x1, y1 = mask.getbbox() or (0, 0, 0, 0)
    mm = MM_PER_INCH / DPI
    return FaceDifference(differing, inner.width * inner.height,
                          ((x0 + EDGE_PX) * mm, (y0 + EDGE_PX) * mm, (x1 + EDGE_PX) * mm,
                           (y1 + EDGE_PX) * mm))


def reference_pdf(samples: Sequence[FaceSample], faces: Mapping[str, FaceLayout], *,
                  furniture_font: FontRef, colour_mode: ColourMode) -> bytes:
    """One page a face, each the size of its card, drawn as `cardgen preview` draws a face
    (nothing shared between faces, no bleed)."""
    from cardgen.pdf import draw

    pages = [PagePlan(faces[s.key].width, faces[s.key].height,
                      (Placement(s.key, 0.0, 0.0, faces[s.key].width, faces[s.key].height, 0),))
             for s in samples]
    return draw.render_document(pages, {s.key: faces[s.key] for s in samples},
                                title="cardgen face check", furniture_font=furniture_font,
                                colour_mode=colour_mode, share_parts=False)


def describe(sample: FaceSample, difference: FaceDifference) -> str:
    left, top, right, bottom = difference.box
    return (f"the {sample.side} of variant '{sample.variant}' (page {sample.page_index + 1}): "
            f"{difference.pixels} of {difference.compared} pixels differ, between "
            f"{left:.1f} and {right:.1f} mm from the card's left and {top:.1f} and "
            f"{bottom:.1f} mm from its top")


class FaceCheck:
    """The face check of one PDF: which faces to look at and on which pages, their pictures
    alone, and the verdict. `verify.verify_pdf` calls `on_page` with each page it loads for
    its codes, so a sheet is loaded once for both checks, in its workers too."""

    def __init__(self, pages: Sequence[PagePlan], faces: Mapping[str, FaceLayout],
                 furniture_font: FontRef, colour_mode: ColourMode) -> None:
        self.samples = face_samples(pages, faces)
        self._faces = {s.key: faces[s.key] for s in self.samples}
        self._by_page: dict[int, list[tuple[int, FaceSample]]] = {}
        for number, sample in enumerate(self.samples):
            self._by_page.setdefault(sample.page_index, []).append((number, sample))
        self._font = furniture_font
        self._colour_mode: ColourMode = colour_mode
        self._alone = b""
        #: the page of `_alone` that holds the first sample (faces of several PDFs of one
        #: run, `--split`, are drawn alone in one document)
        self._first = 0
        #: the faces-alone document, opened by the process that reads it (a forked worker
        #: opens its own)
        self._opened: tuple[int, pdfium.PdfDocument] | None = None

    @property
    def pages(self) -> list[int]:
        """The pages (0-based) that hold a face to check."""
        return sorted(self._by_page)

    def prepare(self) -> None:
        """Draws every sampled face alone, in one document: before verification forks its
        workers, so they share it. (Drawn a batch at a time in the workers instead, each
        batch embedded its own font subsets and the whole cost twice as much.)"""
        prepare_together([self])

    def _alone_page(self, number: int) -> pdfium.PdfPage:
        """The page of the faces-alone document that holds sample `number`."""
        self.prepare()
        if self._opened is None or self._opened[0] != os.getpid():
            self._opened = (os.getpid(), pdfium.PdfDocument(self._alone))
        return self._opened[1][self._first + number]

    def on_page(self, page_index: int, page: pdfium.PdfPage) -> list[str]:
        """What differs on the faces sampled on this page (loaded by the caller)."""
        found: list[str] = []
        for number, sample in self._by_page.get(page_index, ()):
            face = self._faces[sample.key]
            alone_page = self._alone_page(number)
            try:
                alone = render_face_alone(alone_page, face)
            finally:
                alone_page.close()
            difference = compare(alone, render_face_on_page(page, sample.placement, face))
            if difference is not None:
                found.append(describe(sample, difference))
        return found

    def close(self) -> None:
        """Lets go of the faces-alone document (in this process)."""
        if self._opened is not None and self._opened[0] == os.getpid():
            self._opened[1].close()
        self._opened = None

    def finish(self, pdf: bytes | Path, findings: Sequence[str]) -> None:
        """The verdict, once every page was looked at: CG931 for a resource named but
        missing, else CG930 for faces that differ from their pictures alone."""
        self.close()
        check_resources(pdf)
        raise_for_faces(findings)


def prepare_together(checks: Sequence[FaceCheck]) -> None:
    """Draws the faces of every check not yet prepared alone, in one document for all those
    that share a font and colour mode: a `--split` run of 500 schools draws one document,
    not 500 (each embeds its font subsets, some 30 ms)."""
    groups: dict[tuple[FontRef, ColourMode], list[FaceCheck]] = {}
    for check in checks:
        if check.samples and not check._alone:
            groups.setdefault((check._font, check._colour_mode), []).append(check)
    for (font, colour_mode), group in groups.items():
        samples: list[FaceSample] = []
        faces: dict[str, FaceLayout] = {}
        for check in group:
            check._first = len(samples)
            samples.extend(check.samples)
            faces.update(check._faces)
        drawn = reference_pdf(samples, faces, furniture_font=font, colour_mode=colour_mode)
        for check in group:
            check._alone = drawn


def raise_for_faces(findings: Sequence[str]) -> None:
    """CG930 naming every face (and its variant) that does not match its preview."""
    if not findings:
        return
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    raise VerificationError(
        "a card face on the PDF does not match its preview" + more + ": "
        + "; ".join(findings[:5]),
        fix="do not print this PDF: what it prints is not what `cardgen preview` shows. "
        "Report it as a cardgen bug with the input file",
        code="CG930")


def check_faces(pdf: bytes | Path, pages: Sequence[PagePlan], faces: Mapping[str, FaceLayout],
                *, furniture_font: FontRef, colour_mode: ColourMode) -> None:
    """The face check on its own (`build` runs it with the code check, see FaceCheck):
    raises VerificationError (CG930) naming every distinct face whose picture on the PDF
    differs from the face drawn alone."""
    check = FaceCheck(pages, faces, furniture_font, colour_mode)
    findings: list[str] = []
    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        for page_index in check.pages:
            page = document[page_index]
            try:
                findings += check.on_page(page_index, page)
            finally:
                page.close()
    finally:
        document.close()
        check.close()
    raise_for_faces(findings)
