"""`cardgen export`: each face as its own PNG, SVG or PDF file, every code decoded back from
the file first; SVG text is outlines, so it shows with no fonts installed."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import pytest
import resvg_py
import zxingcpp
from conftest import EXAMPLES, run_cli
from PIL import Image
from pypdf import PdfReader

from cardgen.pipeline import prepare_cards
from cardgen.starter import starter_text

PAYLOAD = "https://www.childline.org.uk/"


def _starter(folder: Path, design: str = "discreet") -> Path:
    source = folder / "cards.yaml"
    source.write_text(starter_text().replace("design: discreet", f"design: {design}", 1),
                      encoding="utf-8")
    return source


def _decode(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _svg_png(svg: bytes, width: int = 650) -> bytes:
    return bytes(resvg_py.svg_to_bytes(svg_string=svg.decode("utf-8"), width=width, dpi=96,
                                       skip_system_fonts=True))


def test_png_export_writes_each_face_at_the_dpi_and_its_code_decodes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("export", str(_starter(tmp_path)), "--dpi", "200", "-o", str(out))
    assert result.exit_code == 0, result.output
    front, back = out / "my-helpline-card-front.png", out / "my-helpline-card-back.png"
    assert f"wrote {front}" in result.output and f"wrote {back}" in result.output
    image = Image.open(front)
    # 55 x 85 mm at 200 dpi (pdfium rounds a part pixel up)
    assert image.size == (math.ceil(55 / 25.4 * 200), math.ceil(85 / 25.4 * 200))
    assert _decode(front.read_bytes()) == [PAYLOAD]
    assert _decode(back.read_bytes()) == []  # the starter's back has no code


def test_svg_export_draws_text_as_outlines_that_show_without_fonts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("export", str(_starter(tmp_path, "neon")), "--format", "svg",
                     "-o", str(out))
    assert result.exit_code == 0, result.output
    svg = (out / "my-helpline-card-front.svg").read_bytes()
    text = svg.decode("utf-8")
    assert "<text" not in text and "font-family" not in text
    assert 'width="55mm" height="85mm"' in text
    assert "<title>Need to talk?</title>" in text  # each line keeps its words
    png = _svg_png(svg)
    assert _decode(png) == [PAYLOAD]
    # The title is drawn (no fonts were loaded): the lime accent shows where it stands.
    _loaded, cards, _ = prepare_cards(_starter(tmp_path, "neon"))
    title = next(i for i in cards[0].faces["front"].items
                 if getattr(i, "field", "") == "front.title")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = image.width / 55
    band = image.crop((0, round((title.baseline - 4) * scale), image.width,
                       round(title.baseline * scale)))
    data = band.tobytes()
    lime = sum(1 for i in range(0, len(data), 3)
               if data[i + 1] > 200 and data[i + 2] < 120 and data[i] > 150)
    assert lime > 200


def test_svg_of_a_shaped_urdu_card_is_outlines_and_its_code_decodes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("export", str(EXAMPLES / "languages" / "ur.yaml"), "--format", "svg",
                     "-o", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.svg"))
    assert files
    decoded = [p for f in files for p in _decode(_svg_png(f.read_bytes()))]
    assert decoded
    for file in files:
        assert "<text" not in file.read_text(encoding="utf-8")


def test_pdf_export_is_one_card_sized_page_a_face(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("export", str(_starter(tmp_path)), "--format", "pdf", "-o", str(out))
    assert result.exit_code == 0, result.output
    reader = PdfReader(out / "my-helpline-card-front.pdf")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4, 2), round(float(box.height) / 72 * 25.4, 2)
            ) == (55.0, 85.0)


def test_export_is_deterministic(tmp_path: Path) -> None:
    source = _starter(tmp_path, "coffee-stamp")
    for run in ("a", "b"):
        assert run_cli("export", str(source), "--format", "svg", "-o",
                       str(tmp_path / run)).exit_code == 0
    for file in (tmp_path / "a").iterdir():
        assert file.read_bytes() == (tmp_path / "b" / file.name).read_bytes()


def test_code_too_small_to_read_at_the_dpi_is_cg760_and_nothing_is_written(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    # classic's code is the smallest: under a pixel a module at 36 dpi
    result = run_cli("export", str(_starter(tmp_path, "classic")), "--dpi", "36", "-o",
                     str(out))
    assert result.exit_code == 1
    assert "CG760" in result.output and "at 36 dpi" in result.output
    assert "--dpi" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("export", str(_starter(tmp_path)), "--format", "gif")
    assert result.exit_code == 2


def test_variant_option_exports_only_that_variant(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = EXAMPLES / "schools-batch.yaml"
    result = run_cli("export", str(source), "--variant", "oakfield-primary", "-o", str(out))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names and all(n.startswith("oakfield-primary-") for n in names)
    assert all(re.fullmatch(r"oakfield-primary-(front|back)\.png", n) for n in names)


def test_every_gallery_design_exports_to_svg_and_decodes(tmp_path: Path) -> None:
    from cardgen.layout.designs import builtin_names

    # The PNG path is the printing renderer's, checked for every design in test_gallery.
    fmt = "svg"

    for name in builtin_names():
        out = tmp_path / name
        result = run_cli("export", str(_starter(tmp_path, name)), "--format", fmt,
                         "--dpi", "150", "-o", str(out))
        assert result.exit_code == 0, (name, result.output)
        front = out / f"my-helpline-card-front.{fmt}"
        png = front.read_bytes() if fmt == "png" else _svg_png(front.read_bytes(), 330)
        assert _decode(png) == [PAYLOAD], name


def test_library_refuses_an_unknown_format_with_cg761(tmp_path: Path) -> None:
    from cardgen.errors import CardgenError
    from cardgen.export import export_faces

    with pytest.raises(CardgenError) as info:
        export_faces(_starter(tmp_path), tmp_path / "out", fmt="gif")
    assert info.value.code == "CG761" and "png, svg, pdf" in (info.value.fix or "")
    assert not (tmp_path / "out").exists()
