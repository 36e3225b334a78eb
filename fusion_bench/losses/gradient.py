"""Gradient (texture) loss: mean | |∇F| − max_i |∇S_i| |, with |∇x| = |G_x * x| + |G_y * x| from the 3×3
Sobel kernels (kornia's `spatial_gradient`, unnormalised, replicate border), as in SwinFusion's loss."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from kornia.filters import spatial_gradient

from fusion_bench.errors import ImageFormatError
from fusion_bench.losses._checks import check_fused_and_sources


def sobel_magnitude(image: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) → (N, C, H, W): |Sobel_x| + |Sobel_y| per channel (kernel weights 1, 2, 1; not / 8)."""
    if image.ndim != 4:
        raise ImageFormatError(f"sobel_magnitude: expected (N, C, H, W), got {tuple(image.shape)}")
    gradients = spatial_gradient(image, mode="sobel", order=1, normalized=False)  # (N, C, 2, H, W)
    return gradients.abs().sum(dim=2)


def gradient_loss(fused: torch.Tensor, sources: Sequence[torch.Tensor]) -> torch.Tensor:
    """Scalar ≥ 0; 0 when the fused gradient magnitude equals the largest source gradient everywhere."""
    check_fused_and_sources(fused, sources, "gradient_loss")
    joint = torch.stack([sobel_magnitude(source) for source in sources], dim=0).amax(dim=0)
    return (sobel_magnitude(fused) - joint).abs().mean()
