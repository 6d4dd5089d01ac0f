"""Reading a campaign file (and its variants spreadsheet) into validated, located models.

The YAML is composed into a node tree rather than loaded, so that every key and value
keeps its line and column, no tag is ever constructed into a Python object, and a
scalar keeps the text the user typed (`phone: 08001111` stays "08001111"; pydantic's
lax mode turns text into the ints, booleans and dates the models ask for). Every problem
is collected, located at file:line:column (or CSV row and column) and carries a fix, and
all of them are raised together as one `InputError`.

Codes used here:

======  ==============================================================================
code    meaning
======  ==============================================================================
CG101   the campaign file is missing or cannot be read
CG110   YAML syntax error (tabs, bad indentation, unclosed quote, ...) or not UTF-8
CG111   the same key twice in one mapping
CG112   a tag YAML must not construct (``!!python/object``, custom ``!tags``)
CG113   the file is empty
CG114   the top level is not a mapping of keys
CG120   unknown key (with a "did you mean")
CG121   a required key is missing or empty
CG122   a value of the wrong type or outside what is allowed
CG130   an id that names no helpline or link (``front.qr``, ``back.helplines``)
CG131   a duplicate id: a helpline and a link, or two variants, or two variant codes
CG133   a face with nothing on it
CG134   warning: a helpline or link that no card prints
CG140   a variant is malformed (no id, unsafe id or code, not a mapping, unknown id)
CG150   the variants CSV cannot be used (missing, not UTF-8, ragged row, bad header)
CG115   an invisible or direction-changing character in a text value (see `hygiene`)
CG116   a text value too long for any card (see `hygiene`)
CG160   the YAML or CSV file is bigger than `limits` allows
CG161   more variants than `limits` allows
======  ==============================================================================
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import types
import typing
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cardgen.errors import CardgenError, DocPath, InputError, Location, Problem, ProblemList
from cardgen.input import hygiene, limits
from cardgen.input.model import CardSpec, Variant, slugify, split_qr_target

_YAML_TAG = "tag:yaml.org,2002:"
#: the tags a plain data file may carry; anything else would construct objects or is a typo
_SAFE_TAGS = frozenset(
    _YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
#: aliases can multiply a small file into a huge tree ("billion laughs")
_MAX_NODES = 200_000
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_VARIANT_KEYS = ("id", "code", "copies")


# --- locations --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spot:
    """Where one entry is written: its key (if any) and its value."""

    key: Location | None
    value: Location
    block: bool = False  # a block mapping/list starts on the next line: point at its key

    def at(self) -> Location:
        if self.block and self.key is not None:
            return self.key
        return self.value


Index = dict[DocPath, _Spot]


@dataclass(frozen=True)
class _Found:
    spot: _Spot
    exact: bool
    in_variant: bool


@dataclass(frozen=True)
class _Locator:
    top: Mapping[DocPath, _Spot]
    variants: Mapping[str, Mapping[DocPath, _Spot]]

    def find(self, variant_id: str | None, path: DocPath) -> _Found | None:
        """The longest written prefix of `path`; the variant wins ties (it overrides)."""
        own = self.variants.get(variant_id, {}) if variant_id is not None else {}
        for n in range(len(path), 0, -1):
            prefix = path[:n]
            if prefix in own:
                return _Found(own[prefix], n == len(path), True)
            if prefix in self.top:
                return _Found(self.top[prefix], n == len(path), False)
        # nothing more specific is written: the top level, where shared keys belong
        if () in self.top:
            return _Found(self.top[()], not path, False)
        if () in own:
            return _Found(own[()], not path, True)
        return None

    def locate(self, variant_id: str | None, path: DocPath) -> Location | None:
        found = self.find(variant_id, path)
        return found.spot.at() if found else None


@dataclass(frozen=True)
class LoadedCampaign:
    """A campaign file read and validated: one resolved `Variant` per batch to print."""

    path: Path
    base_dir: Path
    slug: str
    variants: tuple[Variant, ...]
    warnings: tuple[Problem, ...] = ()
    _locator: _Locator = field(default_factory=lambda: _Locator({}, {}), repr=False,
                               compare=False)

    def locate(self, variant_id: str | None, path: DocPath) -> Location | None:
        """Where `path` is written for a variant: its own YAML mapping or CSV cell if it
        overrides that path (or a prefix of it), else the top level; a path not written
        falls back to its nearest written ancestor."""
        return self._locator.locate(variant_id, path)


# --- merging ----------------------------------------------------------------------------


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`: mappings merge by key; lists, scalars and None replace."""
    merged = dict(base)
    for key, value in override.items():
        below = merged.get(key)
        if isinstance(below, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(below, value)
        else:
            merged[key] = value
    return merged


# --- YAML -------------------------------------------------------------------------------

_SYNTAX_HINTS: tuple[tuple[str, str, str], ...] = (
    ("'\\t'", "YAML does not allow tabs for indentation: use spaces",
     "replace the tab at the start of this line with spaces"),
    ("mapping values are not allowed",
     "a ':' where YAML does not expect one",
     "put quotes around text that contains ': ', or line this key up with the keys "
     "above it"),
    ("could not find expected ':'", "this line is not 'key: value'",
     "add a ':' after the key, or quote text that runs over several lines"),
    ("expected <block end>", "the indentation does not line up",
     "indent keys of the same mapping by the same number of spaces"),
    ("did not find expected key", "the indentation does not line up",
     "indent keys of the same mapping by the same number of spaces"),
    ("did not find expected '-'", "the indentation of this list does not line up",
     "start every item of the list with '- ' at the same indentation"),
    ("unknown escape character", "a backslash in double quotes starts an escape",
     "use single quotes around this text, or write \\\\ for a backslash"),
    ("undefined alias", "a '*' refers to an anchor that is not defined",
     "define the anchor with '&name' first, or quote text that starts with '*'"),
    ("end of stream", "a quote or bracket is not closed",
     "close the quote or bracket that starts here"),
    ("expected ',' or", "a list or mapping in brackets is not closed",
     "close the '[' or '{' that starts here, or separate items with commas"),
    ("found character", "a character that cannot start a value",
     "put quotes around the text (characters like @ and ` cannot start plain text)"),
)


#: hints whose fix is at the opening quote or bracket, not where the parser gave up
_AT_OPENING = ("end of stream", "expected ',' or")


def _syntax_problem(exc: MarkedYAMLError, file: str) -> Problem:
    raw = str(exc.problem or exc.context or "the file is not valid YAML")
    message, fix = f"the file is not valid YAML: {raw}", "check this line and the one above it"
    mark = exc.problem_mark or exc.context_mark
    for needle, plain, hint in _SYNTAX_HINTS:
        if needle in raw:
            message, fix = plain, hint
            if needle in _AT_OPENING and exc.context_mark is not None:
                # the error is found where the file (or list) ends, but the fix is where
                # the quote or bracket was opened
                found = exc.problem_mark
                mark = exc.context_mark
                if found is not None and found.line != mark.line:
                    message += f" (it is still open on line {found.line + 1})"
            break
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    return Problem("CG110", message, "error", fix, (), location)


class _Reader:
    """Turns a composed node tree into plain data plus an index of where each path is."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.index: Index = {}
        self.problems: list[Problem] = []
        self.count = 0

    def loc(self, node: Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def read(self, node: Node, path: DocPath) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooBig
        tag = str(node.tag)
        if tag not in _SAFE_TAGS and tag != _YAML_TAG + "merge":
            shown = tag.replace(_YAML_TAG, "!!")
            self.problems.append(Problem(
                "CG112", f"the tag '{shown}' is not allowed: cardgen reads plain data only",
                "error", "remove the tag (and quote the value if it should be text)", path,
                self.loc(node)))
            return None
        if isinstance(node, MappingNode):
            return self.read_mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.read_item(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if tag == _YAML_TAG + "null" and node.style is None:
            return None
        # the text as written: the models decide what it means (see the module docstring)
        return str(node.value)

    def read_item(self, node: Node, path: DocPath) -> Any:
        self.index[path] = _Spot(None, self.loc(node), _is_block(node))
        return self.read(node, path)

    def read_mapping(self, node: MappingNode, path: DocPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if str(key_node.tag) == _YAML_TAG + "merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [
                    value_node]
                for source in sources:
                    if isinstance(source, MappingNode):
                        merged.update(self.read_mapping(source, path))
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(Problem(
                    "CG122", "a key must be plain text, not a list or mapping", "error",
                    "write the key as a word followed by ':'", path, self.loc(key_node)))
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.problems.append(Problem(
                    "CG111", f"the key '{key}' appears twice in this mapping "
                    f"(lines {first_line[key]} and {line})", "error",
                    f"remove or rename one of them; YAML keeps only one '{key}'",
                    (*path, key), self.loc(key_node)))
                continue
            first_line[key] = line
            sub = (*path, key)
            self.index[sub] = _Spot(self.loc(key_node), self.loc(value_node),
                                    _is_block(value_node))
            result[key] = self.read(value_node, sub)
        # explicit keys win over keys merged in with '<<'
        return {**merged, **result}


class _TooBig(Exception):
    pass


def _is_block(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode) and not getattr(node, "flow_style", False)


_SECOND_ANCHOR = re.compile(r"found duplicate anchor '(.*)'\n.*line (\d+), column (\d+)"
                            r"[\s\S]*second occurrence.*line (\d+), column (\d+)")


def _anchor_problems(caught: Iterable[warnings.WarningMessage], file: str) -> list[Problem]:
    """ruamel.yaml's warning about an anchor defined twice, as a located warning instead of
    a Python warning printed on the terminal."""
    found: list[Problem] = []
    for warning in caught:
        if not issubclass(warning.category, ReusedAnchorWarning):
            continue
        match = _SECOND_ANCHOR.search(str(warning.message))
        if match is None:
            continue
        name, first_line, _, line, column = match.groups()
        found.append(Problem(
            "CG117", f"the anchor '&{name}' is defined twice (lines {first_line} and {line}); "
            f"'*{name}' after line {line} means the second one", "warning",
            "give each anchor its own name", (), Location(file, int(line), int(column))))
    return found


def _parse_yaml(text: str, file: str) -> tuple[Any, Index, list[Problem]]:
    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ReusedAnchorWarning)
            root = yaml.compose(text)
    except MarkedYAMLError as exc:
        return None, {}, [_syntax_problem(exc, file)]
    except YAMLError as exc:
        # the reader's errors (control characters) carry a character offset, not a mark
        offset = getattr(exc, "position", None)
        line = text.count("\n", 0, offset) + 1 if isinstance(offset, int) else None
        return None, {}, [Problem(
            "CG110", "the file has a character YAML does not allow: "
            + str(exc).split("\n")[0],
            "error", "delete the invisible control character on this line", (),
            Location(file, line))]
    if root is None:
        return None, {}, [Problem("CG113", "the file is empty", "error",
                                  "start from `cardgen init`, which writes a file that builds",
                                  (), Location(file))]
    reader = _Reader(file)
    reader.index[()] = _Spot(None, reader.loc(root), _is_block(root))
    reader.problems += _anchor_problems(caught, file)
    try:
        data = reader.read(root, ())
    except _TooBig:
        return None, {}, [Problem("CG110", "the file expands to too much data (aliases)",
                                  "error", "write the values out instead of using '*' aliases",
                                  (), Location(file))]
    return data, reader.index, reader.problems


# --- model introspection ----------------------------------------------------------------


def _candidates(tp: Any) -> list[Any]:
    """The concrete types an annotation allows (unions and Annotated unwrapped)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _candidates(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out += _candidates(arg)
        return out
    return [tp]


@functools.lru_cache(maxsize=4096)
def _types_at(path: DocPath) -> tuple[Any, ...]:
    """The types the model allows at `path`. Cached: every variant of a batch asks about the
    same few dozen paths, and walking the annotations was a third of loading 1,000 rows."""
    current: list[Any] = [CardSpec]
    for element in path:
        following: list[Any] = []
        for tp in current:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                info = tp.model_fields.get(element) if isinstance(element, str) else None
                if info is not None:
                    following += _candidates(info.annotation)
            elif origin is dict and isinstance(element, str):
                following += _candidates(typing.get_args(tp)[1])
            elif origin is list and isinstance(element, int):
                following += _candidates(typing.get_args(tp)[0])
        current = following
    return tuple(current)


@functools.lru_cache(maxsize=4096)
def _model_at(path: DocPath) -> type[BaseModel] | None:
    for tp in _types_at(path):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
    return None


def _wants_list(path: DocPath) -> bool:
    return any(typing.get_origin(tp) is list for tp in _types_at(path))


def _drop_empty(value: Any, path: DocPath = ()) -> Any:
    """Removes keys left empty (`links:`) from model mappings: empty means "not given"."""
    if isinstance(value, list):
        return [_drop_empty(v, (*path, i)) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    is_model = _model_at(path) is not None
    return {k: _drop_empty(v, (*path, k)) for k, v in value.items()
            if not (is_model and v is None)}


# --- validation errors in plain words ---------------------------------------------------


def _dotted(path: DocPath) -> str:
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (
            f".{element}" if text else str(element))
    return text or "the top level"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"


def _expected(kind: str, path: DocPath, ctx: Mapping[str, Any]) -> str | None:
    if kind in ("string_type",):
        return "text"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "a whole number"
    if kind in ("float_type", "float_parsing"):
        return "a number"
    if kind in ("bool_type", "bool_parsing"):
        return "true or false"
    if kind == "list_type":
        if path and path[-1] == "helplines" and path[0] in ("front", "back"):
            return "a list of ids, such as [nspcc, childline]"
        return "a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "a mapping of keys and values"
    if kind.startswith("date_"):
        return "a date (YYYY-MM-DD)"
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '')}"
    return None


_VALUE_FIXES = (
    ("at least one of phone", "add a 'phone:', 'sms:', 'whatsapp:', 'email:' or 'chat:' line "
     "to it"),
    ("email_subject needs", "add 'email:' with the address to write to, or remove "
     "'email_subject:'"),
    ("shows_on_bill is about", "add the 'phone:' or 'sms:' it is about, or remove "
     "'shows_on_bill:'"),
    ("sms_body needs", "add 'sms:' with the number to text, or remove 'sms_body:'"),
)

_PATTERN_HELP = {
    _ID_RE.pattern: "an id uses letters, digits, '-', '_' and '.', starts with a letter or "
                    "digit, and has at most 64 characters",
    r"^[A-Za-z]{2}$": "use a two-letter country code such as GB or IE",
    r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "use a language tag such as en, cy or en-GB",
    r"^[A-Za-z0-9_.-]{1,32}$": "use up to 32 letters, digits, '-', '_' or '.'",
}


def _plain(kind: str, msg: str, path: DocPath, value: Any,
           ctx: Mapping[str, Any]) -> tuple[str, str | None]:
    """A pydantic error as (message, fix) for a person editing the YAML."""
    name = _dotted(path)
    expected = _expected(kind, path, ctx)
    if expected is not None:
        return (f"{name}: expected {expected}, not {_describe(value)}",
                f"write {expected} here")
    if kind == "value_error":
        text = re.sub(r"^Value error, ", "", msg)
        split = re.match(r"^(.*?): ((?:write|use|quote) .*)$", text)
        if split:
            return f"{name}: {split.group(1)}", split.group(2)
        for needle, hint in _VALUE_FIXES:
            if needle in text:
                return f"{name}: {text}", hint
        return f"{name}: {text}", "change the value so that it fits what is described"
    if kind == "string_pattern_mismatch":
        help_text = _PATTERN_HELP.get(str(ctx.get("pattern")), "the value has characters "
                                      "that are not allowed here")
        return f"{name}: {_describe(value)} is not allowed here", help_text
    if kind == "string_too_short":
        return f"{name} is empty", "write something here, or remove the key"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "more than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "")
        return (f"{name}: {_describe(value)} is too {'small' if 'greater' in kind else 'big'}",
                f"use a value {words} {limit}")
    return f"{name}: {msg}", "change the value so that it fits what is described"


@dataclass(frozen=True)
class _Raw:
    """A problem before it is located: `anchor` says which part of the entry to point at."""

    problem: Problem
    anchor: str = "value"  # value | key | parent


def _doc_path(loc: Sequence[str | int], data: Any) -> tuple[DocPath, bool]:
    """The loc of a pydantic error as a path into the data (union arm names dropped)."""
    path: list[str | int] = []
    current = data
    skipped = False
    for element in loc:
        if element == "[key]":
            continue
        in_dict = isinstance(current, dict) and element in current
        in_list = (isinstance(current, list) and isinstance(element, int)
                   and 0 <= element < len(current))
        if in_dict or in_list:
            path.append(element)
            current = current[element]
        else:
            skipped = True
    return tuple(path), skipped


def _validation_problems(exc: ValidationError, data: dict[str, Any],
                         index_has: typing.Callable[[DocPath], bool]) -> list[_Raw]:
    entries: list[tuple[DocPath, bool, dict[str, Any]]] = []
    for details in exc.errors():
        error: dict[str, Any] = dict(details)
        loc = tuple(error["loc"])
        if error["type"] == "missing" and loc:
            parent, skipped = _doc_path(loc[:-1], data)
            entries.append(((*parent, loc[-1]), skipped, error))
        else:
            path, skipped = _doc_path(loc, data)
            entries.append((path, skipped, error))
    # a union (size: preset | {width, height}) fails once per arm: keep the arm the user
    # evidently meant, the one whose errors reach deeper into what they wrote
    kept: list[tuple[DocPath, bool, dict[str, Any]]] = []
    for path, skipped, error in entries:
        if skipped and any(other_skipped and len(other) > len(path) and other[:len(path)] == path
                           for other, other_skipped, _ in entries):
            continue
        kept.append((path, skipped, error))
    raws: list[_Raw] = []
    by_path: dict[DocPath, int] = {}
    for path, _skipped, error in kept:
        kind = str(error["type"])
        ctx = error.get("ctx") or {}
        value = error.get("input")
        if kind == "extra_forbidden":
            parent, key = path[:-1], path[-1]
            model = _model_at(parent)
            fields = sorted(model.model_fields) if model else []
            close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close
                    else f"the keys allowed here are: {', '.join(fields)}")
            where = "at the top level" if not parent else f"in {_dotted(parent)}"
            raws.append(_Raw(Problem("CG120", f"unknown key '{key}' {where}", "error", hint,
                                     path), "key"))
            continue
        if kind == "missing":
            key = path[-1]
            if index_has(path):
                raws.append(_Raw(Problem("CG121", f"{_dotted(path)} is empty", "error",
                                         f"write a value for '{key}', or remove the line",
                                         path), "key"))
            else:
                where = "" if len(path) == 1 else f" in {_dotted(path[:-1])}"
                raws.append(_Raw(Problem("CG121", f"{key} is missing{where}", "error",
                                         f"add '{key}:' here", path), "parent"))
            continue
        message, fix = _plain(kind, str(error["msg"]), path, value, ctx)
        if path in by_path and _expected(kind, path, ctx) is not None:
            # another arm of the same union: say both things that would have been fine
            earlier = raws[by_path[path]].problem
            if earlier.message.startswith(f"{_dotted(path)}: expected ") and " not " in (
                    earlier.message):
                head, _, tail = earlier.message.partition(", not ")
                merged = f"{head} or {_expected(kind, path, ctx)}, not {tail}"
                fix = f"write {merged.partition(': expected ')[2].partition(', not ')[0]} here"
                raws[by_path[path]] = _Raw(Problem("CG122", merged, "error", fix, path))
                continue
        by_path[path] = len(raws)
        raws.append(_Raw(Problem("CG122", message, "error", fix, path)))
    return raws


# --- cross references -------------------------------------------------------------------


def _suggest(word: str, known: Iterable[str], what: str) -> str:
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


def _cross_checks(data: Mapping[str, Any]) -> list[_Raw]:
    """Checks between ids. They read the data as written, not the validated model, so
    that they still run (and report) when some other key has an error."""
    raws: list[_Raw] = []
    helplines, links = _ids(data, "helplines"), _ids(data, "links")
    targets = set(helplines) | set(links)
    for side, face in _faces(data):
        qr = _text(face.get("qr"))
        if qr is not None and qr not in targets and split_qr_target(qr, helplines)[1] is None:
            raws.append(_Raw(Problem(
                "CG130", f"{side}.qr: no link or helpline has the id '{qr}'", "error",
                _suggest(qr, targets, "a link under links:"), (side, "qr"))))
        listed = face.get("helplines")
        for i, item in enumerate(listed if isinstance(listed, list) else []):
            ident = _text(item)
            if ident is None or ident in helplines:
                continue
            message = (f"{side}.helplines: '{ident}' is a link, not a helpline"
                       if ident in links
                       else f"{side}.helplines: no helpline has the id '{ident}'")
            raws.append(_Raw(Problem("CG130", message, "error",
                                     _suggest(ident, helplines, "a helpline under "
                                              "helplines:"), (side, "helplines", i))))
        if _face_is_empty(face, helplines, side):
            fix = ("add a title, text, qr or helplines" + (
                "" if side == "front" else ", or remove 'back:' for a single-sided card"))
            raws.append(_Raw(Problem("CG133", f"the {side} of the card has nothing on it",
                                     "error", fix, (side,))))
    for ident in sorted(set(helplines) & set(links)):
        raws.append(_Raw(Problem(
            "CG131", f"'{ident}' is the id of both a helpline and a link", "error",
            "rename one of them, so a qr: can say which one it means", ("links", ident)),
            "key"))
    return raws


def _used_ids(spec: CardSpec) -> set[str]:
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


# --- variants ---------------------------------------------------------------------------


@dataclass
class _Source:
    """One variant as written, before merging: its own keys and where they are."""

    id: str
    code: str
    override: dict[str, Any]
    index: Index
    id_spot: _Spot | None


def _sub_index(index: Index, prefix: DocPath) -> Index:
    n = len(prefix)
    return {path[n:]: spot for path, spot in index.items() if path[:n] == prefix}


def _yaml_variants(items: Any, index: Index, problems: list[Problem]) -> list[_Source]:
    if not isinstance(items, list):
        spot = index.get(("variants",))
        problems.append(Problem("CG140", "variants must be a list, each item starting "
                                "with '- id: ...'", "error",
                                "write each variant as '- id: name' on its own line",
                                ("variants",), spot.at() if spot else None))
        return []
    sources: list[_Source] = []
    for i, item in enumerate(items):
        prefix: DocPath = ("variants", i)
        own = _sub_index(index, prefix)
        where = own[()].at() if () in own else None
        if not isinstance(item, dict):
            problems.append(Problem("CG140", f"variant {i + 1} is not a mapping", "error",
                                    "write it as '- id: name' followed by its keys", prefix,
                                    where))
            continue
        ident = item.get("id")
        if ident is None:
            problems.append(Problem("CG140", f"variant {i + 1} has no id", "error",
                                    "add 'id: a-name' as its first key", prefix, where))
            continue
        id_spot = own.get(("id",))
        code = item.get("code", ident)
        source = _checked_source(ident, code, own, id_spot, own.get(("code",)),
                                 prefix, problems)
        if source is None:
            continue
        source.override = {k: v for k, v in item.items() if k not in _VARIANT_KEYS}
        _apply_copies(source, item.get("copies"), own.get(("copies",)))
        sources.append(source)
    return sources


def _checked_source(ident: Any, code: Any, own: Index, id_spot: _Spot | None,
                    code_spot: _Spot | None, prefix: DocPath,
                    problems: list[Problem]) -> _Source | None:
    ok = True
    if not isinstance(ident, str) or not _ID_RE.match(ident):
        problems.append(Problem(
            "CG140", f"variant id {_describe(ident)} is not a safe name", "error",
            _PATTERN_HELP[_ID_RE.pattern], (*prefix, "id"),
            id_spot.at() if id_spot else None))
        ok = False
    # an unsafe id is reported once, not again as the code it stands in for
    if (ok or code is not ident) and (not isinstance(code, str) or not _CODE_RE.match(code)):
        spot = code_spot or id_spot
        problems.append(Problem(
            "CG140", f"variant code {_describe(code)} cannot go in a link", "error",
            "use up to 32 letters, digits, '-', '_' or '.' (give a short 'code:')",
            (*prefix, "code"), spot.at() if spot else None))
        ok = False
    if not ok:
        return None
    assert isinstance(ident, str) and isinstance(code, str)
    return _Source(ident, code, {}, own, id_spot)


def _apply_copies(source: _Source, copies: Any, spot: _Spot | None) -> None:
    if copies is None:
        return
    printing = source.override.get("print")
    base = printing if isinstance(printing, dict) else {}
    source.override["print"] = {**base, "copies": copies}
    if spot is not None:
        # `copies:` is shorthand for print.copies: errors about it point at what was written
        source.index[("print", "copies")] = spot


#: cell separators a spreadsheet may use, and their names in messages: Excel writes ";" where
#: the decimal mark is a comma (much of Europe), and "Unicode text" export uses tabs
_SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _separator(text: str) -> str:
    """The separator of a CSV, read off its header row (ids and dotted keys hold none of
    them): the one that appears most there, a comma when none does."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    best = max(counts.values())
    return next(sep for sep in _SEPARATORS if counts[sep] == best) if best else ","


def _read_csv(csv_path: Path, shown: str, problems: list[Problem],
              missing_at: Location) -> list[_Source]:
    def problem(message: str, fix: str, line: int | None = None,
                column: str | None = None) -> None:
        problems.append(Problem("CG150", message, "error", fix, (),
                                Location(shown, line, None, column)))

    too_big = limits.file_size_problem(csv_path, limits.MAX_CSV_BYTES, "variants CSV", shown)
    if too_big is not None:
        problems.append(too_big)
        return []
    try:
        raw = csv_path.read_bytes()
    except OSError as exc:
        problems.append(Problem("CG150", f"cannot read the variants CSV {shown}: "
                                f"{exc.strerror or exc}", "error",
                                "check the path; it is relative to the YAML file",
                                ("variants_csv",), missing_at))
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw.count(b"\n", 0, exc.start) + 1
        problem(f"the CSV is not UTF-8 text (row {row} has a character that is not)",
                "save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'", row)
        return []
    separator = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=separator)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        problem(f"the CSV cannot be read: {exc}", "save it again as 'CSV UTF-8'", line)
        return []
    while rows and not any(cell.strip() for cell in rows[0][1]):
        rows.pop(0)
    if not rows:
        problem("the variants CSV is empty", "add a header row (id, code, copies, ...) "
                "and one row per variant")
        return []
    header_line, header = rows[0]
    names = [name.strip() for name in header]
    paths: list[tuple[str, ...]] = []
    bad_header = False
    for name in names:
        parts = tuple(name.split("."))
        if not name or any(not part for part in parts):
            problem(f"the CSV header has an empty or malformed column name '{name}'",
                    "give every column a name such as id, code or helplines.dsl.phone",
                    header_line, name)
            bad_header = True
        if names.count(name) > 1 and names.index(name) == len(paths):
            problem(f"the CSV has two columns named '{name}'", "remove one of them",
                    header_line, name)
            bad_header = True
        paths.append(parts)
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            if a != b and (a[:len(b)] == b or b[:len(a)] == a):
                short, long_ = (a, b) if len(a) < len(b) else (b, a)
                problem(f"the CSV columns '{'.'.join(short)}' and '{'.'.join(long_)}' "
                        "both set the same thing", "keep only one of them", header_line,
                        ".".join(long_))
                bad_header = True
    if "id" not in names:
        problem("the variants CSV has no 'id' column", "add a column named id with one "
                "unique name per row", header_line)
        bad_header = True
    if bad_header:
        return []
    sources: list[_Source] = []
    for row_line, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
            problem(f"row {row_line} has {len(cells)} cells but the header has "
                    f"{len(names)} columns", "remove the extra cells, or quote cells "
                    f"that contain {_SEPARATORS[separator]}", row_line)
            continue
        given: dict[str, str] = {}
        own: Index = {(): _Spot(None, Location(shown, row_line, None, "id"))}
        override: dict[str, Any] = {}
        for name, parts, cell in zip(names, paths, cells, strict=False):
            value = cell.strip()
            if not value:
                continue
            spot = _Spot(None, Location(shown, row_line, None, name))
            if name in _VARIANT_KEYS:
                given[name] = value
                own[(name,)] = spot
                continue
            target = override
            for n, part in enumerate(parts[:-1]):
                own.setdefault(parts[:n + 1], spot)
                target = target.setdefault(part, {})
            own[parts] = spot
            target[parts[-1]] = ([v.strip() for v in value.split(",") if v.strip()]
                                 if _wants_list(parts) else value)
        ident = given.get("id")
        if ident is None:
            problem(f"row {row_line} has no id", "write a unique name in the id column",
                    row_line, "id")
            continue
        source = _checked_source(ident, given.get("code", ident), own, own.get(("id",)),
                                 own.get(("code",)), (), problems)
        if source is None:
            continue
        source.override = override
        _apply_copies(source, given.get("copies"), own.get(("copies",)))
        sources.append(source)
    has_rows = any(any(cell.strip() for cell in cells) for _line, cells in rows[1:])
    if not has_rows and not any(p.code == "CG150" for p in problems):
        problem("the variants CSV has no rows", "add one row per variant under the header")
    return sources


def _check_unique(sources: list[_Source], problems: list[Problem]) -> None:
    for what in ("id", "code"):
        first: dict[str, _Source] = {}
        for source in sources:
            value = source.id if what == "id" else source.code
            if value in first:
                before = first[value]
                first_spot = before.index.get((what,)) or before.id_spot
                where = first_spot.at() if first_spot else None
                spot = source.index.get((what,)) or source.id_spot
                problems.append(Problem(
                    "CG131", f"two variants have the {what} '{value}'"
                    + (f" (the first at {where})" if where else ""), "error",
                    f"give every variant its own {what}", (what,),
                    spot.at() if spot else None, source.id))
            else:
                first[value] = source


# --- loading ----------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    limits.check_file_size(path, limits.MAX_YAML_BYTES, "campaign file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CardgenError(f"{path}: no such file", code="CG101",
                           fix="check the file name, or create one with `cardgen init`"
                           ) from None
    except OSError as exc:
        raise CardgenError(f"{path}: cannot read the file ({exc.strerror or exc})",
                           code="CG101", fix="check that it is a file you may read") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError([Problem(
            "CG110", "the file is not UTF-8 text", "error",
            "save it as UTF-8 (most editors offer it under 'Save as' / 'Encoding')", (),
            Location(str(path), line))]) from None


def load_campaign(path: Path, *, variants_csv: Path | None = None,
                  only_variants: Sequence[str] = (), text: str | None = None,
                  base_dir: Path | None = None) -> LoadedCampaign:
    """Reads, validates and resolves a campaign file into one `Variant` per batch. With
    `text`, the campaign is that YAML (already in memory) and `path` only its name in
    messages; files it names are then relative to `base_dir` (default: `path`'s folder).

    Raises `InputError` with every problem found (warnings included) when anything is
    wrong, and `CardgenError` (CG101) when the file cannot be read at all.
    """
    path = Path(path)
    shown = str(path)
    if text is None:
        text = _read_text(path)
    else:
        limits.check_text_size(text, limits.MAX_YAML_BYTES, "campaign text", shown)
    data, index, problems = _parse_yaml(text, shown)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    if not isinstance(data, dict):
        raise InputError([Problem(
            "CG114", f"the top level must be keys such as 'campaign:' and 'front:', "
            f"not {_describe(data)}", "error", "start from `cardgen init`", (),
            index[()].at())])
    problems += hygiene.check_values(data, _where_in(index))
    base_dir = path.parent if base_dir is None else base_dir
    top = {k: v for k, v in data.items() if k not in ("variants", "variants_csv")}
    campaign = data.get("campaign")
    slug = slugify(campaign) if isinstance(campaign, str) else "cards"

    sources: list[_Source] = []
    if data.get("variants") is not None:
        sources += _yaml_variants(data["variants"], index, problems)
    csv_value = data.get("variants_csv")
    csv_path: Path | None = None
    csv_at = index[("variants_csv",)].at() if ("variants_csv",) in index else Location(shown)
    if variants_csv is not None:
        csv_path, csv_at = Path(variants_csv), Location(str(variants_csv))
    elif isinstance(csv_value, str):
        csv_path = base_dir / csv_value
    elif csv_value is not None:
        problems.append(Problem("CG122", "variants_csv: expected a file name, not "
                                f"{_describe(csv_value)}", "error",
                                "write the path of the CSV, relative to this file",
                                ("variants_csv",), csv_at))
    if csv_path is not None:
        csv_sources = _read_csv(csv_path, str(csv_path), problems, csv_at)
        for source in csv_sources:
            problems += hygiene.check_values(source.override, _where_in(source.index))
        sources += csv_sources
    too_many = limits.variants_problem(len(sources), index[()].at() if () in index else None)
    if too_many is not None:
        raise InputError([*problems, too_many])
    _check_unique(sources, problems)

    has_variants = bool(sources) or any(p.code in ("CG140", "CG150") for p in problems)
    if not has_variants:
        sources = [_Source(slug, slug, {}, {}, None)]
    if only_variants:
        known = [s.id for s in sources]
        for wanted in only_variants:
            if wanted not in known:
                problems.append(Problem(
                    "CG140", f"there is no variant '{wanted}'", "error",
                    _suggest(wanted, known, "a variant"), (), Location(shown)))
        sources = [s for s in sources if s.id in set(only_variants)]

    locator = _Locator(index, {s.id: s.index for s in sources})
    variants: list[Variant] = []
    per_variant: list[list[Problem]] = []
    used: set[str] = set()
    for source in sources:
        merged = _drop_empty(deep_merge(top, source.override))
        raws: list[_Raw] = []
        spec: CardSpec | None = None
        try:
            spec = CardSpec.model_validate(merged)
        except ValidationError as exc:
            raws = _validation_problems(exc, merged, _written(source.index, index))
        else:
            used |= _used_ids(spec)
        raws += _cross_checks(merged)
        found_problems: list[Problem] = []
        for raw in raws:
            problem = raw.problem
            anchor = problem.path[:-1] if raw.anchor == "parent" else problem.path
            found = locator.find(source.id, anchor)
            location = None
            if found is not None:
                location = found.spot.at()
                if raw.anchor == "key" and found.exact and found.spot.key is not None:
                    location = found.spot.key
            scope = source.id if found is not None and found.in_variant else None
            found_problems.append(problem.located(location).for_variant(scope))
        per_variant.append(found_problems)
        if spec is not None and not any(p.severity == "error" for p in found_problems):
            variants.append(Variant(id=source.id, code=source.code, spec=spec,
                                    settings=_settings(source.override)))
    problems += _label_shared(per_variant, [s.id for s in sources])

    cautions = [p for p in problems if p.severity == "warning"]
    if len(variants) == len(sources) and sources:
        for kind in ("helplines", "links"):
            defined = top.get(kind)
            for ident in defined if isinstance(defined, dict) else {}:
                if ident not in used:
                    spot = index.get((kind, ident))
                    cautions.append(Problem(
                        "CG134", f"{kind}.{ident} is not printed on any card", "warning",
                        f"list '{ident}' on a face (helplines: or qr:), or remove it",
                        (kind, ident), spot.key if spot and spot.key else None))
    collected = ProblemList([p for p in problems if p.severity == "error"] + cautions)
    collected.raise_if_errors()
    return LoadedCampaign(path, base_dir, slug, tuple(variants), tuple(cautions), locator)


def _settings(override: Mapping[str, Any], prefix: str = "") -> tuple[tuple[str, str], ...]:
    """A variant's own keys as (dotted key, value) pairs, lists joined by commas; its copies
    are the manifest's own column."""
    found: list[tuple[str, str]] = []
    for key, value in override.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found += _settings(value, f"{name}.")
        elif name != "print.copies" and value is not None:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            found.append((name, shown))
    return tuple(found)


def _where_in(index: Index) -> typing.Callable[[DocPath], Location | None]:
    def where(path: DocPath) -> Location | None:
        spot = index.get(path)
        return spot.at() if spot is not None else None

    return where


def _written(own: Index, top: Index) -> typing.Callable[[DocPath], bool]:
    def written(path: DocPath) -> bool:
        return path in own or path in top

    return written


def _label_shared(per_variant: list[list[Problem]], ids: list[str]) -> list[Problem]:
    """Problems in the top level that only some variants hit are labelled with the first
    of them; those every variant hits are reported once, unlabelled."""
    counts: dict[tuple[str, str, Location | None], int] = {}
    for problems in per_variant:
        for key in {(p.code, p.message, p.location) for p in problems}:
            counts[key] = counts.get(key, 0) + 1
    out: list[Problem] = []
    for variant_id, problems in zip(ids, per_variant, strict=True):
        for p in problems:
            if p.variant is None and len(ids) > 1 and counts[
                    (p.code, p.message, p.location)] < len(ids):
                p = p.for_variant(variant_id)
            out.append(p)
    return out
