"""The `cardgen` command line: parses options, calls the core, prints messages, sets exit status.

Exit status: 0 done (warnings allowed), 1 the input has errors (or a QR failed verification,
or output could not be written), 2 usage errors (click's own). Every `CardgenError` becomes
exit status 1 in one place, `_run`; a user's mistake never shows a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click

from cardgen import __version__
from cardgen.api import BuildResult
from cardgen.errors import CardgenError, Problem

T = TypeVar("T")


def _echo_problems(problems: list[Problem]) -> None:
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        click.secho(str(problem), err=True, fg=colour)


def counted(count: int, noun: str) -> str:
    """'1 card', '2 cards', '0 cards': a count and its noun, singular only for one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _run(action: Callable[[], T], *, writes: bool = True) -> T:
    """Runs a core call; a CardgenError is printed as located problems and exits with 1."""
    try:
        return action()
    except CardgenError as error:
        problems = error.problems()
        _echo_problems(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        click.secho(
            f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"
            + (": nothing was written." if writes else "."),
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


def _summary(result: BuildResult, output_dir: Path) -> None:
    """What was made: variants, cards, sheets, surplus, codes verified, files written."""
    variants = len(result.manifest)
    surplus = sum(int(row["surplus"]) for row in result.manifest)
    click.echo(
        f"{counted(variants, 'variant')}, {counted(result.cards, 'card')} on "
        f"{counted(result.sheets, 'sheet')} ({counted(result.pages, 'page')}), "
        f"{surplus} surplus; {counted(result.codes_verified, 'QR code')} verified by "
        "decoding."
    )
    if result.camera_check:
        click.echo(f"Camera check: {result.camera_check}.")
    files = list(result.paths)
    if len(files) <= 5:
        for path in files:
            click.echo(f"wrote {path}")
        return
    # A split batch writes hundreds of files: name the folders, not every file.
    folders = sorted({str(p.parent) for p in files})
    click.echo(f"wrote {counted(len(files), 'file')} in {', '.join(folders)}")


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
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar and no summary; warnings and errors only.")
def build(file: Path, output_dir: Path, split: bool, variants: tuple[str, ...],
          variants_csv: Path | None, start_at: int | None, strict: bool, force: bool,
          quiet: bool) -> None:
    """Validate, render and verify FILE; write the PDF(s) and a manifest."""
    from cardgen import api

    bar = _ProgressBar() if not quiet and sys.stderr.isatty() else None
    try:
        result = _run(lambda: api.build(
            file, output_dir, split=split, strict=strict, variants=variants,
            variants_csv=variants_csv, start_at=start_at, force=force, progress=bar))
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
    from cardgen import api

    problems = api.check(file, strict=strict, variants_csv=variants_csv)
    _echo_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors:
        click.secho(f"{counted(errors, 'error')}, {counted(warnings, 'warning')}.", err=True,
                    fg="red")
        sys.exit(1)
    click.echo(f"{file}: no errors, {counted(warnings, 'warning')}.")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the YAML file (for editor completion)."""
    import json

    from cardgen.input.model import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("-i", "--interactive", is_flag=True,
              help="Ask for the campaign name, local helplines and link.")
def init(directory: Path, interactive: bool) -> None:
    """Write a commented starter DIRECTORY/cards.yaml that builds as it is."""
    from cardgen import starter

    answers = starter.ask_answers(_click_ask, _warn) if interactive else None
    written = _run(lambda: starter.write_starter(directory, answers))
    for path in written:
        click.echo(f"wrote {path}")
    cards = directory / starter.CARDS_FILE
    click.echo(f"Next: edit {cards}, then run\n    cardgen preview {cards}\n"
               f"    cardgen build {cards}")


def _warn(text: str) -> None:
    click.secho(text, err=True, fg="yellow")


def _click_ask(question: str, default: str | None, check: Callable[[str], str]) -> str:
    """Prompts until `check` accepts the answer, saying what to change after each refusal."""
    def value_proc(text: str) -> str:
        try:
            return check(text)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None

    return str(click.prompt(question, default=default, value_proc=value_proc,
                            show_default=bool(default)))


@main.command()
@input_file
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True,
              help="Pictures go in OUTPUT/preview/.")
@click.option("--variant", "variants", multiple=True, metavar="ID",
              help="Only this variant (repeatable).")
@click.option("--variants", "variants_csv", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="A CSV of variants, one a row.")
@click.option("--dpi", type=int, default=None, help="Resolution [default: 150, sheets 100].")
@click.option("--sheet", is_flag=True, help="Picture the first printed sheet instead.")
def preview(file: Path, output_dir: Path, variants: tuple[str, ...],
            variants_csv: Path | None, dpi: int | None, sheet: bool) -> None:
    """PNG pictures of each face of each card, drawn by the same code that prints."""
    from cardgen import api

    result = _run(lambda: api.Session().previews(
        file, output_dir, sheet=sheet, variants=variants, dpi=dpi, variants_csv=variants_csv))
    _echo_problems(list(result.warnings))
    for path in result.paths:
        click.echo(f"wrote {path}")


@main.command()
@input_file
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="PNG picture, SVG (text as outlines) or a one-page PDF.")
@click.option("--dpi", type=int, default=300, show_default=True,
              help="Resolution of PNG files.")
@click.option("--variant", "variants", multiple=True, metavar="ID",
              help="Only this variant (repeatable).")
@click.option("--variants", "variants_csv", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="A CSV of variants, one a row.")
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output") / "export", show_default=True,
              help="Folder for the files (<variant>-front.png, <variant>-back.png ...).")
def export(file: Path, fmt: str, dpi: int, variants: tuple[str, ...],
           variants_csv: Path | None, output_dir: Path) -> None:
    """Each face of each card as its own file, for sharing on screens; every QR code is
    decoded back from the file before it is written."""
    from cardgen.export import export_faces

    result = _run(lambda: export_faces(file, output_dir, fmt=fmt, dpi=dpi, variants=variants,
                                       variants_csv=variants_csv))
    _echo_problems(list(result.warnings))
    for path in result.files:
        click.echo(f"wrote {path}")


@main.group("list")
def list_() -> None:
    """What is built in: designs, sheets, sizes, fonts."""


@list_.command("designs")
@click.option("--preview", "contact_sheet", is_flag=True,
              help="Also write OUTPUT/designs.png picturing every design.")
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Folder for designs.png.")
def list_designs(contact_sheet: bool, output_dir: Path) -> None:
    """Built-in card designs (card.design)."""
    from cardgen import catalog

    click.echo(catalog.format_table(_run(catalog.designs_table)))
    if contact_sheet:
        from cardgen.output import write_atomically

        png = _run(catalog.designs_contact_sheet)
        for path in _run(lambda: write_atomically(output_dir, {"designs.png": png})):
            click.echo(f"wrote {path}")


@list_.command("sizes")
def list_sizes() -> None:
    """Card size presets (card.size)."""
    from cardgen import catalog

    click.echo(catalog.format_table(catalog.sizes_table()))


@list_.command("fonts")
def list_fonts() -> None:
    """Fonts that need no file of yours (card.font), with the scripts each covers."""
    from cardgen import catalog

    click.echo(catalog.format_table(catalog.fonts_table()))


@list_.command("sheets")
def list_sheets() -> None:
    """Built-in sheets: page, card size, cards per sheet, equivalent product codes."""
    from cardgen import catalog

    click.echo(catalog.format_table(catalog.sheets_table()))
    click.echo("\nprint.sheet takes a sheet name or any of its product codes, or the path to "
               "your own sheet .json file.")


@main.command()
@click.option("--sheet", "sheet", required=True, metavar="NAME",
              help="Card-stock sheet: name, product code or your own .json file.")
@click.option("--duplex", type=click.Choice(["long-edge", "short-edge"]), is_flag=False,
              flag_value="long-edge", default=None,
              help="Add a back page (long-edge unless you say short-edge).")
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Folder for the PDF.")
def calibrate(sheet: str, duplex: str | None, output_dir: Path) -> None:
    """A test page to measure your printer's offset on card stock."""
    from cardgen.calibrate import write_calibration

    path = _run(lambda: write_calibration(sheet, output_dir, duplex=duplex or "none"))
    click.echo(f"wrote {path}")
    click.echo("Print it at Actual size (100 %), read the scales where the real cuts cross "
               "them, and write the numbers as print.offset (see the page).")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("cards.yaml"))
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port on 127.0.0.1 [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
def studio(file: Path, port: int | None, no_browser: bool) -> None:
    """Edit FILE in your web browser, with a live preview (starts from the starter card and
    creates FILE on the first save when it does not exist). Ctrl-C stops it."""
    from cardgen.studio.server import serve

    def announce(line: str) -> None:
        click.echo(line)
        sys.stdout.flush()

    _run(lambda: serve(file, port=port, open_browser=not no_browser, announce=announce),
         writes=False)
    click.echo("cardgen studio: stopped", err=True)


def run() -> None:
    """The `cardgen` command: `main`, then out at once. Tearing the interpreter down after a
    big batch (collecting and freeing every object of 1,000 cards, one by one) took 60 ms,
    longer than drawing a hundred sheets; the operating system frees the memory anyway.
    Every file cardgen writes is closed (and synced) before `main` returns and its worker
    processes have ended, so only the standard streams are left to flush. An unexpected
    error still goes the usual way, with its traceback."""
    try:
        main()
    except SystemExit as done:
        code = done.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)


if __name__ == "__main__":
    run()
