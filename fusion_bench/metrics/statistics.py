"""Statistics metrics, exact to MEFB's Matlab code: SD (standard deviation of the fused image).

Functional forms take `sources` (two (N, C, H, W) tensors in [0, 1]) and `fused` (N, C, H, W) in [0, 1]
and return (N,) float64; docs/metrics.md gives formulas, papers and quirks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from fusion_bench.metrics.conventions import per_channel
from fusion_bench.metrics.registry import Convention, MetricSpec, register_metric


def sd_planes(fused: Tensor) -> Tensor:
    """Population standard deviation of each plane (`metricsSD.m`: sqrt(Σ(F − μ)² / (m·n))). (B, H, W) → (B,)."""
    mean = fused.mean(dim=(-2, -1), keepdim=True)
    return torch.sqrt(((fused - mean) ** 2).sum(dim=(-2, -1)) / (fused.shape[-2] * fused.shape[-1]))


def sd(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """SD of the fused image on 0–255 levels, per channel then averaged (mefb) or on rgb2gray (gray). → (N,)."""
    return per_channel(lambda _sources, planes: sd_planes(planes), "SD", sources, fused, convention)


register_metric(MetricSpec(
    name="SD", mefb_name="SD", function=sd, higher_is_better=True, family="statistics",
    is_differentiable=False, uses_sources=False,
    description="standard deviation of the fused image (population, 0–255 levels)",
))
