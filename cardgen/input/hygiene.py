"""Text hygiene at the edge: invisible and direction-changing characters are refused.

Text pasted from emails, PDFs and spreadsheets carries characters nobody can see: zero-width
spaces, soft hyphens, stray control characters and, worst, bidirectional overrides
(U+202A-U+202E, U+2066-U+2069), which reorder what is displayed and can make one phone
number look like another. A card must print what its author reads on screen, so every text
value is checked before anything else uses it, and each offending character is named by its
U+ code and the field it is in.

Zero-width joiner (U+200D) and non-joiner (U+200C) are allowed: Indic, Arabic and Persian
spelling needs them. Line breaks and tabs are allowed (YAML block text has them).

Codes:

- CG115 error: an invisible, control or direction-changing character in a text value.
- CG116 error: a text value longer than `MAX_TEXT` characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from cardgen.errors import DocPath, Location, Problem

#: No field on a card the size of a bank card needs more; a longer value is a paste gone wrong.
MAX_TEXT = 2000

_ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})
_ALLOWED_CONTROL = frozenset({"\n", "\t", "\r"})
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: categories of characters that print nothing or are not characters at all
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def bad_characters(text: str) -> list[str]:
    """The characters of `text` that must not be printed, in order, each once."""
    found: list[str] = []
    for char in text:
        if char in _ALLOWED_CONTROL or char in _ALLOWED_FORMAT:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES and char not in found:
            found.append(char)
    return found


def describe(char: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE' (or 'U+0007 control character')."""
    name = unicodedata.name(char, "")
    if not name:
        name = "control character" if unicodedata.category(char) == "Cc" else "unassigned"
    return f"U+{ord(char):04X} {name}"


def dotted(path: DocPath) -> str:
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (
            f".{element}" if text else str(element))
    return text or "the top level"


def _strings(value: Any, path: DocPath) -> Iterator[tuple[DocPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))


def check_text(path: DocPath, text: str, where: Location | None) -> list[Problem]:
    """Problems with one text value at `path` (shown to the user as a dotted field name)."""
    problems: list[Problem] = []
    field = dotted(path)
    bad = bad_characters(text)
    if bad:
        named = ", ".join(describe(c) for c in bad)
        if any(c in _BIDI for c in bad):
            why = "it changes the direction text is shown in and can disguise a number or link"
        else:
            why = "it is invisible on screen and would print as a gap or a box"
        problems.append(Problem(
            "CG115", f"{field} contains {named}: {why}", "error",
            "retype this value by hand instead of pasting it (the character cannot be seen; "
            "deleting and retyping the whole value removes it)", path, where))
    if len(text) > MAX_TEXT:
        problems.append(Problem(
            "CG116", f"{field} is {len(text):,} characters long; the most a card field "
            f"takes is {MAX_TEXT:,}", "error",
            "shorten it: a card has room for a few short lines", path, where))
    return problems


def check_values(data: Any, locate: Callable[[DocPath], Location | None],
                 prefix: DocPath = ()) -> list[Problem]:
    """Every hygiene problem in the text values of a parsed document (keys are checked by
    the id and key rules), located with `locate(path)`."""
    problems: list[Problem] = []
    for path, text in _strings(data, ()):
        problems += check_text((*prefix, *path), text, locate(path))
    return problems
