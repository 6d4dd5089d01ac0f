"""The folders follow the pipeline (input -> checks -> qr -> text -> layout -> pdf): a module
in a stage's folder imports only its own stage, earlier ones and what every stage may use
(`cardgen.errors`, and `cardgen.workers` for work spread over the cores), never a later stage
or the commands beside the pipeline. A check placed at the wrong stage shows up here as an
import that runs back up."""

from __future__ import annotations

import ast
from pathlib import Path

import cardgen

STAGES = ("input", "checks", "qr", "text", "layout", "pdf")
SHARED = ("errors", "workers")
PACKAGE = Path(cardgen.__file__).parent


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):  # imports inside functions count too
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return [n for n in names if n.startswith("cardgen.")]


def test_no_stage_imports_a_later_stage_or_a_command() -> None:
    backwards = []
    for rank, stage in enumerate(STAGES):
        for path in sorted((PACKAGE / stage).rglob("*.py")):
            for name in _imports(path):
                target = name.split(".")[1]
                if target in SHARED or target in STAGES[:rank + 1]:
                    continue
                backwards.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not backwards, "\n".join(sorted(set(backwards)))


def test_every_stage_is_a_folder_of_the_package() -> None:
    assert all((PACKAGE / stage / "__init__.py").is_file() for stage in STAGES)
