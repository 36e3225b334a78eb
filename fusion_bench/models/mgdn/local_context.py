"""Local context branch of the parallel feature fusion (key `lce`): a small conv bottleneck with a
squeeze-and-excitation gate, run beside the window attention on the same normalised input."""

from __future__ import annotations

import torch
from torch import nn


class LocalContext(nn.Module):
    """(N, C, H, W) → (N, C, H, W). Bottleneck width ⌊C/8⌋, as in the published weights."""

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        hidden = channels // reduction
        self.conv = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.Conv2d(hidden, hidden, 3, padding=1),
            nn.Conv2d(hidden, channels, 1),
            nn.LeakyReLU(0.2),
        )
        self.fc = nn.Sequential(
            nn.Linear(channels, hidden, bias=False),
            nn.ReLU(),
            nn.Linear(hidden, channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.conv(x)
        gate = self.fc(u.mean(dim=(2, 3)))
        return u * gate[:, :, None, None]
