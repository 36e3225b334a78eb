"""Box (moving-average) filter and the guided filter on it, in O(1) operations per pixel.

kornia's `box_blur` and `guided_blur` convolve with the k-tap kernel (O(k) per pixel): GFF's base-layer
guided filter has a 91×91 window and runs in float64, where that convolution dominated its time (about 6 s
of a 1200×800 MEFB pair on one core). Here each axis is a running sum: pad by the window radius (border mode
as kornia's), one cumulative sum, one difference of shifted sums. Written by hand because kornia has no
integral-image box filter; `tests/test_classical_properties.py` holds it to kornia's results.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_PAD_MODES = {"replicate": "replicate", "reflect": "reflect", "circular": "circular"}


def _running_mean(x: torch.Tensor, size: int, dim: int) -> torch.Tensor:
    """Mean over a centred window of odd `size` along `dim` (-1 or -2) of an already padded tensor."""
    length = x.shape[dim] - size + 1
    total = torch.cumsum(x, dim=dim)
    head = total.narrow(dim, size - 1, length)
    tail = total.narrow(dim, 0, length - 1)
    out = head.clone()
    out.narrow(dim, 1, length - 1).sub_(tail)
    return out.div_(size)


def box_mean(x: torch.Tensor, size: int, border_type: str = "replicate") -> torch.Tensor:
    """Average over size×size windows (odd `size`), borders padded as `border_type`. (N, C, H, W) → same.

    Equal to `kornia.filters.box_blur(x, (size, size), border_type=border_type)` up to rounding (the
    running sums add in another order; relative differences ~1e-15 in float64)."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"box_mean: window size {size} must be odd and positive")
    if border_type not in _PAD_MODES:
        raise ValueError(f"box_mean: border_type {border_type!r}; use one of {', '.join(_PAD_MODES)}")
    radius = size // 2
    padded = F.pad(x, (radius, radius, radius, radius), mode=_PAD_MODES[border_type])
    return _running_mean(_running_mean(padded, size, -1), size, -2)


def guided_filter(guide: torch.Tensor, image: torch.Tensor, size: int, eps: float,
                  border_type: str = "replicate") -> torch.Tensor:
    """He et al.'s guided filter with a grey guide: (N, 1, H, W) guide, (N, C, H, W) input → (N, C, H, W).

    The formulation of `kornia.filters.guided_blur` (means of I, p, I·I, I·p over size×size windows;
    a = cov(I, p) / (var(I) + eps), b = mean(p) − a·mean(I); output mean(a)·I + mean(b)), on `box_mean`."""
    mean_i = box_mean(guide, size, border_type)
    mean_p = box_mean(image, size, border_type)
    var_i = box_mean(guide * guide, size, border_type) - mean_i * mean_i
    cov_ip = box_mean(guide * image, size, border_type) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, size, border_type) * guide + box_mean(b, size, border_type)
