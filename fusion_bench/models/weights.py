"""Resolve a weight file: shipped inside the package, or published (`FUSION_BENCH_WEIGHTS` copy, cached copy,
or download), always checked against its recorded size and sha256."""

from __future__ import annotations

from pathlib import Path

from fusion_bench.data.download import ensure_file, verify_file
from fusion_bench.errors import CheckpointError, ChecksumError
from fusion_bench.models.base import WeightFile
from fusion_bench.paths import cache_weights_dir, local_weights_dir

# The folder holding the `fusion_bench` package: shipped weights have their `relpath` relative to it.
PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def verify_shipped(path: Path, weight: WeightFile) -> Path:
    """`path` after checking its size and sha256 against `weight` (CheckpointError naming the file)."""
    if not path.is_file():
        raise CheckpointError(f"{path}: shipped weight file is missing (reinstall the package)")
    try:
        verify_file(path, weight.sha256, weight.size)
    except ChecksumError as exc:
        raise CheckpointError(f"{exc} (the shipped file is damaged or replaced: reinstall the package)") from exc
    return path


def resolve_weight_file(weight: WeightFile, progress: bool = True) -> Path:
    """Path of a sha256-verified copy of `weight`: the package's own file when it has no upstream address
    (`url` empty: trained and shipped here), else see `fusion_bench.data.download.ensure_file`."""
    if not weight.url:
        return verify_shipped(PACKAGE_PARENT / weight.relpath, weight)
    return ensure_file(weight.relpath, weight.url, weight.sha256, weight.size, local_weights_dir(),
                       cache_weights_dir(), progress=progress)
