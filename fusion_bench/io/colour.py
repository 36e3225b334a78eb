"""Explicit colour conversions used by fusers and metrics (no silent conversion anywhere else)."""

from __future__ import annotations

import torch

from fusion_bench.errors import ImageFormatError

# MATLAB's rgb2gray weights (BT.601 luma as MATLAB rounds them), see shared/reference/metrics/README.md.
MATLAB_RGB2GRAY = (0.298936021293775, 0.587043074451121, 0.114020904255103)


def gray_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) → (N, 3, H, W) by repeating the channel."""
    if image.shape[1] != 1:
        raise ImageFormatError(f"gray_to_rgb expects 1 channel, got {image.shape[1]}")
    return image.expand(-1, 3, -1, -1).contiguous()


def rgb_to_gray_matlab(image: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) → (N, 1, H, W), MATLAB `rgb2gray` weights, no rounding (values keep their scale)."""
    if image.shape[1] != 3:
        raise ImageFormatError(f"rgb_to_gray_matlab expects 3 channels, got {image.shape[1]}")
    r, g, b = MATLAB_RGB2GRAY
    return (r * image[:, 0:1] + g * image[:, 1:2] + b * image[:, 2:3])
