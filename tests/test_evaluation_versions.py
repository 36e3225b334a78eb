"""Result keys: per-method code versions from the import graph, and the pair-major job order."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fusion_bench.evaluation.evaluate import pair_major
from fusion_bench.evaluation.plan import Pair, method_jobs
from fusion_bench.evaluation.versions import (
    code_version,
    imported_modules,
    method_code_version,
    module_closure,
    module_file,
    scoring_code_version,
)

PACKAGE = Path(__file__).resolve().parent.parent / "fusion_bench"


def relative(files: set[Path]) -> set[str]:
    return {str(file.relative_to(PACKAGE)) for file in files}


def test_imports_are_read_from_the_source():
    assert module_file("fusion_bench.models.mgdn") == PACKAGE / "models/mgdn/__init__.py"
    assert module_file("fusion_bench.models.classical.gff") == PACKAGE / "models/classical/gff.py"
    assert module_file("fusion_bench.nothing") is None and module_file("torch") is None
    direct = imported_modules("fusion_bench.models.classical.gff")
    assert {"fusion_bench.models.classical.base", "fusion_bench.models.classical.colour",
            "fusion_bench.models.registry"} <= direct
    assert not any(name.startswith("fusion_bench.models.mgdn") for name in direct)


def test_closure_follows_imports_but_not_other_methods():
    gff = relative(module_closure(("fusion_bench.models.classical.gff",)))
    assert "models/classical/gff.py" in gff and "models/classical/colour.py" in gff
    assert not any(path.startswith(("models/mgdn", "models/ports", "leaderboard", "cli")) for path in gff)
    assert "models/classical/average.py" not in gff  # a sibling method: its changes do not touch gff's rows
    mgdn = relative(module_closure(("fusion_bench.models.mgdn.mef",)))
    assert {"models/mgdn/network.py", "models/mgdn/window_attention.py", "models/mgdn/filter.py"} <= mgdn


def test_versions_name_a_commit_of_the_relevant_files():
    try:
        subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: versions are the package version alone")
    version = method_code_version("gff")
    assert version.startswith("0.1.0+g") and len(version) > len("0.1.0+g")
    # The scoring version covers a subset of what a method's version covers, so it is never newer.
    commit = version.split("+g")[1]
    scoring = scoring_code_version().split("+g")[1]
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", scoring, commit], cwd=PACKAGE)
    assert ancestor.returncode == 0
    assert code_version(("fusion_bench.models.mgdn.mef",)) == method_code_version("mgdn-mef")


def test_jobs_run_pair_by_pair(tmp_path: Path):
    pairs = [Pair(f"p{index}", (tmp_path / f"{index}a.png", tmp_path / f"{index}b.png")) for index in range(3)]
    jobs = [job for method in ("average", "max-abs") for job in method_jobs(method, "Toy", pairs, "mefb", ("EN",), tmp_path)]
    ordered = pair_major(jobs, pairs)
    assert [(job.image, job.method) for job in ordered] == [
        (pair.name, method) for pair in pairs for method in ("average", "max-abs")]
    assert sorted(job.key for job in ordered) == sorted(job.key for job in jobs)
