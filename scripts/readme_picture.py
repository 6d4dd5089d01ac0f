"""Re-makes docs/images/neglect-matters.png, the README's picture of a built card.

The picture is cut from the real PDF: the example is built with the `print-shop` sheet (one
card a page), both pages are rendered with pypdfium2 and set side by side. Run:
    python scripts/readme_picture.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image

from cardgen.build import BuildOptions, build_campaign

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    source = ROOT / "examples" / "neglect-matters.yaml"
    text = source.read_text(encoding="utf-8")
    text = text.replace("sheet: a4-10up", "sheet: print-shop").replace("copies: 100", "copies: 1")
    with tempfile.TemporaryDirectory() as tmp:
        yaml_file = Path(tmp) / "card.yaml"
        yaml_file.write_text(text, encoding="utf-8")
        build_campaign(yaml_file, BuildOptions(output_dir=Path(tmp) / "out"))
        pdf = pypdfium2.PdfDocument(str(Path(tmp) / "out" / "neglect-matters.pdf"))
        faces = [pdf[i].render(scale=150 / 72).to_pil().convert("RGB") for i in range(2)]
    gap = 24
    width = sum(f.width for f in faces) + gap * 3
    height = max(f.height for f in faces) + gap * 2
    sheet = Image.new("RGB", (width, height), (228, 228, 228))
    x = gap
    for face in faces:
        sheet.paste(face, (x, gap))
        x += face.width + gap
    target = ROOT / "docs" / "images" / "neglect-matters.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(target, optimize=True)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
