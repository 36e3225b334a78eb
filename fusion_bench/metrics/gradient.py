"""Gradient metrics, exact to MEFB's Matlab code: AG (average gradient), EI (edge intensity), SF (spatial
frequency).

Functional forms take `sources` (two (N, C, H, W) tensors in [0, 1]) and `fused` (N, C, H, W) in [0, 1]
and return (N,) float64; docs/metrics.md gives formulas, papers and quirks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from fusion_bench.io.colour import rgb_to_gray_matlab
from fusion_bench.metrics.conventions import per_channel, to_uint8_values, validate_inputs
from fusion_bench.metrics.registry import Convention, MetricSpec, check_convention, register_metric

def matlab_gradient(planes: Tensor) -> tuple[Tensor, Tensor]:
    """Matlab `[dzdx, dzdy] = gradient(Z)` with unit spacing: central differences inside, one-sided
    differences on the first/last column (dzdx) and row (dzdy); `torch.gradient` computes exactly that.
    (B, H, W) → two (B, H, W)."""
    dy, dx = torch.gradient(planes, dim=(-2, -1))
    return dx, dy


def ag_planes(planes: Tensor) -> Tensor:
    """Σ sqrt((∂x² + ∂y²)/2) / ((m−1)(n−1)) with Matlab's `gradient` (`metricsAvg_gradient.m`). (B, H, W) → (B,)."""
    dx, dy = matlab_gradient(planes)
    height, width = planes.shape[-2:]
    return torch.sqrt((dx * dx + dy * dy) / 2).sum(dim=(-2, -1)) / ((height - 1) * (width - 1))


def ag(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Average gradient of the fused image → (N,).

    MEFB quirk: with grey sources and an RGB fused image, `metricsAvg_gradient.m` scores `rgb2gray` of the
    fused image in double precision (not rounded to uint8), unlike the other metrics, which take channel 1.
    """
    validate_inputs("AG", sources, fused)
    if check_convention(convention) == "mefb" and sources[0].shape[1] == 1 and fused.shape[1] == 3:
        return ag_planes(rgb_to_gray_matlab(to_uint8_values(fused))[:, 0])
    return per_channel(lambda _sources, planes: ag_planes(planes), "AG", sources, fused, convention)


def sobel_responses(levels: Tensor) -> tuple[Tensor, Tensor]:
    """`imfilter(X, S, 'replicate')` and `imfilter(X, S', 'replicate')` for S = fspecial('sobel') =
    [1 2 1; 0 0 0; −1 −2 −1], as separable slices, in float32. (B, H, W) levels 0–255 → two (B, H, W) float32.

    On integer levels every response is an integer of magnitude ≤ 1020 and g_x² + g_y² ≤ 2,080,800 < 2^24,
    so float32 holds them and their squared sum exactly: the results equal Matlab's double-precision
    correlation bit for bit, at a third of the memory traffic of float64.
    """
    padded = F.pad(levels.to(torch.float32)[:, None], (1, 1, 1, 1), mode="replicate")[:, 0]
    across = padded[..., :, :-2] + padded[..., :, 2:]
    across += 2 * padded[..., :, 1:-1]
    down = padded[..., :-2, :] + padded[..., 2:, :]
    down += 2 * padded[..., 1:-1, :]
    return across[..., :-2, :] - across[..., 2:, :], down[..., :, :-2] - down[..., :, 2:]


def ei_planes(planes: Tensor) -> Tensor:
    """Mean Sobel magnitude sqrt(gx² + gy²), `imfilter(F, fspecial('sobel'), 'replicate')` and its transpose
    (`metricsEdge_intensity.m`). (B, H, W) levels → (B,) float64."""
    gx, gy = sobel_responses(planes)
    return torch.sqrt((gx * gx + gy * gy).to(torch.float64)).mean(dim=(-2, -1))


def ei(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Edge intensity of the fused image, per channel then averaged (mefb) or on rgb2gray (gray) → (N,)."""
    return per_channel(lambda _sources, planes: ei_planes(planes), "EI", sources, fused, convention)


def sf_planes(planes: Tensor) -> Tensor:
    """sqrt(RF + CF), RF = Σ(F(i,j) − F(i,j−1))²/(m·n), CF likewise down columns: both divided by m·n, not by
    the number of differences (`metricsSpatial_frequency.m`). (B, H, W) → (B,)."""
    count = planes.shape[-2] * planes.shape[-1]
    rf = (torch.diff(planes, dim=-1) ** 2).sum(dim=(-2, -1)) / count
    cf = (torch.diff(planes, dim=-2) ** 2).sum(dim=(-2, -1)) / count
    return torch.sqrt(rf + cf)


def sf(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Spatial frequency of the fused image, per channel then averaged (mefb) or on rgb2gray (gray) → (N,)."""
    return per_channel(lambda _sources, planes: sf_planes(planes), "SF", sources, fused, convention)


for _spec in (
    MetricSpec(name="SF", mefb_name="Spatial_frequency", function=sf, higher_is_better=True, family="gradient",
               is_differentiable=False, uses_sources=False,
               description="spatial frequency sqrt(RF² + CF²) of the fused image (MEFB normalisation m·n)"),
    MetricSpec(name="AG", mefb_name="Avg_gradient", function=ag, higher_is_better=True, family="gradient",
               is_differentiable=False, uses_sources=False,
               description="average gradient of the fused image (Matlab gradient, /(m−1)(n−1))"),
    MetricSpec(name="EI", mefb_name="Edge_intensity", function=ei, higher_is_better=True, family="gradient",
               is_differentiable=False, uses_sources=False,
               description="edge intensity: mean Sobel magnitude of the fused image (replicate border)"),
):
    register_metric(_spec)
