"""Where fusion_bench looks for data, weights and its cache (docs/product.md, "Environment variables")."""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path:
    """`FUSION_BENCH_HOME`, default `~/.cache/fusion_bench`: downloads, results, checkpoints."""
    return Path(os.environ.get("FUSION_BENCH_HOME") or Path.home() / ".cache" / "fusion_bench").expanduser()


def local_data_dir() -> Path | None:
    """`FUSION_BENCH_DATA`: a read-only folder with one sub-folder per dataset in its upstream layout."""
    value = os.environ.get("FUSION_BENCH_DATA")
    return Path(value).expanduser() if value else None


def local_weights_dir() -> Path | None:
    """`FUSION_BENCH_WEIGHTS`: a read-only folder with weight files in their upstream layout."""
    value = os.environ.get("FUSION_BENCH_WEIGHTS")
    return Path(value).expanduser() if value else None


def cache_data_dir() -> Path:
    return home_dir() / "data"


def cache_weights_dir() -> Path:
    return home_dir() / "weights"


def results_dir() -> Path:
    return home_dir() / "results"
