"""card.font by any family `cardgen list fonts` shows, its bold the face nearest weight 700.

The fonts used here ship with cardgen (cardgen/templates/fonts) or come from its PyPI font
packages; installed system fonts are replaced by a folder of the test's own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from cardgen.text import fonts as fontdb
from cardgen.text import measure
from cardgen.text.measure import load_font_family
from tests.conftest import run_cli, write
from tests.pdfprobe import decode_page

SHIPPED = fontdb.shipped_fonts_dir()


def _clear_caches() -> None:
    fontdb._system_faces.cache_clear()
    fontdb._available.cache_clear()
    measure._listed_family.cache_clear()


@pytest.fixture
def system_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty stand-in for the system font folders."""
    folder = tmp_path / "system-fonts"
    folder.mkdir()
    monkeypatch.setattr(fontdb, "_SYSTEM_FONT_DIRS", (str(folder),))
    _clear_caches()
    yield folder
    monkeypatch.undo()
    _clear_caches()


def _install(folder: Path, source: Path, name: str, weight: int) -> Path:
    """A copy of `source` under `name` with OS/2 weight `weight` (as Debian's Noto package
    installs one file per weight, Thin to Black)."""
    font = TTFont(source)
    font["OS/2"].usWeightClass = weight
    target = folder / name
    font.save(target)
    return target


def test_bold_is_the_face_nearest_weight_700_not_the_black(system_fonts: Path) -> None:
    regular = SHIPPED / "NotoSansGujarati-Regular.ttf"
    # Sorted by name, Black comes before Bold: the first bold face found was the Black.
    black = _install(system_fonts, regular, "NotoSansGujarati-Black.ttf", 900)
    bold = _install(system_fonts, regular, "NotoSansGujarati-Bold.ttf", 700)
    _install(system_fonts, regular, "NotoSansGujarati-SemiBold.ttf", 600)
    _install(system_fonts, regular, "NotoSansGujarati-Thin.ttf", 100)
    found = fontdb.find_family("Noto Sans Gujarati", bold=True)
    assert found is not None and found.path == bold and found.weight == 700
    family = load_font_family("Noto Sans Gujarati", Path("."))
    assert family.bold.path == bold != black
    assert family.regular.path == regular  # the shipped regular keeps its place


def test_without_a_700_face_bold_is_the_nearest_weight(system_fonts: Path) -> None:
    regular = SHIPPED / "NotoSansGujarati-Regular.ttf"
    _install(system_fonts, regular, "NotoSansGujarati-Black.ttf", 900)
    semibold = _install(system_fonts, regular, "NotoSansGujarati-SemiBold.ttf", 600)
    assert load_font_family("Noto Sans Gujarati", Path(".")).bold.path == semibold


@pytest.mark.parametrize(("weights", "wanted", "best"), [
    ([100, 400, 700, 900], 700, 700),
    ([600, 900], 700, 600),
    ([600, 800], 700, 800),
    ([300, 500], 400, 500),
    ([100, 300], 400, 300),
])
def test_weight_preference_picks_the_nearest_and_the_heavier_of_two(
        weights: list[int], wanted: int, best: int) -> None:
    assert min(weights, key=lambda w: fontdb.weight_preference(w, wanted)) == best


@pytest.mark.parametrize("family", ["Noto Sans Gurmukhi", "noto sans gurmukhi", "Hind Siliguri",
                                    "Amiri"])
def test_every_listed_family_is_accepted_by_name(family: str) -> None:
    loaded = load_font_family(family, Path("."))
    assert loaded.name.casefold() == family.casefold()
    assert loaded.name in [row.family for row in fontdb.font_table()]


def test_a_card_set_in_a_listed_family_embeds_its_regular_and_bold(tmp_path: Path) -> None:
    path = write(tmp_path, """\
campaign: Gurmukhi card
language: pa
card: {font: Noto Sans Gurmukhi, design: classic}
front:
  title: "ਕੀ ਤੁਹਾਨੂੰ ਕਿਸੇ ਬੱਚੇ ਦੀ ਚਿੰਤਾ ਹੈ?"
  text: "ਮੁਫ਼ਤ ਕਾਲ ਕਰੋ।"
  qr: childline
helplines:
  childline: {name: Childline, phone: 0800 1111}
print: {copies: 10}
""")
    result = run_cli("build", str(path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / "out" / "gurmukhi-card.pdf").read_bytes()
    names = {name.split(b"+", 1)[1]
             for name in re.findall(rb"/BaseFont /([A-Z]{6}\+[\w-]+)", pdf)}
    assert {b"NotoSansGurmukhi-Regular", b"NotoSansGurmukhi-Bold"} <= names
    assert decode_page(pdf, 0) == ["tel:+448001111"] * 10
