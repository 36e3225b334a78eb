"""Structure metrics, exact to MEFB's Matlab code: Qabf, QC, QW, QY, MEF-SSIM, and the plain SSIM.

Every functional form takes `sources` (a sequence of (N, C, H, W) tensors in [0, 1]) and `fused`
(N, C, H, W) in [0, 1] and returns (N,) float64. The maths runs on 0–255 float64 planes (see `_planes.py`);
docs/metrics_structure.md lists each formula, paper and quirk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from fusion_bench.errors import ImageFormatError
from fusion_bench.metrics._filters import (
    MATLAB_EPS,
    conv2_3x3,
    filter2_3x3,
    filter2_separable,
    fspecial_gaussian,
    gaussian_taps,
    halve_symmetric,
    matlab_filter2_rank1_valid,
    matlab_sum2,
    use_compiled,
)
from fusion_bench.metrics._structure_kernels import qabf_weighted_preservation, qw_fused_maps, qw_weighted_ssim
from fusion_bench.metrics._source_cache import content_key, source_cache
from fusion_bench.metrics.conventions import per_channel, shared_planes
from fusion_bench.metrics.phase_congruency import qp
from fusion_bench.metrics.registry import Convention, MetricSpec, check_convention, register_metric

# Xydeas & Petrović's sigmoid constants as MEFB's metricsQabf.m sets them.
QABF_TG, QABF_KG, QABF_DG = 0.9994, -15.0, 0.5
QABF_TA, QABF_KA, QABF_DA = 0.9879, -22.0, 0.8

# Kernels as (column, row) taps of their outer product: h1 = [1 2 1; 0 0 0; -1 -2 -1], h3 = h1' rotated.
_SOBEL_H1 = ((1.0, 0.0, -1.0), (1.0, 2.0, 1.0))
_SOBEL_H3 = ((1.0, 2.0, 1.0), (-1.0, 0.0, 1.0))
# Piella's edge operators in metricsQw.m (Prewitt): [1 0 -1] in every row, and [1 1 1; 0 0 0; -1 -1 -1].
_PREWITT_X = ((1.0, 1.0, 1.0), (1.0, 0.0, -1.0))
_PREWITT_Y = ((1.0, 0.0, -1.0), (1.0, 1.0, 1.0))


def _taps_arrays(taps: tuple[tuple[float, float, float], tuple[float, float, float]]) -> tuple[np.ndarray, ...]:
    """(column, row) taps of a 3×3 kernel as the float64 arrays the compiled loops take."""
    return tuple(np.array(part, dtype=np.float64) for part in taps)


def ssim_map(mu_x: Tensor, mu_y: Tensor, var_x: Tensor, var_y: Tensor, cov: Tensor, c1: float,
             c2: float) -> Tensor:
    """Wang et al.'s SSIM map from local moments (the C1, C2 > 0 branch of ssim_index.m)."""
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2))


def _nan_mean(x: Tensor) -> Tensor:
    """Mean over (H, W) of the non-NaN entries, as `mean2(A(~isnan(A)))`. (B, H, W) → (B,)."""
    valid = ~torch.isnan(x)
    return torch.where(valid, x, 0).sum(dim=(-2, -1)) / valid.sum(dim=(-2, -1))


# --------------------------------------------------------------------------------------------- Qabf
def _correctly_rounded_sqrt(x: Tensor) -> Tensor:
    """IEEE's correctly rounded square root, as Matlab's and the compiled loops' (`math.sqrt`): torch's float64
    `sqrt` on the CPU is not always (√92170 comes out 1 ulp low), and Qabf compares the sources' and the fused
    image's gradient strengths for equality (MEFB's g_s == g_f quirk), so both must round alike. numpy's
    `sqrt` is the hardware's; other devices (CUDA's double `sqrt` is correctly rounded) keep torch's."""
    if x.device.type != "cpu":
        return torch.sqrt(x)
    return torch.from_numpy(np.sqrt(x.contiguous().numpy()))


def _sobel_strength_orientation(x: Tensor) -> tuple[Tensor, Tensor]:
    """metricsQabf.m's `conv2(·, h3|h1, 'same')` → gradient strength and atan(Sy/Sx) (π/2 where Sx = 0)."""
    sx = conv2_3x3(x, *_SOBEL_H3)
    sy = conv2_3x3(x, *_SOBEL_H1)
    strength = _correctly_rounded_sqrt(sx * sx + sy * sy)
    orientation = torch.where(sx == 0, torch.full_like(sx, math.pi / 2), torch.atan(sy / sx))
    return strength, orientation


def _edge_preservation(g_s: Tensor, a_s: Tensor, g_f: Tensor, a_f: Tensor) -> Tensor:
    """Q^{SF} per pixel: strength and orientation preservation through Xydeas–Petrović sigmoids.

    MEFB's quirk: where g_s == g_f the "relative strength" is g_f itself, not 1.
    """
    relative_strength = torch.where(g_s > g_f, g_f / g_s, torch.where(g_s == g_f, g_f, g_s / g_f))
    relative_orientation = 1 - torch.abs(a_s - a_f) / (math.pi / 2)
    q_g = QABF_TG / (1 + torch.exp(QABF_KG * (relative_strength - QABF_DG)))
    q_a = QABF_TA / (1 + torch.exp(QABF_KA * (relative_orientation - QABF_DA)))
    return q_g * q_a


def _qabf_source_part(sources: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The sources' (K, B, H, W) Sobel strengths and orientations, and Σ strength per plane (B,)."""
    strengths, orientations = _sobel_strength_orientation(255 * sources)
    return strengths, orientations, strengths.sum(dim=(0, -2, -1))


_QABF_CONSTANTS = np.array([QABF_TG, QABF_KG, QABF_DG, QABF_TA, QABF_KA, QABF_DA])

# Qabf's store of the sources' Sobel maps.
QABF_SOURCE_FEATURES = source_cache("Qabf", max_bytes=2 ** 29)


def qabf_planes(sources: Tensor, fused: Tensor, compiled: bool | None = None) -> Tensor:
    """Qabf on 0–255 planes: sources (K, B, H, W), fused (B, H, W) → (B,).

    MEFB scales the planes by 255 once more (`255*im2double` of a double), which only matters through the
    g_s == g_f quirk; it is kept. On the CPU (`compiled=None`) the per-pixel work on the fused image runs in
    `_structure_kernels`, in torch otherwise; the two agree to the last bits (libm's vs torch's atan, exp).
    """
    g_s, a_s, total_strength = QABF_SOURCE_FEATURES.get(sources, _qabf_source_part)
    if use_compiled(fused, compiled):
        weighted = torch.empty_like(g_s)
        h3_column, h3_row = _SOBEL_H3
        h1_column, h1_row = _SOBEL_H1
        # conv2 is filter2 with the kernel rotated by 180°: both tap lists reversed (as `conv2_3x3`)
        qabf_weighted_preservation((255 * fused).contiguous().numpy(), g_s.contiguous().numpy(),
                                   a_s.contiguous().numpy(), *_taps_arrays((h3_column[::-1], h3_row[::-1])),
                                   *_taps_arrays((h1_column[::-1], h1_row[::-1])), _QABF_CONSTANTS,
                                   weighted.numpy())
        return weighted.sum(dim=(0, -2, -1)) / total_strength
    g_f, a_f = _sobel_strength_orientation(255 * fused)
    preservation = _edge_preservation(g_s, a_s, g_f, a_f)
    return (preservation * g_s).sum(dim=(0, -2, -1)) / total_strength


def qabf(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Xydeas–Petrović gradient-based fusion quality Q^{AB/F}, per RGB channel then averaged. → (N,)."""
    return per_channel(qabf_planes, "Qabf", sources, fused, convention)


# ---------------------------------------------------------------------------------------- QC, QY
_YANG_C = 2e-16  # ssim_yang's C1 = C2 in MEFB's metricsQc.m / metricsQy.m


# Matlab's filter2 finds ssim_yang's window of rank 1 and filters with conv2(hcol, hrow, x, 'valid'), hcol =
# u(:,1)·√s(1), hrow = v(:,1)·√s(1) from `svd(rot90(window, 2), 'econ')`. These are the factors' bits as LAPACK's
# dgesdd gives them (OpenBLAS 0.3, MKL 2019.0 and MKL 2024.2 agree; dgesvd differs in one or two entries by 1–2
# ulp). Which bits Matlab's own MKL returned is not known, and QC/QY on flat windows depend on them
# (docs/metrics_structure.md, "QC and QY against Matlab").
_YANG_HCOL = tuple(float.fromhex(v) for v in (
    "-0x1.2c18a51a3e5e4p-5", "-0x1.c7ce55257443fp-4", "-0x1.bbe4f897eb627p-3", "-0x1.152db38ecae3ep-2",
    "-0x1.bbe4f897eb627p-3", "-0x1.c7ce55257443fp-4", "-0x1.2c18a51a3e5e6p-5"))
_YANG_HROW = tuple(float.fromhex(v) for v in (
    "-0x1.2c18a51a3e5e8p-5", "-0x1.c7ce55257443fp-4", "-0x1.bbe4f897eb628p-3", "-0x1.152db38ecae3ep-2",
    "-0x1.bbe4f897eb628p-3", "-0x1.c7ce552574441p-4", "-0x1.2c18a51a3e5e7p-5"))


def _yang_filter(planes: Tensor) -> Tensor:
    """ssim_yang's `filter2(window, x, 'valid')` as Matlab computes it: (..., H, W) → (..., H − 6, W − 6)."""
    hcol = torch.tensor(_YANG_HCOL, dtype=torch.float64, device=planes.device)
    hrow = torch.tensor(_YANG_HROW, dtype=torch.float64, device=planes.device)
    return matlab_filter2_rank1_valid(planes, hcol, hrow)


def _yang_source_part(sources: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """ssim_yang's moments of the two sources (2, B, H, W) → means (2, B, H', W'), variances (2, B, H', W'),
    and ssim_yang(A, B) (B, H', W')."""
    a, b = sources
    filtered = _yang_filter(torch.stack([a, b, a * a, b * b, a * b]))
    mu, squares, cross = filtered[:2], filtered[2:4], filtered[4]
    var = squares - mu * mu
    cov_ab = cross - mu[0] * mu[1]
    return mu, var, ssim_map(mu[0], mu[1], var[0], var[1], cov_ab, _YANG_C, _YANG_C)


def _yang_fused_part(sources: Tensor, fused: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """ssim_yang(A, F), ssim_yang(B, F) and the covariances cov(A, F), cov(B, F), each (B, H', W')."""
    mu, var, _ = YANG_SOURCE_FEATURES.get(sources, _yang_source_part)
    a, b = sources
    mu_f, squares_f, cross_a, cross_b = _yang_filter(torch.stack([fused, fused * fused, a * fused, b * fused]))
    var_f = squares_f - mu_f * mu_f
    cov_a, cov_b = cross_a - mu[0] * mu_f, cross_b - mu[1] * mu_f
    ssim_a = ssim_map(mu[0], mu_f, var[0], var_f, cov_a, _YANG_C, _YANG_C)
    ssim_b = ssim_map(mu[1], mu_f, var[1], var_f, cov_b, _YANG_C, _YANG_C)
    return ssim_a, ssim_b, cov_a, cov_b


# ssim_yang's filters are the slowest part of QC and QY: the sources' moments are kept per pair, and the fused
# image's maps once per image, shared by both.
YANG_SOURCE_FEATURES = source_cache("QC/QY sources", max_bytes=2 ** 29)
YANG_FUSED_FEATURES = source_cache("QC/QY fused", max_bytes=2 ** 28)


def _ssim_yang_maps(sources: Tensor, fused: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(ssim_yang(A, F), ssim_yang(B, F), cov(A, F), cov(B, F)) of sources (2, B, H, W), fused (B, H, W).

    With C = 2e-16 the maps are decided by rounding noise wherever a window is flat (E[x²] − E[x]² is then a
    few ulp whose value depends on the filter's arithmetic), so the filter follows Matlab's filter2 (two 1-D
    passes with the window's SVD factors) and the rest repeats the Matlab expressions operation for operation.
    """
    key = (content_key(sources), content_key(fused))
    return YANG_FUSED_FEATURES.get_keyed(key, lambda: _yang_fused_part(sources, fused))


def qc_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Cvejić's metric on 0–255 planes: sources (2, B, H, W), fused (B, H, W) → (B,)."""
    ssim_a, ssim_b, cov_a, cov_b = _ssim_yang_maps(sources, fused)
    weight = cov_a / (cov_a + cov_b)
    similarity = weight * ssim_a + (1 - weight) * ssim_b
    similarity = torch.where(weight < 0, 0.0, similarity)
    similarity = torch.where(weight > 1, 1.0, similarity)
    return _nan_mean(similarity)


def qc(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Cvejić et al.'s covariance-weighted SSIM metric Q_C, per RGB channel then averaged. → (N,)."""
    return per_channel(qc_planes, "QC", sources, fused, convention)


def qy_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Yang et al.'s metric on 0–255 planes: sources (2, B, H, W), fused (B, H, W) → (B,)."""
    _, var, ssim_ab = YANG_SOURCE_FEATURES.get(sources, _yang_source_part)
    ssim_af, ssim_bf, _, _ = _ssim_yang_maps(sources, fused)
    var_a, var_b = var[0], var[1]
    similar = (ssim_ab >= 0.75).to(ssim_ab.dtype)
    weight = var_a / (var_a + var_b)
    # Matlab's max ignores NaN, and NaN·0 stays NaN so such pixels drop out of the mean.
    quality = (weight * ssim_af + (1 - weight) * ssim_bf) * similar + torch.fmax(ssim_af, ssim_bf) * (1 - similar)
    return _nan_mean(quality)


def qy(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Yang et al.'s SSIM-based metric Q_Y, per RGB channel then averaged. → (N,)."""
    return per_channel(qy_planes, "QY", sources, fused, convention)


# --------------------------------------------------------------------------------------------- QW
_WANG_C1, _WANG_C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


def _prewitt_edges(images: Tensor) -> Tensor:
    """metricsQw.m's edge maps: √(Gx² + Gy²) with its Prewitt kernels ('same'), (..., H, W) → same."""
    edge_x = filter2_3x3(images, *_PREWITT_X)
    edge_y = filter2_3x3(images, *_PREWITT_Y)
    return torch.sqrt(edge_x * edge_x + edge_y * edge_y)


def _wang_filter(planes: Tensor) -> Tensor:
    return filter2_separable(planes, gaussian_taps(11, 1.5, device=planes.device), "valid")


def _qw_source_part(sources: Tensor) -> tuple[Tensor, ...]:
    """What QW takes from the sources (2, B, H, W): their edge maps (2, B, H, W), the edge maps' windowed means
    and variances (2, B, H', W'), the weight λ_A and the normalised saliency (B, H', W')."""
    edges = _prewitt_edges(sources)
    filtered = _wang_filter(torch.cat([edges, edges * edges]))
    mu = filtered[:2]
    var = filtered[2:] - mu * mu
    var_a, var_b = var[0], var[1]
    both_flat = ((var_a + var_b) == 0).to(var_a.dtype) * 0.5
    var_a, var_b = var_a + both_flat, var_b + both_flat
    weight = var_a / (var_a + var_b)
    saliency = torch.maximum(var_a, var_b)
    return edges, mu, var, weight, saliency / saliency.sum(dim=(-2, -1), keepdim=True)


# QW's store of the sources' edge maps and their moments.
QW_SOURCE_FEATURES = source_cache("QW", max_bytes=2 ** 29)


def qw_planes(sources: Tensor, fused: Tensor, compiled: bool | None = None) -> Tensor:
    """Piella's edge-dependent quality index (MEFB's sw = 3 branch, α = 1): (2, B, H, W), (B, H, W) → (B,).

    On the CPU (`compiled=None`) the per-pixel work on the fused image runs in `_structure_kernels`, in torch
    otherwise; the two agree to the last bits (the kernels' square roots are correctly rounded)."""
    edges, mu, var, weight, saliency = QW_SOURCE_FEATURES.get(sources, _qw_source_part)
    if use_compiled(fused, compiled):
        maps = torch.empty(4, *fused.shape, dtype=fused.dtype)
        qw_fused_maps(fused.contiguous().numpy(), edges.contiguous().numpy(), *_taps_arrays(_PREWITT_X),
                      *_taps_arrays(_PREWITT_Y), maps.numpy())
        filtered = _wang_filter(maps)
        terms = torch.empty_like(weight)
        qw_weighted_ssim(filtered.numpy(), mu.contiguous().numpy(), var.contiguous().numpy(),
                         weight.contiguous().numpy(), saliency.contiguous().numpy(), _WANG_C1, _WANG_C2,
                         terms.numpy())
        return terms.sum(dim=(-2, -1))
    edge_f = _prewitt_edges(fused)
    mu_f, squares_f, cross_a, cross_b = _wang_filter(
        torch.stack([edge_f, edge_f * edge_f, edge_f * edges[0], edge_f * edges[1]]))
    var_f = squares_f - mu_f * mu_f
    ssim_fa = ssim_map(mu_f, mu[0], var_f, var[0], cross_a - mu_f * mu[0], _WANG_C1, _WANG_C2)
    ssim_fb = ssim_map(mu_f, mu[1], var_f, var[1], cross_b - mu_f * mu[1], _WANG_C1, _WANG_C2)
    return (saliency * (weight * ssim_fa + (1 - weight) * ssim_fb)).sum(dim=(-2, -1))


def qw(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Piella–Heijmans weighted/edge-dependent fusion quality index Q_W, per RGB channel then averaged. → (N,)."""
    return per_channel(qw_planes, "QW", sources, fused, convention)


# ---------------------------------------------------------------------------------------- MEF-SSIM
MEF_SSIM_K = 0.03
MEF_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001)  # normalised to sum 1 before use, as mef_ms_ssim.m does
_MEF_WINDOW = 11


def _mef_desired_patch(sources: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """The source side of one MEF-SSIM scale: sources (K, B, H, W) → the coefficients a_k (K, B, H', W'),
    the offset c, the rescaling, and the desired patch's Gaussian-weighted mean μ_r and variance σ_r²,
    each (B, H', W'), plus the sources themselves (for the covariance with the fused image).

    mef_ssim.m builds, for each 11×11 patch, a desired patch from the sources' mean-removed patches
    (structure weighted by (ed/11)^p with p from the patches' consistency R, contrast = the largest ed); every
    patch quantity is a linear combination of box or Gaussian sums of x_k and x_k·x_l, so the per-pixel
    loops become separable filters. Desired patch r = scale·(Σ_k a_k x_k − c), a_k = w_k / ed_k,
    c = Σ_k a_k μ_k, rescaled to norm maxEd.
    """
    count = sources.shape[0]
    size = _MEF_WINDOW
    area = size * size
    box = torch.ones(size, dtype=torch.float64, device=sources.device)
    gauss = gaussian_taps(size, 1.5, device=sources.device)
    pairs = [(k, l) for k in range(count) for l in range(k, count)]
    products = torch.stack([sources[k] * sources[l] for k, l in pairs])
    box_x = filter2_separable(sources, box, "valid")
    box_xx = filter2_separable(products, box, "valid")
    gauss_x = filter2_separable(sources, gauss, "valid")
    gauss_xx = filter2_separable(products, gauss, "valid")
    pair_index = {pair: i for i, pair in enumerate(pairs)}
    box_sq = torch.stack([box_xx[pair_index[(k, k)]] for k in range(count)])

    mu = box_x / area
    centred_sq = torch.clamp(box_sq - box_x * box_x / area, min=0)  # Σ (x − μ)² over the patch
    signal_strength = torch.sqrt(torch.clamp(area * (box_sq / area - mu * mu), min=0)) + 0.001
    total = box_x.sum(dim=0)
    total_sq = sum(box_xx[i] * (1 if k == l else 2) for i, (k, l) in enumerate(pairs))
    numerator = torch.sqrt(torch.clamp(total_sq - total * total / area, min=0))
    denominator = torch.sqrt(centred_sq).sum(dim=0)
    consistency = (numerator + MATLAB_EPS) / (denominator + MATLAB_EPS)
    consistency = torch.where(consistency > 1, 1 - MATLAB_EPS, consistency)
    consistency = torch.where(consistency < 0, MATLAB_EPS, consistency)
    exponent = torch.clamp(torch.tan(math.pi / 2 * consistency), max=10)
    weights = (signal_strength / size) ** exponent[None] + MATLAB_EPS
    weights = weights / weights.sum(dim=0)
    max_strength = signal_strength.amax(dim=0)

    coeff = weights / signal_strength
    offset = (coeff * mu).sum(dim=0)

    def quadratic(linear: Tensor, pair_sums: Tensor, n_taps_sum: float) -> Tensor:
        """Σ_q win_q r_q² / scale² for window sums `linear` (of x_k) and `pair_sums` (of x_k x_l)."""
        quad = sum(coeff[k] * coeff[l] * pair_sums[i] * (1 if k == l else 2) for i, (k, l) in enumerate(pairs))
        return quad - 2 * offset * (coeff * linear).sum(dim=0) + n_taps_sum * offset * offset

    norm = torch.sqrt(torch.clamp(quadratic(box_x, box_xx, area), min=0))
    scale = torch.where(norm > 0, max_strength / norm, torch.ones_like(norm))
    mu_r = scale * ((coeff * gauss_x).sum(dim=0) - offset)
    var_r = scale * scale * quadratic(gauss_x, gauss_xx, 1.0) - mu_r * mu_r
    return sources, coeff, offset, scale, mu_r, var_r


def mef_ssim_scale(sources: Tensor, fused: Tensor,
                   desired: tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor] | None = None) -> Tensor:
    """Ma et al.'s single-scale MEF-SSIM (mef_ssim.m), vectorised: (K, B, H, W), (B, H, W) → (B,).

    `desired`: `_mef_desired_patch(sources)` when already computed. The desired patch is compared with the
    fused patch through a Gaussian-weighted SSIM without luminance term.
    """
    _, coeff, offset, scale, mu_r, var_r = desired if desired is not None else _mef_desired_patch(sources)
    gauss = gaussian_taps(_MEF_WINDOW, 1.5, device=sources.device)
    gauss_f, gauss_ff = filter2_separable(torch.stack([fused, fused * fused]), gauss, "valid")
    gauss_xf = filter2_separable(sources * fused[None], gauss, "valid")
    var_f = gauss_ff - gauss_f * gauss_f
    cov = scale * ((coeff * gauss_xf).sum(dim=0) - offset * gauss_f) - mu_r * gauss_f
    stability = (MEF_SSIM_K * 255) ** 2
    quality = (2 * cov + stability) / (var_r + var_f + stability)
    return quality.mean(dim=(-2, -1))


def _mef_source_part(sources: Tensor) -> tuple[Tensor, ...]:
    """`_mef_desired_patch` at each of the three scales (sources halved between them), flattened."""
    part: list[Tensor] = []
    for level in range(len(MEF_SSIM_WEIGHTS)):
        if level:
            sources = halve_symmetric(sources)
        part.extend(_mef_desired_patch(sources))
    return tuple(part)


# MEF-SSIM's store of the desired patches' statistics at every scale (grey planes: small).
MEF_SSIM_SOURCE_FEATURES = source_cache("MEF-SSIM", max_bytes=2 ** 28)


def mef_ssim_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """mef_ms_ssim.m: three scales, 2×2 mean + subsampling between them, geometric mean with fixed weights.

    sources (K, B, H, W), fused (B, H, W) → (B,).
    """
    levels = len(MEF_SSIM_WEIGHTS)
    smallest = min(fused.shape[-2:]) / 2 ** (levels - 1)
    if smallest < _MEF_WINDOW:
        raise ImageFormatError(f"MEF-SSIM needs images of at least {_MEF_WINDOW * 2 ** (levels - 1)} px per side "
                               f"(got {tuple(fused.shape[-2:])}); mef_ms_ssim.m returns -Inf there")
    source_part = MEF_SSIM_SOURCE_FEATURES.get(sources, _mef_source_part)
    weights = torch.tensor(MEF_SSIM_WEIGHTS, dtype=torch.float64, device=fused.device)
    weights = weights / weights.sum()
    result = torch.ones(fused.shape[0], dtype=torch.float64, device=fused.device)
    for level in range(levels):
        if level:
            fused = halve_symmetric(fused)
        desired = source_part[6 * level:6 * level + 6]
        result = result * mef_ssim_scale(desired[0], fused, desired) ** weights[level]
    return result


def mef_ssim(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Ma et al.'s multi-scale MEF-SSIM on Matlab `rgb2gray` luminance (both conventions). Any number ≥ 2 of
    sources. → (N,)."""
    check_convention(convention)
    planes, fused_planes, _ = shared_planes("MEF-SSIM", sources, fused, "gray", n_sources=None)
    return mef_ssim_planes(planes, fused_planes)


# ------------------------------------------------------------------------------------------- SSIM
def _ssim_source_part(sources: Tensor) -> tuple[Tensor, Tensor]:
    """Windowed means and variances (ssim_index.m's 11×11 Gaussian, 'valid') of sources (K, B, H, W)."""
    filtered = _wang_filter(torch.cat([sources, sources * sources]))
    count = sources.shape[0]
    mu = filtered[:count]
    return mu, filtered[count:] - mu * mu


# SSIM's store of the sources' windowed moments.
SSIM_SOURCE_FEATURES = source_cache("SSIM", max_bytes=2 ** 29)


def ssim_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Mean over sources of Wang's SSIM(source, fused) (ssim_index.m defaults): (K, B, H, W), (B, H, W) → (B,)."""
    mu, var = SSIM_SOURCE_FEATURES.get(sources, _ssim_source_part)
    filtered = _wang_filter(torch.cat([fused[None], (fused * fused)[None], sources * fused[None]]))
    mu_f = filtered[0]
    var_f = filtered[1] - mu_f * mu_f
    cov = filtered[2:] - mu * mu_f
    maps = ssim_map(mu, mu_f[None], var, var_f[None], cov, _WANG_C1, _WANG_C2)
    return maps.mean(dim=(-2, -1)).mean(dim=0)


def ssim(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Plain SSIM (Wang et al. 2004), averaged over the sources; per RGB channel (mefb) or on grey. → (N,)."""
    return per_channel(ssim_planes, "SSIM", sources, fused, convention, n_sources=None)


for _spec in (
    MetricSpec("Qabf", "Qabf", qabf, True, "structure", False, True,
               "Xydeas–Petrović edge-preservation Q^{AB/F} (Sobel strength and orientation)"),
    MetricSpec("QP", "Qp", qp, True, "structure", False, True,
               "Zhao et al.'s phase-congruency feature agreement (pc, max and min moments)"),
    MetricSpec("QC", "Qc", qc, True, "structure", False, True,
               "Cvejić et al.'s covariance-weighted SSIM similarity"),
    MetricSpec("QW", "Qw", qw, True, "structure", False, True,
               "Piella–Heijmans edge-dependent weighted fusion quality index"),
    MetricSpec("QY", "Qy", qy, True, "structure", False, True,
               "Yang et al.'s SSIM-based similarity with a 0.75 redundancy threshold"),
    MetricSpec("MEF-SSIM", "MEF_SSIM", mef_ssim, True, "structure", False, True,
               "Ma et al.'s multi-scale structural similarity for multi-exposure fusion"),
    MetricSpec("SSIM", "", ssim, True, "structure", False, True,
               "Wang et al.'s SSIM between each source and the fused image, averaged over sources"),
):
    register_metric(_spec)
