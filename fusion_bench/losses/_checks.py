"""Shape checks shared by the loss functions (one clear message instead of a broadcasting error)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from fusion_bench.errors import ImageFormatError


def check_fused_and_sources(fused: torch.Tensor, sources: Sequence[torch.Tensor], where: str) -> None:
    """Raise `ImageFormatError` unless `fused` and every source are (N, C, H, W) of one shape, ≥ 2 sources."""
    if len(sources) < 2:
        raise ImageFormatError(f"{where}: needs at least 2 sources, got {len(sources)}")
    if fused.ndim != 4:
        raise ImageFormatError(f"{where}: fused must be (N, C, H, W), got {tuple(fused.shape)}")
    for index, source in enumerate(sources):
        if source.shape != fused.shape:
            raise ImageFormatError(
                f"{where}: source {index} has shape {tuple(source.shape)}, fused has {tuple(fused.shape)}"
            )
