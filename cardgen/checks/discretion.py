"""Give-away words: the words that say what a card is for ("abuse", "helpline"), and
finding them in a text.

A card kept behind a phone's clear case, or dropped on a classroom floor, can put a child at
risk if it reads "abuse helpline". The words are templates/discretion_words.txt (plus the
campaign's own `card.discretion_words`); a word matches with its endings (abused, abusive)
and a phrase with spaces or hyphens ("self-harm"). The rule for a discreet design's seen
face is `layout.discretion`, since only the design knows what a face prints; channels use
the words for a contact's saved name.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Iterable

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
