"""Evaluation writes results and the leaderboard reads them; neither package imports the other, in either
direction, at module level or inside a function (issue 17: data flows one way, through `fusion_bench.results`)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fusion_bench"


def imported_names(path: Path) -> set[str]:
    """Every module named by an import anywhere in `path` (relative imports resolved against its package)."""
    package = ["fusion_bench", *path.parent.relative_to(PACKAGE).parts]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def crossings(source: str, other: str) -> list[str]:
    """"file: module" for each import of package `other` by a module of package `source`."""
    found = []
    for path in sorted((PACKAGE / source).rglob("*.py")):
        for name in sorted(imported_names(path)):
            if name == f"fusion_bench.{other}" or name.startswith(f"fusion_bench.{other}."):
                found.append(f"{path.relative_to(PACKAGE.parent)}: {name}")
    return found


@pytest.mark.parametrize(("source", "other"), [("evaluation", "leaderboard"), ("leaderboard", "evaluation")])
def test_no_import_between_evaluation_and_leaderboard(source: str, other: str):
    assert crossings(source, other) == []


def test_the_reader_sees_lazy_and_relative_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The check would catch what it is for: an import inside a function, and a relative one."""
    fake = tmp_path / "fusion_bench"
    (fake / "evaluation").mkdir(parents=True)
    (fake / "evaluation" / "late.py").write_text("def f():\n    from fusion_bench.leaderboard.build import x\n")
    (fake / "evaluation" / "near.py").write_text("from ..leaderboard import tables\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert crossings("evaluation", "leaderboard") == [
        "fusion_bench/evaluation/late.py: fusion_bench.leaderboard.build",
        "fusion_bench/evaluation/late.py: fusion_bench.leaderboard.build.x",
        "fusion_bench/evaluation/near.py: fusion_bench.leaderboard",
        "fusion_bench/evaluation/near.py: fusion_bench.leaderboard.tables",
    ]
