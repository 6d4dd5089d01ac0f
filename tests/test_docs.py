"""Generated docs stay fresh; the schema checks the examples; every message code is explained;
the README's pictures exist; --help stays light; `python -m cardgen` works."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import EXAMPLES, ROOT, run_cli
from ruamel.yaml import YAML

from cardgen import starter
from cardgen.cli import main

# The docs generator is a maintainers' script, not part of the installed package.
sys.path.insert(0, str(ROOT / "tools"))
import gendocs as docs

SCHEMA_LINE = "# yaml-language-server: $schema=../docs/cardgen.schema.json\n"
HEAVY = ("reportlab", "pypdfium2", "zxingcpp", "phonenumbers", "numpy", "PIL", "uharfbuzz",
         "fontTools", "pydantic", "ruamel")


def _as_json(path_or_text: Path | str) -> Any:
    text = path_or_text.read_text("utf-8") if isinstance(path_or_text, Path) else path_or_text
    # YAML reads dates as dates; the schema sees what an editor sees: text.
    return json.loads(json.dumps(YAML(typ="safe", pure=True).load(text), default=str))


@pytest.mark.parametrize("path", sorted(docs.generated_texts()), ids=lambda p: p.name)
def test_generated_docs_are_up_to_date(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == docs.generated_texts()[path], (
        f"{path.relative_to(ROOT)} is stale: run `python tools/gendocs.py texts`")


def test_every_code_in_the_source_is_explained() -> None:
    used = docs.used_codes()
    explained = set(docs.messages())
    assert used, "no codes found: the scan is broken"
    assert sorted(used - explained) == [], "add these codes to cardgen/templates/messages.yaml"
    assert sorted(explained - used) == [], "these codes are no longer used"
    for code, entry in docs.messages().items():
        assert entry["severity"] in ("error", "warning", "both"), code
        assert entry["what"].strip() and entry["fix"].strip(), code


@pytest.mark.parametrize("example", sorted([*EXAMPLES.glob("*.yaml"),
                                             *EXAMPLES.glob("languages/*.yaml")]),
                         ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_schema_accepts_every_example(example: Path) -> None:
    """Every example's first line points editors at the schema, as the README says (the
    languages' examples did not)."""
    schema = json.loads((ROOT / "docs" / "cardgen.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_as_json(example))
    up = "../" * len(example.relative_to(EXAMPLES).parts)
    assert example.read_text("utf-8").startswith(
        SCHEMA_LINE.replace("../", up))
    assert (example.parent / f"{up}docs/cardgen.schema.json").resolve().exists()


def test_schema_accepts_the_starter_and_rejects_a_broken_file() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(starter.schema_text()))
    validator.validate(_as_json(starter.starter_text()))
    broken = starter.starter_text().replace("  title: Need to talk?", "  titel: Need to talk?")
    with pytest.raises(jsonschema.ValidationError, match="titel"):
        validator.validate(_as_json(broken))
    no_campaign = re.sub(r"(?m)^campaign:.*\n", "", starter.starter_text())
    with pytest.raises(jsonschema.ValidationError, match="campaign"):
        validator.validate(_as_json(no_campaign))


def test_schema_is_draft_2020_12_with_descriptions() -> None:
    schema = json.loads(run_cli("schema").output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["campaign"]["description"]


@pytest.mark.parametrize("example", ["youth-group.yaml", "neglect-matters.yaml"])
def test_schema_comment_line_changes_nothing(tmp_path: Path, example: Path) -> None:
    """The shipped examples are the shared originals plus the schema line: both build alike."""
    original = tmp_path / "orig"
    original.mkdir()
    text = (EXAMPLES / example).read_text("utf-8")
    (original / example).write_text(text.removeprefix(SCHEMA_LINE), encoding="utf-8")
    outs = []
    for source in (EXAMPLES / example, original / example):
        out = tmp_path / f"out-{len(outs)}"
        assert run_cli("build", str(source), "-o", str(out)).exit_code == 0
        outs.append(sorted((p.name, p.read_bytes()) for p in out.rglob("*") if p.is_file()))
    assert outs[0] == outs[1]


def test_reference_lists_every_model_field() -> None:
    text = docs.reference_markdown()
    for key in ("`campaign`", "`card.size.width`", "`helplines.<id>.phone`",
                "`links.<id>.track`", "`print.bleed`", "`variants[].code`", "`back.write_in`"):
        assert key in text


def test_readme_pictures_exist_and_are_made_by_the_script() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert len(pictures) >= 3
    for picture in pictures:
        assert (ROOT / picture).is_file(), picture
        made = Path(picture).relative_to("docs/images").as_posix()
        # The studio's pictures are taken by its browser tests (tests/test_studio_browser.py).
        studio = made in {f"studio-{name}.png" for name in ("desktop", "error", "phone")}
        assert made in {*docs.PICTURES, *docs.CONTACT_SHEETS} or studio, picture
    for section in ("For youth groups", "For campaign managers", "For schools"):
        assert f"## {section}" in readme


@pytest.mark.slow
def test_make_pictures_writes_small_pngs(tmp_path: Path) -> None:
    written = docs.make_pictures(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        [*docs.PICTURES, *docs.CONTACT_SHEETS])
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size < 100_000


def _all_commands() -> list[list[str]]:
    import click

    found: list[list[str]] = [[]]

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            found.append([*prefix, name])
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(main, [])
    return found


def test_the_commands_a_newcomer_needs_exist() -> None:
    names = {" ".join(c) for c in _all_commands()}
    assert {"init", "preview", "schema", "list designs", "list sizes", "list fonts"} <= names


@pytest.mark.parametrize("command", _all_commands(), ids=lambda c: " ".join(c) or "cardgen")
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")
    summary = next(line for line in result.output.splitlines()[1:] if line.strip())
    assert len(summary.strip()) > 10


def test_help_imports_no_heavy_library() -> None:
    code = ("import sys; from click.testing import CliRunner; from cardgen.cli import main; "
            "CliRunner().invoke(main, ['--help']); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_cardgen_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "cardgen", "--version"], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    from cardgen import __version__

    assert out.stdout.strip() == f"cardgen, version {__version__}"
