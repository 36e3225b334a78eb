"""Mutual-guided cross attention (the paper's MGCA, key `MGF.TCA`): channel ("transposed") attention
whose queries come from a guide feature map and whose keys and values come from the other one."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fusion_bench.models.mgdn.layout import channel_tokens, pointwise, tokens_to_map

# F.normalize's floor on the norm: a channel that is zero everywhere gives zero scores, not NaN.
NORM_EPS = 1e-12


class MutualGuidedCrossAttention(nn.Module):
    """(guide, operand) (N, C, H, W) each → (N, C, H, W) (channels-last in, channels-last out).

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

    def _keys_values(self, operand: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """k and v: `kv` then `kv_dwconv`, each half computed from its own slice of the weights (the same
        per-channel result as splitting the 2C-channel output, without the 2C map or the split copies)."""
        halves = zip(self.kv.weight.chunk(2), self.kv.bias.chunk(2), self.kv_dwconv.weight.chunk(2),
                     self.kv_dwconv.bias.chunk(2))
        k, v = (F.conv2d(pointwise(operand, w1, b1), w3, b3, padding=1, groups=w3.shape[0])
                for w1, b1, w3, b3 in halves)
        return k, v

    def _attention(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """(N, P, C) tokens each → (N, hc, C/hc, C/hc): softmax(normalised q · normalised kᵀ · temperature).

        The product over pixels is one (C × C) Gram matrix divided by the two pixel norms, rather than
        two normalised copies of q and k; its diagonal blocks are the heads.
        """
        n, _, c = q.shape
        d = c // self.heads
        gram = q.transpose(1, 2) @ k
        # Pixel norms from the diagonals of qᵀq and kᵀk: matrix products read the (N, P, C) tokens at
        # full speed, where a reduction over P strides through them.
        norms = [(t.transpose(1, 2) @ t).diagonal(dim1=1, dim2=2).sqrt().clamp_min(NORM_EPS) for t in (q, k)]
        gram = gram / (norms[0][:, :, None] * norms[1][:, None, :])
        blocks = gram.view(n, self.heads, d, self.heads, d).diagonal(dim1=1, dim2=3).permute(0, 3, 1, 2)
        return (blocks * self.temperature).softmax(dim=-1)

    def _output_matrix(self, attention: torch.Tensor) -> torch.Tensor:
        """(N, hc, d, d) → (N, C, C): `project_out` applied after the block-diagonal channel mixing, as one
        matrix (so that attention · v and the projection are a single product over the pixels)."""
        n, heads, d, _ = attention.shape
        mixing = attention.new_zeros(n, heads * d, heads * d)
        for head in range(heads):
            span = slice(head * d, (head + 1) * d)
            mixing[:, span, span] = attention[:, head]
        return self.project_out.weight.flatten(1) @ mixing

    def forward(self, guide: torch.Tensor, operand: torch.Tensor) -> torch.Tensor:
        n, c, h, w = guide.shape
        q = self.q_dwconv(pointwise(guide, self.q.weight, self.q.bias))
        k, v = self._keys_values(operand)
        attention = self._attention(channel_tokens(q), channel_tokens(k))
        out = torch.baddbmm(self.project_out.bias, channel_tokens(v), self._output_matrix(attention).transpose(1, 2))
        return tokens_to_map(out, h, w)
