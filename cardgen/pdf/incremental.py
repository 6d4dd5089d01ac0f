"""Appending card faces and sheet pages to a finished PDF as an incremental update
(ISO 32000-1, 7.5.6).

reportlab keeps every object in memory until it saves and formats each through its generic
object model, so a 1,000-variant run spent a third of its drawing time there and a
10,000-card run held all its pages at once. Instead, draw.py lets reportlab write what it
is good at -- the embedded font subsets, pictures, the document information -- into a small
base PDF, and this module writes the card faces (Form XObjects) and the pages after the
base's bytes, one at a time, as soon as each is made, then a new page tree and catalog and a
cross-reference section whose trailer points back (/Prev) at the base's. Memory holds only
the file offsets of the new objects.

Object numbers of the update: three resource dictionaries -- the base page's (fonts,
pictures), the same plus the parts many faces share, the same plus every face -- for shared
parts, faces and pages, then the page tree and the catalog take the base's first five free
numbers; shared parts, faces and pages follow in the order written.
"""

from __future__ import annotations

import re
import zlib
from array import array
from dataclasses import dataclass
from typing import BinaryIO

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class BaseDocument:
    """The finished base PDF and what the update needs to know about it."""

    data: bytes
    #: the base trailer's /Size: the first object number the update may use
    size: int
    #: the base catalog's dictionary (`<< ... >>`), kept as it is except for /Pages
    catalog: bytes
    #: object number of the document information dictionary (title, creator)
    info: int
    #: the file identifier array, `[<...><...>]`
    file_id: bytes
    #: the base page's resource dictionary (`<< ... >>`): fonts, pictures, sheet marks
    resources: bytes

    @property
    def startxref(self) -> int:
        """Offset of the base's cross-reference table: the update's /Prev."""
        tail = self.data[self.data.rindex(b"startxref"):]
        return int(tail.split()[1])


def fmt(value: float) -> str:
    """A number as short as exact to 1/10,000 of a point: what the page operators use."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def deflate(content: str) -> bytes:
    """Content-stream operators, Flate-compressed as they are written (zlib releases the
    interpreter lock meanwhile, so faces can be compressed on several threads at once)."""
    # Level 6 is zlib's default; named so the bytes do not depend on a changed default.
    return zlib.compress(content.encode("latin-1"), 6)


def _box(box: Box) -> str:
    return "[" + " ".join(fmt(v) for v in box) + "]"


_PAGES_ENTRY = re.compile(rb"/Pages\s+\d+\s+0\s+R")
_XOBJECTS = re.compile(rb"/XObject\s*<<")


def with_xobjects(resources: bytes, entries: bytes) -> bytes:
    """`resources` (a `<< ... >>` dictionary) with `entries` (`/Name n 0 R ...`) added to its
    /XObject dictionary, which is made when there is none."""
    found = _XOBJECTS.search(resources)
    if found is not None:
        return resources[:found.end()] + b"\n" + entries + resources[found.end():]
    end = resources.rindex(b">>")
    return resources[:end] + b"/XObject <<\n" + entries + b"\n>>\n" + resources[end:]


class PageWriter:
    """Writes the base, then each face and page as it is made, then the page tree and
    trailer. Faces come before the pages that place them."""

    def __init__(self, out: BinaryIO, base: BaseDocument, page_count: int) -> None:
        if not _PAGES_ENTRY.search(base.catalog):
            raise ValueError("the base catalog has no /Pages entry")
        self._out = out
        self._base = base
        self._count = page_count
        self._first = self._shared_resources = base.size
        self._face_resources = base.size + 1
        self._resources = base.size + 2
        self._tree = base.size + 3
        self._catalog = base.size + 4
        #: file offset of each new object, in object-number order
        self._offsets = array("Q", [0, 0, 0, 0, 0])
        self._page_numbers = array("Q")
        self._shared: list[bytes] = []
        self._forms: list[bytes] = []
        self._position = 0
        self._written = 0
        self._emit(base.data)

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)

    def _object(self, number: int, body: bytes) -> None:
        index = number - self._first
        if index < len(self._offsets):
            self._offsets[index] = self._position
        else:
            assert index == len(self._offsets)
            self._offsets.append(self._position)
        self._emit(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def _next_number(self) -> int:
        return self._first + len(self._offsets)

    def add_form(self, name: str, content: str | bytes, bbox: Box, *,
                 shared: bool = False) -> None:
        """A Form XObject: `content` (operators, or already `deflate`d bytes) in `bbox`,
        drawn with the base's fonts and pictures, and placed as `/name Do`: by faces when
        `shared` (written before any face), else by pages."""
        if self._written or (shared and self._forms):
            raise ValueError("shared parts come before faces, and faces before pages")
        number = self._next_number()
        stream = content if isinstance(content, bytes) else deflate(content)
        self._object(number, (
            b"<< /Type /XObject /Subtype /Form /BBox %s /Resources %d 0 R "
            b"/Filter /FlateDecode /Length %d >>\nstream\n"
            % (_box(bbox).encode("ascii"),
               self._shared_resources if shared else self._face_resources, len(stream)))
            + stream + b"\nendstream")
        (self._shared if shared else self._forms).append(
            b"/%s %d 0 R" % (name.encode("ascii"), number))

    def add_page(self, content: str, media_box: Box, *, trim_box: Box | None = None,
                 bleed_box: Box | None = None) -> None:
        """One page: its content stream (operators, Flate-compressed here) and its boxes."""
        if self._written >= self._count:
            raise ValueError(f"more pages than the {self._count} announced")
        number = self._next_number()
        stream = deflate(content)
        self._object(number, b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(stream)
                     + stream + b"\nendstream")
        boxes = f"/MediaBox {_box(media_box)}"
        if trim_box is not None:
            boxes += f" /TrimBox {_box(trim_box)}"
        if bleed_box is not None:
            boxes += f" /BleedBox {_box(bleed_box)}"
        self._object(number + 1, (
            f"<< /Type /Page /Parent {self._tree} 0 R {boxes} "
            f"/Resources {self._resources} 0 R /Contents {number} 0 R >>").encode("ascii"))
        self._page_numbers.append(number + 1)
        self._written += 1

    def finish(self) -> None:
        """The shared resources, the page tree, the catalog, the xref section, the trailer."""
        if self._written != self._count:
            raise ValueError(f"{self._written} pages written, {self._count} announced")
        resources = self._base.resources
        self._object(self._shared_resources, resources)
        if self._shared:
            resources = with_xobjects(resources, b"\n".join(self._shared))
        self._object(self._face_resources, resources)
        if self._forms:
            resources = with_xobjects(resources, b"\n".join(self._forms))
        self._object(self._resources, resources)
        kids = [b"<< /Type /Pages /Count %d /Kids [" % self._count]
        # Written in pieces: a 20,000-page tree is one long array.
        for start in range(0, self._count, 512):
            kids.append(b" ".join(b"%d 0 R" % n for n in self._page_numbers[start:start + 512]))
        self._object(self._tree, b"\n".join(kids) + b"] >>")
        catalog = _PAGES_ENTRY.sub(b"/Pages %d 0 R" % self._tree, self._base.catalog, count=1)
        self._object(self._catalog, catalog)
        xref_at = self._position
        self._emit(b"xref\n%d %d\n" % (self._first, len(self._offsets)))
        for start in range(0, len(self._offsets), 1024):
            # Each entry exactly 20 bytes, as the table format requires.
            self._emit(b"".join(b"%010d 00000 n\r\n" % offset
                                for offset in self._offsets[start:start + 1024]))
        size = self._first + len(self._offsets)
        self._emit(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID %s /Prev %d >>\n"
            b"startxref\n%d\n%%%%EOF\n"
            % (size, self._catalog, self._base.info, self._base.file_id,
               self._base.startxref, xref_at))
