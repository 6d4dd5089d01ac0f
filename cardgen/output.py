"""Writing what a build made: files replaced atomically (or not at all), and the manifest.

Every file goes to a temporary name in its folder first and is renamed only when every file
of the run is ready; a run that fails part-way (an error, a full disk, Ctrl-C) leaves the
previous files as they were and no partial file. A PDF drawn page by page waits in `Staging`
under its temporary name until verification has passed. A file cardgen did not write is not
replaced unless asked, and nothing is written outside the output folder.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cardgen.errors import OutputError
from cardgen.layout.pages import VariantReport


class Staging:
    """Rendered PDFs waiting, under temporary names in their own folders, for verification
    and the final rename; removed with any folder made for them if the run fails."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.parts: list[Path] = []
        self.made: list[Path] = []

    def part(self, name: str) -> Path:
        folder = (self.output_dir / name).parent
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.made.extend(missing)
            return _new_part(folder, (self.output_dir / name).name, self.parts)
        except OSError as exc:
            raise OutputError(f"could not write to {self.output_dir}: {exc.strerror or exc}",
                              fix="choose another folder with -o, or free some disk space"
                              ) from exc

    def discard(self) -> None:
        for part in self.parts:
            part.unlink(missing_ok=True)
        for folder in self.made:  # deepest first
            with contextlib.suppress(OSError):  # not empty: something else is there
                folder.rmdir()


def manifest_csv(reports: Sequence[VariantReport]) -> str:
    """variant, code, copies, printed, surplus, sheets, pages (that hold the variant's
    cards), file, every QR payload and the error-correction level (L, M, Q, H) each code
    got, then a column for each dotted key a variant sets (its CSV columns, such as
    helplines.dsl.phone), so a row can be checked against its sheet."""
    settings: dict[str, None] = {}
    for r in reports:
        settings.update((key, None) for key, _ in r.settings)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variant", "code", "copies", "printed", "surplus", "sheets", "pages",
                     "file", "front_qr", "back_qr", "front_qr_error_correction",
                     "back_qr_error_correction", *settings])
    for r in reports:
        own = dict(r.settings)
        writer.writerow([r.id, r.code, r.copies, r.printed, r.surplus, r.sheets,
                         f"{r.first_page}-{r.last_page}", r.file,
                         r.payloads.get("front_qr", ""), r.payloads.get("back_qr", ""),
                         r.payloads.get("front_qr_error_correction", ""),
                         r.payloads.get("back_qr_error_correction", ""),
                         *(own.get(key, "") for key in settings)])
    return out.getvalue()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: how every manifest cardgen writes begins (later columns may be added)
MANIFEST_START = b"variant,code,copies,"


def written_by_cardgen(path: Path) -> bool:
    """Whether the file at `path` is one cardgen wrote: a PDF whose /Creator is cardgen, or
    a manifest starting with cardgen's header line. Anything else is the user's."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(MANIFEST_START))
            if head.startswith(b"%PDF-"):
                return b"/Creator (cardgen)" in head + handle.read()
    except OSError:
        return False
    return head == MANIFEST_START


def _new_part(directory: Path, name: str, parts: list[Path]) -> Path:
    """An empty temporary file beside `name` in `directory`, listed in `parts`."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    os.close(fd)
    # listed before writing, so a write that fails half-way is cleaned up too
    parts.append(Path(tmp_name))
    return Path(tmp_name)


def _write_part(directory: Path, name: str, data: bytes | Path, parts: list[Path]) -> Path:
    if isinstance(data, Path):
        # Already written (a PDF rendered page by page): it only needs making durable.
        if data.parent.resolve() != directory.resolve():
            raise ValueError(f"{data} is not in {directory}: it could not be renamed at once")
        part = data
        parts.append(part)
        with part.open("rb+") as handle:
            os.fsync(handle.fileno())
    else:
        part = _new_part(directory, name, parts)
        with part.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    # mkstemp makes files only their owner can read; a PDF is for sharing.
    os.chmod(part, 0o666 & ~_current_umask())
    return part


def check_targets(output_dir: Path, outputs: Iterable[str], *, protect: bool) -> list[Path]:
    """Where each of `outputs` (names relative to `output_dir`) will be written; raises
    OutputError for a name outside the folder, a folder in the way, or (with `protect`) a
    file cardgen did not write."""
    root = output_dir.resolve()
    targets: list[Path] = []
    for name in outputs:
        target = (output_dir / name).resolve()
        if root not in target.parents:
            raise OutputError(f"refusing to write {target} outside {output_dir}", code="CG902",
                              fix="use variant ids and a campaign name made of letters, "
                              "digits, '-' and '_'")
        if target.is_dir():
            raise OutputError(f"{target} is a folder, where cardgen would write a file",
                              code="CG903", fix="rename or move that folder, or use -o")
        if protect and target.exists() and not written_by_cardgen(target):
            raise OutputError(
                f"refusing to overwrite {target}: cardgen did not write it", code="CG901",
                fix="move that file away, choose another folder with -o, or add --force to "
                "replace it")
        targets.append(target)
    return targets


def write_atomically(output_dir: Path, outputs: Mapping[str, bytes | Path], *,
                     protect: bool = False) -> list[Path]:
    """Writes every file to a temporary name in its folder, then renames them all: a run that
    fails part-way (an error, a full disk, Ctrl-C) leaves the previous files as they were and
    no partial file. With `protect`, a file cardgen did not write (not its PDF or manifest)
    is not replaced. A Path value is a file already written under a temporary name in the
    target's folder (a large PDF): it is renamed, or removed if the run fails."""
    targets = check_targets(output_dir, outputs, protect=protect)
    parts: list[Path] = []
    renamed: list[Path] = []
    backups: dict[Path, Path | None] = {}
    try:
        for target, data in zip(targets, outputs.values(), strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_part(target.parent, target.name, data, parts)
        # keep the previous files (hard links, no copying) until every rename is done, so
        # the set of files is replaced as a whole or not at all
        for target in targets:
            backups[target] = None
            if target.exists():
                backup = target.with_name(f".{target.name}.previous.part")
                backup.unlink(missing_ok=True)
                os.link(target, backup)
                backups[target] = backup
        for part, target in zip(parts, targets, strict=True):
            # listed first: an interrupt right after the rename must still undo it (undoing
            # a rename that did not happen is harmless)
            renamed.append(target)
            os.replace(part, target)
    except BaseException as exc:
        _roll_back(parts, renamed, backups)
        if isinstance(exc, OSError):
            raise OutputError(f"could not write to {output_dir}: {exc.strerror or exc}",
                              fix="choose another folder with -o, or free some disk space"
                              ) from exc
        raise
    for kept in backups.values():
        if kept is not None:
            kept.unlink(missing_ok=True)
    return targets


def _roll_back(parts: list[Path], renamed: list[Path],
               backups: dict[Path, Path | None]) -> None:
    """Undoes a write: temporary files go, renamed targets get their previous file back."""
    for part in parts:
        part.unlink(missing_ok=True)
    for target in renamed:
        backup = backups.get(target)
        if backup is not None:
            os.replace(backup, target)
        else:
            target.unlink(missing_ok=True)
    for backup in backups.values():
        if backup is not None:
            backup.unlink(missing_ok=True)
