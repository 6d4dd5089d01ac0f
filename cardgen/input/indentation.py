"""Indentation mistakes in words for someone who has never seen YAML.

YAML says which key belongs to which by indentation alone, and its parser reports a line
indented wrongly as "expected <block end>" or "mapping values are not allowed here", often
on another line than the one to change. Here the lines themselves are compared: the line
where the indentation went wrong is named with the line above it ("'qr:' is indented less
than 'title:' above it") and the fix says how many spaces to use.

Two kinds of mistake are found:

- lines YAML cannot read at all (`syntax_words`, used for CG110): a key indented more than
  the `key: value` above it, less than the key above it but more than the mapping it
  closes, a list item out of line with the item above it, a key without its ':';
- lines YAML reads, but as something else (`misplaced_keys`, CG170; `folded_item`,
  CG171): a key that belongs to the mapping above it but is not indented under it
  (`phone:` level with the helpline's id), or a list item indented more than the one above,
  which YAML reads as more words of that item.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cardgen.errors import DocPath, Location, Problem

#: `key:` or `- key:` at the start of a line (the key unquoted or quoted)
_KEY = re.compile(r"""^(?:-\s+)?((?:'[^']*')|(?:"[^"]*")|(?:[^\s#'"\[{\-][^:#]*?)"""
                  r"""|(?:-[^\s:#][^:#]*?)):(?:\s|$)""")
#: a block scalar's header (`text: |`, `- >-`): the lines under it are text, not YAML
_BLOCK_TEXT = re.compile(r"(?:^|:\s|^-\s)\s*[|>][-+0-9]*\s*(?:#.*)?$")


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based
    indent: int
    text: str
    key: str | None
    item: bool

    @property
    def opens(self) -> bool:
        """`key:` with nothing after it: the lines below, indented more, belong to it."""
        return self.key is not None and self.text.rstrip().endswith(":")

    @property
    def shown(self) -> str:
        if self.item:
            return f"'- {self.key}:'" if self.key else f"'{_short(self.text)}'"
        return f"'{self.key}:'" if self.key else f"'{_short(self.text)}'"


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"


def _spaces(n: int) -> str:
    return "no spaces" if n == 0 else ("1 space" if n == 1 else f"{n} spaces")


def _lines(text: str) -> list[_Line]:
    """The lines that hold YAML (not blank, not comments, not inside block text)."""
    found: list[_Line] = []
    text_under: int | None = None  # indentation of a block scalar's header
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        if text_under is not None:
            if indent > text_under:
                continue
            text_under = None
        match = _KEY.match(stripped)
        key = match.group(1).strip("'\"") if match else None
        item = stripped == "-" or stripped.startswith("- ")
        found.append(_Line(number, indent, stripped.rstrip(), key, item))
        if _BLOCK_TEXT.search(stripped):
            text_under = indent
    return found


def _enclosing(lines: list[_Line], before: int, indent: int) -> list[_Line]:
    """The lines that open the blocks `lines[before]` is in, innermost first."""
    chain: list[_Line] = []
    limit = indent
    for line in reversed(lines[:before]):
        if line.indent < limit and (line.opens or line.item):
            chain.append(line)
            limit = line.indent
    return chain


def syntax_words(text: str, error_line: int) -> tuple[str, str, Location] | None:
    """(message, fix, where) for a YAML syntax error found on `error_line` (1-based) when it
    is an indentation mistake or a missing ':'; None when it is something else."""
    lines = _lines(text)
    at = next((i for i, line in enumerate(lines) if line.number >= error_line), None)
    if at is None or at == 0:
        return None
    cur, prev = lines[at], lines[at - 1]
    raw = text.splitlines()[cur.number - 1]
    if "\t" in raw[:len(raw) - len(raw.lstrip(" \t"))]:
        return None  # the tab hint says it better
    where = Location("", cur.number, cur.indent + 1)
    if (cur.key is not None and prev.key is None and not prev.item and not cur.item
            and prev.indent == cur.indent):
        word = prev.text.split()[0]
        return (f"line {prev.number} ('{_short(prev.text)}') has no ':' after its key, so "
                f"{cur.shown} below it cannot start a new key",
                f"write '{word}:' with a space after the ':' (or put quotes around the "
                "text if it is a value)", Location("", prev.number, prev.indent + 1))
    if cur.item and prev.item and cur.indent != prev.indent:
        more = "more" if cur.indent > prev.indent else "less"
        return (f"the list item {cur.shown} is indented {more} than {prev.shown} above it",
                f"start every item of the list with '- ' at the same place: "
                f"{_spaces(prev.indent)} before the '-', like {prev.shown}", where)
    before = lines[at - 2] if at >= 2 else None
    if cur.indent > prev.indent and not prev.opens and not prev.item and before is not None:
        # the line above is the odd one out: the lines around it line up without it
        if cur.indent == before.indent and prev.indent < before.indent:
            return (f"{prev.shown} is indented less than {before.shown} above it",
                    f"start it with {_spaces(before.indent)}, like {before.shown}",
                    Location("", prev.number, prev.indent + 1))
        if before.opens and prev.indent <= before.indent < cur.indent:
            return (f"{prev.shown} is not indented under {before.shown} above it",
                    f"start it with {_spaces(cur.indent)}, like {cur.shown} below it",
                    Location("", prev.number, prev.indent + 1))
    if cur.indent > prev.indent and not prev.opens and not prev.item:
        return (f"{cur.shown} is indented more than {prev.shown} above it",
                f"start it with {_spaces(prev.indent)}, like {prev.shown} (only the lines "
                "under a key that ends with ':' are indented more)", where)
    if cur.indent < prev.indent:
        chain = _enclosing(lines, at, prev.indent)
        if cur.indent in {line.indent for line in chain}:
            return None
        sibling = prev
        for line in chain:  # the key above at the level this one seems meant for
            if line.indent > cur.indent:
                sibling = line
        outer = next((line for line in chain if line.indent < cur.indent), None)
        message = f"{cur.shown} is indented less than {sibling.shown} above it"
        fix = f"start it with {_spaces(sibling.indent)}, like {sibling.shown}"
        if outer is not None:
            message += f", but more than {outer.shown}"
            fix += (f", or with {_spaces(outer.indent)}, like {outer.shown}, if it does not "
                    f"belong under {outer.shown}" if outer.indent > 0 or outer.key is None
                    else "")
        return message, fix, where
    return None


# --- lines YAML reads, but not as meant ---------------------------------------------------


@dataclass(frozen=True)
class Misplaced:
    """Keys written in one mapping that belong in another: a key level with the entry above
    it that it belongs inside, or a section (`links:`) indented into the one above it."""

    problem: Problem
    #: the mapping they are in, the keys, and the mapping they belong in
    src: DocPath
    keys: tuple[str, ...]
    dst: DocPath
    #: a key of `src` that stands for `dst` (the section key indented too far)
    drop: str | None = None


def misplaced_keys(data: Any, key_at: Callable[[DocPath], Location | None],
                   model_fields: Callable[[DocPath], frozenset[str] | None],
                   holds_ids: Callable[[DocPath], bool], path: DocPath = (),
                   shape: DocPath = (), outer: dict[str, Any] | None = None
                   ) -> list[Misplaced]:
    """Keys that belong to the mapping above them, by the model: `model_fields(path)` is
    the set of keys the model allows at `path` (None where it is not a model),
    `holds_ids(path)` whether any key (an id, as under `helplines:`) is allowed there, and
    `key_at(path)` where a key is written. The model is asked about `shape`, the path with
    each id written as "*", so that 10,000 helplines ask the same few questions."""
    found: list[Misplaced] = []
    if isinstance(data, list):
        for i, item in enumerate(data):
            found += misplaced_keys(item, key_at, model_fields, holds_ids, (*path, i),
                                    (*shape, 0))
        return found
    if not isinstance(data, dict):
        return found
    keys = list(data)
    allowed_here = model_fields(shape)
    ids_here = holds_ids(shape)
    section = _section_indented(data, keys, path, shape, outer, model_fields, key_at) \
        if ids_here else None
    if section is not None:
        found.append(section)
        keys = keys[:keys.index(section.drop or "")]
    anchor: str | None = None  # the entry the keys just above were meant for
    for before, key in itertools.pairwise(keys):
        if allowed_here is not None:
            misplaced = key not in allowed_here
        else:  # a mapping of ids: an id whose value is a plain value, not a mapping
            misplaced = not isinstance(data[key], dict)
        if not misplaced:
            anchor = None
            continue
        meant = anchor if anchor is not None else before
        into = _belongs_in(data, shape, meant, key, model_fields, holds_ids)
        if into is None:
            anchor = None
            continue
        above: Any = data
        for element in into:
            above = above[element]
        problem = _misplaced(path, into, key, above, key_at)
        if problem is not None:
            found.append(Misplaced(problem, path, (key,), (*path, *into)))
            anchor = meant
    for key in keys:
        found += misplaced_keys(data[key], key_at, model_fields, holds_ids, (*path, key),
                                (*shape, "*" if ids_here else key), data)
    return found


def _section_indented(data: dict[str, Any], keys: list[str], path: DocPath, shape: DocPath,
                      outer: dict[str, Any] | None,
                      model_fields: Callable[[DocPath], frozenset[str] | None],
                      key_at: Callable[[DocPath], Location | None]) -> Misplaced | None:
    """In a mapping of ids, an empty entry named as a key of the mapping around it (`links:`
    indented under `helplines:`): the section and the entries after it belong out there."""
    around = model_fields(shape[:-1]) if path else None
    if around is None or outer is None:
        return None
    for i, key in enumerate(keys):
        if data[key] is not None or key not in around or key in outer:
            continue
        # as indented as the first key of the mapping around (once that is right itself)
        first = next(iter(outer))
        where, over = key_at((*path, key)), key_at((*path[:-1], first))
        if where is None or over is None or over.column is None:
            return None
        name = str(path[-1])
        problem = Problem(
            "CG170", f"'{key}:' is indented more than '{name}:' above it, so it is read as "
            f"an id under '{name}', and what follows it as part of '{name}'", "error",
            f"start '{key}:' with {_spaces(over.column - 1)}, like '{first}:'",
            (*path, key), where)
        return Misplaced(problem, path, tuple(keys[i + 1:]), (*path[:-1], key), key)
    return None


def _belongs_in(data: dict[str, Any], shape: DocPath, meant: str, key: str,
                model_fields: Callable[[DocPath], frozenset[str] | None],
                holds_ids: Callable[[DocPath], bool]) -> tuple[str, ...] | None:
    """Where a key that does not belong in `data` belongs, written after `meant`: in it (a
    field of it, or, when it holds ids, an entry whose keys are those of an entry), or in
    its last entry (`phone:` written level with `helplines:` after the last helpline)."""
    inside = model_fields((*shape, meant))
    if inside is not None and key in inside:
        return (meant,)
    if not holds_ids((*shape, meant)):
        return None
    entry = model_fields((*shape, meant, "*")) or frozenset()
    value, above = data[key], data[meant]
    if isinstance(value, dict) and value and set(value) <= entry and (
            above is None or isinstance(above, dict)):
        return (meant,)  # `line:` (with its name and phone) level with `helplines:`
    if key in entry and isinstance(above, dict) and above:
        last = list(above)[-1]
        if isinstance(above[last], dict):
            return (meant, last)
    return None


def _misplaced(path: DocPath, into: tuple[str, ...], key: str, above: Any,
               key_at: Callable[[DocPath], Location | None]) -> Problem | None:
    before = into[-1]
    where = key_at((*path, key))
    over = key_at((*path, *into))
    if where is None or over is None or over.column is None:
        return None
    if isinstance(above, dict) and above:
        child = next(iter(above))
        child_at = key_at((*path, *into, child))
        if child_at is None or child_at.column is None:
            return None
        spaces = child_at.column - 1
        message = f"'{key}:' is indented less than '{child}:' above it"
    elif above is None:
        spaces = over.column + 1
        message = f"'{key}:' is not indented under '{before}:' above it"
    else:
        return None
    return Problem("CG170", message + f", so it is not part of '{before}'", "error",
                   f"start '{key}:' with {_spaces(spaces)}, like the other keys of "
                   f"'{before}'" if isinstance(above, dict) else
                   f"start '{key}:' with {_spaces(spaces)}, so that it belongs to '{before}'",
                   (*path, key), where)


def move_as_meant(data: dict[str, Any], misplaced: list[Misplaced],
                  indexes: list[dict[DocPath, Any]]) -> None:
    """Moves each misplaced key into the entry it belongs to, in `data` and in the indexes
    of where things are written, so that the checks that follow read the file as meant:
    what the key holds is still checked, and the entry above is not reported empty."""
    for slip in misplaced:
        source = _mapping_at(data, slip.src)
        around = _mapping_at(data, slip.dst[:-1])
        if source is None or around is None:
            continue
        if slip.drop is not None and source.get(slip.drop, 0) is None:
            del source[slip.drop]
            _reindex(indexes, (*slip.src, slip.drop), slip.dst)
        name = str(slip.dst[-1])
        if around.get(name) is None:
            around[name] = {}
        target = around[name]
        if not isinstance(target, dict):
            continue
        for key in slip.keys:
            if key in source and key not in target:
                target[key] = source.pop(key)
                _reindex(indexes, (*slip.src, key), (*slip.dst, key))


def _mapping_at(data: dict[str, Any], path: DocPath) -> dict[str, Any] | None:
    found: Any = data
    for element in path:
        found = found.get(element) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else None


def _reindex(indexes: list[dict[DocPath, Any]], old: DocPath, new: DocPath) -> None:
    for index in indexes:
        for written in [w for w in index if w[:len(old)] == old]:
            index[(*new, *written[len(old):])] = index.pop(written)


def folded_item(text_lines: list[str], first: int, last: int) -> tuple[int, int] | None:
    """(line, column) of a '- ' line that YAML read as more words of the list item written
    on lines `first`..`last` (1-based), or None."""
    for number in range(first + 1, min(last, len(text_lines)) + 1):
        stripped = text_lines[number - 1].lstrip(" ")
        if stripped.startswith("- ") or stripped.rstrip() == "-":
            return number, len(text_lines[number - 1]) - len(stripped) + 1
    return None
