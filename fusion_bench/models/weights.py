"""Resolve a weight file: shipped inside the package, or published (`FUSION_BENCH_WEIGHTS` copy, cached copy,
or download), always checked against its recorded size and sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fusion_bench.data.download import ensure_file
from fusion_bench.errors import CheckpointError
from fusion_bench.models.base import WeightFile
from fusion_bench.paths import cache_weights_dir, local_weights_dir

# The folder holding the `fusion_bench` package: shipped weights have their `relpath` relative to it.
PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def verify_shipped(path: Path, weight: WeightFile) -> Path:
    """`path` after checking its size and sha256 against `weight` (CheckpointError naming the file)."""
    if not path.is_file():
        raise CheckpointError(f"{path}: shipped weight file is missing (reinstall the package)")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != weight.size or digest != weight.sha256:
        raise CheckpointError(f"{path}: size {len(data)} / sha256 {digest[:12]}… do not match the recorded "
                              f"{weight.size} bytes / {weight.sha256[:12]}…; the file is damaged or replaced")
    return path


def resolve_weight_file(weight: WeightFile, progress: bool = True) -> Path:
    """Path of a sha256-verified copy of `weight`: the package's own file when it has no upstream address
    (`url` empty: trained and shipped here), else see `fusion_bench.data.download.ensure_file`."""
    if not weight.url:
        return verify_shipped(PACKAGE_PARENT / weight.relpath, weight)
    return ensure_file(weight.relpath, weight.url, weight.sha256, weight.size, local_weights_dir(),
                       cache_weights_dir(), progress=progress)
