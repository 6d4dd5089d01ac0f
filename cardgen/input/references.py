"""Checks between ids: every `qr:` and `helplines:` entry names a helpline or link that
exists, no id is both, no face is empty (CG130, CG131, CG133), and which ids a card prints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from cardgen.errors import Problem
from cardgen.input.errors_translate import Raw
from cardgen.input.model import CardSpec, split_qr_target


def suggest(word: str, known: Iterable[str], what: str) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not known:
        return f"add {what} with this id first"
    return f"use one of: {', '.join(known)}"


def _ids(data: Mapping[str, Any], kind: str) -> list[str]:
    entries = data.get(kind)
    return [str(k) for k in entries] if isinstance(entries, dict) else []


def _faces(data: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(side, data[side]) for side in ("front", "back")
            if isinstance(data.get(side), dict)]


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _face_is_empty(face: Mapping[str, Any], helplines: list[str], side: str) -> bool:
    if any(face.get(key) for key in ("title", "text", "qr", "write_in", "footer", "qr_contact")):
        return False
    if str(face.get("silent_call", "")).strip().lower() in ("true", "yes", "on", "1", "t", "y"):
        return False  # the face prints the silent-call line
    listed = face.get("helplines")
    if listed is None:
        # the back lists every helpline when it does not say which
        return side == "front" or not helplines
    return not listed


def cross_checks(data: Mapping[str, Any]) -> list[Raw]:
    """Checks between ids. They read the data as written, not the validated model, so
    that they still run (and report) when some other key has an error."""
    raws: list[Raw] = []
    helplines, links = _ids(data, "helplines"), _ids(data, "links")
    targets = set(helplines) | set(links)
    for side, face in _faces(data):
        qr = _text(face.get("qr"))
        if qr is not None and qr not in targets and split_qr_target(qr, helplines)[1] is None:
            raws.append(Raw(Problem(
                "CG130", f"{side}.qr: no link or helpline has the id '{qr}'", "error",
                suggest(qr, targets, "a link under links:"), (side, "qr"))))
        listed = face.get("helplines")
        for i, item in enumerate(listed if isinstance(listed, list) else []):
            ident = _text(item)
            if ident is None or ident in helplines:
                continue
            message = (f"{side}.helplines: '{ident}' is a link, not a helpline"
                       if ident in links
                       else f"{side}.helplines: no helpline has the id '{ident}'")
            raws.append(Raw(Problem("CG130", message, "error",
                                     suggest(ident, helplines, "a helpline under "
                                              "helplines:"), (side, "helplines", i))))
        if _face_is_empty(face, helplines, side):
            fix = ("add a title, text, qr or helplines" + (
                "" if side == "front" else ", or remove 'back:' for a single-sided card"))
            raws.append(Raw(Problem("CG133", f"the {side} of the card has nothing on it",
                                     "error", fix, (side,))))
    for ident in sorted(set(helplines) & set(links)):
        raws.append(Raw(Problem(
            "CG131", f"'{ident}' is the id of both a helpline and a link", "error",
            "rename one of them, so a qr: can say which one it means", ("links", ident)),
            "key"))
    return raws


def used_ids(spec: CardSpec) -> set[str]:
    used: set[str] = set()
    for side in ("front", "back"):
        face = spec.front if side == "front" else spec.back
        if face is None:
            continue
        if face.qr:
            used.add(split_qr_target(face.qr, spec.helplines)[0])
        if face.qr_contact:
            used.add(face.qr_contact)
        if face.helplines is not None:
            used.update(face.helplines)
        elif side == "back":
            used.update(spec.helplines)
    return used
