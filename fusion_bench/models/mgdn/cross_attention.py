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

    def _kv_depthwise(self, kv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`kv_dwconv` applied to the k and v halves separately: the same per-channel result, but oneDNN's
        depthwise conv is superlinear in channels here (17.5 ms for 60 channels, 9.4 ms as 2 × 30 at
        256×256, one thread)."""
        conv = self.kv_dwconv
        halves = zip(kv.chunk(2, dim=1), conv.weight.chunk(2), conv.bias.chunk(2))
        k, v = (F.conv2d(half, weight, bias, padding=1, groups=half.shape[1]) for half, weight, bias in halves)
        return k, v

    def forward(self, guide: torch.Tensor, operand: torch.Tensor) -> torch.Tensor:
        n, c, h, w = guide.shape
        q = self.q_dwconv(self.q(guide))
        k, v = self._kv_depthwise(self.kv(operand))
        q, k, v = (t.reshape(n, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attention = (q @ k.transpose(-2, -1) * self.temperature).softmax(dim=-1)
        return self.project_out((attention @ v).reshape(n, c, h, w))
