"""MGDN's feature-redundancy loss: the normalised mutual information (NMI) between the features extracted
from the two sources, estimated with soft (Gaussian-kernel, Parzen) histograms and with pixels of shared
structure exempted by a gradient mask.

The paper (Guan et al., ACM MM 2023) describes the loss but publishes no formula; this is ours.

For features F_a, F_b (N, C, h, w) of sources A and B, and per sample n and channel c:

1. Range-normalise each channel over its pixels: u = (x − min x) / (max x − min x + ε) ∈ [0, 1]
   (min and max detached: they set the histogram range, they are not trained).
2. Soft bin memberships with B bins, centres t_k = (k + ½) / B and bandwidth σ = β / B:
   φ_k(u) = exp(−(u − t_k)² / 2σ²) / Σ_j exp(−(u − t_j)² / 2σ²)   (each pixel spreads mass 1 over the bins).
3. Mask-weighted joint histogram over pixels p: P(k, l) = Σ_p m_p φ_k(u_a(p)) φ_l(u_b(p)) / Σ_p m_p,
   marginals P_a(k) = Σ_l P(k, l), P_b(l) = Σ_k P(k, l).
4. Entropies H = −Σ P log P (natural log, 0 log 0 = 0), I = H_a + H_b − H_ab and
   NMI = 2 I / (H_a + H_b + ε) ∈ [0, 1] (0 for independent features, 1 when one determines the other).

The loss is the mean NMI over samples and channels. Minimising it makes the two branches carry
complementary rather than duplicated information.

Gradient mask (the structure both sources share is exempt, so the loss does not push the network to drop
it): with g_s = |∇Y_s| (Sobel, `sobel_magnitude`, on the channel mean Y_s of each source) normalised by its
per-sample maximum, m = 1 − min(ĝ_a, ĝ_b), averaged down to the feature size (area interpolation) and
detached. Pixels that are edges in both sources weigh ≈ 0; everything else weighs ≈ 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from fusion_bench.errors import ConfigError, ImageFormatError
from fusion_bench.losses.gradient import sobel_magnitude

_EPS = 1e-8


def shared_structure_mask(sources: Sequence[torch.Tensor], size: tuple[int, int] | None = None) -> torch.Tensor:
    """(N, 1, h, w) weights in [0, 1]: 1 − min over sources of the max-normalised gradient magnitude.

    Args:
        sources: ≥ 2 tensors (N, C, H, W) of one shape.
        size: (h, w) of the features the mask weighs; None keeps (H, W).
    """
    if len(sources) < 2:
        raise ImageFormatError(f"shared_structure_mask: needs at least 2 sources, got {len(sources)}")
    normalised = []
    for source in sources:
        magnitude = sobel_magnitude(source.mean(dim=1, keepdim=True))
        peak = magnitude.amax(dim=(1, 2, 3), keepdim=True).clamp_min(_EPS)
        normalised.append(magnitude / peak)
    mask = 1.0 - torch.stack(normalised, dim=0).amin(dim=0)
    if size is not None and tuple(mask.shape[-2:]) != tuple(size):
        mask = F.interpolate(mask, size=size, mode="area")
    return mask.detach()


def _soft_bins(features: torch.Tensor, bins: int, bandwidth: float) -> torch.Tensor:
    """(N, C, P) values → (N, C, P, B) memberships summing to 1 over B (steps 1–2 of the module docstring)."""
    low = features.amin(dim=-1, keepdim=True).detach()
    high = features.amax(dim=-1, keepdim=True).detach()
    unit = (features - low) / (high - low + _EPS)
    centres = (torch.arange(bins, device=features.device, dtype=features.dtype) + 0.5) / bins
    sigma = bandwidth / bins
    logits = -((unit.unsqueeze(-1) - centres) ** 2) / (2.0 * sigma**2)
    return torch.softmax(logits, dim=-1)


def _entropy(probabilities: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    return -(probabilities * torch.log(probabilities.clamp_min(_EPS))).sum(dim=dims)


def masked_nmi(features_a: torch.Tensor, features_b: torch.Tensor, mask: torch.Tensor | None = None,
               bins: int = 16, bandwidth: float = 1.0) -> torch.Tensor:
    """Per-sample, per-channel NMI (N, C) of two feature maps (formula in the module docstring).

    Args:
        features_a, features_b: (N, C, h, w), same shape.
        mask: (N, 1, h, w) non-negative pixel weights, or None for all ones.
        bins: B ≥ 2 histogram bins. bandwidth: β > 0, the kernel width in bin widths.
    """
    if features_a.ndim != 4 or features_a.shape != features_b.shape:
        raise ImageFormatError(f"masked_nmi: features must be two (N, C, h, w) tensors of one shape, got "
                               f"{tuple(features_a.shape)} and {tuple(features_b.shape)}")
    if bins < 2 or bandwidth <= 0:
        raise ConfigError(f"masked_nmi: bins must be >= 2 and bandwidth > 0, got bins={bins}, "
                          f"bandwidth={bandwidth}")
    n, c, h, w = features_a.shape
    if mask is None:
        mask = features_a.new_ones(n, 1, h, w)
    if mask.shape != (n, 1, h, w):
        raise ImageFormatError(f"masked_nmi: mask must be {(n, 1, h, w)}, got {tuple(mask.shape)}")
    weights = mask.reshape(n, 1, h * w, 1)
    weights = weights / weights.sum(dim=2, keepdim=True).clamp_min(_EPS)
    a = _soft_bins(features_a.reshape(n, c, h * w), bins, bandwidth)
    b = _soft_bins(features_b.reshape(n, c, h * w), bins, bandwidth)
    joint = torch.einsum("ncpk,ncpl->nckl", a * weights, b)  # (N, C, B, B), sums to 1
    h_a = _entropy(joint.sum(dim=-1), (-1,))
    h_b = _entropy(joint.sum(dim=-2), (-1,))
    h_ab = _entropy(joint, (-2, -1))
    return 2.0 * (h_a + h_b - h_ab) / (h_a + h_b + _EPS)


def nmi_feature_loss(features_a: torch.Tensor, features_b: torch.Tensor, sources: Sequence[torch.Tensor] | None,
                     bins: int = 16, bandwidth: float = 1.0, use_mask: bool = True) -> torch.Tensor:
    """Scalar loss: mean masked NMI between the two sources' features (mask from `sources` if `use_mask`)."""
    mask = shared_structure_mask(sources, tuple(features_a.shape[-2:])) if use_mask and sources else None
    return masked_nmi(features_a, features_b, mask, bins, bandwidth).mean()
