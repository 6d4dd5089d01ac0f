"""The PDF as written: a reportlab base of forms and fonts, then the sheet pages appended as
an incremental update. Every reader the print path uses must see the same pages."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from pdfprobe import PT, placed_forms

from cardgen.input.units import Colour
from cardgen.layout.placed import FaceLayout, PagePlan, Placement, Ruler, Scale
from cardgen.pdf import draw as render
from cardgen.text import measure as text

WHITE = Colour(1, 1, 1, (0, 0, 0, 0))
FACE = FaceLayout(85.0, 54.0, WHITE, ())


def font() -> text.FontRef:
    return text.load_font_family("Atkinson Hyperlegible", Path.cwd()).regular


def pages(count: int) -> list[PagePlan]:
    placed = (Placement("a-front", 10.0, 20.0, 85.0, 54.0, 0),
              Placement("a-front", 100.0, 20.0, 54.0, 85.0, 90))
    return [PagePlan(210.0, 297.0, placed, ruler=Ruler(19.0, 14.5, 50.0),
                     label=f"Café · sheet {n + 1} of {count}", label_xy=(190.0, 14.5),
                     trim_box=(5.0, 5.0, 200.0, 287.0), bleed_box=(2.0, 2.0, 206.0, 293.0),
                     scales=(Scale(105.0, 150.0, "x"),))
            for n in range(count)]


def pdf(count: int = 5, **options: object) -> bytes:
    return render.render_document(pages(count), {"a-front": FACE}, title="Render test",
                                  furniture_font=font(), **options)  # type: ignore[arg-type]


def test_every_page_reads_in_pypdf_strictly_with_its_boxes_and_faces() -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf()), strict=True)
    assert len(reader.pages) == 5
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(210 * PT, abs=0.01)
        assert [round(float(v) / PT, 2) for v in page.trimbox] == [5.0, 5.0, 205.0, 292.0]
        assert [round(float(v) / PT, 2) for v in page.bleedbox] == [2.0, 2.0, 208.0, 295.0]
    forms = placed_forms(pdf(), 3)
    assert [(round(f.x, 2), round(f.y, 2), round(f.width, 2), round(f.height, 2), f.rotation)
            for f in forms] == [(10.0, 20.0, 85.0, 54.0, 0), (100.0, 20.0, 54.0, 85.0, 90)]


def test_the_update_points_back_at_the_base_cross_reference_table() -> None:
    data = pdf()
    starts = [int(m.group(1)) for m in re.finditer(rb"startxref\s+(\d+)", data)]
    assert len(starts) == 2  # the base's and the update's
    prev = int(re.findall(rb"/Prev (\d+)", data)[-1])
    assert prev == starts[0] and data[prev:prev + 4] == b"xref"
    assert data[starts[1]:starts[1] + 4] == b"xref"
    update = data[starts[1]:]
    first, count = (int(v) for v in update.split(b"\n")[1].split())
    entries = update.split(b"\n", 2)[2][:20 * count]
    # every new object's entry points at "<number> 0 obj"
    for n in range(count):
        offset = int(entries[20 * n:20 * n + 10])
        assert data[offset:].startswith(b"%d 0 obj" % (first + n))
    size = int(re.findall(rb"/Size (\d+)", update)[0])
    assert size == first + count


def test_catalog_keeps_viewer_preferences_and_info_keeps_creator() -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf(duplex="long-edge")), strict=True)
    prefs = reader.trailer["/Root"]["/ViewerPreferences"]
    assert prefs["/PrintScaling"] == "/None"
    assert prefs["/Duplex"] == "/DuplexFlipLongEdge"
    assert reader.metadata is not None
    assert reader.metadata.title == "Render test" and reader.metadata.creator == "cardgen"


def test_sheet_labels_draw_through_the_embedded_font(tmp_path: Path) -> None:
    path = tmp_path / "render.pdf"
    path.write_bytes(pdf())
    document = pypdfium2.PdfDocument(str(path))
    assert len(document) == 5
    words = document[4].get_textpage().get_text_range()
    assert "Café · sheet 5 of 5" in words and "+1" in words


def _tool(name: str) -> str:
    # CI installs poppler-utils and qpdf (.ci/run); a developer's machine may lack them,
    # and pypdf and pdfium above read the same file.
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (Debian packages poppler-utils, qpdf)")
    return found


def test_poppler_reads_the_labels_through_the_embedded_font(tmp_path: Path) -> None:
    path = tmp_path / "render.pdf"
    path.write_bytes(pdf())
    fonts = subprocess.run([_tool("pdffonts"), str(path)], capture_output=True, text=True,
                           check=True).stdout
    assert "AtkinsonHyperlegible-Regular" in fonts.split("\n", 2)[2]
    for line in fonts.splitlines()[2:]:
        assert line.split()[-5] == "yes", line  # every font embedded
    shown = subprocess.run([_tool("pdftotext"), "-f", "2", "-l", "2", str(path), "-"],
                           capture_output=True, text=True, check=True)
    assert "Café · sheet 2 of 5" in shown.stdout and "Syntax Error" not in shown.stderr


def test_qpdf_finds_no_errors(tmp_path: Path) -> None:
    qpdf = _tool("qpdf")
    path = tmp_path / "render.pdf"
    path.write_bytes(pdf(40))
    checked = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors" in checked.stdout


def test_written_to_a_file_equals_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "render.pdf"
    render.render_to_file(path, pages(7), {"a-front": FACE}, title="Render test",
                          furniture_font=font())
    assert path.read_bytes() == pdf(7)


def test_a_character_missing_from_the_subset_is_an_error_not_a_blank() -> None:
    # _furniture_chars must name every character the furniture draws; if it misses one,
    # the frozen subset refuses it rather than drawing nothing.
    from cardgen.errors import CardgenError

    real = render._furniture_chars
    try:
        render._furniture_chars = lambda _pages: "abc"  # type: ignore[assignment]
        with pytest.raises(CardgenError, match="cannot be drawn"):
            pdf(1)
    finally:
        render._furniture_chars = real  # type: ignore[assignment]


def _chunk(ops: str, under: bool = False) -> render._Chunk:
    return render._Chunk(ops, under)


def test_shared_items_move_into_one_form_only_where_painting_order_cannot_matter() -> None:
    background, title, band = _chunk("BG", True), _chunk("TITLE"), _chunk("BAND-SHARED", True)
    faces = {
        # own code, shared title after it: text never overlaps a code, so the title moves
        "a": [background, _chunk("QR-A"), title, band],
        "b": [background, _chunk("QR-B"), title, band],
        # an own band: the shared title drawn on it must stay on top of it, so stays put
        "c": [background, _chunk("OWN-BAND", True), title],
        "d": [background, _chunk("OTHER-BAND", True), title],
    }
    shared, contents, placing = render._share_chunks(faces)
    assert shared == {"Shared1": "BG\nTITLE", "Shared2": "BG"}
    assert placing == {"a": "Shared1", "b": "Shared1", "c": "Shared2", "d": "Shared2"}
    assert contents["a"] == ["q /FormXob.Shared1 Do Q", "QR-A", "BAND-SHARED"]  # band stays
    assert contents["c"] == ["q /FormXob.Shared2 Do Q", "OWN-BAND", "TITLE"]


def test_a_face_with_nothing_in_common_is_drawn_whole() -> None:
    shared, contents, placing = render._share_chunks(
        {"a": [_chunk("X", True), _chunk("Y")], "b": [_chunk("Z", True)]})
    assert shared == {} and placing == {} and contents == {"a": ["X", "Y"], "b": ["Z"]}


@pytest.mark.parametrize(("line", "read"), [
    # Only left-to-right runs, or as many as right-to-left ones: pdfium keeps the order.
    ("Call free", "Call free"),
    ("NSPCC اب", "NSPCC اب"),
    # More right-to-left runs: pdfium reverses the order of the runs, never a run itself.
    ("اتصل مجانًا.", ".اً" + "مجان" + " اتصل"),
    ("اتصل بالرقم 999.", "999. بالرقم اتصل"),
    ("کیا آپ، NSPCC سے", "سے NSPCC ،آپ کیا"),
])
def test_pdfium_order_is_what_pdfium_reverses_back_to_the_line(line: str, read: str) -> None:
    assert render.pdfium_order(line) == read
    assert render.pdfium_order(read) == line
