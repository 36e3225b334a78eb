"""Load MGDN weights: the authors' published state_dict (unmodified) or our own saved state_dict.

Every tensor the network uses must be present with its shape. The keys of the published file that the
computation does not use are dropped by the explicit list `DROPPED_KEYS`, each with its reason; any
other unknown key is an error naming it (so another model's file is refused, not half-loaded).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from fusion_bench.errors import CheckpointError
from fusion_bench.io.files import file_problem

log = logging.getLogger(__name__)

# (pattern over the full key, reason). Patterns are anchored: they match whole keys only.
DROPPED_KEYS: tuple[tuple[str, str], ...] = (
    (r"patch_embed\.norm\.(weight|bias)", "LayerNorm built by the authors but never applied"),
    (r"norm\.(weight|bias)", "LayerNorm built by the authors but never applied"),
    (r"layers\.\d+\.adjust_channel_03\.(weight|bias)", "1×1 conv built by the authors but never applied"),
    (r"layers\.\d+\.residual_group\.blocks\.\d+\.attn\.relative_position_index",
     "buffer recomputed from the window size"),
    (r"layers\.\d+\.residual_group\.blocks\.\d+\.attn_mask",
     "shift mask precomputed for a 128×128 input; recomputed for each input size"),
)


def drop_reason(key: str) -> str | None:
    """The reason `key` is dropped, or None if it is not in `DROPPED_KEYS`."""
    for pattern, reason in DROPPED_KEYS:
        if re.fullmatch(pattern, key):
            return reason
    return None


def filter_checkpoint(state_dict: Mapping[str, torch.Tensor], model: nn.Module,
                      source: str = "checkpoint") -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Split `state_dict` into the tensors `model` uses (same names) and the dropped keys with reasons.

    Raises `CheckpointError` naming the key for a missing, mis-shaped or unexpected entry.
    """
    expected = model.state_dict()
    kept: dict[str, torch.Tensor] = {}
    dropped: dict[str, str] = {}
    for key, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{source}: entry {key!r} is not a tensor; expected a plain MGDN state_dict")
        if key in expected:
            if tuple(value.shape) != tuple(expected[key].shape):
                raise CheckpointError(
                    f"{source}: {key!r} has shape {tuple(value.shape)}, the network needs "
                    f"{tuple(expected[key].shape)}; the file is for another MGDN configuration"
                )
            kept[key] = value
            continue
        reason = drop_reason(key)
        if reason is None:
            raise CheckpointError(f"{source}: unexpected key {key!r}; this is not an MGDN weight file "
                                  "for this configuration")
        dropped[key] = reason
    missing = [key for key in expected if key not in kept]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CheckpointError(f"{source}: missing weight {missing[0]!r}{more}; the file is incomplete or "
                              "for another model")
    return kept, dropped


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain state_dict from a .pth/.pt file, read with `weights_only=True` (no arbitrary unpickling)."""
    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise CheckpointError(f"{path}: weight file: {problem}")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or non-weights files
        raise CheckpointError(f"{path}: cannot read as a PyTorch state_dict ({exc})") from exc
    if not isinstance(loaded, Mapping):
        raise CheckpointError(f"{path}: holds a {type(loaded).__name__}, expected a state_dict (a mapping)")
    return dict(loaded)


def load_weights(model: nn.Module, path: str | Path) -> dict[str, str]:
    """Load `path` into `model` through `filter_checkpoint`; tensors are cast to the model's dtype (so a
    float16 copy loads). Returns the dropped keys with their reasons (also logged)."""
    kept, dropped = filter_checkpoint(read_state_dict(path), model, source=str(path))
    reference = model.state_dict()
    model.load_state_dict({key: value.to(reference[key].dtype) for key, value in kept.items()}, strict=True)
    for key, reason in dropped.items():
        log.debug("%s: dropped %s (%s)", path, key, reason)
    if dropped:
        log.info("%s: dropped %d unused key(s) listed in DROPPED_KEYS", path, len(dropped))
    return dropped
