"""The thin `Fuser` wrapper shared by the classical methods: each is a pure function of the sources and
its config (no parameters, nothing trainable), registered next to that function in its own module."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from fusion_bench.errors import ConfigError, ImageFormatError
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
    """K ≥ 2 tensors (N, C, H, W) of one shape → one (K, N, C, H, W) tensor."""
    if len(sources) < 2 or any(s.ndim != 4 or s.shape != sources[0].shape for s in sources):
        shapes = ", ".join(str(tuple(s.shape)) for s in sources)
        raise ImageFormatError(f"need ≥ 2 sources (N, C, H, W) of one shape, got [{shapes}]")
    return torch.stack(list(sources), dim=0)


def check_numbers(method: str, config: dict[str, Any], *, positive: Iterable[str] = (),
                  non_negative: Iterable[str] = (), integer: Iterable[str] = ()) -> None:
    """Raise `ConfigError` unless the named config values are numbers with the stated properties."""

    def number(key: str) -> float:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{method}: config {key} must be a number, got {value!r}")
        return value

    for key in integer:
        if not isinstance(number(key), int):
            raise ConfigError(f"{method}: config {key} must be an integer, got {config[key]!r}")
    for key in positive:
        if not number(key) > 0:
            raise ConfigError(f"{method}: config {key} must be > 0, got {config[key]!r}")
    for key in non_negative:
        if not number(key) >= 0:
            raise ConfigError(f"{method}: config {key} must be ≥ 0, got {config[key]!r}")
