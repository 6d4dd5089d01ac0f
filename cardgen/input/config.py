"""Reading a campaign file (and its variants spreadsheet) into validated, located models.

This is the entry of the input stage; the work is done by its neighbours:
`yaml_source` reads the YAML with the position of every key and value (`indentation`
words its indentation mistakes and reads keys indented wrongly as meant), `variants` reads
the `variants:` list and the variants CSV, `errors_translate` turns pydantic's errors into
plain words, `references` checks the ids between helplines, links and faces, and `merge`
lays a variant over the campaign. Every problem is collected, located at
file:line:column (or CSV row and column) and carries a fix, and all of them are raised
together as one `InputError`.

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
CG170   a key indented outside the entry it belongs to (see `indentation`)
CG171   a list item indented more than the one above, read as words of it
======  ==============================================================================
"""

from __future__ import annotations

import contextlib
import copy
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cardgen.errors import DocPath, InputError, Location, Problem, ProblemList
from cardgen.input import hygiene, indentation, limits
from cardgen.input.errors_translate import (
    Raw,
    describe,
    drop_empty,
    holds_ids,
    model_fields,
    validation_problems,
)
from cardgen.input.merge import deep_merge
from cardgen.input.model import CardSpec, Variant, slugify
from cardgen.input.references import cross_checks, suggest, used_ids
from cardgen.input.variants import Source, check_unique, read_csv, yaml_variants
from cardgen.input.yaml_source import Index, Spot, parse_yaml, read_text

__all__ = ["LoadedCampaign", "deep_merge", "load_campaign"]


# --- locations --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    spot: Spot
    exact: bool
    in_variant: bool


@dataclass(frozen=True)
class _Locator:
    top: Mapping[DocPath, Spot]
    variants: Mapping[str, Mapping[DocPath, Spot]]

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
    """A campaign file read and validated: one resolved `Variant` per batch to print.

    `errors` is empty unless it was loaded with `keep_going` (see `load_campaign`): then
    `variants` holds only those that can be checked further, and nothing may be built."""

    path: Path
    base_dir: Path
    slug: str
    variants: tuple[Variant, ...]
    warnings: tuple[Problem, ...] = ()
    errors: tuple[Problem, ...] = ()
    _locator: _Locator = field(default_factory=lambda: _Locator({}, {}), repr=False,
                               compare=False)

    def locate(self, variant_id: str | None, path: DocPath) -> Location | None:
        """Where `path` is written for a variant: its own YAML mapping or CSV cell if it
        overrides that path (or a prefix of it), else the top level; a path not written
        falls back to its nearest written ancestor."""
        return self._locator.locate(variant_id, path)


# --- loading ----------------------------------------------------------------------------


def load_campaign(path: Path, *, variants_csv: Path | None = None,
                  only_variants: Sequence[str] = (), keep_going: bool = False,
                  text: str | None = None, base_dir: Path | None = None) -> LoadedCampaign:
    """Reads, validates and resolves a campaign file into one `Variant` per batch. With
    `text`, the campaign is that YAML (already in memory) and `path` only its name in
    messages; files it names are then relative to `base_dir` (default: `path`'s folder).

    Raises `InputError` with every problem found (warnings included) when anything is
    wrong, and `CardgenError` (CG101) when the file cannot be read at all. With
    `keep_going`, errors in the campaign's values do not raise: they are returned in
    `LoadedCampaign.errors`, with every variant that can still be checked further (a
    well-formed row beside a bad one; a variant whose only fault is an unknown key, read
    as the key it most likely means), so that the checks after loading report their
    problems in the same run. A file that cannot be read as a campaign still raises.
    """
    path = Path(path)
    shown = str(path)
    if text is None:
        text = read_text(path)
    else:
        limits.check_text_size(text, limits.MAX_YAML_BYTES, "campaign text", shown)
    data, index, problems = parse_yaml(text, shown)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    if not isinstance(data, dict):
        raise InputError([Problem(
            "CG114", f"the top level must be keys such as 'campaign:' and 'front:', "
            f"not {describe(data)}", "error", "start from `cardgen init`", (),
            index[()].at())])
    problems += hygiene.check_values(data, _where_in(index))
    for _ in range(8):  # a section moved out may hold the next slip
        misplaced = indentation.misplaced_keys(data, _key_in(index), model_fields, holds_ids)
        if not misplaced:
            break
        problems += [m.problem for m in misplaced]
        indentation.move_as_meant(data, misplaced, [index])
    # what a list item read as words of the one above makes of that item is no news
    echoes = [p.path for p in problems if p.code == "CG171"]
    base_dir = path.parent if base_dir is None else base_dir
    top = {k: v for k, v in data.items() if k not in ("variants", "variants_csv")}
    campaign = data.get("campaign")
    slug = slugify(campaign) if isinstance(campaign, str) else "cards"

    sources: list[Source] = []
    if data.get("variants") is not None:
        sources += yaml_variants(data["variants"], index, problems)
    csv_value = data.get("variants_csv")
    csv_path: Path | None = None
    csv_at = index[("variants_csv",)].at() if ("variants_csv",) in index else Location(shown)
    if variants_csv is not None:
        csv_path, csv_at = Path(variants_csv), Location(str(variants_csv))
    elif isinstance(csv_value, str):
        csv_path = base_dir / csv_value
    elif csv_value is not None:
        problems.append(Problem("CG122", "variants_csv: expected a file name, not "
                                f"{describe(csv_value)}", "error",
                                "write the path of the CSV, relative to this file",
                                ("variants_csv",), csv_at))
    if csv_path is not None:
        csv_sources = read_csv(csv_path, str(csv_path), problems, csv_at)
        for source in csv_sources:
            problems += hygiene.check_values(source.override, _where_in(source.index))
        sources += csv_sources
    too_many = limits.variants_problem(len(sources), index[()].at() if () in index else None)
    if too_many is not None:
        raise InputError([*problems, too_many])
    check_unique(sources, problems)
    # a second variant with an id already used is reported (CG131) and checked no further:
    # its problems would be told, and located, as the first one's
    firsts: dict[str, Source] = {}
    for source in sources:
        firsts.setdefault(source.id, source)
    sources = list(firsts.values())

    has_variants = bool(sources) or any(p.code in ("CG140", "CG150") for p in problems)
    if not has_variants:
        sources = [Source(slug, slug, {}, {}, None)]
    if only_variants:
        known = [s.id for s in sources]
        for wanted in only_variants:
            if wanted not in known:
                problems.append(Problem(
                    "CG140", f"there is no variant '{wanted}'", "error",
                    suggest(wanted, known, "a variant"), (), Location(shown)))
        sources = [s for s in sources if s.id in set(only_variants)]

    locator = _Locator(index, {s.id: s.index for s in sources})
    variants: list[Variant] = []
    per_variant: list[list[Problem]] = []
    used: set[str] = set()
    for source in sources:
        merged = drop_empty(deep_merge(top, source.override))
        raws: list[Raw] = []
        spec: CardSpec | None = None
        checked = merged
        try:
            spec = CardSpec.model_validate(merged)
        except ValidationError as exc:
            raws = validation_problems(exc, merged, _written(source.index, index))
            checked = _as_meant(merged, raws, (index, source.index))
            if all(raw.problem.code == "CG120" for raw in raws):
                # only unknown keys: the variant read as meant (or, if that is not valid,
                # without them) is checked further, so that a missing logo is still
                # reported; it is never built
                for meant in (checked, _as_meant(merged, raws, (), rename=False)):
                    with contextlib.suppress(ValidationError):
                        spec = CardSpec.model_validate(meant)
                        break
        if spec is not None:
            used |= used_ids(spec)
        # read as meant, a misspelt `helpline:` adds no echoes about the ids it defines
        raws += cross_checks(checked)
        found_problems: list[Problem] = []
        for raw in raws:
            problem = raw.problem
            if any(problem.path[:len(e)] == e for e in echoes):
                continue
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
        if spec is not None and not any(p.severity == "error" and p.code != "CG120"
                                        for p in found_problems):
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
    errors = [p for p in problems if p.severity == "error"]
    if not keep_going:
        ProblemList(errors + cautions).raise_if_errors()
    elif any(p.code in _HOLDS_BACK for p in errors):
        # nothing of such a file is worth measuring: refuse it as it is
        raise InputError(errors + cautions)
    return LoadedCampaign(path, base_dir, slug, tuple(variants), tuple(cautions),
                          tuple(errors), locator)


#: errors after which no variant goes on to be checked: invisible characters and text too
#: long for any card are refused before anything measures them
_HOLDS_BACK = frozenset({"CG115", "CG116"})


def _child(value: Any, element: str | int) -> Any:
    if isinstance(value, dict):
        return value.get(element)
    if isinstance(value, list) and isinstance(element, int) and 0 <= element < len(value):
        return value[element]
    return None


def _as_meant(data: dict[str, Any], raws: list[Raw], indexes: tuple[Index, ...],
              *, rename: bool = True) -> dict[str, Any]:
    """`data` with each unknown key read as the key it most likely means (when that one is
    not written too), or left out: what the checks after validation read, so that a
    misspelt key neither hides the problems of what it holds nor echoes as problems of
    the ids it would have defined. The renamed paths are located where they are written."""
    unknown = [raw for raw in raws if raw.problem.code == "CG120"]
    if not unknown:
        return data
    meant = copy.deepcopy(data)
    for raw in unknown:
        path = raw.problem.path
        parent: Any = meant
        for element in path[:-1]:
            parent = _child(parent, element)
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        value = parent.pop(path[-1])
        if not rename or raw.meant is None or raw.meant in parent:
            continue
        parent[raw.meant] = value
        new = (*path[:-1], raw.meant)
        for index in indexes:
            for written, spot in list(index.items()):
                if written[:len(path)] == path:
                    index.setdefault((*new, *written[len(path):]), spot)
    return meant


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


def _key_in(index: Index) -> typing.Callable[[DocPath], Location | None]:
    def key(path: DocPath) -> Location | None:
        spot = index.get(path)
        return spot.key if spot is not None else None

    return key


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
