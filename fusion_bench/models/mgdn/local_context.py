"""Local context branch of the parallel feature fusion (key `lce`): a small conv bottleneck with a
squeeze-and-excitation gate, run beside the window attention on the same normalised input."""

from __future__ import annotations

import torch
from torch import nn

from fusion_bench.models.mgdn.layout import pointwise


class LocalContext(nn.Module):
    """(N, C, H, W) → (u (N, C, H, W), gate (N, C)); the branch's output is u · gate per channel, left to
    the caller so that it can be added in one pass. Bottleneck width ⌊C/8⌋, as in the published weights."""

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        hidden = channels // reduction
        self.conv = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.Conv2d(hidden, hidden, 3, padding=1),
            nn.Conv2d(hidden, channels, 1),
            nn.LeakyReLU(0.2, inplace=True),
        )
        self.fc = nn.Sequential(
            nn.Linear(channels, hidden, bias=False),
            nn.ReLU(),
            nn.Linear(hidden, channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x channels-last; the 1×1 convs run as linear layers on its tokens."""
        reduce, spatial, expand, activation = self.conv
        u = spatial(pointwise(x, reduce.weight, reduce.bias))
        u = activation(pointwise(u, expand.weight, expand.bias))
        return u, self.fc(u.mean(dim=(2, 3)))
