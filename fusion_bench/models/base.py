"""The `Fuser` interface shared by MGDN, classical methods and network ports.

A fuser takes a list of ≥ 2 source tensors (N, C, H, W) in [0, 1] (same shape) and returns one fused
tensor (N, C', H, W) in [0, 1]. `forward` is the method's own computation (differentiable for trainable
fusers, used in training); `fuse` wraps it for inference: validates the inputs against what the method
accepts, runs under `torch.inference_mode`, and refuses NaN/Inf outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from fusion_bench.errors import FusionOutputError, ImageFormatError

Task = Literal["mef", "mff"]
Kind = Literal["classical", "deep"]
Channels = Literal["rgb", "gray", "any"]


@dataclass(frozen=True)
class WeightFile:
    """A published weight file: where it comes from upstream and how to check it.

    `relpath` is the file's path in the upstream-layout weights folder (`FUSION_BENCH_WEIGHTS`), e.g.
    "MGDN/MFF/62000_E.pth"; `url` is pinned to a commit.
    """

    relpath: str
    url: str
    sha256: str
    size: int
    licence: str
    source: str  # repository @ commit, path


@dataclass(frozen=True)
class MethodInfo:
    """What a registered method is and accepts.

    Attributes:
        name: registry name, e.g. "mgdn-mff".
        tasks: the tasks it is meant for ("mef", "mff" or both).
        kind: "classical" or "deep".
        channels: "rgb" (needs colour), "gray" (needs grey), "any" (either, processed as given).
        multi_source: accepts more than two sources.
        trainable: has parameters that `FusionModule` can train.
        weights: published weight files it loads (empty for classical methods).
        paper: citation of the method.
        label: provenance note shown in tables (e.g. "third-party PyTorch port").
        description: one line for `fusion-bench methods`.
    """

    name: str
    tasks: tuple[Task, ...]
    kind: Kind
    channels: Channels
    multi_source: bool
    trainable: bool
    paper: str
    description: str
    weights: tuple[WeightFile, ...] = ()
    label: str = ""
    default_config: dict = field(default_factory=dict)


class Fuser(nn.Module):
    """Base class of every registered method. Subclasses implement `forward(sources) -> fused`."""

    info: MethodInfo

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_sources(self, sources: Sequence[torch.Tensor]) -> None:
        """Raise `ImageFormatError` if the sources do not fit this method (count, shapes, channels, range)."""
        name = self.info.name
        if len(sources) < 2:
            raise ImageFormatError(f"{name}: needs at least 2 sources, got {len(sources)}")
        if len(sources) > 2 and not self.info.multi_source:
            raise ImageFormatError(f"{name}: takes exactly 2 sources, got {len(sources)}")
        first = sources[0]
        for index, source in enumerate(sources):
            if source.ndim != 4:
                raise ImageFormatError(f"{name}: source {index} must be (N, C, H, W), got {tuple(source.shape)}")
            if source.shape != first.shape:
                raise ImageFormatError(
                    f"{name}: source {index} has shape {tuple(source.shape)}, source 0 has {tuple(first.shape)}"
                )
        channels = first.shape[1]
        if self.info.channels == "rgb" and channels != 3:
            raise ImageFormatError(f"{name}: needs RGB sources (3 channels), got {channels} channel(s)")
        if self.info.channels == "gray" and channels != 1:
            raise ImageFormatError(f"{name}: needs grey sources (1 channel), got {channels} channels")
        if channels not in (1, 3):
            raise ImageFormatError(f"{name}: sources must have 1 or 3 channels, got {channels}")
        for index, source in enumerate(sources):
            if not torch.isfinite(source).all():
                raise ImageFormatError(f"{name}: source {index} contains NaN or Inf")
            if source.min() < 0 or source.max() > 1:
                raise ImageFormatError(f"{name}: source {index} has values outside [0, 1]")

    def fuse(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        """Inference: the method's full protocol. Returns (N, C, H, W) in [0, 1], no autograd graph."""
        self.check_sources(sources)
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                fused = self(list(sources))
        finally:
            self.train(was_training)
        if fused.shape[0] != sources[0].shape[0] or fused.shape[-2:] != sources[0].shape[-2:]:
            raise FusionOutputError(
                f"{self.info.name}: output shape {tuple(fused.shape)} does not match input {tuple(sources[0].shape)}"
            )
        if not torch.isfinite(fused).all():
            raise FusionOutputError(f"{self.info.name}: output contains NaN or Inf")
        return fused.clamp(0.0, 1.0)
