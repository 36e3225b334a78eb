"""Resolve a published weight file: `FUSION_BENCH_WEIGHTS` copy, cached copy, or download (verified)."""

from __future__ import annotations

from pathlib import Path

from fusion_bench.data.download import ensure_file
from fusion_bench.models.base import WeightFile
from fusion_bench.paths import cache_weights_dir, local_weights_dir


def resolve_weight_file(weight: WeightFile, progress: bool = True) -> Path:
    """Path of a sha256-verified copy of `weight` (see `fusion_bench.data.download.ensure_file`)."""
    return ensure_file(weight.relpath, weight.url, weight.sha256, weight.size, local_weights_dir(),
                       cache_weights_dir(), progress=progress)
