"""Discretion lint: a discreet card must not say what it is for on the face others see.

A card kept behind a phone's clear case, or dropped on a classroom floor, can put a child at
risk if it reads "abuse helpline". Designs marked `discreet: true` name the face meant to be
seen (`seen_face`); every word from templates/discretion_words.txt (plus the campaign's own
`card.discretion_words`) found in that face's printed text is a warning naming the word,
the field and the face. A warning, not an error: the campaign decides, but knowingly.

Code: CG740 warning.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Iterable, Iterator

from cardgen.errors import DocPath, Problem
from cardgen.input.model import CardSpec, Face
from cardgen.layout.designs import TEXT_ELEMENTS, Design

#: endings that still give the word away (neglected, violently, ...)
_ENDINGS = r"(?:s|es|d|ed|er|ers|ing|ive|ly|ful)?"


@functools.cache
def builtin_words() -> tuple[str, ...]:
    """The words in cardgen/templates/discretion_words.txt (comments and blank lines skipped)."""
    text = (importlib.resources.files("cardgen.templates") / "discretion_words.txt"
            ).read_text(encoding="utf-8")
    words = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(w for w in words if w)


def _pattern(word: str) -> re.Pattern[str]:
    # spaces and hyphens in a phrase match either ("self harm", "self-harm")
    parts = [re.escape(p) for p in re.split(r"[\s-]+", word.strip()) if p]
    last = parts[-1]
    if last.endswith("e") and len(last) > 2:
        # abuse: abuses, abused, abuser(s), abusing, abusive
        ending = r"(?:e(?:s|d|rs?)?|ing|ive)"
        parts[-1] = last[:-1]
    else:
        ending = _ENDINGS
    return re.compile(r"(?<!\w)" + r"[\s-]+".join(parts) + ending + r"(?!\w)",
                      re.IGNORECASE)


def find_words(text: str, words: Iterable[str]) -> list[str]:
    """The words (as listed) that occur in `text`, in list order."""
    return [w for w in dict.fromkeys(words) if w.strip() and _pattern(w).search(text)]


def _face_texts(spec: CardSpec, side: str, face: Face, design: Design
                ) -> Iterator[tuple[DocPath, str]]:
    """What the face prints: a field the design has no place for is not printed (CG714
    says so), so it gives nothing away (a disguised design prints only the front's code)."""
    face_design = design.face("front" if side == "front" else "back")
    orientation = spec.card.orientation
    for name in TEXT_ELEMENTS:
        value = getattr(face, name)
        if value and face_design.places(name, orientation):
            yield (side, name), value
    if not face_design.places("helplines", orientation):
        return
    for ident in face.helplines or ():
        helpline = spec.helplines.get(ident)
        if helpline is None:
            continue
        yield ("helplines", ident, "name"), helpline.name
        if helpline.hours:
            # as printed: hours words in the face's language
            yield ("helplines", ident, "hours"), helpline.hours.printed(
                face.language or spec.language)
        # an address is printed too: help@abuse-line.org gives the card away as well
        for key in ("email", "chat"):
            address = getattr(helpline, key)
            if address:
                yield ("helplines", ident, key), address


def check_discretion(spec: CardSpec, design: Design) -> list[Problem]:
    """CG740 warnings for give-away words on the seen face of a discreet design."""
    if not design.discreet:
        return []
    face = spec.front if design.seen_face == "front" else spec.back
    if face is None:
        return []
    words = (*builtin_words(), *spec.card.discretion_words)
    problems: list[Problem] = []
    for path, text in _face_texts(spec, design.seen_face, face, design):
        for word in find_words(text, words):
            problems.append(Problem(
                "CG740", f"'{word}' in {'.'.join(str(p) for p in path)} is printed on the "
                f"{design.seen_face}, the face of the discreet design others see: it gives "
                "away what the card is for", "warning",
                f"say it on the other face, or use neutral words on the {design.seen_face} "
                "(the design 'discreet' keeps the help on the back)", path))
    return problems
