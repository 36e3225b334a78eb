"""The building blocks of MGDN: the mutual-guided dynamic filter (`MGF`), one parallel-feature-fusion
transformer block (`residual_group.blocks.j`), and one MGDN block (`layers.i`).

Module attribute names are the published state_dict key segments, so the authors' file loads without
renaming (see `checkpoint.py`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fusion_bench.models.mgdn.cross_attention import MutualGuidedCrossAttention
from fusion_bench.models.mgdn.filter import dynamic_filter
from fusion_bench.models.mgdn.kernel_predictor import KernelPredictor
from fusion_bench.models.mgdn.layout import conv_of_concat, planes
from fusion_bench.models.mgdn.local_context import LocalContext
from fusion_bench.models.mgdn.window_attention import WindowAttention


# Tokens per chunk of the MLP branch (64k tokens: a 15 MB hidden layer at C = 30, r = 2).
TOKEN_CHUNK = 65536


def inference_only() -> bool:
    """True when no autograd graph is recorded: residual sums may then be accumulated in place."""
    return not torch.is_grad_enabled()


def drop_path(x: torch.Tensor, rate: float, training: bool) -> torch.Tensor:
    """Stochastic depth: zero the whole branch for a random subset of samples, rescale the rest."""
    if rate == 0.0 or not training:
        return x
    keep = 1.0 - rate
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep


class MutualGuidedDynamicFilter(nn.Module):
    """(a, b) (N, C, H, W) each → (fa, fb): each map filtered per pixel by kernels predicted from the
    cross attention guided by itself over the other one."""

    def __init__(self, channels: int, cross_heads: int, kernel_size: int) -> None:
        super().__init__()
        self.TCA = MutualGuidedCrossAttention(channels, cross_heads)
        self.kernel_predictor_ref = KernelPredictor(channels, kernel_size)
        self.kernel_predictor_ext = KernelPredictor(channels, kernel_size)
        self.conv_out_1 = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.LeakyReLU(0.1, inplace=True))
        self.conv_out_2 = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.LeakyReLU(0.1, inplace=True))

    @staticmethod
    def _filter(features: torch.Tensor, kernels: torch.Tensor, conv_out: nn.Sequential) -> torch.Tensor:
        """conv_out(dynamic_filter(features, kernels)). The filter runs on contiguous (N, C, H, W) planes;
        the 1×1 conv of `conv_out` reads those planes transposed in one matrix product whose result is
        channels-last, so no transposing copy is made."""
        filtered = dynamic_filter(planes(features), kernels)
        n, c, h, w = filtered.shape
        conv, activation = conv_out
        tokens = torch.baddbmm(conv.bias, filtered.view(n, c, h * w).transpose(1, 2),
                               conv.weight.flatten(1).t().expand(n, -1, -1))
        return activation(tokens.view(n, h, w, -1).permute(0, 3, 1, 2))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # One side after the other, so that only one set of (N, k², H, W) kernels is alive at a time.
        fa = self._filter(a, self.kernel_predictor_ref(self.TCA(a, b)), self.conv_out_1)
        fb = self._filter(b, self.kernel_predictor_ext(self.TCA(b, a)), self.conv_out_2)
        return fa, fb


class Mlp(nn.Module):
    """Linear C → rC, GELU (erf), Linear rC → C on tokens (..., C)."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class FusionTransformerBlock(nn.Module):
    """One block of the parallel feature fusion on an (N, H, W, C) map: (shifted) window attention and
    MLP with residuals, plus the local context branch computed from the same normalised input."""

    def __init__(self, channels: int, heads: int, window: int, mlp_ratio: float, shifted: bool,
                 drop_path_rate: float) -> None:
        super().__init__()
        self.shifted = shifted
        self.drop_path_rate = drop_path_rate
        self.norm1 = nn.LayerNorm(channels)
        self.attn = WindowAttention(channels, heads, window)
        self.norm2 = nn.LayerNorm(channels)
        self.mlp = Mlp(channels, int(channels * mlp_ratio))
        self.lce = LocalContext(channels)

    def _add_mlp(self, x: torch.Tensor) -> torch.Tensor:
        """x + drop_path(mlp(norm2(x))) over token chunks: the rC-wide hidden layer of a whole large image
        would otherwise set the peak memory. Without autograd the chunks are added into x in place (x is
        the block's own sum, and each token's result depends on that token only)."""
        tokens = x.view(-1, x.shape[-1])
        in_place = inference_only() and not self.training
        out = tokens if in_place else torch.empty_like(tokens)
        for start in range(0, tokens.shape[0], TOKEN_CHUNK):
            rows = slice(start, start + TOKEN_CHUNK)
            branch = self.mlp(self.norm2(tokens[rows]))
            if in_place:
                out[rows] += branch
            else:
                out[rows] = branch
        return x if in_place else x + drop_path(out.view(x.shape), self.drop_path_rate, self.training)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, H, W, C) contiguous → (N, H, W, C)."""
        normed = self.norm1(x)
        # The branch's output is a fresh tensor that nothing saves for backward: add x into it.
        x = drop_path(self.attn(normed, self.shifted), self.drop_path_rate, self.training).add_(x)
        x = self._add_mlp(x)
        # normed as an image is channels-last, the layout of the local branch's convs.
        u, gate = self.lce(normed.permute(0, 3, 1, 2))
        local = u.permute(0, 2, 3, 1)
        gate = gate[:, None, None, :]
        return x.addcmul_(local, gate) if inference_only() else x.addcmul(local, gate)


class ResidualGroup(nn.Module):
    """D transformer blocks, every odd one with shifted windows (key `residual_group`)."""

    def __init__(self, channels: int, depth: int, heads: int, window: int, mlp_ratio: float,
                 drop_path_rates: list[float]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            FusionTransformerBlock(channels, heads, window, mlp_ratio, shifted=j % 2 == 1,
                                   drop_path_rate=drop_path_rates[j])
            for j in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class MGDNBlock(nn.Module):
    """(a, b) (N, C, H, W) each, H and W multiples of the window → (a', b')."""

    def __init__(self, channels: int, depth: int, heads: int, window: int, mlp_ratio: float,
                 cross_heads: int, kernel_size: int, drop_path_rates: list[float]) -> None:
        super().__init__()
        self.MGF = MutualGuidedDynamicFilter(channels, cross_heads, kernel_size)
        self.adjust_channel = nn.Conv2d(2 * channels, channels, 1)
        self.residual_group = ResidualGroup(channels, depth, heads, window, mlp_ratio, drop_path_rates)
        self.dilated_conv = nn.Conv2d(channels, channels, 3, padding=2, dilation=2)
        self.adjust_channel_01 = nn.Conv2d(2 * channels, channels, 1)
        self.adjust_channel_02 = nn.Conv2d(2 * channels, channels, 1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """a, b channels-last → a', b' channels-last."""
        fa, fb = self.MGF(a, b)
        x = conv_of_concat(self.adjust_channel, fa, fb)
        # A channels-last map is already a contiguous (N, H, W, C) token array: the transformer blocks
        # and the convs around them share one layout, with no conversion copies.
        x = self.residual_group(x.permute(0, 2, 3, 1).contiguous()).permute(0, 3, 1, 2)
        res = self.dilated_conv(x)
        return conv_of_concat(self.adjust_channel_01, res, fa), conv_of_concat(self.adjust_channel_02, res, fb)
