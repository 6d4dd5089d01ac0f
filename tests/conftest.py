"""Shared fixtures: the project's example files and a helper to run the CLI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cardgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache folder of the tests' own (the studio keeps pictures there), never the user's;
    studios started as commands inherit it. Session-wide: hypothesis tests take no
    per-test fixtures."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    yield cache
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A private copy of examples/ so a test may edit the files."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


#: The smallest card that builds: one title and a QR code to a link.
MINIMAL = """\
campaign: Test card
front:
  title: Need to talk?
  qr: hub
links:
  hub:
    url: https://example.org/help
"""


def write(tmp_path: Path, text: str, name: str = "cards.yaml") -> Path:
    """Writes a campaign file the way a user saves it (UTF-8) and returns its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# Other suites share the machine: generating examples can be slow, and a health check that
# fails on a busy machine says nothing about cardgen.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("cardgen", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cardgen")
