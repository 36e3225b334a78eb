"""Turn validated [0, 1] image batches into the 0–255 float64 planes MEFB's Matlab code works on.

MEFB's two-source metrics (Qabf, QP, QC, QW, QY, QCB, QCV, VIF) loop over RGB channels and average the
per-channel scores; when both sources are grey and the fused image is RGB they score the fused image's first
channel. The `gray` convention scores Matlab `rgb2gray` luminance (rounded to uint8 as Matlab does) instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from fusion_bench.errors import ImageFormatError
from fusion_bench.io.colour import MATLAB_RGB2GRAY
from fusion_bench.metrics._filters import matlab_round
from fusion_bench.metrics.registry import Convention, check_convention


def check_inputs(name: str, sources: Sequence[Tensor], fused: Tensor, n_sources: int | None = 2) -> None:
    """Raise ImageFormatError unless sources and fused are (N, C, H, W) batches in [0, 1] that fit together.

    n_sources: the exact number of sources the metric takes (None: two or more).
    """
    if n_sources is not None and len(sources) != n_sources:
        raise ImageFormatError(f"{name} takes exactly {n_sources} source images (MEFB's definition), "
                               f"got {len(sources)}")
    if len(sources) < 2:
        raise ImageFormatError(f"{name} needs at least two source images, got {len(sources)}")
    for label, image in [("fused", fused)] + [(f"source {i}", s) for i, s in enumerate(sources)]:
        if image.ndim != 4 or image.shape[1] not in (1, 3):
            raise ImageFormatError(f"{name}: {label} image must be (N, C, H, W) with C = 1 or 3, "
                                   f"got shape {tuple(image.shape)}")
        if not torch.isfinite(image).all():
            raise ImageFormatError(f"{name}: {label} image contains NaN or Inf")
        if image.min() < 0 or image.max() > 1:
            raise ImageFormatError(f"{name}: {label} image has values outside [0, 1] "
                                   f"(min {float(image.min()):.4g}, max {float(image.max()):.4g}); "
                                   "pass 8-bit images scaled by 1/255")
        if image.shape[0] != fused.shape[0] or image.shape[-2:] != fused.shape[-2:]:
            raise ImageFormatError(f"{name}: {label} image has shape {tuple(image.shape)}, "
                                   f"the fused image {tuple(fused.shape)}; batch size and H×W must match")
    source_channels = {s.shape[1] for s in sources}
    if len(source_channels) > 1:
        raise ImageFormatError(f"{name}: sources mix grey and RGB images; convert them to one colour mode")
    if fused.shape[1] == 1 and source_channels == {3}:
        raise ImageFormatError(f"{name}: the fused image is grey but the sources are RGB; "
                               "fuse in RGB or convert the sources to grey")


def to_levels(image: Tensor) -> Tensor:
    """[0, 1] → the uint8 levels 0–255 as float64 (rounded, as the 8-bit files hold them)."""
    return torch.round(image.to(torch.float64) * 255)


def gray_levels(levels: Tensor) -> Tensor:
    """Matlab `rgb2gray` on a uint8 image: BT.601 weights, rounded to uint8. (N, 3|1, H, W) → (N, 1, H, W)."""
    if levels.shape[1] == 1:
        return levels
    r, g, b = MATLAB_RGB2GRAY
    return matlab_round(r * levels[:, 0:1] + g * levels[:, 1:2] + b * levels[:, 2:3]).clamp(0, 255)


def metric_planes(sources: Sequence[Tensor], fused: Tensor, convention: Convention) -> tuple[Tensor, Tensor, int]:
    """The planes a per-channel metric scores → (sources (K, N·C, H, W), fused (N·C, H, W), C).

    mefb: each RGB channel separately (C = 3), or the fused image's first channel when the sources are grey;
    gray: Matlab `rgb2gray` luminance (C = 1). Average the per-plane scores over groups of C.
    """
    check_convention(convention)
    source_levels = [to_levels(s) for s in sources]
    fused_levels = to_levels(fused)
    if convention == "gray":
        source_levels = [gray_levels(s) for s in source_levels]
        fused_levels = gray_levels(fused_levels)
    elif source_levels[0].shape[1] == 1:
        fused_levels = fused_levels[:, :1]
    batch, channels, height, width = fused_levels.shape
    stacked = torch.stack([s.reshape(batch * channels, height, width) for s in source_levels])
    return stacked, fused_levels.reshape(batch * channels, height, width), channels


def channel_mean(per_plane: Tensor, channels: int) -> Tensor:
    """(N·C,) per-plane scores → (N,) means over each image's channels."""
    return per_plane.reshape(-1, channels).mean(dim=1)
