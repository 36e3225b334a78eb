"""Kernel predictors of the mutual-guided dynamic filter (keys `kernel_predictor_ref|ext`)."""

from __future__ import annotations

import torch
from torch import nn


class KernelPredictor(nn.Sequential):
    """(N, C, H, W) channels-last → (N, k², H, W) contiguous planes: one unnormalised k×k kernel per pixel.

    Two 3×3 conv + LeakyReLU(0.1) stages then a 1×1 conv; the nesting gives the published key names
    `.0.0`, `.1.0`, `.2`. The 1×1 conv is computed as one matrix product whose result is already in the
    per-tap plane layout the filter reads (a channels-last conv output would need a transposing copy).
    """

    def __init__(self, channels: int, kernel_size: int) -> None:
        super().__init__(
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.LeakyReLU(0.1, inplace=True)),
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.LeakyReLU(0.1, inplace=True)),
            nn.Conv2d(channels, kernel_size * kernel_size, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self[1](self[0](x))
        n, c, h, w = x.shape
        tokens = x.permute(0, 2, 3, 1).reshape(n, h * w, c)
        taps = self[2]
        weight = taps.weight.flatten(1)
        planes = torch.baddbmm(taps.bias[None, :, None], weight.expand(n, -1, -1), tokens.transpose(1, 2))
        return planes.view(n, -1, h, w)
