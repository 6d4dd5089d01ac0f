"""Shared fixtures: the project's example files and a helper to run the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cardgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A private copy of examples/ so a test may edit the files."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# Other suites share the machine: generating examples can be slow, and a health check that
# fails on a busy machine says nothing about cardgen.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("cardgen", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cardgen")
