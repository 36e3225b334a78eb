"""tests/conftest.py on missing shared data: in CI (CI=true) the real-data tests fail, naming the missing
variable or folder; elsewhere they skip, and the session ends with one line counting those skips and why.
Each case runs pytest in a subprocess on a copy of the conftest and a four-test file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = '''
def test_data(data_root):
    assert data_root.is_dir()

def test_reference(reference_root):
    assert reference_root.is_dir()

def test_weights(weights_root):
    assert weights_root.is_dir()

def test_no_data():
    pass
'''


def _run(tmp_path: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    """pytest on <tmp>/repo/tests (so the conftest's default ../shared is <tmp>/shared, absent)."""
    tests = tmp_path / "repo" / "tests"
    tests.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("conftest.py"), tests / "conftest.py")
    (tests / "test_tiny.py").write_text(TESTS)
    (tmp_path / "repo" / "pytest.ini").write_text("[pytest]\n")
    base = {key: value for key, value in os.environ.items()
            if key not in ("CI", "FUSION_BENCH_DATA", "FUSION_BENCH_WEIGHTS", "PYTEST_ADDOPTS")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *options, "tests"],
                          cwd=tmp_path / "repo", env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_in_ci_missing_data_fails_naming_what_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _run(tmp_path, {"CI": "true", "FUSION_BENCH_DATA": str(empty)}, "-p", "no:xdist")
    out = result.stdout
    assert result.returncode == 1, out
    assert "1 passed, 3 errors" in out, out
    assert f"missing shared data: FUSION_BENCH_DATA={empty} is an empty folder (CI=true" in out
    assert (f"missing shared data: FUSION_BENCH_WEIGHTS is not set and {tmp_path / 'shared' / 'weights'} "
            "is not a folder (CI=true") in out
    assert "skipped for missing shared data" not in out


def test_elsewhere_missing_data_skips_and_says_how_many_and_why(tmp_path: Path) -> None:
    data = tmp_path / "copy" / "data"
    (data / "Lytro").mkdir(parents=True)  # data, but no reference folder beside it
    result = _run(tmp_path, {"FUSION_BENCH_DATA": str(data), "FUSION_BENCH_WEIGHTS": str(tmp_path / "nowhere")},
                  "-n", "2")  # the summary must see the workers' skips, as under `make test`
    out = result.stdout
    assert result.returncode == 0, out
    assert "2 passed, 2 skipped" in out, out
    summary = [line for line in out.splitlines() if "skipped for missing shared data" in line]
    assert summary == [
        "2 tests skipped for missing shared data (set FUSION_BENCH_DATA and FUSION_BENCH_WEIGHTS): "
        f"{tmp_path / 'copy' / 'reference'} (beside FUSION_BENCH_DATA) is not a folder (1); "
        f"FUSION_BENCH_WEIGHTS={tmp_path / 'nowhere'} is not a folder (1)"], out
