"""Channels-last feature maps and the operations that use their layout.

MGDN's feature maps are channels-last (N, C, H, W) tensors: oneDNN's 3×3 and depthwise convolutions are
fastest on them, and `channel_tokens` views them as the (N, H·W, C) tokens of the matrix products
(1×1 convolutions, the cross attention) and the transformer blocks without copying.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def channel_tokens(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) → (N, H·W, C); a free view for a channels-last map."""
    n, c, h, w = x.shape
    return x.permute(0, 2, 3, 1).reshape(n, h * w, c)


def tokens_to_map(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(N, H·W, C) contiguous → (N, C, H, W) channels-last view."""
    n, _, c = tokens.shape
    return tokens.view(n, height, width, c).permute(0, 3, 1, 2)


def planes(x: torch.Tensor) -> torch.Tensor:
    """Channels-last (N, C, H, W) → the same values as contiguous (N, C, H, W) planes.

    One 2-D transpose per sample: PyTorch copies a transposed 2-D matrix block by block (4× faster here
    than `.contiguous()` on the 4-D tensor, which strides through memory).
    """
    n, c, h, w = x.shape
    out = x.new_empty(n, c, h, w)
    tokens = channel_tokens(x)
    for sample in range(n):
        out[sample].view(c, h * w).copy_(tokens[sample].t())
    return out


def pointwise(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """A 1×1 convolution (weight (C', C, 1, 1)) of a channels-last map, as a linear layer on its tokens
    → channels-last map."""
    n, _, h, w = x.shape
    return tokens_to_map(F.linear(channel_tokens(x), weight.flatten(1), bias), h, w)


def conv_of_concat(conv: nn.Conv2d, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """`conv(torch.cat((first, second), dim=1))` without the concatenation (an interleaving copy for
    channels-last maps): the conv of each part with its slice of the weights, the second accumulated
    into the first (for a 1×1 conv inside the matrix product itself)."""
    c = first.shape[1]
    weight = conv.weight
    if weight.shape[-2:] == (1, 1):
        n, _, h, w = first.shape
        out = F.linear(channel_tokens(first), weight[:, :c].flatten(1), conv.bias)
        out.view(-1, out.shape[-1]).addmm_(channel_tokens(second).reshape(-1, c), weight[:, c:].flatten(1).t())
        return tokens_to_map(out, h, w)
    settings = dict(stride=conv.stride, padding=conv.padding, dilation=conv.dilation)
    out = F.conv2d(first, weight[:, :c], conv.bias, **settings)
    return out.add_(F.conv2d(second, weight[:, c:], None, **settings))
