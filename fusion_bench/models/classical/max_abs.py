"""`max-abs`: two-scale choose-max fusion, a sanity row for both tasks.

Each source I_k (per channel) is split by a Gaussian low-pass G_σ into a base B_k = G_σ * I_k and a
detail D_k = I_k − B_k. The fused image is mean_k(B_k) + D_{k*}, where at every pixel and channel
k* = argmax_k |D_k| (ties: lowest k).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from kornia.filters import gaussian_blur2d

from fusion_bench.models.base import MethodInfo
from fusion_bench.models.classical.base import ClassicalFuser, check_numbers, stack_sources
from fusion_bench.models.classical.selection import select_max_abs
from fusion_bench.models.registry import register_method


def fuse_max_abs(sources: Sequence[torch.Tensor], sigma: float = 2.0) -> torch.Tensor:
    """K sources (N, C, H, W) in [0, 1] → (N, C, H, W): averaged Gaussian base + max-|detail|.

    Args:
        sigma: standard deviation (pixels) of the Gaussian low-pass; the kernel spans ±3σ,
            replicate border.
    """
    stack = stack_sources(sources)
    k, n, c, h, w = stack.shape
    size = 2 * math.ceil(3 * sigma) + 1
    flat = stack.reshape(k * n, c, h, w)
    base = gaussian_blur2d(flat, (size, size), (sigma, sigma), border_type="replicate").reshape(stack.shape)
    return base.mean(dim=0) + select_max_abs(stack - base)


INFO = MethodInfo(
    name="max-abs",
    tasks=("mef", "mff"),
    kind="classical",
    channels="any",
    multi_source=True,
    trainable=False,
    paper="baseline: averaged Gaussian base, choose-max absolute detail (per pixel and channel)",
    description="averaged low-pass base + choose-max |detail| (sanity row)",
    default_config={"sigma": 2.0},
)


@register_method(INFO)
def build_max_abs(config: dict) -> ClassicalFuser:
    check_numbers(INFO.name, config, positive=("sigma",))
    return ClassicalFuser(fuse_max_abs, config)
