"""Safe loading of published checkpoints into the ports' networks.

`read_checkpoint` never unpickles arbitrary objects: it uses `torch.load(weights_only=True)`; files that
also pickle numpy scalars (training checkpoints that store loss histories) are read with exactly the
numpy globals those need allowed (`NUMPY_SCALAR_GLOBALS`), nothing more.

`filter_state_dict` maps the file's keys onto the network's: explicit renames (regex → replacement),
explicit drops (regex → reason) and explicit optional keys (model keys a file may lack, with the reason
the model's own value is right). Anything else — a missing, unexpected or mis-shaped key — is a
`CheckpointError` naming it, so another model's file is refused rather than half-loaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fusion_bench.errors import CheckpointError
from fusion_bench.io.files import file_problem
from fusion_bench.models.base import WeightFile
from fusion_bench.models.weights import resolve_weight_file

log = logging.getLogger(__name__)

# numpy 2 pickles scalars as `numpy._core.multiarray.scalar`; files written with numpy 1 name it
# `numpy.core.multiarray.scalar`, so the same function is allowed under both names. A float64 scalar
# also needs its dtype class.
NUMPY_SCALAR_GLOBALS: tuple = (
    np._core.multiarray.scalar,
    (np._core.multiarray.scalar, "numpy.core.multiarray.scalar"),
    np.dtype,
    np.dtypes.Float64DType,
)


@dataclass(frozen=True)
class KeyMap:
    """How a published file's keys become the network's.

    Attributes:
        container: the entry holding the state_dict in a training checkpoint (e.g. "state_dict",
            "model"), or None for a plain state_dict.
        renames: (pattern, replacement) applied with `re.fullmatch`/`re.sub` to each file key, first match wins.
        dropped: (pattern, reason) for file keys the computation does not use.
        optional: (pattern, reason) for network keys a file may lack; the network's own value is kept.
    """

    container: str | None = None
    renames: tuple[tuple[str, str], ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()
    optional: tuple[tuple[str, str], ...] = ()


BATCHNORM_COUNTER = (r"(.+\.)?num_batches_tracked", "BatchNorm step counter: unused in evaluation mode")


def _first_match(key: str, patterns: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    for pattern, value in patterns:
        if re.fullmatch(pattern, key):
            return pattern, value
    return None


def read_checkpoint(path: str | Path, allow_numpy_scalars: bool = False) -> Mapping:
    """The mapping stored in a .pth/.pt/.pkl file, read with `weights_only=True`.

    `allow_numpy_scalars` allows the `NUMPY_SCALAR_GLOBALS` (and only those) for files that pickle numpy
    scalars. Raises `CheckpointError` if the file is missing, unreadable, needs anything else, or does not
    hold a mapping.
    """
    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise CheckpointError(f"{path}: weight file: {problem}")
    allowed = list(NUMPY_SCALAR_GLOBALS) if allow_numpy_scalars else []
    try:
        with torch.serialization.safe_globals(allowed):
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt, foreign or unsafe files
        raise CheckpointError(f"{path}: cannot read as a PyTorch checkpoint with weights_only=True ({exc})") from exc
    if not isinstance(loaded, Mapping):
        raise CheckpointError(f"{path}: holds a {type(loaded).__name__}, expected a state_dict (a mapping)")
    return loaded


def filter_state_dict(state_dict: Mapping, model: nn.Module, key_map: KeyMap,
                      source: str = "checkpoint") -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors of `state_dict` under `model`'s names, and the dropped file keys with their reasons.

    Every key of `model.state_dict()` is in the result (optional keys absent from the file take the
    model's value). Raises `CheckpointError` naming the first missing, unexpected or mis-shaped key.
    """
    expected = model.state_dict()
    kept: dict[str, torch.Tensor] = {}
    dropped: dict[str, str] = {}
    for key, value in state_dict.items():
        drop = _first_match(key, key_map.dropped)
        if drop is not None:
            dropped[key] = drop[1]
            continue
        rename = _first_match(key, key_map.renames)
        name = re.sub(rename[0], rename[1], key) if rename else key
        if name not in expected:
            raise CheckpointError(f"{source}: unexpected key {key!r}; the file is not for this network")
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{source}: entry {key!r} is a {type(value).__name__}, expected a tensor")
        if tuple(value.shape) != tuple(expected[name].shape):
            raise CheckpointError(f"{source}: {key!r} has shape {tuple(value.shape)}, the network needs "
                                  f"{tuple(expected[name].shape)} for {name!r}; the file is for another network")
        if name in kept:
            raise CheckpointError(f"{source}: {key!r} maps onto {name!r}, which another key already filled")
        kept[name] = value.to(expected[name].dtype)
    for name, value in expected.items():
        if name not in kept and _first_match(name, key_map.optional) is not None:
            kept[name] = value
    missing = [name for name in expected if name not in kept]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CheckpointError(f"{source}: missing weight {missing[0]!r}{more}; the file is incomplete or for "
                              "another network")
    return kept, dropped


def load_checkpoint(model: nn.Module, path: str | Path, key_map: KeyMap,
                    allow_numpy_scalars: bool = False) -> dict[str, str]:
    """Load `path` into `model` through `key_map` (strictly). Returns the dropped keys with reasons."""
    loaded = read_checkpoint(path, allow_numpy_scalars=allow_numpy_scalars)
    if key_map.container is not None:
        if key_map.container not in loaded:
            found = ", ".join(map(repr, list(loaded)[:6]))
            raise CheckpointError(f"{path}: no {key_map.container!r} entry (found {found}); the file is not the "
                                  "published checkpoint of this network")
        loaded = loaded[key_map.container]
        if not isinstance(loaded, Mapping):
            raise CheckpointError(f"{path}: {key_map.container!r} holds a {type(loaded).__name__}, expected a "
                                  "state_dict")
    kept, dropped = filter_state_dict(loaded, model, key_map, source=str(path))
    model.load_state_dict(kept, strict=True)
    if dropped:
        log.debug("%s: dropped %s", path, ", ".join(f"{key} ({reason})" for key, reason in dropped.items()))
    return dropped


def weight_path(weights_path: str | None, published: WeightFile) -> Path:
    """The file to load: the user's `weights_path` (the CLI's `--weights`) or the verified published copy."""
    return Path(weights_path) if weights_path else resolve_weight_file(published)
