"""What laying out faces remembers within one build (or one studio session), size bounded.

A batch fits the same title, text and national helplines on every card, and the QR side
search fits each column at several nearby widths per card, which mostly wrap the same. So
`cardgen.layout.face` keeps, in a `LayoutCache`:

- each fitted title, text, footer or write-in line (`plans`) and each fitted helpline entry
  (`entries`), by its words and scale, for the *spans* of column widths that wrap it the
  same (`Span`): not one fit per width;
- each whole face laid out (`faces`), by everything its layout reads;
- a small number for each context the fitting reads besides the words (side, design, fonts,
  colours, language), which keeps the keys cheap to hash.

A cache is made for a build and passed down (a `cardgen.Session` keeps one across calls);
nothing is kept in module globals, so one build's faces never answer for another's. Every
table is bounded: one that reaches its size is emptied and fills again.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cardgen.errors import DocPath

V = TypeVar("V")

#: keys a table of fitted text or helpline entries holds before it is emptied
TABLE_SIZE = 16384
#: spans of widths kept for one key (the latest)
SPANS_PER_KEY = 8
#: whole faces (and QR payloads seen) kept before the table is emptied
FACES_SIZE = 4096
#: fitting contexts numbered before the table is emptied
CONTEXTS_SIZE = 1024


@dataclass
class Span:
    """The column widths w that give the same lines as the width they were wrapped to:
    `low <= w + 1e-9` and not `high <= w + 1e-9` (the comparisons the greedy wrap makes),
    or exactly `exact` for shaped text, whose wrap does not say."""

    low: float = -math.inf
    high: float = math.inf
    exact: float | None = None

    def holds(self, width: float) -> bool:
        if self.exact is not None:
            return width == self.exact
        limit = width + 1e-9
        return self.low <= limit and not self.high <= limit


@dataclass(frozen=True)
class TooWide:
    """An entry that does not fit its column: the word or number wider than it."""

    token: tuple[str, str, DocPath, float, float]


class Holds:
    """Says whether a plan made at one width is the plan at another width."""

    def holds(self, width: float) -> bool:
        raise NotImplementedError


ANY_WIDTH = Span()  # a logo does not depend on the width


@dataclass
class BlockHolds(Holds):
    """The widths at which the helplines block makes the same choices: each column count
    is tried or stops the search as before, and every entry wraps the same in its column.
    A block where an entry did not fit holds at no other width."""

    gap: float
    column_min: float
    tried: list[tuple[int, bool, list[Span]]]
    failed: bool = False

    def holds(self, width: float) -> bool:
        if self.failed:
            return False
        for columns, stopped, spans in self.tried:
            col_w = (width - self.gap * (columns - 1)) / columns
            if (columns > 1 and col_w < self.column_min) != stopped:
                return False
            if not all(span.holds(col_w) for span in spans):
                return False
        return True


class SpanTable(Generic[V]):
    """Values by key, each kept with the span of widths it holds for; a key keeps its
    `per_key` latest spans, and the table is emptied when it reaches `size` keys."""

    def __init__(self, size: int = TABLE_SIZE, per_key: int = SPANS_PER_KEY) -> None:
        self.size = size
        self.per_key = per_key
        self._kept: dict[tuple[object, ...], list[tuple[Span, V]]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def find(self, key: tuple[object, ...], width: float) -> tuple[V, Span] | None:
        """The value kept for `key` whose span holds `width`, and that span."""
        for span, value in self._kept.get(key, ()):
            if span.holds(width):
                return value, span
        return None

    def keep(self, key: tuple[object, ...], span: Span, value: V) -> None:
        fits = self._kept.get(key)
        if fits is None:
            if len(self._kept) >= self.size:
                self._kept.clear()
            fits = self._kept[key] = []
        if len(fits) >= self.per_key:
            del fits[0]
        fits.append((span, value))


class LayoutCache:
    """Everything `layout_face` remembers for one build or session (see the module)."""

    def __init__(self, *, size: int = TABLE_SIZE, faces: int = FACES_SIZE,
                 contexts: int = CONTEXTS_SIZE) -> None:
        #: fitted helpline entries: slots, or the word too wide for the column
        self.entries: SpanTable[Any] = SpanTable(size)
        #: fitted title, text, footer and write-in plans
        self.plans: SpanTable[Any] = SpanTable(size)
        self._faces_size = faces
        self._faces: dict[tuple[object, ...], Any] = {}
        #: QR payloads laid out before; a face can be in the cache only with one of these
        self._payloads_seen: set[str] = set()
        self._contexts_size = contexts
        self._contexts: dict[tuple[object, ...], int] = {}
        # Context ids are never reused, so emptying the table (to bound it) cannot make an
        # old entry answer for a new context.
        self._context_ids = itertools.count(1)

    def context_id(self, key: tuple[object, ...]) -> int:
        """A small number standing for `key`, the same for the cache's life."""
        found = self._contexts.get(key)
        if found is None:
            if len(self._contexts) >= self._contexts_size:
                self._contexts.clear()
            found = self._contexts[key] = next(self._context_ids)
        return found

    def first_sight(self, payload: str) -> bool:
        """Whether `payload` is new to this cache (it is remembered from now on). A batch of
        tracked links has a new payload on every card: no face with it can be kept yet, so
        it is laid out without spelling out the face's key; one seen again is kept from its
        second card on."""
        if payload in self._payloads_seen:
            return False
        if len(self._payloads_seen) >= self._faces_size:
            self._payloads_seen.clear()
        self._payloads_seen.add(payload)
        return True

    def face(self, key: tuple[object, ...]) -> Any:
        """The face kept for `key`, or None."""
        return self._faces.get(key)

    def keep_face(self, key: tuple[object, ...], value: Any) -> None:
        if len(self._faces) >= self._faces_size:
            self._faces.clear()
        self._faces[key] = value

    def __len__(self) -> int:
        """Keys kept in all the tables (for tests and bounds)."""
        return (len(self.entries) + len(self.plans) + len(self._faces)
                + len(self._payloads_seen) + len(self._contexts))


__all__ = ["ANY_WIDTH", "BlockHolds", "Holds", "LayoutCache", "Span", "SpanTable", "TooWide"]
