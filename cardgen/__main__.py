"""Lets `python -m cardgen` run the command line."""

from cardgen.cli import run

run()
