"""Issue 18, defects 9, 10 and 11: the distribution's own name, an SPDX licence string (no setuptools
deprecation warning), and docs that exist for every docs/ file the repository cites."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_distribution_name_is_our_own_and_the_import_package_stays() -> None:
    project = _project()
    assert project["name"] == "mgdn-fusion-bench"  # PyPI's fusion-bench is FusionBench (model merging)
    assert project["scripts"] == {"fusion-bench": "fusion_bench.cli.main:main"}
    assert metadata.distribution("mgdn-fusion-bench").read_text("top_level.txt") in (None, "fusion_bench\n")
    from fusion_bench.cli.environment import DISTRIBUTION

    assert DISTRIBUTION == project["name"]


def test_licence_is_an_spdx_string() -> None:
    """A TOML table (`license = {text = ...}`) makes setuptools print a deprecation warning at every install."""
    assert _project()["license"] == "MIT"


def _cited_docs() -> dict[str, set[str]]:
    """docs/*.md file names cited anywhere in the package, docs, scripts, Makefile and README → citing files."""
    cited: dict[str, set[str]] = {}
    files = [REPO / "Makefile", REPO / "README.md", *(REPO / "docs").glob("*.md"),
             *(REPO / "fusion_bench").rglob("*.py"), *(REPO / "scripts").glob("*.py"),
             *(REPO / "benchmarks").glob("*.py"), *(REPO / "benchmarks").glob("*.md")]
    pattern = re.compile(r"(?:docs/)?\b(product|mgdn-architecture|baselines|[a-z_]+)\.md\b")
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"docs/([A-Za-z0-9_.-]+\.md)", text):
            cited.setdefault(match.group(1), set()).add(str(path.relative_to(REPO)))
        for match in pattern.finditer(text):
            if match.group(1) in ("product", "mgdn-architecture", "baselines"):
                cited.setdefault(f"{match.group(1)}.md", set()).add(str(path.relative_to(REPO)))
    return cited


def test_every_cited_doc_is_in_the_repository() -> None:
    missing = {name: sorted(where) for name, where in _cited_docs().items() if not (REPO / "docs" / name).is_file()}
    assert missing == {}
