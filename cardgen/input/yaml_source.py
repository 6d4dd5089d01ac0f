"""The campaign YAML read with positions: a node tree turned into plain data plus an index
of where every key and value is written (file:line:column).

The YAML is composed into a node tree rather than loaded, so that every key and value
keeps its line and column, no tag is ever constructed into a Python object, and a
scalar keeps the text the user typed (`phone: 08001111` stays "08001111"; pydantic's
lax mode turns text into the ints, booleans and dates the models ask for). Syntax errors
become located problems in plain words (CG110-CG113, CG117).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cardgen.errors import CardgenError, DocPath, InputError, Location, Problem
from cardgen.input import indentation, limits

YAML_TAG = "tag:yaml.org,2002:"
#: the tags a plain data file may carry; anything else would construct objects or is a typo
_SAFE_TAGS = frozenset(
    YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
#: aliases can multiply a small file into a huge tree ("billion laughs")
_MAX_NODES = 200_000


@dataclass(frozen=True)
class Spot:
    """Where one entry is written: its key (if any) and its value."""

    key: Location | None
    value: Location
    block: bool = False  # a block mapping/list starts on the next line: point at its key

    def at(self) -> Location:
        if self.block and self.key is not None:
            return self.key
        return self.value


Index = dict[DocPath, Spot]


# --- YAML -------------------------------------------------------------------------------

_SYNTAX_HINTS: tuple[tuple[str, str, str], ...] = (
    ("'\\t'", "this line is indented with a tab: only spaces may indent the lines of "
     "this file (a tab looks like spaces but is not read as any number of them)",
     "replace the tab at the start of this line with spaces, as many as the lines around "
     "it use"),
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


#: parser errors that are most often a line indented wrongly, or a key without its ':'
_INDENTATION = ("expected <block end>", "mapping values are not allowed",
                "did not find expected key", "did not find expected '-'",
                "could not find expected ':'")


#: `key: {word}, more text`: a value that starts with braces (an hours word, `{free}, 9am`)
#: is read as a flow mapping, and the text after it breaks the file
_BRACES_THEN_TEXT = re.compile(r"^(\s*(?:-\s+)?[^\s#'\"{\[][^:#]*:\s+)\{[^{}\n]*\}[ \t]*[^\s#]")


def _syntax_problem(exc: MarkedYAMLError, file: str, text: str) -> Problem:
    raw = str(exc.problem or exc.context or "the file is not valid YAML")
    message, fix = f"the file is not valid YAML: {raw}", "check this line and the one above it"
    mark = exc.problem_mark or exc.context_mark
    if mark is not None:
        lines = text.splitlines()
        line = lines[mark.line] if mark.line < len(lines) else ""
        braces = _BRACES_THEN_TEXT.match(line)
        if braces is not None:
            key = braces.group(1).strip()
            return Problem(
                "CG110", "a value that starts with '{' is read as a mapping, and text "
                "follows it", "error", f"put the whole value in quotes: {key} "
                f"\"{line[braces.end(1):].split(' #')[0].strip()}\"", (),
                Location(file, mark.line + 1, braces.end(1) + 1))
    if mark is not None and any(needle in raw for needle in _INDENTATION):
        words = indentation.syntax_words(text, mark.line + 1)
        if words is not None:
            message, fix, where = words
            return Problem("CG110", message, "error", fix, (),
                           Location(file, where.line, where.column))
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

    def __init__(self, file: str, text: str = "") -> None:
        self.file = file
        self.lines = text.splitlines()
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
        if tag not in _SAFE_TAGS and tag != YAML_TAG + "merge":
            shown = tag.replace(YAML_TAG, "!!")
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
        if node.style is None and node.end_mark.line > node.start_mark.line and path and \
                isinstance(path[-1], int):
            self.folded_item(node, path)
        if tag == YAML_TAG + "null" and node.style is None:
            return None
        # the text as written: the models decide what it means (see the module docstring)
        return str(node.value)

    def folded_item(self, node: ScalarNode, path: DocPath) -> None:
        """A list item indented more than the one above is read as more words of it."""
        found = indentation.folded_item(self.lines, node.start_mark.line + 1,
                                        node.end_mark.line + 1)
        if found is None:
            return
        line, column = found
        shown = self.lines[line - 1].strip()
        self.problems.append(Problem(
            "CG171", f"the list item '{shown}' is indented more than the item above it, so "
            f"it is read as more words of that item ('{node.value}')", "error",
            f"start every item of the list with '- ' at the same place: "
            f"{node.start_mark.column - 2} spaces before the '-'", path,
            Location(self.file, line, column)))

    def read_item(self, node: Node, path: DocPath) -> Any:
        self.index[path] = Spot(None, self.loc(node), is_block(node))
        return self.read(node, path)

    def read_mapping(self, node: MappingNode, path: DocPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if str(key_node.tag) == YAML_TAG + "merge":
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
            self.index[sub] = Spot(self.loc(key_node), self.loc(value_node),
                                    is_block(value_node))
            result[key] = self.read(value_node, sub)
        # explicit keys win over keys merged in with '<<'
        return {**merged, **result}


class _TooBig(Exception):
    pass


def is_block(node: Node) -> bool:
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


def parse_yaml(text: str, file: str) -> tuple[Any, Index, list[Problem]]:
    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ReusedAnchorWarning)
            root = yaml.compose(text)
    except MarkedYAMLError as exc:
        return None, {}, [_syntax_problem(exc, file, text)]
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
    reader = _Reader(file, text)
    reader.index[()] = Spot(None, reader.loc(root), is_block(root))
    reader.problems += _anchor_problems(caught, file)
    try:
        data = reader.read(root, ())
    except _TooBig:
        return None, {}, [Problem("CG110", "the file expands to too much data (aliases)",
                                  "error", "write the values out instead of using '*' aliases",
                                  (), Location(file))]
    return data, reader.index, reader.problems



def read_text(path: Path) -> str:
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
