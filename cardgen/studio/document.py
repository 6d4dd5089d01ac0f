"""The studio's document: a campaign file read for editing and written back as it was written.

The page edits a plain JSON copy of the YAML (`as_json`); `updated_text` lays the page's
copy over the file's own round-trip tree, so that only values the user changed are
rewritten and every comment, key order, quote style and indentation of the rest stays as it
was. `save` writes the text atomically, and refuses (CG970) when the file changed on disk
since the studio read it: the user decides, nothing is overwritten silently.

Codes used here: CG970 (the file changed on disk), CG971 (the file cannot be edited as a
form: a YAML syntax error, or a top level that is not a mapping), CG972 (it cannot be
written).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import os
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from cardgen.errors import CardgenError, Location
from cardgen.input import limits
from cardgen.starter import starter_text

JsonValue = Any
_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def digest(text: str) -> str:
    """What the studio remembers of the file it read, to notice a change on disk."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _yaml_for(text: str) -> YAML:
    """A round-trip reader and writer with the indentation the file already uses."""
    try:
        _data, indent, block_seq_indent = load_yaml_guess_indent(text)
    except YAMLError:
        indent, block_seq_indent = 2, 0
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the user wrote on one line
    offset = block_seq_indent or 0
    yaml.indent(mapping=indent or 2, sequence=offset + 2, offset=offset)
    return yaml


def _parse(text: str, shown: str) -> tuple[YAML, CommentedMap]:
    yaml = _yaml_for(text)
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)
        raise CardgenError(
            f"the file cannot be read as YAML: {getattr(exc, 'problem', None) or exc}",
            code="CG971", location=where,
            fix=f"run `cardgen check {shown}` and fix the syntax error it shows in a text "
            "editor, then start the studio again") from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise CardgenError("the top level of the file is not a set of keys such as 'campaign:'",
                           code="CG971", location=Location(shown, 1),
                           fix="start from `cardgen init`, or fix the file in a text editor")
    return yaml, data


def as_plain(value: Any) -> JsonValue:
    """The JSON the page edits: mappings, lists, text, numbers, booleans; dates as text."""
    if isinstance(value, dict):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _same(old: Any, new: JsonValue) -> bool:
    plain = as_plain(old)
    if isinstance(plain, bool) or isinstance(new, bool):
        return plain is new
    return bool(plain == new or (isinstance(new, str) and not isinstance(plain, dict | list)
                                 and plain is not None and str(plain) == new))


def _fresh(value: JsonValue) -> Any:
    """A new node for a value the page added: lists of plain words in flow style, as the
    examples write `helplines: [childline, nspcc]`."""
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _fresh(item)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_fresh(item) for item in value)
        if all(not isinstance(item, dict | list) for item in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and any(
            unicodedata.category(c) in _ESCAPED and c != "\n" for c in value):
        # Control, format and line-separator characters (the checker refuses most of them)
        # are written escaped: raw, YAML would read them back differently or not at all.
        return DoubleQuotedScalarString(value)
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    return value


def _end_of(holder: CommentedMap, key: Any) -> tuple[CommentedMap, Any]:
    """The innermost last key of the entry `holder[key]`: where the round-trip reader keeps
    the comment lines that follow that block (and introduce whatever comes after it)."""
    while isinstance(holder[key], CommentedMap) and len(holder[key]):
        holder, key = holder[key], list(holder[key])[-1]
    return holder, key


def _take_tail(holder: CommentedMap, key: Any) -> str:
    """Removes and returns the comment lines after the entry's block (its end-of-line
    comment stays with its value)."""
    inner, inner_key = _end_of(holder, key)
    entry = inner.ca.items.get(inner_key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None or "\n" not in token.value:
        return ""
    first, rest = token.value.split("\n", 1)
    token.value = first + "\n"
    return str(rest)


def _put_tail(holder: CommentedMap, key: Any, tail: str) -> None:
    """Puts comment lines back after the entry's block."""
    if not tail:
        return
    inner, inner_key = _end_of(holder, key)
    entry = inner.ca.items.setdefault(inner_key, [None, None, None, None])
    while len(entry) < 4:
        entry.append(None)
    if entry[2] is None:
        entry[2] = CommentToken("\n" + tail, CommentMark(0), None)
    else:
        entry[2].value = entry[2].value.rstrip("\n") + "\n" + tail


def _delete(node: CommentedMap, key: Any) -> None:
    """Deletes a key; the comment lines that followed its block (introducing the next key)
    move to the end of the block before it."""
    keys = list(node)
    tail = _take_tail(node, key)
    del node[key]
    position = keys.index(key)
    if position > 0:
        _put_tail(node, keys[position - 1], tail)


def merge_into(old: Any, new: JsonValue, *, top: bool = True) -> Any:
    """`new` laid over the round-trip node `old`, keeping every unchanged node (and with it
    its comments, quotes and style); returns the node to store."""
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        reshaped = [str(k) for k in old] != list(new)
        # The comment lines after the mapping's last entry introduce what follows the mapping:
        # they stay at its end whatever its last entry becomes. Blank lines at the end of the
        # file stay where they are: they part the last block from one added after it.
        tail = _take_tail(old, list(old)[-1]) if reshaped and len(old) else ""
        if top and tail and "#" not in tail:
            _put_tail(old, list(old)[-1], tail)
            tail = ""
        for key in [k for k in old if str(k) not in new]:
            _delete(old, key)
        for key, value in new.items():
            if key in old:
                merged = merge_into(old[key], value, top=False)
                if merged is not old[key]:
                    old[key] = merged
            else:
                old[key] = _fresh(value)
        if reshaped:
            for key in new:
                old.move_to_end(key)
        if len(old):
            _put_tail(old, list(old)[-1], tail)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        for index, value in enumerate(new[: len(old)]):
            merged = merge_into(old[index], value, top=False)
            if merged is not old[index]:
                old[index] = merged
        del old[len(new):]
        for value in new[len(old):]:
            old.append(_fresh(value))
        return old
    if _same(old, new):
        return old
    return _fresh(new)


@dataclass
class StudioDocument:
    """FILE as the studio opened it: its text (or the starter card's, when FILE does not exist
    yet) and the digest of what is on disk, to notice someone else's change."""

    path: Path
    text: str
    disk_digest: str | None
    _tree: tuple[str, YAML, CommentedMap] | None = field(default=None, repr=False)
    # The server answers a preview and a Save in two threads at once, and a ruamel YAML
    # object dumps one document at a time (two at once fail with EmitterError).
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False,
                                   compare=False)

    @classmethod
    def open(cls, path: Path) -> StudioDocument:
        if path.exists():
            limits.check_file_size(path, limits.MAX_YAML_BYTES, "campaign file")
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise CardgenError(f"{path} cannot be read as UTF-8 text ({exc})", code="CG971",
                                   fix="save it as UTF-8 text, or check the file name"
                                   ) from None
            _parse(text, str(path))
            return cls(path, text, digest(text))
        if not path.parent.is_dir():
            # Said now, not at the first Save after a session of edits.
            raise CardgenError(f"{path} cannot be made: there is no folder {path.parent}",
                               code="CG972", location=Location(str(path)),
                               fix="check the folder's name, or make it first (or run "
                               "`cardgen init FOLDER`)")
        return cls(path, starter_text(), None)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def _parsed(self) -> tuple[YAML, CommentedMap]:
        """The file's round-trip tree, read once for each text (reading is the slow part of an
        edit: a copy of the tree costs a tenth of it)."""
        if self._tree is None or self._tree[0] != self.text:
            self._tree = (self.text, *_parse(self.text, str(self.path)))
        return self._tree[1], self._tree[2]

    def as_json(self) -> JsonValue:
        with self._lock:
            return as_plain(self._parsed()[1])

    def updated_text(self, data: JsonValue) -> str:
        """The file's text with the page's values laid over it."""
        if not isinstance(data, dict):
            raise CardgenError("the page sent a document that is not a set of keys",
                               code="CG971", fix="reload the page")
        with self._lock:
            yaml, tree = self._parsed()
            tree = copy.deepcopy(tree)
            merge_into(tree, data)
            out = io.StringIO()
            yaml.dump(tree, out)
            return out.getvalue()

    def changed_on_disk(self) -> bool:
        try:
            now = digest(self.path.read_bytes().decode("utf-8-sig"))
        except FileNotFoundError:
            now = None
        except (OSError, UnicodeDecodeError):
            return True
        return now != self.disk_digest

    def save(self, data: JsonValue, *, overwrite: bool = False) -> str:
        """Writes the page's document to FILE atomically (a new file beside it, then renamed
        over it). Refuses with CG970 when FILE changed on disk since it was read, unless the
        user chose to overwrite. Returns the text written."""
        with self._lock:
            text = self.updated_text(data)
            _parse(text, str(self.path))  # what is saved must read back as it was meant
            if not overwrite and self.changed_on_disk():
                raise CardgenError(
                    f"{self.path.name} was changed on disk by another program since the "
                    "studio opened it; nothing was saved", code="CG970",
                    location=Location(str(self.path)),
                    fix="choose 'Reload from disk' to see the other change (yours are "
                    "lost), or 'Save anyway' to replace it with what the page shows")
            _write_atomically(self.path, text)
            self.text = text
            self.disk_digest = digest(text)
            return text

    def reload(self) -> None:
        fresh = StudioDocument.open(self.path)
        with self._lock:
            self.text, self.disk_digest = fresh.text, fresh.disk_digest


def _write_atomically(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else None
        handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                           dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if mode is not None:
                os.chmod(scratch, mode)
            os.replace(scratch, path)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CardgenError(f"{path} could not be written ({exc.strerror or exc})",
                           code="CG972", location=Location(str(path)),
                           fix="check that the folder exists and that you may write in it"
                           ) from None
