"""The `cardgen` command line: parses options, calls the core, prints messages, sets exit status.

Exit status: 0 done (warnings allowed), 1 the input has errors (or a QR failed verification,
or output could not be written), 2 usage errors (click's own). Every `CardgenError` becomes
exit status 1 in one place, `_run`; a user's mistake never shows a traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click

from cardgen import __version__
from cardgen.errors import CardgenError, Problem

T = TypeVar("T")


def _echo_problems(problems: list[Problem]) -> None:
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        click.secho(str(problem), err=True, fg=colour)


def _run(action: Callable[[], T]) -> T:
    """Runs a core call; a CardgenError is printed as located problems and exits with 1."""
    try:
        return action()
    except CardgenError as error:
        problems = error.problems()
        _echo_problems(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        click.secho(
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}: nothing was written.",
            err=True, fg="red",
        )
        sys.exit(1)


class _ProgressBar:
    """The core's progress(stage, done, total) drawn as a click progress bar on stderr, one
    bar per stage, and only once the run has lasted `delay` seconds: short runs stay quiet."""

    LABELS: ClassVar[dict[str, str]] = {
        "check": "Laying out", "render": "Drawing   ", "verify": "Verifying "}

    def __init__(self, delay: float = 1.0) -> None:
        self.start = time.monotonic()
        self.delay = delay
        self.stage = ""
        self.bar: Any = None
        self.shown = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None and time.monotonic() - self.start < self.delay:
            return
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=max(total, 1), label=self.LABELS.get(
                stage, stage), file=sys.stderr, show_pos=True)
            self.bar.__enter__()
            self.shown = 0
        if done > self.shown:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _summary(result: Any, output_dir: Path) -> None:
    """What was made: variants, cards, sheets, surplus, codes verified, files written."""
    variants = len(result.variants)
    surplus = sum(v.surplus for v in result.variants)
    click.echo(
        f"{variants} variant{'s' if variants != 1 else ''}, "
        f"{result.cards} cards on {result.sheets} sheet{'s' if result.sheets != 1 else ''} "
        f"({result.pages} pages), {surplus} surplus; "
        f"{result.verified_codes} QR code{'s' if result.verified_codes != 1 else ''} "
        "verified by decoding."
    )
    files = list(result.files)
    if len(files) <= 5:
        for path in files:
            click.echo(f"wrote {path}")
        return
    # A split batch writes hundreds of files: name the folders, not every file.
    folders = sorted({str(p.parent) for p in files})
    click.echo(f"wrote {len(files)} files in {', '.join(folders)}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cardgen")
def main() -> None:
    """Print-ready PDF sheets of small, discreet helpline cards with QR codes that scan."""


input_file = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


@main.command()
@input_file
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Folder for the PDF and manifest.")
@click.option("--split", is_flag=True, help="One PDF per variant: OUTPUT/<campaign>/<id>.pdf.")
@click.option("--variant", "variants", multiple=True, metavar="ID",
              help="Build only this variant (repeatable).")
@click.option("--variants", "variants_csv", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="A CSV of variants, one a row.")
@click.option("--start-at", type=click.IntRange(min=1), help="First slot on the first sheet.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar and no summary; warnings and errors only.")
def build(file: Path, output_dir: Path, split: bool, variants: tuple[str, ...],
          variants_csv: Path | None, start_at: int | None, strict: bool, quiet: bool) -> None:
    """Validate, render and verify FILE; write the PDF(s) and a manifest."""
    from cardgen.build import BuildOptions, build_campaign

    options = BuildOptions(output_dir=output_dir, split=split, strict=strict,
                           only_variants=variants, variants_csv=variants_csv,
                           start_at=start_at)
    bar = _ProgressBar() if not quiet and sys.stderr.isatty() else None
    try:
        result = _run(lambda: build_campaign(file, options, progress=bar))
    finally:
        if bar is not None:
            bar.close()
    _echo_problems(list(result.warnings))
    if not quiet:
        _summary(result, output_dir)


@main.command()
@input_file
@click.option("--variants", "variants_csv", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="A CSV of variants, one a row.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(file: Path, variants_csv: Path | None, strict: bool) -> None:
    """Report every error and warning in FILE, with its position; write nothing."""
    from cardgen.build import BuildOptions, check_campaign

    problems = _run(lambda: check_campaign(
        file, BuildOptions(strict=strict, variants_csv=variants_csv)))
    _echo_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors:
        click.secho(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning"
                    f"{'s' if warnings != 1 else ''}.", err=True, fg="red")
        sys.exit(1)
    click.echo(f"{file}: no errors, {warnings} warning{'s' if warnings != 1 else ''}.")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the YAML file (for editor completion)."""
    import json

    from cardgen.model import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
