"""pydantic's validation errors in plain words, located at the path the user wrote, and the
questions about the model they need (which types a path allows, which keys are empty)."""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from cardgen.errors import DocPath, Problem
from cardgen.input.hours import PYDANTIC_ERROR as HOURS_WORD_ERROR
from cardgen.input.hygiene import dotted
from cardgen.input.languages import PYDANTIC_ERROR as LANGUAGE_TAG_ERROR
from cardgen.input.model import CardSpec

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


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


@functools.lru_cache(maxsize=4096)
def model_fields(path: DocPath) -> frozenset[str] | None:
    """The keys the model allows in the mapping at `path`; None where it is not a model (any
    key is allowed, as the ids under `helplines:`, or no mapping is wanted)."""
    model = _model_at(path)
    return frozenset(model.model_fields) if model is not None else None


@functools.lru_cache(maxsize=4096)
def holds_ids(path: DocPath) -> bool:
    """Whether the mapping at `path` is one of ids, each with its own entry (`helplines:`)."""
    return any(typing.get_origin(tp) is dict for tp in _types_at(path))


def wants_list(path: DocPath) -> bool:
    return any(typing.get_origin(tp) is list for tp in _types_at(path))


def drop_empty(value: Any, path: DocPath = ()) -> Any:
    """Removes keys left empty (`links:`) from model mappings: empty means "not given"."""
    if isinstance(value, list):
        return [drop_empty(v, (*path, i)) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    is_model = _model_at(path) is not None
    return {k: drop_empty(v, (*path, k)) for k, v in value.items()
            if not (is_model and v is None)}




# --- validation errors in plain words ---------------------------------------------------



def describe(value: Any) -> str:
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

PATTERN_HELP = {
    ID_RE.pattern: "an id uses letters, digits, '-', '_' and '.', starts with a letter or "
                    "digit, and has at most 64 characters",
    r"^[A-Za-z]{2}$": "use a two-letter country code such as GB or IE",
    r"^[A-Za-z0-9_.-]{1,32}$": "use up to 32 letters, digits, '-', '_' or '.'",
}


def _plain(kind: str, msg: str, path: DocPath, value: Any,
           ctx: Mapping[str, Any]) -> tuple[str, str | None]:
    """A pydantic error as (message, fix) for a person editing the YAML."""
    name = dotted(path)
    expected = _expected(kind, path, ctx)
    if expected is not None:
        return (f"{name}: expected {expected}, not {describe(value)}",
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
        help_text = PATTERN_HELP.get(str(ctx.get("pattern")), "the value has characters "
                                      "that are not allowed here")
        return f"{name}: {describe(value)} is not allowed here", help_text
    if kind == "string_too_short":
        return f"{name} is empty", "write something here, or remove the key"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "more than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "")
        return (f"{name}: {describe(value)} is too {'small' if 'greater' in kind else 'big'}",
                f"use a value {words} {limit}")
    return f"{name}: {msg}", "change the value so that it fits what is described"


@dataclass(frozen=True)
class Raw:
    """A problem before it is located: `anchor` says which part of the entry to point at."""

    problem: Problem
    anchor: str = "value"  # value | key | parent
    #: for an unknown key (CG120): the key it most likely means, if one is close
    meant: str | None = None


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


def validation_problems(exc: ValidationError, data: dict[str, Any],
                         index_has: typing.Callable[[DocPath], bool]) -> list[Raw]:
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
    raws: list[Raw] = []
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
            where = "at the top level" if not parent else f"in {dotted(parent)}"
            raws.append(Raw(Problem("CG120", f"unknown key '{key}' {where}", "error", hint,
                                    path), "key", close[0] if close else None))
            continue
        if kind == "missing":
            key = path[-1]
            if index_has(path):
                raws.append(Raw(Problem("CG121", f"{dotted(path)} is empty", "error",
                                         f"write a value for '{key}', or remove the line",
                                         path), "key"))
            else:
                where = "" if len(path) == 1 else f" in {dotted(path[:-1])}"
                raws.append(Raw(Problem("CG121", f"{key} is missing{where}", "error",
                                         f"add '{key}:' here", path), "parent"))
            continue
        if kind in (LANGUAGE_TAG_ERROR, HOURS_WORD_ERROR):
            raws.append(Raw(Problem(str(ctx["code"]), f"{dotted(path)}: {ctx['message']}",
                                    "error", str(ctx["fix"]), path)))
            continue
        message, fix = _plain(kind, str(error["msg"]), path, value, ctx)
        if path in by_path and _expected(kind, path, ctx) is not None:
            # another arm of the same union: say both things that would have been fine
            earlier = raws[by_path[path]].problem
            if earlier.message.startswith(f"{dotted(path)}: expected ") and " not " in (
                    earlier.message):
                head, _, tail = earlier.message.partition(", not ")
                merged = f"{head} or {_expected(kind, path, ctx)}, not {tail}"
                fix = f"write {merged.partition(': expected ')[2].partition(', not ')[0]} here"
                raws[by_path[path]] = Raw(Problem("CG122", merged, "error", fix, path))
                continue
        by_path[path] = len(raws)
        raws.append(Raw(Problem("CG122", message, "error", fix, path)))
    return raws
