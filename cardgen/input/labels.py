"""The fixed words cardgen prints itself ("Text SHOUT to", "WhatsApp", "Free" ...), in
every language of examples/languages/, read from data.

Every `*.yaml` file in `cardgen/templates/labels/` maps a label key to its wording by
language: `label_key: {en: "Text {keyword} to", ur: "...", ...}`. The files are merged
when first used; a key in two files (or twice in one) is an error (CG780), as is a key
without English or a wording that is not text. Placeholders in braces (`{keyword}`) are
filled from the values `label` is given.

A language is looked up by its BCP 47 tag, then with its last subtag dropped, and so on
(`pt-BR` -> `pt`), then in English.

The keys of `hours.yaml` are the hours words (`free`, `any_time` ...) a helpline's `hours:`
may write in braces (`cardgen.input.hours`); they take no placeholders.
"""

from __future__ import annotations

import functools
import importlib.resources
import string
from pathlib import Path
from typing import Any

from fontTools import unicodedata as ft_unicodedata
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from cardgen.errors import CardgenError

FALLBACK_LANGUAGE = "en"
LABEL_FILE_CODE = "CG780"
#: the label file whose keys are the hours words
HOURS_FILE = "hours.yaml"


def labels_dir() -> Path:
    """templates/labels/: one YAML file of label wordings per part of cardgen."""
    return Path(str(importlib.resources.files("cardgen.templates") / "labels"))


def _bad(path: Path, why: str) -> CardgenError:
    return CardgenError(
        f"the label file {path} cannot be used: {why}",
        fix="correct the file in cardgen/templates/labels/ (each key once in all files, "
            "each with an 'en' wording); this is a cardgen installation problem",
        code=LABEL_FILE_CODE,
    )


def _placeholders(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def load_labels(folder: Path) -> dict[str, dict[str, str]]:
    """Every label of the `*.yaml` files in `folder`, merged: key -> language -> wording.
    Raises CardgenError CG780 for a file that is not such a mapping, a key defined twice,
    a key without English, a translation whose placeholders differ from English's, or an
    hours word (in `hours.yaml`) with a placeholder."""
    return _load(folder)[0]


def _load(folder: Path) -> tuple[dict[str, dict[str, str]], dict[str, Path]]:
    """(the merged labels, the file each key is defined in)."""
    merged: dict[str, dict[str, str]] = {}
    origin: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            raw: Any = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise _bad(path, f"it cannot be read ({exc.strerror or exc})") from exc
        except (YAMLError, UnicodeDecodeError) as exc:
            # ruamel refuses a key twice in one mapping (DuplicateKeyError) here too.
            raise _bad(path, f"it is not valid YAML ({exc})") from exc
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise _bad(path, "it must map label keys to {language: wording}")
        for key, wordings in raw.items():
            if key in merged:
                raise _bad(path, f"the label '{key}' is already defined in {origin[key].name}")
            if not isinstance(key, str) or not isinstance(wordings, dict) or not all(
                    isinstance(lang, str) and isinstance(text, str) and text.strip()
                    for lang, text in wordings.items()):
                raise _bad(path, f"the label '{key}' must map language tags to wordings")
            table = {lang.lower(): text for lang, text in wordings.items()}
            if FALLBACK_LANGUAGE not in table:
                raise _bad(path, f"the label '{key}' has no '{FALLBACK_LANGUAGE}' wording")
            wanted = _placeholders(table[FALLBACK_LANGUAGE])
            for lang, text in table.items():
                if _placeholders(text) != wanted:
                    raise _bad(path, f"the '{lang}' wording of '{key}' has placeholders "
                                     f"{sorted(_placeholders(text))}, English has "
                                     f"{sorted(wanted)}")
            if path.name == HOURS_FILE and wanted:
                raise _bad(path, f"the hours word '{key}' has placeholders {sorted(wanted)}; "
                                 "hours words print as they are")
            merged[key] = table
            origin[key] = path
    return merged, origin


@functools.lru_cache(maxsize=1)
def _loaded() -> tuple[dict[str, dict[str, str]], dict[str, Path]]:
    return _load(labels_dir())


def _labels() -> dict[str, dict[str, str]]:
    return _loaded()[0]


def hours_words() -> tuple[str, ...]:
    """The hours words (the keys of templates/labels/hours.yaml), in name order."""
    return tuple(sorted(key for key, path in _loaded()[1].items() if path.name == HOURS_FILE))


def label_keys() -> list[str]:
    """Every label key, in name order."""
    return sorted(_labels())


def languages_of(key: str) -> list[str]:
    """The language tags `key` has its own wording in, in name order."""
    return sorted(_labels()[key])


def _candidates(language: str) -> list[str]:
    parts = language.strip().replace("_", "-").lower().split("-")
    tags = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    return [*tags, FALLBACK_LANGUAGE]


def _script_subtag(language: str) -> str | None:
    # BCP 47: the script is the four-letter subtag after the language ("pa-Arab").
    parts = language.strip().replace("_", "-").split("-")
    return next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)


def _written_in(text: str, script: str) -> bool:
    scripts = {ft_unicodedata.script(ch) for ch in text} - {"Zyyy", "Zinh", "Zzzz"}
    return scripts <= {script}


def label(key: str, language: str, **values: str) -> str:
    """The wording of the label `key` in `language` (falling back from `pt-BR` to `pt`,
    then to English), its placeholders filled from `values`. A tag that names its script
    takes no wording in another script (Shahmukhi `pa-Arab` does not get Gurmukhi `pa`; it
    gets English). Raises KeyError for an unknown key or a placeholder without a value
    (both cardgen bugs, not user mistakes)."""
    return _wording(key, language)[1].format_map(values)


def _wording(key: str, language: str) -> tuple[str, str]:
    """(the tag whose wording `label` uses for `key` in `language`, that wording)."""
    table = _labels()[key]
    script = _script_subtag(language)
    for tag in _candidates(language):
        text = table.get(tag)
        if text is None:
            continue
        if script is not None and tag != FALLBACK_LANGUAGE and "-" not in tag \
                and not _written_in(string.Formatter().vformat(text, (), _Blank()), script):
            continue
        return tag, text
    raise AssertionError("unreachable: every label has an English wording")


def labelled_languages() -> list[str]:
    """The language tags every label has its own wording in, sorted by tag (English too)."""
    tables = _labels().values()
    return sorted(set.intersection(*(set(table) for table in tables))) if tables else []


def has_labels(language: str) -> bool:
    """Whether the labels are printed in `language` itself: True for English, and for a
    language every label has a wording in (`pt-BR` by `pt`; not `pa-Arab` by Gurmukhi
    `pa`); False when some or all of them fall back to English."""
    if _candidates(language)[-2] == FALLBACK_LANGUAGE:  # English, or one of its regions
        return True
    return all(_wording(key, language)[0] != FALLBACK_LANGUAGE for key in _labels())


class _Blank(dict[str, str]):
    """Placeholders left empty, to see what script a wording itself is written in."""

    def __missing__(self, key: str) -> str:
        return ""
