"""Language tags as users write them (`language:` of the card and of each face), checked once
at the edge and put in canonical form.

A tag must be BCP 47 (RFC 5646) syntax, in the `langtag` form: a language code, then
optionally an extended language, a script, a region, variants, extensions and a private-use
part, joined by '-' (`en`, `ur-PK`, `pa-Arab`, `de-CH-1996`). Its language code must be
registered for BCP 47 (ISO 639, the shortest code: `ar`, not `ara`), and its other subtags
too (`GB`, not `UK`), as written: looked up in `langcodes`' data (CLDR's validity data
for the IANA registry), offline. A tag that passes is written in canonical form (`UR` ->
`ur`, `ur-pk` -> `ur-PK`, `iw` -> `he`), so that fonts, shaping and labels look up what
they know.

Codes used here:

======  ==============================================================================
code    meaning
======  ==============================================================================
CG180   not a language tag: not BCP 47 syntax (`ur_PK`, `ar-SA-x`, `English (UK)`, empty)
CG181   a well-formed tag whose language (or script, region, variant) is not registered
        (`urdu`, `english`, `xx`, `ara`, `ur-Xyzz`)
======  ==============================================================================

Each refusal says what was given and, when a close tag exists, which one was meant
(`urdu` -> `ur`, `ur_PK` -> `ur-PK`, `english` -> `en`, `ara` -> `ar`, `English (UK)` ->
`en-GB`): a language's name is looked up in language-data's names, offline.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass

import langcodes

from cardgen.errors import ValueRefused

MALFORMED_CODE = "CG180"
UNREGISTERED_CODE = "CG181"

#: RFC 5646 `langtag` (grandfathered and private-use-only tags are not language tags here).
LANGTAG_PATTERN = (
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language, extlangs
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
    r"(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*"  # extensions
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?$"  # private use
)
# ASCII: under IGNORECASE alone, [a-z] would also take the long s and the Kelvin sign.
_LANGTAG = re.compile(LANGTAG_PATTERN, re.ASCII)

#: what langcodes raises for a string it cannot read as a tag or a name (LanguageTagError
#: is a ValueError; `find` raises LookupError)
_LANGCODES_ERRORS = (ValueError, LookupError, KeyError, IndexError)

_NAME = re.compile(r"[^\W\d_]+(?:(?:[ _'-]|, | \()[^\W\d_]+\)?)*")

_TAG_HELP = ("write a BCP 47 language tag: a language code, then a script or region if "
             "needed, joined by '-' (en, ur, ur-PK, pa-Arab)")


class LanguageTagProblem(ValueRefused):
    """A `language:` value refused: its code (CG180, CG181), what is wrong, and the fix."""


@dataclass(frozen=True)
class _Refusal:
    code: str
    message: str
    fix: str


def _registered(text: str) -> bool:
    """Whether every subtag of a well-formed `text` is registered as it is written: read
    without langcodes' normalising, which would take `ara` as `ar` and `en-UK` as `en-GB`."""
    try:
        return langcodes.Language.get(text, normalize=False).is_valid()
    except _LANGCODES_ERRORS:
        return False


def _well_formed(text: str) -> bool:
    return _LANGTAG.fullmatch(text) is not None


def _valid(text: str) -> bool:
    """Well-formed, its language code registered, and every other subtag known."""
    return _well_formed(text) and _registered(text)


def _canonical_form(text: str) -> str:
    return langcodes.standardize_tag(text)


def language_name(tag: str) -> str | None:
    """The English name of a valid tag ("Urdu (Pakistan)"), or None when there is none."""
    try:
        name = langcodes.Language.get(tag).display_name()
    except _LANGCODES_ERRORS:
        return None
    return None if name.startswith("Unknown language") else name


def _named(text: str) -> str | None:
    """The tag of the language `text` names ("urdu", "English (UK)", "Brazilian
    Portuguese"), if it names one."""
    # letters only: language-data's trie fails inside (SystemError) on a NUL; shorter than
    # 4 letters is a code, or nothing close ("e" would find the language named E)
    if not 4 <= len(text) <= 64 or not _NAME.fullmatch(text):
        return None
    for name in dict.fromkeys((text, re.sub(r"[_-]+", " ", text))):
        with contextlib.suppress(*_LANGCODES_ERRORS):
            tag = langcodes.find(name).to_tag()
            if _valid(tag):
                return str(tag)
    return None


def suggestion(text: str) -> str | None:
    """The valid tag, in canonical form, that `text` most likely means: its parts joined by
    '-' (`ur_PK`), its shortest code (`ara`), the language it names (`urdu`, `english`),
    or the longest valid beginning of it (`ar-SA-x`); None when nothing is close."""
    text = text.strip()
    joined = re.sub(r"[\s_.]+", "-", text).strip("-")
    candidates: list[str] = [joined]
    for written in dict.fromkeys((text, joined)):
        with contextlib.suppress(*_LANGCODES_ERRORS):
            candidates.append(langcodes.standardize_tag(written))
    named = _named(text)
    if named is not None:
        candidates.append(named)
    parts = joined.split("-")
    candidates += ["-".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
    for candidate in candidates:
        if candidate and _valid(candidate):
            canonical = _canonical_form(candidate)
            if canonical != text:
                return canonical
    return None


def _fix(text: str) -> str:
    meant = suggestion(text)
    if meant is None:
        return _TAG_HELP
    name = language_name(meant)
    return f"did you mean '{meant}'{f' for {name}' if name else ''}? Else {_TAG_HELP}"


def _first_unknown_subtag(text: str) -> str:
    """The first subtag after which `text` stops being a valid tag."""
    parts = text.split("-")
    for n in range(2, len(parts) + 1):
        if not _valid("-".join(parts[:n])):
            return parts[n - 1]
    return parts[-1]


def _why_malformed(text: str) -> str:
    if not text:
        return "the language is empty"
    if _named(text) is not None:
        return f"'{text}' is the name of a language, not its tag"
    if re.search(r"[\s_.]", text):
        return f"'{text}' is not a language tag: its parts are joined by '-' only"
    if not re.fullmatch(r"[A-Za-z0-9-]+", text, re.ASCII):
        return f"'{text}' is not a language tag: it uses only the letters a-z, digits and '-'"
    if not re.match(r"[A-Za-z]{2,8}(-|$)", text, re.ASCII):
        return f"'{text}' is not a language tag: it starts with a language code such as en"
    if text.endswith("-") or "--" in text:
        return f"'{text}' is not a language tag: it has an empty part"
    if re.search(r"-[A-Za-z0-9]$", text, re.ASCII):
        return (f"'{text}' is not a language tag: its last part, '{text[-1]}', must be "
                "followed by more")
    return f"'{text}' is not a language tag (BCP 47)"


@functools.lru_cache(maxsize=1024)
def _checked(text: str) -> str | _Refusal:
    if not _well_formed(text):
        return _Refusal(MALFORMED_CODE, _why_malformed(text), _fix(text))
    primary = text.split("-", 1)[0]
    if not _registered(primary):
        shortest = suggestion(primary)
        subject = f"'{text}'" if text == primary else f"'{text}': its language '{primary}'"
        if len(primary) == 3 and shortest is not None and len(shortest) == 2:
            why = (f"{subject} is not the code language tags use: "
                   f"{language_name(shortest) or shortest} is '{shortest}', in two letters")
        elif text == primary and _named(text) is not None:
            why = f"'{text}' is the name of a language, not its registered code (ISO 639)"
        else:
            why = f"{subject} is not a registered language code (ISO 639)"
        return _Refusal(UNREGISTERED_CODE, why, _fix(text))
    if not _valid(text):
        unknown = _first_unknown_subtag(text)
        return _Refusal(UNREGISTERED_CODE,
                        f"'{text}': '{unknown}' is not a registered script, region or variant "
                        "subtag (or it is out of place)", _fix(text))
    return _canonical_form(text)


def canonical_language(value: str) -> str:
    """`value` as a canonical BCP 47 tag (`UR` -> `ur`, `ur-pk` -> `ur-PK`). Raises
    `LanguageTagProblem` (CG180, CG181) for a string that is not a valid tag."""
    checked = _checked(value.strip())
    if isinstance(checked, _Refusal):
        raise LanguageTagProblem(checked.code, checked.message, checked.fix)
    return checked
