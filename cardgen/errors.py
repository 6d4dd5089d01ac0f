"""The one exception family of cardgen, and the located problems that input checks produce.

Every problem a user can cause is a `Problem` with a stable code, a message that says
what is wrong, a fix that says what to change, and where (file:line:column or CSV row).
Checks collect problems instead of raising at the first one, so `check` can report them
all at once; `InputError` carries the collected errors to the command line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic_core import PydanticCustomError

Severity = Literal["error", "warning"]
#: A path into the user's document: keys and list indexes, e.g. ("helplines", "nspcc", "phone").
DocPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Location:
    """Where in the user's files a problem is: a YAML position or a CSV cell."""

    file: str
    line: int | None = None
    column: int | None = None
    csv_column: str | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.csv_column is not None:
            return f"{self.file}:{self.line} (row {self.line}, column '{self.csv_column}')"
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One error or warning about the user's input."""

    code: str
    message: str
    severity: Severity = "error"
    fix: str | None = None
    path: DocPath = ()
    location: Location | None = None
    variant: str | None = None

    def located(self, location: Location | None) -> Problem:
        return Problem(
            self.code, self.message, self.severity, self.fix, self.path, location, self.variant
        )

    def for_variant(self, variant: str | None) -> Problem:
        return Problem(
            self.code, self.message, self.severity, self.fix, self.path, self.location, variant
        )

    def as_error(self) -> Problem:
        return Problem(self.code, self.message, "error", self.fix, self.path, self.location,
                       self.variant)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        who = f"[variant {self.variant}] " if self.variant else ""
        text = f"{where}{self.severity} {self.code}: {who}{self.message}"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class CardgenError(Exception):
    """Base of every error cardgen reports to a user (the CLI turns it into exit status 1)."""

    code = "CG000"

    def __init__(self, message: str, *, fix: str | None = None, code: str | None = None,
                 location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.location = location
        if code is not None:
            self.code = code

    def problems(self) -> list[Problem]:
        return [Problem(self.code, self.message, "error", self.fix, (), self.location)]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems())


class InputError(CardgenError):
    """The user's input has one or more errors; carries every problem found (warnings too)."""

    code = "CG100"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.all_problems: list[Problem] = sorted_problems(problems)
        errors = [p for p in self.all_problems if p.severity == "error"]
        first = errors[0].message if errors else "input has errors"
        super().__init__(first)

    def problems(self) -> list[Problem]:
        return list(self.all_problems)


class OutputError(CardgenError):
    """Writing the output failed (permissions, disk full, a file cardgen did not write)."""

    code = "CG900"


class WorkerLostError(CardgenError):
    """A worker process died mid-build (killed, out of memory, a crash in native code): its
    part of the work is lost, so the build stops instead of waiting for it for ever."""

    code = "CG990"


class VerificationError(CardgenError):
    """A rendered QR code did not decode back to its payload: the PDF must not be printed."""

    code = "CG800"


class ValueRefused(ValueError):
    """A value cardgen cannot use, found where the value is read (a phone number, an email
    address, a language tag, opening hours): its problem code, what is wrong with it, and
    what to change. Whoever reads the input turns it into a located `Problem`."""

    def __init__(self, code: str, message: str, fix: str) -> None:
        super().__init__(f"{message} ({fix})")
        self.code = code
        self.message = message
        self.fix = fix


#: The type of the pydantic error a `ValueRefused` becomes while the input is validated;
#: `input.errors_translate` reports it under the refusal's own code, message and fix.
VALUE_REFUSED = "value_refused"


def refused_in_validation(refusal: ValueRefused) -> PydanticCustomError:
    """`refusal` as pydantic carries it from a validator to `input.errors_translate`."""
    return PydanticCustomError(VALUE_REFUSED, "{message}", {
        "message": refusal.message, "code": refusal.code, "fix": refusal.fix})


@dataclass
class ProblemList:
    """Collects problems from several checks; raises `InputError` if any is an error."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self.items)


def _sort_key(p: Problem) -> tuple[str, int, int, str]:
    loc = p.location
    return (
        loc.file if loc else "",
        (loc.line or 0) if loc else 0,
        (loc.column or 0) if loc else 0,
        p.code,
    )


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file order, each reported once: variants often repeat a top-level one,
    which is then reported without a variant (it is not one variant's)."""
    unique: dict[tuple[str, str, Location | None], Problem] = {}
    for p in problems:
        key = (p.code, p.message, p.location)
        first = unique.get(key)
        if first is None:
            unique[key] = p
        elif first.variant != p.variant:
            unique[key] = first.for_variant(None)
    return sorted(unique.values(), key=_sort_key)

