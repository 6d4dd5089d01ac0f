"""The README's commands run as written: a newcomer copies them into a fresh terminal."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def _shell_block_after(heading: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {heading}\n", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"no sh block under '## {heading}'"
    return match.group(1)


def test_first_ten_minutes_runs_as_written_in_a_fresh_terminal(tmp_path: Path) -> None:
    # The install command leaves the environment in .venv beside the commands; the test's own
    # environment stands in for it. PATH is the system's alone, as in a new terminal.
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    for name in ("LANG", "LC_ALL", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    script = "set -e\n" + _shell_block_after("Your first ten minutes")
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "my-cards" / "cards.yaml").is_file()
    assert sorted(p.name for p in (tmp_path / "output" / "preview").iterdir()) == [
        "my-helpline-card-back.png", "my-helpline-card-front.png"]
    assert (tmp_path / "output" / "my-helpline-card.pdf").read_bytes().startswith(b"%PDF-")
    assert "QR code verified by decoding" in done.stdout


def test_first_ten_minutes_says_how_to_reach_cardgen_without_activating() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your first ten minutes\n", 1)[1].split("\n## ", 1)[0]
    assert ".venv/bin/cardgen" in section
    assert r".venv\Scripts" in section  # the Windows form beside it


def test_use_it_from_python_runs_as_written(tmp_path: Path) -> None:
    """The "Use it from Python" example, run as a script beside a starter cards.yaml: it
    prints nothing for the clean dict, writes cards.pdf and the split build, and the error
    its comment shows is the one a number with letters gives."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it from Python\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no python block under '## Use it from Python'"
    shutil.copy(ROOT / "cardgen" / "templates" / "starter.yaml", tmp_path / "cards.yaml")
    script = match.group(1) + (
        "bad = dict(card, helplines={'childline': {'name': 'Childline', 'phone': '0800 11x1'}})\n"
        "print('BAD', *cardgen.check(bad), sep='\\n')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    clean, bad = done.stdout.split("BAD\n", 1)
    assert clean.split() == ["1-1", "1"]          # pages of the one variant, codes verified
    assert (tmp_path / "cards.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "output" / "my-helpline-card" / "my-helpline-card.pdf").is_file()
    shown = re.search(r"# e\.g\. (<dict>:\d+:\d+: error CG\d+: [^.]*?): ", section)
    assert shown, "the example's comment no longer shows a message"
    assert bad.splitlines()[0].startswith(shown.group(1))
    assert "CG301" not in bad
