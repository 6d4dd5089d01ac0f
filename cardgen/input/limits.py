"""Documented caps on what one run reads and makes, so hostile or mistaken input fails
with a clear message instead of exhausting memory or disk.

The numbers are far above any real campaign (a county prints a few thousand cards for a few
hundred schools) and are listed in the README.

Codes:

- CG160 error: the campaign YAML or variants CSV file is larger than allowed.
- CG161 error: more variants than allowed.
- CG162 error: more cards in one run than allowed.
"""

from __future__ import annotations

from pathlib import Path

from cardgen.errors import InputError, Location, Problem

MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_VARIANTS = 5_000
MAX_CARDS = 200_000


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def file_size_problem(path: Path, limit: int, what: str, shown: str | None = None
                      ) -> Problem | None:
    """A CG160 problem if the file at `path` is bigger than `limit` bytes (None if not, or
    if it cannot be stat'ed: reading it reports that)."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size <= limit:
        return None
    return Problem(
        "CG160", f"the {what} is {_mb(size)}; cardgen reads at most {_mb(limit)}", "error",
        "check that this is the right file; split a very large campaign into several files",
        (), Location(shown or str(path)))


def check_file_size(path: Path, limit: int, what: str) -> None:
    problem = file_size_problem(path, limit, what)
    if problem is not None:
        raise InputError([problem])


def check_text_size(text: str, limit: int, what: str, shown: str) -> None:
    """CG160, as for a file, when YAML given in memory is bigger than `limit` bytes."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError([Problem(
            "CG160", f"the {what} is {_mb(size)}; cardgen reads at most {_mb(limit)}",
            "error", "check that this is the right text; split a very large campaign into "
            "several files", (), Location(shown))])


def variants_problem(count: int, where: Location | None) -> Problem | None:
    if count <= MAX_VARIANTS:
        return None
    return Problem(
        "CG161", f"the campaign has {count:,} variants; one run makes at most "
        f"{MAX_VARIANTS:,}", "error",
        "split the variants over several CSV files and build each one (--variants FILE)",
        (), where)


def cards_problem(count: int, where: Location | None) -> Problem | None:
    if count <= MAX_CARDS:
        return None
    return Problem(
        "CG162", f"this run would print {count:,} cards; one run makes at most "
        f"{MAX_CARDS:,}", "error",
        "lower print.copies, or build the variants in several runs (--variant ID)",
        (), where)
