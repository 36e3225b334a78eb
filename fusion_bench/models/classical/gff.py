"""`gff`: image fusion with guided filtering (S. Li, X. Kang, J. Hu, IEEE TIP 22(7), 2013).

1. Two-scale decomposition of each source I_n: base B_n = I_n * Z (31×31 average filter), detail
   D_n = I_n − B_n (per channel).
2. Saliency S_n = |L * G_n| * g_{r_g, σ_g}: 3×3 Laplacian [0 1 0; 1 −4 1; 0 1 0] of the grey image
   G_n, smoothed by a (2r_g+1)² Gaussian, r_g = 5, σ_g = 5.
3. Initial weights P_n = 1 where S_n is the largest over the sources (ties: lowest n), else 0.
4. Refined weights W^B_n = GF_{r1, ε1}(P_n, G_n), W^D_n = GF_{r2, ε2}(P_n, G_n) (guided filter with the
   grey source as guidance), clipped to [0, 1] as the authors' code does, + 1e-12, normalised over n.
5. F = Σ_n W^B_n B_n + Σ_n W^D_n D_n.

Paper parameters: r1 = 45, ε1 = 0.3, r2 = 7, ε2 = 1e-6 (intensities in [0, 1]). The Laplacian and the
Gaussian are kornia's (`filter2d`, `gaussian_blur2d`); the average filter and the guided filter are
`box_filter.py`'s running sums (the formulation of kornia's `box_blur`/`guided_blur`, O(1) per pixel instead
of O(window)); all with replicate borders as in the authors' `imfilter(..., 'replicate')`; the authors'
guided filter shrinks its windows at the border instead. Their
code also quantises the refined weights to 1/255 steps, which we do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from kornia.filters import filter2d, gaussian_blur2d

from fusion_bench.models.base import MethodInfo
from fusion_bench.models.classical.base import ClassicalFuser, check_numbers, stack_sources
from fusion_bench.models.classical.box_filter import box_mean, guided_filter
from fusion_bench.models.classical.colour import luminance
from fusion_bench.models.registry import register_method

_LAPLACIAN = torch.tensor([[[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]])
_BORDER = "replicate"


def saliency(grey: torch.Tensor, radius: int, sigma: float) -> torch.Tensor:
    """(B, 1, H, W) → (B, 1, H, W): Gaussian-smoothed absolute Laplacian."""
    laplacian = filter2d(grey, _LAPLACIAN.to(grey), border_type=_BORDER).abs()
    size = 2 * radius + 1
    return gaussian_blur2d(laplacian, (size, size), (sigma, sigma), border_type=_BORDER)


def refined_weights(guides: torch.Tensor, initial: torch.Tensor, radius: int, eps: float) -> torch.Tensor:
    """Guide and initial weights (K, N, 1, H, W) → weights (K, N, 1, H, W) summing to 1 over K."""
    k, n = guides.shape[:2]
    flat_shape = (k * n, *guides.shape[2:])
    filtered = guided_filter(guides.reshape(flat_shape), initial.reshape(flat_shape), 2 * radius + 1, eps,
                             border_type=_BORDER).reshape(guides.shape)
    weights = filtered.clamp(0.0, 1.0) + 1e-12
    return weights / weights.sum(dim=0, keepdim=True)


def fuse_gff(
    sources: Sequence[torch.Tensor],
    base_size: int = 31,
    saliency_radius: int = 5,
    saliency_sigma: float = 5.0,
    base_radius: int = 45,
    base_eps: float = 0.3,
    detail_radius: int = 7,
    detail_eps: float = 1e-6,
) -> torch.Tensor:
    """K sources (N, C, H, W) in [0, 1] (grey or RGB) → (N, C, H, W), not clipped.

    Args:
        base_size: side of the average filter of the two-scale decomposition.
        saliency_radius, saliency_sigma: r_g and σ_g of the Gaussian smoothing the |Laplacian|.
        base_radius, base_eps: r1, ε1 of the guided filter refining the base-layer weights.
        detail_radius, detail_eps: r2, ε2 of the guided filter refining the detail-layer weights.
    """
    # float64: with ε2 = 1e-6 the guided filter's local variances need more than float32's precision.
    stack = stack_sources(sources).double()
    k, n, c, h, w = stack.shape
    flat = stack.reshape(k * n, c, h, w)
    base = box_mean(flat, base_size, border_type=_BORDER).reshape(stack.shape)
    detail = stack - base
    grey = luminance(flat)
    salient = saliency(grey, saliency_radius, saliency_sigma).reshape(k, n, 1, h, w)
    initial = torch.zeros_like(salient).scatter_(0, salient.argmax(dim=0, keepdim=True), 1.0)
    guides = grey.reshape(k, n, 1, h, w)
    base_weights = refined_weights(guides, initial, base_radius, base_eps)
    detail_weights = refined_weights(guides, initial, detail_radius, detail_eps)
    fused = (base_weights * base).sum(dim=0) + (detail_weights * detail).sum(dim=0)
    return fused.to(sources[0].dtype)


INFO = MethodInfo(
    name="gff",
    tasks=("mef", "mff"),
    kind="classical",
    channels="any",
    multi_source=True,
    trainable=False,
    paper="S. Li, X. Kang, J. Hu, Image fusion with guided filtering, IEEE Trans. Image Process. 22(7), 2013",
    description="two-scale fusion, Laplacian saliency, guided-filter weight refinement",
    default_config={
        "base_size": 31,
        "saliency_radius": 5,
        "saliency_sigma": 5.0,
        "base_radius": 45,
        "base_eps": 0.3,
        "detail_radius": 7,
        "detail_eps": 1e-6,
    },
)


@register_method(INFO)
def build_gff(config: dict) -> ClassicalFuser:
    radii = ("base_size", "saliency_radius", "base_radius", "detail_radius")
    check_numbers(INFO.name, config, positive=(*radii, "saliency_sigma", "base_eps", "detail_eps"), integer=radii)
    return ClassicalFuser(fuse_gff, config)
