"""The broken-input corpus: every way a campaign file can be wrong gets a located message,
exit status 1, no traceback and no output file (cases in tests/corpus/cases.toml)."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL, ROOT, run_cli

from cardgen.input import limits

CORPUS = ROOT / "tests" / "corpus"
CASES: list[dict[str, Any]] = tomllib.loads(
    (CORPUS / "cases.toml").read_text(encoding="utf-8"))["case"]



def _huge_file(folder: Path) -> None:
    padding = "# " + "x" * 98 + "\n"
    text = MINIMAL + padding * (limits.MAX_YAML_BYTES // len(padding) + 1)
    (folder / "huge-file.yaml").write_text(text, encoding="utf-8")


def _ten_thousand_helplines(folder: Path) -> None:
    lines = [MINIMAL.rstrip("\n"), "back:", "  title: Help", "helplines:"]
    for i in range(10_000):
        lines += [f"  h{i}:", f"    name: Helpline {i}", "    phone: 0800 1111"]
    (folder / "ten-thousand-helplines.yaml").write_text("\n".join(lines) + "\n",
                                                         encoding="utf-8")


def _too_many_variants(folder: Path) -> None:
    rows = "".join(f"school-{i},c{i}\n" for i in range(limits.MAX_VARIANTS + 1))
    (folder / "too-many-variants.csv").write_text("id,code\n" + rows, encoding="utf-8")
    (folder / "too-many-variants.yaml").write_text(
        MINIMAL + "variants_csv: too-many-variants.csv\n", encoding="utf-8")


def _huge_csv(folder: Path) -> None:
    row = "oak," + "x" * 1000 + "\n"
    (folder / "huge-csv.csv").write_text(
        "id,front.text\n" + row * (limits.MAX_CSV_BYTES // len(row) + 1), encoding="utf-8")
    (folder / "huge-csv.yaml").write_text(MINIMAL + "variants_csv: huge-csv.csv\n",
                                          encoding="utf-8")


#: cases too big to keep as files: made when the test runs
GENERATED: list[tuple[dict[str, Any], Callable[[Path], None]]] = [
    ({"name": "huge-file", "code": "CG160", "fragment": "cardgen reads at most 2.0 MB",
      "at": "huge-file.yaml"}, _huge_file),
    ({"name": "ten-thousand-helplines", "code": "CG710",
      "fragment": "10000 helpline(s) need", "at": "ten-thousand-helplines.yaml:8:1"},
     _ten_thousand_helplines),
    ({"name": "too-many-variants", "code": "CG161", "fragment": "has 5,001 variants",
      "at": "too-many-variants.yaml:1:1"}, _too_many_variants),
    ({"name": "huge-csv", "code": "CG160", "fragment": "the variants CSV is 10.0 MB",
      "at": "huge-csv.csv"}, _huge_csv),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus (so nothing is ever written into tests/), plus generated cases."""
    folder = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, folder)
    for _case, make in GENERATED:
        make(folder)
    return folder


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) + len(GENERATED) >= 60
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names)
    for name in names:
        assert (CORPUS / f"{name}.yaml").is_file(), name


def _assert_reported(output: str, case: dict[str, Any]) -> None:
    assert "Traceback" not in output
    assert case["code"] in output, output
    assert case["fragment"] in output, output
    # the position, not a longer line number that starts with the same digits
    assert re.search(re.escape(case["at"]) + r"[: ]", output), output
    if case.get("absent"):
        assert case["absent"] not in output, output


#: cases that take several seconds (`pytest -m 'not slow'` skips them)
SLOW_CASES = {"ten-thousand-helplines", "billion-laughs"}
ALL = [pytest.param(c, id=c["name"], marks=[pytest.mark.slow] * (c["name"] in SLOW_CASES))
       for c in [*CASES, *(c for c, _make in GENERATED)]]


@pytest.mark.parametrize("case", ALL)
def test_check_and_build_refuse_with_a_located_message(
        corpus: Path, case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(corpus)  # messages show paths as the user typed them
    args = case.get("args", [])
    file = f"{case['name']}.yaml"
    checked = run_cli("check", *args, file)
    assert checked.exit_code == 1, checked.output
    _assert_reported(checked.output, case)

    out = corpus.parent / f"out-{case['name']}"
    built = run_cli("build", *args, file, "-o", str(out))
    assert built.exit_code == 1, built.output
    _assert_reported(built.output, case)
    assert "nothing was written" in built.output
    assert not out.exists() or not any(out.rglob("*"))
    assert not list(corpus.glob("*.part"))
