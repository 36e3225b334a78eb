"""Luminance for methods that decide from one channel (decision maps, saliency) and apply the decision
to every channel."""

from __future__ import annotations

import torch

from fusion_bench.io.colour import rgb_to_gray_matlab


def luminance(image: torch.Tensor) -> torch.Tensor:
    """(N, 1|3, H, W) → (N, 1, H, W): grey passes through, RGB becomes MATLAB `rgb2gray` luma."""
    return image if image.shape[1] == 1 else rgb_to_gray_matlab(image)
