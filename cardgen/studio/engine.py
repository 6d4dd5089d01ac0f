"""What the studio calls to check, picture and build a card: the library's public API.

Interim adapter: until `cardgen.check`, `cardgen.preview` and `cardgen.build` exist, these
functions have their signatures and run cardgen.pipeline on a scratch copy of the document
in its own folder (so that the logo and CSV it names resolve as they will from FILE).
Swapping in the public API is this module's imports alone.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cardgen.errors import CardgenError, Problem

Side = Literal["front", "back", "sheet"]


@dataclass(frozen=True)
class BuildResult:
    paths: tuple[Path, ...]
    warnings: tuple[Problem, ...]
    codes_verified: int


@contextlib.contextmanager
def _scratch_yaml(source: str, base_dir: Path) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(prefix=".cardgen-studio-", suffix=".yaml", dir=base_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(source)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def check(source: str, *, base_dir: Path) -> list[Problem]:
    from cardgen.pipeline import check_campaign

    with _scratch_yaml(source, base_dir) as path:
        try:
            return check_campaign(path)
        except CardgenError as error:
            return error.problems()


def preview(source: str, *, side: Side = "front", variant: str | None = None, dpi: int = 200,
            base_dir: Path) -> bytes:
    from cardgen.pdf.verify import render_page_png
    from cardgen.pictures import face_pdf
    from cardgen.pipeline import BuildOptions, build_campaign, prepare_cards

    only = (variant,) if variant else ()
    with _scratch_yaml(source, base_dir) as path, tempfile.TemporaryDirectory(
            prefix=".cardgen-studio-", dir=base_dir) as scratch:
        target = Path(scratch) / "page.png"
        if side == "sheet":
            built = build_campaign(path, BuildOptions(output_dir=Path(scratch) / "pdf",
                                                      split=True, only_variants=only))
            report = built.variants[0]
            render_page_png(Path(scratch) / "pdf" / report.file, report.first_page - 1, dpi,
                            target)
            return target.read_bytes()
        loaded, cards, _problems = prepare_cards(path, BuildOptions(only_variants=only))
        pdf, sides = face_pdf(cards[0], loaded.base_dir)
        if side not in sides:
            raise CardgenError(f"the card has no {side}", code="CG000")
        render_page_png(pdf, sides.index(side), dpi, target)
        return target.read_bytes()


def build(source: str, output_dir: Path, *, base_dir: Path) -> BuildResult:
    from cardgen.pipeline import BuildOptions, build_campaign

    with _scratch_yaml(source, base_dir) as path:
        result = build_campaign(path, BuildOptions(output_dir=output_dir, force=False))
    return BuildResult(result.files, result.warnings, result.verified_codes)
