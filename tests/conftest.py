"""Shared fixtures. Real-data tests use the shared copies named by FUSION_BENCH_DATA / FUSION_BENCH_WEIGHTS
(`.ci/run` sets them to ../shared). Without them those tests are skipped with the reason, and the session ends
with a one-line count of those skips; in CI (CI=true) they fail instead, naming the missing variable or folder."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
_DEFAULT_SHARED = REPO_ROOT.parent / "shared"


MISSING_DATA = "missing shared data"  # every skip for missing data starts with this


def in_ci() -> bool:
    """CI=true (or 1, yes), as CI services set it."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_shared_data(problem: str) -> None:
    """Skip the test for missing shared data, or fail it in CI: there a missing copy must not pass as green."""
    if in_ci():
        pytest.fail(f"{MISSING_DATA}: {problem} (CI=true: real-data tests fail instead of skipping)",
                    pytrace=False)
    pytest.skip(f"{MISSING_DATA}: {problem}")


def _env_dir(variable: str, default: Path) -> Path:
    """The folder `variable` names (else `default`), or a skip/failure naming what is missing. An empty folder
    counts as missing: it holds no data."""
    value = os.environ.get(variable)
    path = Path(value) if value else default
    where = f"{variable}={value}" if value else f"{variable} is not set and {default}"
    if not path.is_dir():
        missing_shared_data(f"{where} is not a folder")
    if not any(path.iterdir()):
        missing_shared_data(f"{where} is an empty folder")
    return path


@pytest.fixture(autouse=True)
def _ctrl_c_not_left_ignored() -> Iterator[None]:
    """A test must not leave Ctrl-C ignored: every process later tests of this worker start would inherit
    SIGINT ignored (and Ctrl-C tests would wait in vain). Other changes (a notebook kernel client installs
    Python's default handler) are put back without failing."""
    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is before:
        return
    signal.signal(signal.SIGINT, before)
    if after == signal.SIG_IGN:
        pytest.fail(f"the test left SIGINT ignored (was {before!r})")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own FUSION_BENCH_HOME so nothing touches ~/.cache; W&B stays offline."""
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path_factory.mktemp("fusion_bench_home")))
    monkeypatch.setenv("WANDB_MODE", "offline")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One intra-op thread for the test (small tensors: on 2 shared cores more threads only add waiting)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The read-only benchmark copies (shared/data)."""
    return _env_dir("FUSION_BENCH_DATA", _DEFAULT_SHARED / "data")


@pytest.fixture(scope="session")
def weights_root() -> Path:
    """The read-only published weights (shared/weights)."""
    return _env_dir("FUSION_BENCH_WEIGHTS", _DEFAULT_SHARED / "weights")


@pytest.fixture(scope="session")
def reference_root(data_root: Path) -> Path:
    """Outputs of the original implementations (shared/reference), beside shared/data."""
    path = data_root.parent / "reference"
    if not path.is_dir():
        missing_shared_data(f"{path} (beside FUSION_BENCH_DATA) is not a folder")
    return path


@pytest.fixture
def local_weights(weights_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point FUSION_BENCH_WEIGHTS at the shared copies for this test."""
    monkeypatch.setenv("FUSION_BENCH_WEIGHTS", str(weights_root))
    return weights_root


@pytest.fixture
def local_data(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point FUSION_BENCH_DATA at the shared copies for this test."""
    monkeypatch.setenv("FUSION_BENCH_DATA", str(data_root))
    return data_root


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: how many tests were skipped for missing shared data, and why."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = _skip_reason(report)
        if reason.startswith(MISSING_DATA):
            reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        why = "; ".join(f"{reason.removeprefix(MISSING_DATA + ': ')} ({count})"
                        for reason, count in sorted(reasons.items()))
        terminalreporter.write_line(f"{sum(reasons.values())} tests skipped for {MISSING_DATA} "
                                    f"(set FUSION_BENCH_DATA and FUSION_BENCH_WEIGHTS): {why}")
