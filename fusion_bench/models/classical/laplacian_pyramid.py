"""`laplacian-pyramid`: Laplacian pyramid fusion (Burt & Adelson 1983/1985) for MFF and MEF.

Each source (per channel) is decomposed with OpenCV's `pyrDown`/`pyrUp` into `levels` bands: band i =
G_i − pyrUp(G_{i+1}) for the Gaussian levels G_i, and the last band is the coarsest Gaussian level.
Band-pass coefficients are fused by choose-max absolute value (ties: lowest source index), the
coarsest level by averaging, and the fused pyramid is collapsed. Identical sources are reconstructed
to float64 rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import torch

from fusion_bench.models.base import MethodInfo
from fusion_bench.models.classical.base import ClassicalFuser, check_numbers, stack_sources
from fusion_bench.models.classical.opencv import from_hwc, to_hwc
from fusion_bench.models.classical.selection import select_max_abs
from fusion_bench.models.registry import register_method


def _expand(coarse: np.ndarray, fine: np.ndarray) -> np.ndarray:
    return cv2.pyrUp(coarse, dstsize=(fine.shape[1], fine.shape[0]))


def build_laplacian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """(H, W[, C]) float64 → `levels` arrays, finest band first, coarsest Gaussian level last."""
    gaussian = [image]
    for _ in range(levels - 1):
        gaussian.append(cv2.pyrDown(gaussian[-1]))
    bands = [fine - _expand(coarse, fine) for fine, coarse in zip(gaussian, gaussian[1:])]
    return bands + [gaussian[-1]]


def collapse_laplacian_pyramid(pyramid: Sequence[np.ndarray]) -> np.ndarray:
    """Inverse of `build_laplacian_pyramid`."""
    image = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        image = band + _expand(image, band)
    return image


def fuse_laplacian_pyramid(sources: Sequence[torch.Tensor], levels: int = 5) -> torch.Tensor:
    """K sources (N, C, H, W) in [0, 1] → (N, C, H, W), not clipped.

    Args:
        levels: pyramid levels including the coarsest; reduced to 1 + ⌊log2(min(H, W))⌋ for small
            images so that the coarsest level keeps at least one pixel per side.
    """
    stack = stack_sources(sources)
    height, width = stack.shape[-2:]
    levels = max(1, min(levels, 1 + int(math.log2(min(height, width)))))
    fused = []
    for index in range(stack.shape[1]):
        pyramids = [build_laplacian_pyramid(to_hwc(source[index], np.float64), levels) for source in stack]
        layers = [torch.from_numpy(np.stack(level)) for level in zip(*pyramids)]
        fused_pyramid = [select_max_abs(band).numpy() for band in layers[:-1]] + [layers[-1].mean(dim=0).numpy()]
        fused.append(from_hwc(collapse_laplacian_pyramid(fused_pyramid), like=stack))
    return torch.stack(fused, dim=0)


INFO = MethodInfo(
    name="laplacian-pyramid",
    tasks=("mef", "mff"),
    kind="classical",
    channels="any",
    multi_source=True,
    trainable=False,
    paper="P. J. Burt, E. H. Adelson, The Laplacian pyramid as a compact image code, IEEE Trans. Commun. 1983; "
    "fusion rule after P. J. Burt, R. J. Kolczynski, Enhanced image capture through fusion, ICCV 1993",
    description="Laplacian pyramid: choose-max |band-pass|, averaged coarsest level (OpenCV pyramids)",
    default_config={"levels": 5},
)


@register_method(INFO)
def build_laplacian_pyramid_fuser(config: dict) -> ClassicalFuser:
    check_numbers(INFO.name, config, positive=("levels",), integer=("levels",))
    return ClassicalFuser(fuse_laplacian_pyramid, config)
