"""The thin `Fuser` wrapper shared by the classical methods: each is a pure function of the sources and
its config (no parameters, nothing trainable), registered next to that function in its own module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from fusion_bench.models.base import Fuser

FuseFunction = Callable[..., torch.Tensor]


class ClassicalFuser(Fuser):
    """Calls `function(sources, **config)`; `forward` and `fuse` behave as for every other `Fuser`."""

    def __init__(self, function: FuseFunction, config: dict[str, Any]) -> None:
        super().__init__()
        self.function = function
        self.config = dict(config)

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.function(list(sources), **self.config)


def stack_sources(sources: Sequence[torch.Tensor]) -> torch.Tensor:
    """K tensors (N, C, H, W) → one (K, N, C, H, W) tensor (shapes are checked by `Fuser.check_sources`)."""
    return torch.stack(list(sources), dim=0)
