"""SSIM loss against every source: Σ_i w_i · (1 − SSIM(F, S_i)), SSIM from `kornia.metrics.ssim`.

Weights are either fixed or, as in SwinFusion's multi-exposure loss, proportional to each source's mean
Sobel gradient (the source with more detail counts more): w_i = mean|∇S_i| / Σ_j mean|∇S_j|, per sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from kornia.metrics import ssim

from fusion_bench.errors import ConfigError
from fusion_bench.losses._checks import check_fused_and_sources
from fusion_bench.losses.gradient import sobel_magnitude

Weighting = Literal["equal", "gradient"]


def ssim_loss(fused: torch.Tensor, sources: Sequence[torch.Tensor], weighting: Weighting = "gradient",
              window_size: int = 11) -> torch.Tensor:
    """Weighted (1 − SSIM) of `fused` against each source.

    Args:
        fused, sources: (N, C, H, W) in [0, 1], all the same shape.
        weighting: "equal" (w_i = 1 / number of sources) or "gradient" (see module docstring).
        window_size: odd Gaussian window of SSIM (σ = 1.5, kornia's default).

    Returns:
        scalar: 0 when `fused` equals every source, at most 2 (SSIM ≥ −1).
    """
    check_fused_and_sources(fused, sources, "ssim_loss")
    if weighting == "equal":
        weights = torch.full((fused.shape[0], len(sources)), 1.0 / len(sources), device=fused.device)
    elif weighting == "gradient":
        detail = torch.stack([sobel_magnitude(s).mean(dim=(1, 2, 3)) for s in sources], dim=1)  # (N, S)
        weights = detail / detail.sum(dim=1, keepdim=True).clamp_min(1e-8)
        # Flat sources carry no detail to prefer: fall back to equal weights.
        flat = detail.sum(dim=1, keepdim=True) <= 1e-8
        weights = torch.where(flat, torch.full_like(weights, 1.0 / len(sources)), weights)
    else:
        raise ConfigError(f"ssim_loss: weighting must be 'equal' or 'gradient', got {weighting!r}")
    dissimilarity = torch.stack(
        [1.0 - ssim(fused, source, window_size).mean(dim=(1, 2, 3)) for source in sources], dim=1
    )  # (N, S)
    return (weights.detach() * dissimilarity).sum(dim=1).mean()
