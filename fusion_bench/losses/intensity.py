"""Intensity loss: mean |F − T| with the target T the pixel-wise maximum of the sources (SwinFusion's
infrared–visible and multi-focus form) or their mean (SwinFusion's multi-exposure form: the maximum of an
under- and an over-exposed shot is the over-exposed one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from fusion_bench.errors import ConfigError
from fusion_bench.losses._checks import check_fused_and_sources

Target = Literal["max", "mean"]


def intensity_target(sources: Sequence[torch.Tensor], target: Target) -> torch.Tensor:
    """(N, C, H, W): the pixel-wise maximum or mean of the sources."""
    stacked = torch.stack(list(sources), dim=0)
    if target == "max":
        return stacked.amax(dim=0)
    if target == "mean":
        return stacked.mean(dim=0)
    raise ConfigError(f"intensity_loss: target must be 'max' or 'mean', got {target!r}")


def intensity_loss(fused: torch.Tensor, sources: Sequence[torch.Tensor], target: Target = "max") -> torch.Tensor:
    """L1 distance (mean over pixels, channels and batch) between `fused` and the intensity target.

    Args:
        fused, sources: (N, C, H, W), same shape. Returns a scalar ≥ 0, 0 iff fused equals the target.
    """
    check_fused_and_sources(fused, sources, "intensity_loss")
    return (fused - intensity_target(sources, target)).abs().mean()
