"""Which font prints which character: the catalogue of fonts and fallback by script.

A card is set in one font (`card.font`, by default Atkinson Hyperlegible), which covers
Latin only. Every other script gets a fallback font, chosen automatically:

1. the card's own font, for every character it has;
2. else, per script, a preferred family (`FALLBACK_FAMILIES`), taken from
   - font packages on PyPI (`fontpkg-*`, found through their `fontpkg.family` entry points),
   - the OFL fonts shipped in `templates/fonts/` (Gurmukhi, Gujarati, Nastaliq Urdu),
   - installed system fonts of those families (e.g. Debian's fonts-noto-core), which only
     fill gaps, such as a bold face that is not shipped;
3. else any available face that has the character.

For Urdu (and Shahmukhi Punjabi), Arabic-script text prefers Noto Nastaliq Urdu, the style
readers of Urdu expect; it needs far taller lines (`FontFace.line_spacing`, 2.6 x size).

Fonts are chosen per *run*, not per character: a run of one script gets one font that has
every character of it when such a font exists, because a word split across two fonts loses
its joining (Arabic) or its conjuncts (Bengali). Characters of no particular script (spaces,
digits, punctuation) belong to the script around them.

A character that no available font has is an `InputError` with code CG610 naming the
character (U+XXXX and its Unicode name), the field, and what to install.

Only TrueType (glyf) fonts are listed: the PDF library cannot embed CFF outlines. Variable
fonts are listed as their default (regular) instance.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools import unicodedata as ft_unicodedata
from fontTools.ttLib import TTFont, TTLibError

from cardgen.errors import DocPath, InputError, Problem

MISSING_GLYPH_CODE = "CG610"


@dataclass(frozen=True, slots=True)
class FontRef:
    """A font file to draw with; `name` is a stable name to register it under."""

    name: str
    path: Path


#: Preferred fallback families per script, best first. Families not installed are skipped.
FALLBACK_FAMILIES: dict[str, tuple[str, ...]] = {
    "Latin": ("Atkinson Hyperlegible", "Noto Sans"),
    "Arabic": ("Noto Sans Arabic", "Noto Naskh Arabic", "Amiri", "Noto Nastaliq Urdu"),
    "Bengali": ("Hind Siliguri", "Noto Sans Bengali"),
    "Devanagari": ("Noto Sans Devanagari", "Hind"),
    "Gurmukhi": ("Noto Sans Gurmukhi",),
    "Gujarati": ("Noto Sans Gujarati",),
}

#: Languages written in Nastaliq style when a Nastaliq font is available.
NASTALIQ_LANGUAGES = frozenset({"ur", "pnb", "skr", "pa-arab", "ks"})
_NASTALIQ_FAMILIES = ("Noto Nastaliq Urdu",)

#: Languages written right to left (BCP 47 primary subtags), plus script subtags.
_RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-arab", "pnb", "ps", "sd", "skr",
     "syr", "ug", "ur", "yi", "pa-arab"}
)

#: Line spacing (baseline to baseline, times font size) that keeps marks of neighbouring
#: lines apart. Nastaliq and Naskh values were measured by rendering (shared/RESEARCH.md);
#: the Indic values follow the fonts' own line metrics.
_LINE_SPACING: dict[str, float] = {
    "Atkinson Hyperlegible": 1.25,
    "Noto Nastaliq Urdu": 2.6,
    "Noto Sans Arabic": 1.7,
    "Noto Naskh Arabic": 1.7,
    "Amiri": 1.8,
    "Hind Siliguri": 1.6,
    "Noto Sans Bengali": 1.6,
    "Noto Sans Devanagari": 1.5,
    "Noto Sans Gurmukhi": 1.4,
    "Noto Sans Gujarati": 1.4,
}
_DEFAULT_LINE_SPACING = 1.25

#: What to tell a user who needs a script cardgen has no font for.
_INSTALL_HINTS: dict[str, str] = {
    "Han": "a TrueType (.ttf, not .otf or .ttc) font that covers Chinese/Japanese characters "
           "and set card.font to its path",
    "Hebrew": "Noto Sans Hebrew (Debian/Ubuntu: apt-get install fonts-noto-core)",
    "Tamil": "pip install fontpkg-noto-sans-tamil",
    "Telugu": "pip install fontpkg-noto-sans-telugu",
    "Thai": "pip install fontpkg-noto-sans-thai",
    "Khmer": "pip install fontpkg-noto-sans-khmer",
    "Arabic": "pip install fontpkg-noto-sans-arabic",
    "Devanagari": "pip install fontpkg-noto-sans-devanagari",
    "Bengali": "pip install fontpkg-hind-siliguri",
}

_SYSTEM_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
)


@dataclass(frozen=True)
class FontFace:
    """One font file: its family, weight, the scripts it covers and the line spacing it needs.

    `source` says where it came from: "package <dist>", "cardgen", "system" or "card".
    """

    family: str
    path: Path
    bold: bool
    scripts: frozenset[str]
    line_spacing: float
    source: str = "card"
    #: the OS/2 weight class: 400 regular, 700 bold, 900 black
    weight: int = 400

    def covers(self, ch: str) -> bool:
        """True when this face can print `ch` (spaces and invisible format controls count as
        covered when HarfBuzz can stand in for them: a missing space becomes the space glyph,
        a zero-width joiner or bidi mark is shaped and then dropped)."""
        cmap = _cmap(self.path)
        cp = ord(ch)
        if cp in cmap:
            return True
        category = unicodedata.category(ch)
        if category == "Cf":
            return True
        return category == "Zs" and 0x20 in cmap


@dataclass(frozen=True)
class FontRun:
    """A stretch `text[start:end]` set in one face; `script` is its resolved script."""

    start: int
    end: int
    face: FontFace
    script: str


# --- characters and scripts ----------------------------------------------------------------


def script_of(ch: str) -> str:
    """The Unicode Script property of `ch` by name: 'Latin', 'Arabic', 'Bengali', 'Gurmukhi',
    'Gujarati', 'Devanagari', 'Han', ... 'Common' for digits, spaces and most punctuation,
    'Inherited' for combining marks that take their base's script."""
    return str(ft_unicodedata.script_name(ft_unicodedata.script(ch)))


_NEUTRAL_SCRIPTS = frozenset({"Common", "Inherited", "Unknown"})


def resolve_scripts(text: str) -> list[str]:
    """The script of each character of `text`, with Common and Inherited characters given the
    script of the text around them (the previous character's, or at the start the next
    one's), so that a run of one script keeps its spaces, digits, marks and dandas.
    Text with no script of its own (e.g. only digits) is all 'Common'."""
    resolved: list[str | None] = []
    current: str | None = None
    for ch in text:
        script = script_of(ch)
        if script not in _NEUTRAL_SCRIPTS:
            current = script
        resolved.append(current)
    following = "Common"
    out = ["Common"] * len(resolved)
    for i in range(len(resolved) - 1, -1, -1):
        value = resolved[i]
        if value is None:
            out[i] = following
        else:
            out[i] = value
            following = value
    return out


@functools.lru_cache(maxsize=256)
def is_rtl_language(language: str) -> bool:
    """True for languages written right to left ('ar', 'ur', 'fa', 'he', 'pa-Arab', ...):
    their designs align right and their lines start on the right."""
    tag = language.strip().lower().replace("_", "-")
    parts = tag.split("-")
    return tag in _RTL_LANGUAGES or parts[0] in _RTL_LANGUAGES or (
        len(parts) > 1 and f"{parts[0]}-{parts[1]}" in _RTL_LANGUAGES
    ) or "arab" in parts[1:] or "hebr" in parts[1:]


def prefers_nastaliq(language: str) -> bool:
    """True for languages whose Arabic-script text is set in Nastaliq (Urdu and others)."""
    parts = language.strip().lower().replace("_", "-").split("-")
    if parts[0] in NASTALIQ_LANGUAGES:
        return True
    return len(parts) > 1 and f"{parts[0]}-{parts[1]}" in NASTALIQ_LANGUAGES


# --- reading font files -----------------------------------------------------------------


@functools.lru_cache(maxsize=128)
def _cmap(path: Path) -> frozenset[int]:
    font = TTFont(path, fontNumber=0, lazy=True)
    return frozenset(font.getBestCmap() or {})


@dataclass(frozen=True)
class _FileInfo:
    family: str
    bold: bool
    italic: bool
    glyf: bool
    line_spacing: float
    weight: int


@functools.lru_cache(maxsize=256)
def _file_info(path: Path) -> _FileInfo | None:
    try:
        font = TTFont(path, fontNumber=0, lazy=True)
        name = font["name"]
        family = str(name.getDebugName(16) or name.getDebugName(1) or path.stem)
        os2 = font.get("OS/2")
        weight = int(os2.usWeightClass) if os2 is not None else 400
        mac_style = int(font["head"].macStyle)
        italic = bool(mac_style & 2) or (os2 is not None and bool(int(os2.fsSelection) & 1))
        bold = weight >= 600 or bool(mac_style & 1)
        upem = int(font["head"].unitsPerEm)
        hhea = font["hhea"]
        natural = (int(hhea.ascent) - int(hhea.descent)) / upem
        glyf = "glyf" in font and "CFF " not in font and "CFF2" not in font
    except (TTLibError, OSError, KeyError, ValueError, AssertionError):
        return None
    spacing = _LINE_SPACING.get(family, round(max(_DEFAULT_LINE_SPACING, natural), 2))
    return _FileInfo(family, bold, italic, glyf, spacing, weight)


def _scripts_covered(cmap: Iterable[int]) -> frozenset[str]:
    # A script counts when the font has a real share of it, not a stray sign or two.
    counts: dict[str, int] = {}
    for cp in cmap:
        script = script_of(chr(cp))
        if script not in ("Common", "Inherited", "Unknown"):
            counts[script] = counts.get(script, 0) + 1
    return frozenset(s for s, n in counts.items() if n >= 20)


def face_from_path(path: Path, *, source: str = "card") -> FontFace | None:
    """A `FontFace` for one font file, or None when it is not a readable TrueType font."""
    path = Path(path)
    info = _file_info(path)
    if info is None or not info.glyf:
        return None
    return FontFace(
        family=info.family,
        path=path,
        bold=info.bold,
        scripts=_scripts_covered(_cmap(path)),
        line_spacing=info.line_spacing,
        source=source,
        weight=info.weight,
    )


# --- the catalogue --------------------------------------------------------------------------


def _package_faces() -> list[FontFace]:
    faces: list[FontFace] = []
    entry_points = sorted(
        importlib.metadata.entry_points(group="fontpkg.family"), key=lambda e: e.name
    )
    for entry in entry_points:
        try:
            module = entry.load()
            root = Path(module.ROOT)
            meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
        except (ImportError, AttributeError, OSError, ValueError):
            continue
        dist = entry.dist.name if entry.dist is not None else entry.value
        for item in meta.get("files", []):
            if item.get("style", "normal") != "normal":
                continue
            weight = item.get("weight")
            if weight is not None and weight not in (400, 700):
                continue
            face = face_from_path(root / item["path"], source=f"package {dist}")
            if face is None:
                continue
            bold = weight == 700
            faces.append(FontFace(str(meta.get("family", face.family)), face.path, bold,
                                  face.scripts, face.line_spacing, face.source,
                                  700 if bold else 400))
    return faces


def shipped_fonts_dir() -> Path:
    """templates/fonts/: the OFL fonts cardgen ships (see README.md and OFL.txt there)."""
    return Path(str(importlib.resources.files("cardgen.templates") / "fonts"))


def _shipped_faces() -> list[FontFace]:
    faces: list[FontFace] = []
    for path in sorted(shipped_fonts_dir().glob("*.ttf")):
        face = face_from_path(path, source="cardgen")
        if face is not None:
            faces.append(face)
    return faces


def _system_font_files() -> list[Path]:
    dirs = [Path(d).expanduser() for d in _SYSTEM_FONT_DIRS]
    if sys.platform == "win32":
        dirs.append(Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts")
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files.extend(p for p in d.rglob("*") if p.suffix.lower() == ".ttf")
    return sorted(set(files))


@functools.lru_cache(maxsize=1)
def _system_faces() -> tuple[FontFace, ...]:
    # Only files named like a wanted fallback family are opened: system font folders hold
    # thousands of files and reading every one would slow every build.
    wanted = {fam.replace(" ", "").lower(): fam for fams in FALLBACK_FAMILIES.values()
              for fam in fams}
    faces: list[FontFace] = []
    for path in _system_font_files():
        stem = path.stem.split("-")[0].lower()
        if stem not in wanted:
            continue
        info = _file_info(path)
        if info is None or info.italic or info.family != wanted[stem]:
            continue
        face = face_from_path(path, source="system")
        if face is not None:
            faces.append(face)
    return tuple(faces)


def weight_preference(weight: int, wanted: int) -> tuple[int, int]:
    """How well a face of `weight` serves a wanted weight, smaller is better: the nearest
    weight, and of two as near the heavier (as CSS chooses 500 for 400 and 800 for 700).
    A family's Bold (700) serves bold before its Black (900), SemiBold (600) before Black."""
    return (abs(weight - wanted), -weight)


def _slot_order(face: FontFace) -> tuple[str, bool, tuple[int, int], str]:
    return (face.family, face.bold, weight_preference(face.weight, 700 if face.bold else 400),
            str(face.path))


@functools.lru_cache(maxsize=2)
def _available(system: bool) -> tuple[FontFace, ...]:
    faces = _package_faces() + _shipped_faces()
    have = {(f.family, f.bold) for f in faces}
    if system:
        # One face a family and weight: the regular nearest 400, the bold nearest 700
        # (Debian's Noto families install Thin to Black; the Black face is not their bold).
        for face in sorted(_system_faces(), key=_slot_order):
            if (face.family, face.bold) not in have:
                have.add((face.family, face.bold))
                faces.append(face)
    return tuple(faces)


def available_faces(*, system: bool = True) -> list[FontFace]:
    """Every font cardgen can use without a file of the user's: PyPI font packages first, then
    the fonts shipped in cardgen/templates/fonts, then (with `system`) installed system fonts of the
    fallback families that add a family or weight the others lack. Regular and bold only."""
    return list(_available(system))


def find_family(name: str, *, bold: bool = False, system: bool = True) -> FontFace | None:
    """The available face of family `name` (any case) in the wanted weight, else in the other
    weight, else None."""
    matches = [f for f in available_faces(system=system) if f.family.casefold() == name.casefold()]
    matches.sort(key=lambda f: f.bold != bold)
    return matches[0] if matches else None


# --- choosing fonts -------------------------------------------------------------------------


def fallback_chain(script: str, language: str, bold: bool, *,
                   faces: Sequence[FontFace] | None = None) -> list[FontFace]:
    """Faces to try for text of `script`, best first: the preferred families (Nastaliq first
    for Urdu), each in the wanted weight before the other, then every other face that covers
    the script, then all remaining faces (for odd characters such as symbols)."""
    pool = list(faces) if faces is not None else available_faces()
    families = list(FALLBACK_FAMILIES.get(script, ()))
    if script == "Arabic" and prefers_nastaliq(language):
        families = list(_NASTALIQ_FAMILIES) + [f for f in families if f not in _NASTALIQ_FAMILIES]
    rank = {fam: i for i, fam in enumerate(families)}

    def key(face: FontFace) -> tuple[int, int, str, int, str]:
        preferred = rank.get(face.family, len(rank))
        tier = 0 if face.family in rank else (1 if script in face.scripts else 2)
        return (tier, preferred, face.family, int(face.bold != bold), str(face.path))

    return sorted(pool, key=key)


def missing_font_error(ch: str, field: DocPath = (), *, text: str | None = None) -> InputError:
    """The error for a character no available font has: names U+XXXX, the character's Unicode
    name and script, the field, and what to install."""
    return InputError([missing_font_problem(ch, field, text=text)])


def missing_font_problem(ch: str, field: DocPath = (), *, text: str | None = None) -> Problem:
    """The Problem behind `missing_font_error` (for checks that collect problems)."""
    script = script_of(ch)
    name = unicodedata.name(ch, "unnamed character")
    where = ".".join(str(p) for p in field) if field else "the card text"
    quoted = f" in \"{text}\"" if text else ""
    hint = _INSTALL_HINTS.get(script, f"a TrueType font that covers {script} script "
                                      "(Debian/Ubuntu: apt-get install fonts-noto-core)")
    return Problem(
        MISSING_GLYPH_CODE,
        f"no available font has the character '{ch}' (U+{ord(ch):04X} {name}, {script} script) "
        f"in {where}{quoted}",
        fix=f"install {hint}; or set card.font to a .ttf that has it; or remove the character",
        path=field,
    )


def _primary_face(primary: Path | FontFace) -> FontFace:
    if isinstance(primary, FontFace):
        return primary
    face = face_from_path(Path(primary))
    if face is None:
        # The font loader reports unreadable fonts; here it simply covers nothing.
        return FontFace(Path(primary).stem, Path(primary), False, frozenset(), 1.25)
    return face


def font_runs(text: str, primary: Path | FontFace, language: str = "en", bold: bool = False,
              *, field: DocPath = (), faces: Sequence[FontFace] | None = None) -> list[FontRun]:
    """Split `text` into runs that each print in one face, in logical order, covering the
    whole text. Raises `InputError` (CG610) listing every character no face has."""
    first = _primary_face(primary)
    scripts = resolve_scripts(text)
    runs: list[FontRun] = []
    missing: list[str] = []
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and scripts[end] == scripts[start]:
            end += 1
        chain = [first, *fallback_chain(scripts[start], language, bold, faces=faces)]
        runs.extend(_runs_for(text, start, end, scripts[start], chain, missing))
        start = end
    if missing:
        raise InputError([missing_font_problem(ch, field, text=text)
                          for ch in dict.fromkeys(missing)])
    return _merge(runs)


def check_text(text: str, primary: Path | FontFace, language: str = "en", bold: bool = False,
               *, field: DocPath = (), faces: Sequence[FontFace] | None = None) -> list[Problem]:
    """Problems (CG610) for characters of `text` that no available font has; [] if none."""
    try:
        font_runs(text, primary, language, bold, field=field, faces=faces)
    except InputError as exc:
        return exc.problems()
    return []


def _runs_for(text: str, start: int, end: int, script: str, chain: list[FontFace],
              missing: list[str]) -> list[FontRun]:
    chunk = text[start:end]
    for face in chain:
        if all(face.covers(ch) for ch in chunk):
            return [FontRun(start, end, face, script)]
    # No face has the whole run: the one with the most of it sets the run, others fill in.
    main = max(chain, key=lambda f: sum(f.covers(ch) for ch in chunk))
    runs: list[FontRun] = []
    for i in range(start, end):
        ch = text[i]
        chosen: FontFace | None = main if main.covers(ch) else next(
            (f for f in chain if f.covers(ch)), None)
        if chosen is None:
            missing.append(ch)
            continue
        runs.append(FontRun(i, i + 1, chosen, script))
    return runs


def _merge(runs: list[FontRun]) -> list[FontRun]:
    merged: list[FontRun] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last is not None and last.face == run.face and last.end == run.start \
                and last.script == run.script:
            merged[-1] = FontRun(last.start, run.end, last.face, last.script)
        else:
            merged.append(run)
    return merged


def line_spacing(runs: Iterable[FontRun]) -> float:
    """The line spacing (times font size) a line set in these runs needs: the largest of its
    faces' (Nastaliq 2.6, Arabic 1.7, Latin 1.25)."""
    return max((r.face.line_spacing for r in runs), default=_DEFAULT_LINE_SPACING)


@dataclass(frozen=True)
class FontRow:
    """One line of `cardgen list fonts`: a family, its weights, the scripts it covers, where
    it comes from, and the line spacing it needs."""

    family: str
    weights: str
    scripts: tuple[str, ...]
    source: str
    line_spacing: float


def font_table(*, system: bool = True) -> list[FontRow]:
    """Every available font family with the scripts it covers, for `cardgen list fonts`:
    families in name order, regular and bold folded into one row."""
    by_family: dict[str, list[FontFace]] = {}
    for face in available_faces(system=system):
        by_family.setdefault(face.family, []).append(face)
    rows: list[FontRow] = []
    for family in sorted(by_family, key=str.casefold):
        faces = by_family[family]
        weights = "/".join(w for w, has in (("regular", any(not f.bold for f in faces)),
                                             ("bold", any(f.bold for f in faces))) if has)
        scripts = tuple(sorted(set().union(*(f.scripts for f in faces))))
        sources = ", ".join(dict.fromkeys(f.source for f in faces))
        rows.append(FontRow(family, weights, scripts, sources,
                            max(f.line_spacing for f in faces)))
    return rows
