"""Safe output: nothing lost, nothing partial, nothing written outside the output folder."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from cardgen import output as build
from cardgen.errors import OutputError

CARD = """\
campaign: Safe output
front:
  title: Need to talk?
  qr: hub
links:
  hub:
    url: https://example.org/help
print:
  copies: {copies}
"""


def campaign(tmp_path: Path, copies: int = 10) -> Path:
    path = tmp_path / "cards.yaml"
    path.write_text(CARD.format(copies=copies), encoding="utf-8")
    return path


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """A campaign built once (10 cards), then edited to 20 cards; the first run's files."""
    path = campaign(tmp_path)
    out = tmp_path / "out"
    assert run_cli("build", str(path), "-o", str(out)).exit_code == 0
    before = files(out)
    assert set(before) == {"safe-output.pdf", "safe-output.manifest.csv"}
    campaign(tmp_path, copies=20)
    return path, out, before


def test_rebuild_replaces_cardgen_files(previous: tuple[Path, Path, dict[str, bytes]]) -> None:
    path, out, before = previous
    result = run_cli("build", str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    after = files(out)
    assert set(after) == set(before)
    assert after["safe-output.pdf"] != before["safe-output.pdf"]
    assert b",20,20," in after["safe-output.manifest.csv"]


@pytest.mark.parametrize("name", ["safe-output.pdf", "safe-output.manifest.csv"])
def test_a_file_cardgen_did_not_write_is_kept_unless_force(tmp_path: Path, name: str) -> None:
    path = campaign(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    mine = out / name
    mine.write_bytes(b"%PDF-1.7 my own poster" if name.endswith(".pdf") else b"name,phone\n")
    refused = run_cli("build", str(path), "-o", str(out))
    assert refused.exit_code == 1
    assert "CG901" in refused.output and "did not write" in refused.output
    assert "--force" in refused.output
    assert [p.name for p in out.iterdir()] == [name]
    assert mine.read_bytes().endswith((b"poster", b"phone\n"))
    forced = run_cli("build", str(path), "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert build.written_by_cardgen(mine)


def test_a_folder_where_the_pdf_goes_is_an_error(tmp_path: Path) -> None:
    path = campaign(tmp_path)
    out = tmp_path / "out"
    (out / "safe-output.pdf").mkdir(parents=True)
    result = run_cli("build", str(path), "-o", str(out), "--force")
    assert result.exit_code == 1
    assert "CG903" in result.output and "is a folder" in result.output


def test_full_disk_while_writing_keeps_previous_files(
        previous: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    path, out, before = previous
    real = build._write_part
    calls = []

    def fill_up(directory: Path, name: str, data: bytes, parts: list[Path]) -> Path:
        calls.append(name)
        if len(calls) == 2:
            # half of the second file is written, then the disk is full
            part = directory / f".{name}.x.part"
            parts.append(part)
            part.write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(directory, name, data, parts)

    monkeypatch.setattr(build, "_write_part", fill_up)
    result = run_cli("build", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "CG900" in result.output
    assert files(out) == before  # no .part file either


def test_failed_rename_restores_the_files_already_replaced(
        previous: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    path, out, before = previous
    real = os.replace
    calls: list[str] = []

    def second_fails(src: str | Path, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(build.os, "replace", second_fails)
    result = run_cli("build", str(path), "-o", str(out))
    assert result.exit_code == 1
    monkeypatch.setattr(build.os, "replace", real)
    assert files(out) == before


def test_write_refuses_names_outside_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="outside"):
        build.write_atomically(out, {"../escape.pdf": b"x"})
    with pytest.raises(OutputError, match="outside"):
        build.write_atomically(out, {"/etc/escape.pdf": b"x"})
    assert not (tmp_path / "escape.pdf").exists()


def test_a_link_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "precious.pdf"
    outside.write_bytes(b"precious")
    (out / "cards.pdf").symlink_to(outside)
    with pytest.raises(OutputError, match="outside"):
        build.write_atomically(out, {"cards.pdf": b"%PDF-"})
    assert outside.read_bytes() == b"precious"


_INTERRUPT = """
import os, signal, sys
from cardgen import output as build
from cardgen.pdf import draw as render
real_replace, real_render = os.replace, render.render_to_file
where = sys.argv[1]

fired = []

def replace(src, dst):
    real_replace(src, dst)
    if where == "rename" and not fired:   # the PDF is renamed, the manifest is not yet
        fired.append(dst)
        os.kill(os.getpid(), signal.SIGINT)

def render_to_file(*args, **kwargs):
    if where == "render":
        os.kill(os.getpid(), signal.SIGINT)
    real_render(*args, **kwargs)
    if where == "rendered":   # the new PDF is complete under its temporary name
        os.kill(os.getpid(), signal.SIGINT)

build.os.replace = replace
render.render_to_file = render_to_file
from cardgen.cli import main
main(sys.argv[2:])
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["render", "rendered", "rename"])
def test_ctrl_c_during_a_build_keeps_previous_files(
        previous: tuple[Path, Path, dict[str, bytes]], where: str) -> None:
    path, out, before = previous
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT, where, "build", str(path), "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode != 0
    assert "Aborted" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert files(out) == before


def test_a_code_that_does_not_decode_leaves_no_file_and_no_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The PDF is written to a temporary file in the output folder before it is verified.
    from cardgen.errors import VerificationError
    from cardgen.pdf import verify

    def fails(pdf: Path, *_args: object, **_kwargs: object) -> None:
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-")
        raise VerificationError("no QR code could be decoded", fix="do not print this PDF")

    monkeypatch.setattr(verify, "verify_pdf", fails)
    out = tmp_path / "new" / "out"
    result = run_cli("build", str(campaign(tmp_path)), "-o", str(out))
    assert result.exit_code == 1
    assert "no QR code could be decoded" in result.output
    assert not (tmp_path / "new").exists()


def test_full_disk_while_rendering_keeps_previous_files(
        previous: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    from cardgen.pdf import draw as render

    path, out, before = previous

    def fill_up(pdf: Path, *_args: object, **_kwargs: object) -> None:
        pdf.write_bytes(b"%PDF-1.4\n")  # the disk fills up a few pages in
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(render, "render_to_file", fill_up)
    result = run_cli("build", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "CG900" in result.output
    assert files(out) == before  # no .part file either


_INTERRUPT_BATCH = """
import os, signal, sys
from cardgen import preparing as build
from cardgen import workers as forked
where = sys.argv[1]
real_map = forked.ordered_map
stage = {"layout": "_prepare_in_worker", "verify": "_worker_verify"}.get(where)

def ordered_map(function, items, **kwargs):
    manager = real_map(function, items, **kwargs)
    if function.__name__ != stage:
        return manager
    class Interrupting:
        def __enter__(self):
            results = manager.__enter__()
            def interrupted():
                for n, result in enumerate(results):
                    if n == 3:   # the workers are busy with the rest
                        os.kill(os.getpid(), signal.SIGINT)
                    yield result
            return interrupted()
        def __exit__(self, *exc):
            return manager.__exit__(*exc)
    return Interrupting()

forked.ordered_map = ordered_map
build.forked.ordered_map = ordered_map  # the module that forks the layout
if where == "fork":   # Ctrl-C while the workers are being forked (in an at-fork hook)
    os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGINT))
from cardgen.cli import main
main(sys.argv[2:])
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["fork", "layout", "verify"])
def test_ctrl_c_while_workers_run_stops_the_batch_at_once(tmp_path: Path, where: str) -> None:
    from test_batch import batch

    source = batch(tmp_path / "in", [(f"school-{n:03d}", f"i{n:03d}") for n in range(260)],
                   pack=True)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_BATCH, where, "build", str(source), "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT / "tests", timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "Aborted" in proc.stderr
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr
    assert not out.exists() or files(out) == {}


_WORKER_DIES = """
import os, signal, sys
from cardgen import preparing as build
real = build._prepare_in_worker

def dies_on_the_fifth(job, index):
    if index == 5:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return real(job, index)

build._prepare_in_worker = dies_on_the_fifth
from cardgen.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_a_worker_killed_mid_batch_stops_the_build_with_a_message(tmp_path: Path) -> None:
    from test_batch import batch

    source = batch(tmp_path / "in", [(f"school-{n:03d}", f"k{n:03d}") for n in range(260)],
                   pack=True)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER_DIES, "build", str(source), "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT / "tests", timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "CG990" in proc.stderr and "worker process stopped" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() or files(out) == {}
