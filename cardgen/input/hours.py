"""A helpline's `hours:` as the user writes it, with hours words in braces, checked once at
the edge.

`hours: "{free_any_time}"` prints "Free, any time" on an English face and "مفت، کسی بھی وقت"
on an Urdu one: each hours word in braces is replaced by its wording in the language of the
face that prints it (the face's `language:`, else the card's; `pt-BR` falls back to `pt`,
then English, as every label does). Text around the words is printed as written
(`"{free}, 9am–5pm"`). The hours words are the keys of `cardgen/templates/labels/hours.yaml`
(`free`, `any_time`, `free_any_time`, `every_day`), read from there, never listed here.

A brace that opens or closes no hours word is an error, not printed as it is: a `{` left
open is nearly always an hours word mistyped (`{free`, `{free)`), and a card printed
thousands of times with "{free" on it is worse than a build that stops. `{{` and `}}` print
one brace each, for the rare card that wants one.

Codes used here:

======  ==============================================================================
code    meaning
======  ==============================================================================
CG183   a name in braces that is not an hours word (`{fre}`, `{anytime}`, `{}`)
CG184   a `{` that no `}` closes (or that opens another brace first), or a lone `}`
======  ==============================================================================
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from cardgen.errors import ValueRefused, refused_in_validation
from cardgen.input.labels import hours_words, label

UNKNOWN_WORD_CODE = "CG183"
LONE_BRACE_CODE = "CG184"


#: After these an hours word starts a sentence and keeps its capital letter.
_SENTENCE_ENDS = ".!?…:;۔؟"


@dataclass(frozen=True)
class HoursWord:
    """One hours word written in braces: the key of its label (`free_any_time`)."""

    key: str


@dataclass(frozen=True)
class Hours:
    """A helpline's opening hours: literal text and hours words, in the order written.
    `printed(language)` is what a face in that language prints; `str()` is what was
    written."""

    written: str
    parts: tuple[str | HoursWord, ...]

    def printed(self, language: str) -> str:
        """The hours as a face in `language` prints them: each word in that language, with
        a small first letter in the middle of a sentence ("Lines open every day", not
        "Lines open Every day"); the labels are written to start one."""
        out = ""
        for part in self.parts:
            if isinstance(part, HoursWord):
                wording = label(part.key, language)
                before = out.rstrip()
                if before and before[-1] not in _SENTENCE_ENDS:
                    wording = wording[:1].lower() + wording[1:]
                out += wording
            else:
                out += part
        return out

    @property
    def words(self) -> tuple[str, ...]:
        """The hours words written, in order (repeats kept)."""
        return tuple(part.key for part in self.parts if isinstance(part, HoursWord))

    def __str__(self) -> str:
        return self.written

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        # text first (so `hours: 24` and `hours: ""` are refused as any text field is),
        # then read into parts; written back as the text the user wrote
        return core_schema.no_info_before_validator_function(
            _not_a_mapping, core_schema.no_info_after_validator_function(
                _validated, core_schema.str_schema(strip_whitespace=True, min_length=1)),
            serialization=core_schema.plain_serializer_function_ser_schema(
                str, return_schema=core_schema.str_schema()))


class HoursProblem(ValueRefused):
    """An `hours:` value refused: its code (CG183, CG184), what is wrong, and the fix."""


def _known() -> str:
    return ", ".join(f"{{{word}}}" for word in hours_words())


def _lone_brace(brace: str, at: int, why: str) -> HoursProblem:
    return HoursProblem(
        LONE_BRACE_CODE, f"the '{brace}' at character {at + 1} {why}",
        f"write an hours word in braces ({_known()}), or '{brace * 2}' to print one "
        f"'{brace}'")


def _unknown_word(name: str) -> HoursProblem:
    if not name:
        return HoursProblem(UNKNOWN_WORD_CODE, "'{}' names no hours word",
                            f"write one of {_known()} between the braces")
    folded = {word.replace("_", ""): word for word in hours_words()}
    close = difflib.get_close_matches(name.lower(), hours_words(), n=1, cutoff=0.6) or [
        folded[key] for key in difflib.get_close_matches(
            name.lower().replace("_", "").replace(" ", "").replace("-", ""), list(folded),
            n=1, cutoff=0.6)]
    meant = f"did you mean {{{close[0]}}}? " if close else ""
    return HoursProblem(
        UNKNOWN_WORD_CODE, f"'{{{name}}}' is not an hours word",
        f"{meant}the hours words are {_known()}, each printed in the face's language")


def parse_hours(text: str) -> Hours:
    """`text` read into literal parts and hours words. Raises HoursProblem for a name in
    braces that is not an hours word (CG183) or a brace that opens or closes none (CG184)."""
    known = set(hours_words())
    parts: list[str | HoursWord] = []
    literal: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char in "{}" and text.startswith(char * 2, at):
            literal.append(char)
            at += 2
            continue
        if char == "}":
            raise _lone_brace("}", at, "closes no hours word")
        if char == "{":
            end = text.find("}", at + 1)
            inner = text.find("{", at + 1)
            if end < 0:
                raise _lone_brace("{", at, "is not closed by a '}'")
            if 0 <= inner < end:
                raise _lone_brace("{", at, "is not closed before the next '{'")
            name = text[at + 1:end].strip()
            if name not in known:
                raise _unknown_word(name)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(HoursWord(name))
            at = end + 1
            continue
        literal.append(char)
        at += 1
    if literal:
        parts.append("".join(literal))
    return Hours(text, tuple(parts))


def _not_a_mapping(value: object) -> object:
    # YAML reads `hours: {free_any_time}` as a mapping: the likeliest way to write an hours
    # word wrong, so it gets its own fix
    if isinstance(value, dict) and len(value) == 1 and None in value.values():
        word = str(next(iter(value)))
        raise refused_in_validation(ValueRefused(
            "CG122", "expected text, not a mapping: YAML reads a value that starts with '{' "
                     "as one, unless it is in quotes",
            f'put the hours in quotes: hours: "{{{word}}}"'))
    return value


def _validated(text: str) -> Hours:
    try:
        return parse_hours(text)
    except HoursProblem as problem:
        raise refused_in_validation(problem) from None
