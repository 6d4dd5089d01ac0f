"""Discretion lint: a discreet card must not say what it is for on the face others see.

Designs marked `discreet: true` name the face meant to be seen (`seen_face`); every
give-away word (`checks.discretion`) found in what that face prints is a warning naming the
word, the field and the face. A warning, not an error: the campaign decides, but knowingly.
The rule sits with the layout because only the design knows which fields a face prints.

Code: CG740 warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from cardgen.checks.discretion import builtin_words, find_words
from cardgen.errors import DocPath, Problem
from cardgen.input.model import CardSpec, Face
from cardgen.layout.designs import TEXT_ELEMENTS, Design


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
