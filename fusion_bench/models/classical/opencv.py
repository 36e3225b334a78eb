"""Tensor ↔ OpenCV array conversion for fusers that call OpenCV per image."""

from __future__ import annotations

import numpy as np
import torch


def to_hwc(image: torch.Tensor, dtype: type = np.float32) -> np.ndarray:
    """(C, H, W) tensor → (H, W) for C = 1, (H, W, C) otherwise; channel order unchanged."""
    array = image.detach().to("cpu").numpy().astype(dtype, copy=False)
    return array[0] if array.shape[0] == 1 else np.ascontiguousarray(np.moveaxis(array, 0, -1))


def from_hwc(array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """(H, W) or (H, W, C) array → (C, H, W) tensor with the dtype and device of `like`."""
    chw = array[None] if array.ndim == 2 else np.moveaxis(array, -1, 0)
    return torch.from_numpy(np.ascontiguousarray(chw)).to(dtype=like.dtype, device=like.device)
