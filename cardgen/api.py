"""cardgen's public Python API: `check`, `build` and `preview` (and a `Session` holding caches).

This is the face of the library: the command line and the studio call these and nothing
else. Every other module is internal and may change.

A *source* is one of:

- a `Path` (or a `str` naming a `.yaml`/`.yml` file, on one line): the campaign file; files
  it names (logo, variants CSV, design, font) are relative to its folder;
- a YAML string: its problems are located as `<string>:line:column`;
- a dict, the YAML's top level as Python data: its problems are located in the dict
  written out as YAML (`<dict>:line:column`, see `yaml_text`), and every `Problem.path`
  names the key (e.g. `("helplines", "nspcc", "phone")`).

For a string or a dict, files are relative to `base_dir` (default: the current folder).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from cardgen.errors import CardgenError, Problem, sorted_problems

#: a campaign: a path, a YAML string or the YAML's top level as a dict
CampaignSource = Path | str | Mapping[str, Any]
#: progress(stage, done, total): stage "check" (variants laid out), "render" (files drawn)
#: or "verify" (QR codes decoded back); `done` counts up to `total` within a stage
Progress = Callable[[str, int, int], None]
PreviewSide = Literal["front", "back", "sheet", "sheet-back"]

STRING_NAME = "<string>"
DICT_NAME = "<dict>"


@dataclass(frozen=True)
class BuildResult:
    """What `build` made. Verification always ran: `codes_verified` QR codes were decoded
    back from the finished PDF(s) and matched their payloads.

    Built in memory (no `output_dir`), `pdfs` holds every PDF's bytes by its file name
    (`<campaign>.pdf`, or `<campaign>/<variant>.pdf` each with `split`) and `pdf` is the one
    PDF of an unsplit build (None when split). Built into `output_dir`, `paths` lists the
    files written (the PDFs and the manifest), `pdf` is None and `pdfs` empty.
    """

    pdf: bytes | None
    pdfs: Mapping[str, bytes]
    paths: tuple[Path, ...]
    #: one row per variant, as in the manifest CSV: variant, code, copies, printed,
    #: surplus, sheets, pages, file, front_qr, back_qr (and what each variant sets)
    manifest: tuple[dict[str, str], ...]
    manifest_csv: bytes
    warnings: tuple[Problem, ...]
    codes_verified: int
    cards: int
    sheets: int
    pages: int
    #: what the camera check saw, in a line: the code shapes photographed in simulated phone
    #: captures, and the weakest code's captures and margin ("" when none was photographed)
    camera_check: str = ""


@dataclass(frozen=True)
class Previews:
    """Pictures made by `Session.previews`: PNG bytes by name (`<variant>-front.png`,
    `<variant>-back.png`, `<variant>-sheet-front.png`, `<variant>-sheet-back.png`), the
    files written (with an `output_dir`, in its `preview/` folder) and the warnings."""

    images: Mapping[str, bytes]
    paths: tuple[Path, ...]
    warnings: tuple[Problem, ...]


def yaml_text(data: Mapping[str, Any]) -> str:
    """A dict source as the YAML that cardgen reads (and locates its problems in)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    # in the dict's own order: helplines are printed in the order they are listed
    yaml.representer.sort_base_mapping_type_on_output = False
    out = io.StringIO()
    yaml.dump(_plain(data), out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """Mappings as dicts, sequences as lists, paths as strings: what YAML can write."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _looks_like_file(text: str) -> bool:
    return "\n" not in text and text.strip().lower().endswith((".yaml", ".yml"))


def _source(source: CampaignSource, base_dir: Path | str | None) -> Any:
    from cardgen.pipeline import Source

    if isinstance(source, Path) or (isinstance(source, str) and _looks_like_file(source)):
        path = Path(source)
        return Source(path, None, Path(base_dir) if base_dir is not None else None)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if isinstance(source, str):
        return Source(Path(STRING_NAME), source, base)
    if isinstance(source, Mapping):
        return Source(Path(DICT_NAME), yaml_text(source), base)
    raise TypeError(f"a campaign source is a Path, a YAML string or a dict, not "
                    f"{type(source).__name__}")


def _options(**given: Any) -> Any:
    from cardgen.pipeline import BuildOptions

    variants = given.pop("variants", None)
    if isinstance(variants, str):
        variants = (variants,)
    csv_path = given.pop("variants_csv", None)
    return BuildOptions(only_variants=tuple(variants or ()),
                        variants_csv=Path(csv_path) if csv_path is not None else None,
                        **given)


def _rows(manifest: bytes) -> tuple[dict[str, str], ...]:
    return tuple(csv.DictReader(io.StringIO(manifest.decode("utf-8"))))


class Session:
    """Checks, builds and previews that share the faces and fitted text they have laid out
    before and the campaign text they have read (bounded; fonts and designs are loaded once
    a process anyway),
    so that a studio calling `check` and `preview` on every keystroke answers fast. The
    module functions `check`, `build` and `preview` each use a fresh session. A session is
    not safe to share between threads."""

    def __init__(self) -> None:
        from cardgen.pipeline import Caches

        # Faces and fitted text by everything they depend on (the words, the design, the
        # fonts, the sizes), so a changed campaign never gets a stale face; bounded.
        self._cache = Caches()

    def check(self, source: CampaignSource, *, base_dir: Path | str | None = None,
              strict: bool = False, variants_csv: Path | str | None = None
              ) -> list[Problem]:
        """Every error and warning in the campaign, located, in file order; nothing is
        drawn or written. Never raises for a mistake in the document: even a file that
        cannot be read as a campaign comes back as its problems."""
        from cardgen.pipeline import check_campaign

        try:
            return check_campaign(_source(source, base_dir),
                                  _options(strict=strict, variants_csv=variants_csv),
                                  cache=self._cache)
        except CardgenError as error:
            # A document that cannot be read as a campaign: its problems as they were found
            # (with `strict` too: there are errors already).
            return sorted_problems(error.problems())

    def build(self, source: CampaignSource, output_dir: Path | str | None = None, *,
              base_dir: Path | str | None = None, variants: Sequence[str] | None = None,
              split: bool = False, start_at: int | None = None,
              progress: Progress | None = None, strict: bool = False, force: bool = False,
              variants_csv: Path | str | None = None) -> BuildResult:
        """Checks, lays out, draws and verifies the cards (all variants, or those named in
        `variants`), then writes the PDF(s) and the manifest into `output_dir` atomically,
        or, with no `output_dir`, returns them as bytes and writes nothing.

        Raises `CardgenError` (`InputError`, whose `problems()` are every error and
        warning) when the input has errors, `VerificationError` when a code does not read
        back, `OutputError` when the files cannot be written; nothing is written then."""
        from cardgen.pipeline import build_campaign, build_in_memory

        options = _options(split=split, strict=strict, force=force, variants=variants,
                           variants_csv=variants_csv, start_at=start_at,
                           **({"output_dir": Path(output_dir)} if output_dir is not None
                              else {}))
        made = _source(source, base_dir)
        if output_dir is None:
            built = build_in_memory(made, options, progress, cache=self._cache)
        else:
            built = build_campaign(made, options, progress, cache=self._cache)
        pdfs = dict(built.documents)
        whole = None if split or output_dir is not None else next(iter(pdfs.values()), None)
        return BuildResult(
            pdf=whole, pdfs=pdfs, paths=built.files, manifest=_rows(built.manifest),
            manifest_csv=built.manifest, warnings=built.warnings,
            codes_verified=built.verified_codes, cards=built.cards, sheets=built.sheets,
            pages=built.pages, camera_check=built.scan.summary() if built.scan else "")

    def preview(self, source: CampaignSource, *, side: PreviewSide = "front",
                variant: str | None = None, dpi: int = 200,
                base_dir: Path | str | None = None) -> bytes:
        """A PNG of one face (`front`, `back`) of one variant (the first when None), drawn
        by the code that prints, its QR codes decoded back first; or of the first printed
        sheet (`sheet`, and its back `sheet-back`) of that variant as `build` makes it
        (with no `variant`, of the whole campaign, which is then built in memory).
        Raises `CardgenError` as `build` does, and CG950 for a side the card does not
        have."""
        from cardgen.pictures import face_images, sheet_images

        if side not in get_args(PreviewSide):
            # Before the build it would take to find no such face, and its advice on backs.
            raise ValueError(f"side is one of {', '.join(get_args(PreviewSide))}, not {side!r}")
        made = _source(source, base_dir)
        wanted = (variant,) if variant is not None else ()
        if side in ("sheet", "sheet-back"):
            pictures = sheet_images(made, _options(variants=wanted), dpi=dpi,
                                    split=variant is not None, cache=self._cache)
            name = "sheet-front" if side == "sheet" else "sheet-back"
        else:
            pictures = face_images(made, _options(variants=wanted), dpi=dpi,
                                   sides=(side,), first_only=variant is None,
                                   cache=self._cache)
            name = side
        for key, png in pictures.images.items():
            if key.endswith(f"-{name}.png"):
                return png
        raise CardgenError(f"this card has no {side.replace('-', ' ')} to preview",
                           code="CG950",
                           fix="add a back: face (and print.duplex) for a back, or preview "
                           "the front")

    def previews(self, source: CampaignSource, output_dir: Path | str | None = None, *,
                 sheet: bool = False, variants: Sequence[str] | None = None,
                 dpi: int | None = None, base_dir: Path | str | None = None,
                 variants_csv: Path | str | None = None) -> Previews:
        """Every face of every variant asked for (all by default) as PNG, or with `sheet`
        the first printed sheet of each (front and back); written into
        `output_dir/preview/` when an `output_dir` is given. `dpi` defaults to 150 for
        faces, 100 for sheets."""
        from cardgen.pictures import face_images, sheet_images

        made = _source(source, base_dir)
        options = _options(variants=variants, variants_csv=variants_csv)
        if sheet:
            pictures = sheet_images(made, options, dpi=100 if dpi is None else dpi,
                                    cache=self._cache)
        else:
            pictures = face_images(made, options, dpi=150 if dpi is None else dpi,
                                   cache=self._cache)
        paths: tuple[Path, ...] = ()
        if output_dir is not None:
            from cardgen.output import write_atomically

            paths = tuple(write_atomically(Path(output_dir), {
                f"preview/{name}": png for name, png in pictures.images.items()}))
        return Previews(dict(pictures.images), paths, pictures.warnings)


def check(source: CampaignSource, *, base_dir: Path | str | None = None,
          strict: bool = False, variants_csv: Path | str | None = None) -> list[Problem]:
    """Every error and warning in the campaign (see `Session.check`)."""
    return Session().check(source, base_dir=base_dir, strict=strict,
                           variants_csv=variants_csv)


def build(source: CampaignSource, output_dir: Path | str | None = None, *,
          base_dir: Path | str | None = None, variants: Sequence[str] | None = None,
          split: bool = False, start_at: int | None = None,
          progress: Progress | None = None, strict: bool = False, force: bool = False,
          variants_csv: Path | str | None = None) -> BuildResult:
    """Checked, verified PDF(s) and manifest, as bytes or written (see `Session.build`)."""
    return Session().build(source, output_dir, base_dir=base_dir, variants=variants,
                           split=split, start_at=start_at, progress=progress, strict=strict,
                           force=force, variants_csv=variants_csv)


def preview(source: CampaignSource, *, side: PreviewSide = "front", variant: str | None = None,
            dpi: int = 200, base_dir: Path | str | None = None) -> bytes:
    """A PNG of one face or of the first printed sheet (see `Session.preview`)."""
    return Session().preview(source, side=side, variant=variant, dpi=dpi, base_dir=base_dir)


__all__ = ["BuildResult", "CampaignSource", "Previews", "Progress", "Session", "build",
           "check", "preview", "yaml_text"]
