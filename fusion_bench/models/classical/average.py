"""`average`: the pixel-wise mean of the sources, a sanity row for both tasks."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from fusion_bench.models.base import MethodInfo
from fusion_bench.models.classical.base import ClassicalFuser, stack_sources
from fusion_bench.models.registry import register_method


def fuse_average(sources: Sequence[torch.Tensor]) -> torch.Tensor:
    """Mean of K sources (N, C, H, W) in [0, 1] → (N, C, H, W): sum(sources) / K, per pixel and channel.

    >>> fuse_average([torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)]).flatten().tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    return stack_sources(sources).mean(dim=0)


INFO = MethodInfo(
    name="average",
    tasks=("mef", "mff"),
    kind="classical",
    channels="any",
    multi_source=True,
    trainable=False,
    paper="baseline: pixel-wise mean of the sources",
    description="pixel-wise mean of the sources (sanity row)",
)


@register_method(INFO)
def build_average(config: dict) -> ClassicalFuser:
    return ClassicalFuser(fuse_average, config)
