"""The MGDN network (Guan et al., ACM MM 2023) as a plain `nn.Module`: two RGB images → one fused image.

Follows `docs/mgdn-architecture.md` step by step; attribute names are the published key names.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from fusion_bench.errors import ImageFormatError
from fusion_bench.models.mgdn.blocks import MGDNBlock
from fusion_bench.models.mgdn.layout import conv_of_concat
from fusion_bench.models.mgdn.config import MGDNConfig


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad (N, C, H, W) at the bottom and right with reflection up to multiples of `multiple`.

    PyTorch's `reflect` cannot pad by as much as the side length, which happens for images smaller than
    a window; there the reflection is repeated (it mirrors the already padded image), and a side of one
    pixel is replicated. For every size the authors' code accepts, this is their single reflect pad.
    """
    height, width = x.shape[-2:]
    pad_h, pad_w = -height % multiple, -width % multiple
    while pad_h or pad_w:
        step_h = min(pad_h, x.shape[-2] - 1)
        step_w = min(pad_w, x.shape[-1] - 1)
        if (pad_h and step_h == 0) or (pad_w and step_w == 0):
            x = F.pad(x, (0, min(pad_w, 1), 0, min(pad_h, 1)), mode="replicate")
            pad_h, pad_w = max(pad_h - 1, 0), max(pad_w - 1, 0)
            continue
        x = F.pad(x, (0, step_w, 0, step_h), mode="reflect")
        pad_h, pad_w = pad_h - step_h, pad_w - step_w
    return x


class MGDN(nn.Module):
    """forward(a, b) or forward([a, b]): (N, 3, H, W) in [0, 1] each → fused (N, 3, H, W) in [0, 1].

    For multi-exposure fusion a is the under- and b the over-exposed image.
    """

    def __init__(self, config: MGDNConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.inconv1 = nn.Conv2d(config.in_channels, c, 3, padding=1)
        self.inconv2 = nn.Conv2d(config.in_channels, c, 3, padding=1)
        rates = torch.linspace(0, config.drop_path, sum(config.depths)).tolist()
        starts = [sum(config.depths[:i]) for i in range(len(config.depths))]
        self.layers = nn.ModuleList(
            MGDNBlock(c, depth, heads, config.window, config.mlp_ratio, config.cross_heads, config.kernel_size,
                      rates[start:start + depth])
            for depth, heads, start in zip(config.depths, config.heads, starts)
        )
        self.conv_after_body = nn.Sequential(nn.Conv2d(2 * c, c, 3, padding=1), nn.LeakyReLU(0.2, inplace=True))
        self.conv_last = nn.Sequential(nn.Conv2d(c, config.in_channels, 3, padding=1), nn.Sigmoid())

    def forward(self, a: torch.Tensor | Sequence[torch.Tensor], b: torch.Tensor | None = None) -> torch.Tensor:
        if b is None:
            if len(a) != 2:
                raise ImageFormatError(f"MGDN fuses exactly 2 images, got {len(a)}")
            a, b = a
        if a.shape != b.shape or a.ndim != 4 or a.shape[1] != self.config.in_channels:
            raise ImageFormatError(
                f"MGDN: need two (N, {self.config.in_channels}, H, W) images of one shape, "
                f"got {tuple(a.shape)} and {tuple(b.shape)}"
            )
        height, width = a.shape[-2:]
        # Feature maps are channels-last throughout: oneDNN's convolutions are fastest on that layout
        # (2× for the 3×3 convs, 5× for the depthwise ones at C = 30), and it is the transformer's
        # (N, H, W, C) token layout.
        a, b = (pad_to_multiple(x, self.config.window).contiguous(memory_format=torch.channels_last) for x in (a, b))
        a0 = self.inconv1(a)
        fa, fb = a0, self.inconv2(b)
        for layer in self.layers:
            fa, fb = layer(fa, fb)
        body = self.conv_after_body[1](conv_of_concat(self.conv_after_body[0], fa, fb))
        fused = self.conv_last(body + a0)
        return fused[:, :, :height, :width].contiguous()


def build_mgdn(config: MGDNConfig) -> MGDN:
    """The plain network for `config` (randomly initialised; see `checkpoint.load_weights`)."""
    return MGDN(config)
