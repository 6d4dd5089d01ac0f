"""Variants as written, before merging over the campaign: the `variants:` list of the YAML
and the rows of a variants CSV (its dotted columns set keys), with their ids, codes and
where each value is written (CG131, CG140, CG150)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardgen.errors import DocPath, Location, Problem
from cardgen.input import limits
from cardgen.input.errors_translate import CODE_RE, ID_RE, PATTERN_HELP, describe, wants_list
from cardgen.input.yaml_source import Index, Spot

VARIANT_KEYS = ("id", "code", "copies")


@dataclass
class Source:
    """One variant as written, before merging: its own keys and where they are."""

    id: str
    code: str
    override: dict[str, Any]
    index: Index
    id_spot: Spot | None


def _sub_index(index: Index, prefix: DocPath) -> Index:
    n = len(prefix)
    return {path[n:]: spot for path, spot in index.items() if path[:n] == prefix}


def yaml_variants(items: Any, index: Index, problems: list[Problem]) -> list[Source]:
    if not isinstance(items, list):
        spot = index.get(("variants",))
        problems.append(Problem("CG140", "variants must be a list, each item starting "
                                "with '- id: ...'", "error",
                                "write each variant as '- id: name' on its own line",
                                ("variants",), spot.at() if spot else None))
        return []
    sources: list[Source] = []
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
        source.override = {k: v for k, v in item.items() if k not in VARIANT_KEYS}
        _apply_copies(source, item.get("copies"), own.get(("copies",)))
        sources.append(source)
    return sources


def _checked_source(ident: Any, code: Any, own: Index, id_spot: Spot | None,
                    code_spot: Spot | None, prefix: DocPath,
                    problems: list[Problem]) -> Source | None:
    ok = True
    if not isinstance(ident, str) or not ID_RE.match(ident):
        problems.append(Problem(
            "CG140", f"variant id {describe(ident)} is not a safe name", "error",
            PATTERN_HELP[ID_RE.pattern], (*prefix, "id"),
            id_spot.at() if id_spot else None))
        ok = False
    # an unsafe id is reported once, not again as the code it stands in for
    if (ok or code is not ident) and (not isinstance(code, str) or not CODE_RE.match(code)):
        spot = code_spot or id_spot
        problems.append(Problem(
            "CG140", f"variant code {describe(code)} cannot go in a link", "error",
            "use up to 32 letters, digits, '-', '_' or '.' (give a short 'code:')",
            (*prefix, "code"), spot.at() if spot else None))
        ok = False
    if not ok:
        return None
    assert isinstance(ident, str) and isinstance(code, str)
    return Source(ident, code, {}, own, id_spot)


def _apply_copies(source: Source, copies: Any, spot: Spot | None) -> None:
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


def read_csv(csv_path: Path, shown: str, problems: list[Problem],
              missing_at: Location) -> list[Source]:
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
    sources: list[Source] = []
    for row_line, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
            problem(f"row {row_line} has {len(cells)} cells but the header has "
                    f"{len(names)} column{'' if len(names) == 1 else 's'}",
                    "remove the extra cells, or quote cells "
                    f"that contain {_SEPARATORS[separator]}", row_line)
            continue
        given: dict[str, str] = {}
        own: Index = {(): Spot(None, Location(shown, row_line, None, "id"))}
        override: dict[str, Any] = {}
        for name, parts, cell in zip(names, paths, cells, strict=False):
            value = cell.strip()
            if not value:
                continue
            spot = Spot(None, Location(shown, row_line, None, name))
            if name in VARIANT_KEYS:
                given[name] = value
                own[(name,)] = spot
                continue
            target = override
            for n, part in enumerate(parts[:-1]):
                own.setdefault(parts[:n + 1], spot)
                target = target.setdefault(part, {})
            own[parts] = spot
            target[parts[-1]] = ([v.strip() for v in value.split(",") if v.strip()]
                                 if wants_list(parts) else value)
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


def check_unique(sources: list[Source], problems: list[Problem]) -> None:
    for what in ("id", "code"):
        first: dict[str, Source] = {}
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
