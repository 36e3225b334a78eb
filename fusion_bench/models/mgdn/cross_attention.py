"""Mutual-guided cross attention (the paper's MGCA, key `MGF.TCA`): channel ("transposed") attention
whose queries come from a guide feature map and whose keys and values come from the other one."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MutualGuidedCrossAttention(nn.Module):
    """(guide, operand) (N, C, H, W) each → (N, C, H, W).

    Per head, a (C/hc) × (C/hc) attention between channels, computed over all H·W pixels: this is the
    only global operation of MGDN (why tiled inference is an approximation).
    """

    def __init__(self, channels: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.q = nn.Conv2d(channels, channels, 1)
        self.q_dwconv = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.kv = nn.Conv2d(channels, 2 * channels, 1)
        self.kv_dwconv = nn.Conv2d(2 * channels, 2 * channels, 3, padding=1, groups=2 * channels)
        self.project_out = nn.Conv2d(channels, channels, 1)

    def forward(self, guide: torch.Tensor, operand: torch.Tensor) -> torch.Tensor:
        n, c, h, w = guide.shape
        q = self.q_dwconv(self.q(guide))
        k, v = self.kv_dwconv(self.kv(operand)).chunk(2, dim=1)
        q, k, v = (t.reshape(n, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attention = (q @ k.transpose(-2, -1) * self.temperature).softmax(dim=-1)
        return self.project_out((attention @ v).reshape(n, c, h, w))
