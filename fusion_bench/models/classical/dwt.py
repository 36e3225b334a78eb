"""`dwt`: discrete wavelet transform fusion (after Li, Manjunath, Mitra 1995, with the plain
per-coefficient rule): PyWavelets multi-level 2-D DWT of every source and channel, detail coefficients
fused by choose-max absolute value (ties: lowest source index), the approximation averaged, inverse DWT.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pywt
import torch

from fusion_bench.errors import ConfigError
from fusion_bench.models.base import MethodInfo
from fusion_bench.models.classical.base import ClassicalFuser, check_numbers, stack_sources
from fusion_bench.models.classical.selection import select_max_abs
from fusion_bench.models.registry import register_method


def fuse_dwt(
    sources: Sequence[torch.Tensor], wavelet: str = "db2", levels: int = 3, mode: str = "symmetric"
) -> torch.Tensor:
    """K sources (N, C, H, W) in [0, 1] → (N, C, H, W), not clipped; computed in float64.

    Args:
        wavelet: a PyWavelets discrete wavelet name (`pywt.wavelist(kind="discrete")`).
        levels: decomposition levels, reduced to `pywt.dwt_max_level` for small images.
        mode: PyWavelets signal extension mode at the borders.
    """
    stack = stack_sources(sources)
    height, width = stack.shape[-2:]
    levels = max(1, min(levels, pywt.dwt_max_level(min(height, width), wavelet)))
    coefficients = pywt.wavedec2(stack.detach().cpu().double().numpy(), wavelet, mode=mode, level=levels,
                                 axes=(-2, -1))
    approximation = coefficients[0].mean(axis=0)
    details = [
        tuple(select_max_abs(torch.from_numpy(band)).numpy() for band in level) for level in coefficients[1:]
    ]
    fused = pywt.waverec2([approximation, *details], wavelet, mode=mode, axes=(-2, -1))
    return torch.from_numpy(np.ascontiguousarray(fused[..., :height, :width])).to(stack.device, stack.dtype)


INFO = MethodInfo(
    name="dwt",
    tasks=("mef", "mff"),
    kind="classical",
    channels="any",
    multi_source=True,
    trainable=False,
    paper="H. Li, B. S. Manjunath, S. K. Mitra, Multisensor image fusion using the wavelet transform, "
    "Graphical Models and Image Processing 1995 (per-coefficient choose-max rule)",
    description="wavelet fusion: choose-max |detail coefficients|, averaged approximation (PyWavelets)",
    default_config={"wavelet": "db2", "levels": 3, "mode": "symmetric"},
)


@register_method(INFO)
def build_dwt(config: dict) -> ClassicalFuser:
    check_numbers(INFO.name, config, positive=("levels",), integer=("levels",))
    if config["wavelet"] not in pywt.wavelist(kind="discrete"):
        raise ConfigError(f"dwt: unknown wavelet {config['wavelet']!r}; use one of pywt.wavelist(kind='discrete')")
    if config["mode"] not in pywt.Modes.modes:
        raise ConfigError(f"dwt: unknown mode {config['mode']!r}; use one of {', '.join(pywt.Modes.modes)}")
    return ClassicalFuser(fuse_dwt, config)
