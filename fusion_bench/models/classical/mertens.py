"""`mertens`: exposure fusion (Mertens, Kautz, Van Reeth, Pacific Graphics 2007) through OpenCV's
`MergeMertens`, any number of exposures.

Per exposure, OpenCV weighs each pixel by contrast (|Laplacian| of the grey image) ^ ω_c, saturation
(standard deviation over R, G, B) ^ ω_s and well-exposedness (∏_c exp(−(I_c − 0.5)² / (2·0.2²))) ^ ω_e,
normalises the weights over the exposures, and blends the exposures' Laplacian pyramids with the
weights' Gaussian pyramids. The paper uses ω_c = ω_s = ω_e = 1 (OpenCV's default has ω_e = 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import torch

from fusion_bench.models.base import MethodInfo
from fusion_bench.models.classical.base import ClassicalFuser, check_numbers, stack_sources
from fusion_bench.models.classical.opencv import from_hwc, to_hwc
from fusion_bench.models.registry import register_method


def fuse_mertens(
    sources: Sequence[torch.Tensor],
    contrast_weight: float = 1.0,
    saturation_weight: float = 1.0,
    exposure_weight: float = 1.0,
) -> torch.Tensor:
    """K exposures (N, C, H, W) in [0, 1], C = 1 or 3 (RGB) → (N, C, H, W), not clipped.

    Sources go to OpenCV as float32 on the 0–255 scale (its `process` divides by 255) in RGB order, so
    that its `COLOR_RGB2GRAY` contrast conversion sees RGB. Grey sources have no saturation term.
    """
    stack = stack_sources(sources)
    merger = cv2.createMergeMertens(contrast_weight, saturation_weight, exposure_weight)
    fused = [
        from_hwc(merger.process([to_hwc(exposure * 255.0) for exposure in stack[:, index]]), like=stack)
        for index in range(stack.shape[1])
    ]
    return torch.stack(fused, dim=0)


INFO = MethodInfo(
    name="mertens",
    tasks=("mef",),
    kind="classical",
    channels="any",
    multi_source=True,
    trainable=False,
    paper="T. Mertens, J. Kautz, F. Van Reeth, Exposure Fusion, Pacific Graphics 2007",
    description="exposure fusion: contrast/saturation/well-exposedness weights, pyramid blending (OpenCV)",
    default_config={"contrast_weight": 1.0, "saturation_weight": 1.0, "exposure_weight": 1.0},
)


@register_method(INFO)
def build_mertens(config: dict) -> ClassicalFuser:
    check_numbers(INFO.name, config, non_negative=("contrast_weight", "saturation_weight", "exposure_weight"))
    return ClassicalFuser(fuse_mertens, config)
