"""Shared fixtures. Real-data tests use the shared copies named by FUSION_BENCH_DATA / FUSION_BENCH_WEIGHTS
(`.ci/run` sets them to ../shared); without them those tests are skipped with the reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
_DEFAULT_SHARED = REPO_ROOT.parent / "shared"


def _env_dir(variable: str, default: Path) -> Path | None:
    value = os.environ.get(variable)
    path = Path(value) if value else default
    return path if path.is_dir() else None


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
    path = _env_dir("FUSION_BENCH_DATA", _DEFAULT_SHARED / "data")
    if path is None:
        pytest.skip("FUSION_BENCH_DATA is not set and ../shared/data is absent")
    return path


@pytest.fixture(scope="session")
def weights_root() -> Path:
    """The read-only published weights (shared/weights)."""
    path = _env_dir("FUSION_BENCH_WEIGHTS", _DEFAULT_SHARED / "weights")
    if path is None:
        pytest.skip("FUSION_BENCH_WEIGHTS is not set and ../shared/weights is absent")
    return path


@pytest.fixture(scope="session")
def reference_root(data_root: Path) -> Path:
    """Outputs of the original implementations (shared/reference), beside shared/data."""
    path = data_root.parent / "reference"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
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
