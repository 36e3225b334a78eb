"""Kernel predictors of the mutual-guided dynamic filter (keys `kernel_predictor_ref|ext`)."""

from __future__ import annotations

from torch import nn


def kernel_predictor(channels: int, kernel_size: int) -> nn.Sequential:
    """(N, C, H, W) → (N, k², H, W): one unnormalised k×k kernel per pixel.

    Two 3×3 conv + LeakyReLU(0.1) stages then a 1×1 conv; the nesting gives the published key names
    `.0.0`, `.1.0`, `.2`.
    """
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.LeakyReLU(0.1)),
        nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.LeakyReLU(0.1)),
        nn.Conv2d(channels, kernel_size * kernel_size, 1),
    )
