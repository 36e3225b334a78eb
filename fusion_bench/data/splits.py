"""Seeded train/val splits stored as JSON files, so that a split is reused (and reviewable) across runs.

File: `{"dataset": ..., "seed": ..., "val_fraction": ..., "train": [names], "val": [names]}`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch

from fusion_bench.errors import ConfigError, DatasetError
from fusion_bench.io.atomic import atomic_write_text


def make_split(names: Sequence[str], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train, val) names: a permutation by `torch.Generator().manual_seed(seed)`, the first
    round(n · val_fraction) names (at least one when n ≥ 2 and val_fraction > 0) go to val; each list keeps
    the dataset's order."""
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction}")
    count = len(names)
    n_val = round(count * val_fraction)
    if val_fraction > 0 and count >= 2:
        n_val = max(1, min(n_val, count - 1))
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed)).tolist()
    val_index = set(order[:n_val])
    return ([n for i, n in enumerate(names) if i not in val_index], [n for i, n in enumerate(names) if i in val_index])


def load_or_create_split(path: Path, dataset: str, names: Sequence[str], val_fraction: float,
                         seed: int) -> tuple[list[str], list[str]]:
    """The split stored at `path`, or a new one written there. A stored split naming samples that the
    dataset does not have is a `DatasetError` (the data changed: delete the file to make a new split)."""
    path = Path(path)
    if path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            train, val = list(stored["train"]), list(stored["val"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}: not a split file ({exc}); delete it to make a new split") from exc
        unknown = sorted(set(train + val) - set(names))
        if unknown:
            raise DatasetError(f"{path}: names {', '.join(unknown[:3])} are not in dataset {dataset}; the data "
                               f"changed: delete the split file to make a new split")
        return train, val
    train, val = make_split(names, val_fraction, seed)
    payload = {"dataset": dataset, "seed": seed, "val_fraction": val_fraction, "train": train, "val": val}
    atomic_write_text(path, json.dumps(payload, indent=1))
    return train, val
