"""The `cardgen` command line: parses options, calls the core, prints messages, sets exit status.

Exit status: 0 done (warnings allowed), 1 the input has errors (or a QR failed verification,
or output could not be written), 2 usage errors (click's own). Every `CardgenError` becomes
exit status 1 in one place, `_run`; a user's mistake never shows a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

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
@click.option("--force", is_flag=True,
              help="Replace output files even if cardgen did not write them.")
def build(file: Path, output_dir: Path, split: bool, variants: tuple[str, ...],
          variants_csv: Path | None, start_at: int | None, strict: bool, force: bool) -> None:
    """Validate, render and verify FILE; write the PDF(s) and a manifest."""
    from cardgen.build import BuildOptions, build_campaign

    options = BuildOptions(output_dir=output_dir, split=split, strict=strict,
                           only_variants=variants, variants_csv=variants_csv,
                           start_at=start_at, force=force)
    result = _run(lambda: build_campaign(file, options))
    _echo_problems(list(result.warnings))
    surplus = sum(v.surplus for v in result.variants)
    click.echo(
        f"{len(result.variants)} variant{'s' if len(result.variants) != 1 else ''}, "
        f"{result.cards} cards on {result.sheets} sheet{'s' if result.sheets != 1 else ''} "
        f"({result.pages} pages), {surplus} surplus; "
        f"{result.verified_codes} QR code{'s' if result.verified_codes != 1 else ''} "
        "verified by decoding."
    )
    for path in result.files:
        click.echo(f"wrote {path}")


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
