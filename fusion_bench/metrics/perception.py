"""Human-perception metrics, exact to MEFB's Matlab code: QCB (Chen–Blum), QCV (Chen–Varshney), VIF (Han et al.).

Functional forms take `sources` (two (N, C, H, W) tensors in [0, 1]) and `fused` (N, C, H, W) and return
(N,) float64; all three score each RGB channel and average (MEFB's loop). The contrast-sensitivity filters
are applied in the frequency domain with torch.fft exactly as the Matlab code does (fftshift'ed `freqspace`
grids, complex results kept complex). docs/metrics_structure.md lists each quirk.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from fusion_bench.metrics._filters import (
    block_sums,
    filter2_3x3,
    filter2_separable,
    freqspace_meshgrid,
    gaussian_taps,
    normalize1,
    use_compiled,
)
from fusion_bench.metrics._perception_kernels import qcb_masked_contrast, qcb_quality
from fusion_bench.metrics._source_cache import source_cache
from fusion_bench.metrics._vif_kernels import vif_choose
from fusion_bench.metrics.conventions import per_channel
from fusion_bench.metrics.registry import Convention, MetricSpec, register_metric


def _csf_filter(planes: Tensor, shifted_response: Tensor) -> Tensor:
    """`ifft2(ifftshift(fftshift(fft2(x)) .* response))` given ifftshift(response), the real response on the
    fftshift'ed freqspace grid moved back to fft2's order (shifting the spectrum and unshifting the product
    equals multiplying by it). The real response scales the spectrum's real and imaginary parts (what the
    complex product with a zero imaginary part computes, without promoting it to complex).
    (B, H, W) real → (B, H, W) complex (the response is not Hermitian on even sizes, so neither is the result).
    """
    spectrum = torch.fft.fft2(planes)
    torch.view_as_real(spectrum).mul_(shifted_response.unsqueeze(-1))
    return torch.fft.ifft2(spectrum)


# ---------------------------------------------------------------------------------------------- QCB
QCB_F0, QCB_F1, QCB_A = 15.3870, 1.3456, 0.7622  # DoG contrast-sensitivity constants in metricsQcb.m
QCB_K, QCB_H, QCB_P, QCB_Q, QCB_Z = 1.0, 1.0, 3.0, 2.0, 0.0001  # local contrast masking constants


def _qcb_gauss(sigma: float, device: torch.device) -> Tensor:
    """Taps of metricsQcb.m's unnormalised 31×31 Gaussian: exp(−(x²+y²)/2σ²)/(2πσ²) = g(x)·g(y) with
    g = exp(−x²/2σ²)/(√(2π)σ)."""
    return gaussian_taps(31, sigma, device=device, normalise=False) / (math.sqrt(2 * math.pi) * sigma)


def _qcb_contrast(planes: Tensor) -> Tensor:
    """Peli's band-limited contrast |G1∗x / G2∗x − 1| with unnormalised 31×31 Gaussians σ = 2, 4 ('same').

    (B, H, W) complex → (B, H, W) real.
    """
    narrow = filter2_separable(planes, _qcb_gauss(2.0, planes.device), "same")
    wide = filter2_separable(planes, _qcb_gauss(4.0, planes.device), "same")
    return torch.abs(narrow / wide - 1)


@functools.lru_cache(maxsize=8)
def _qcb_response(rows: int, cols: int, device: str) -> Tensor:
    """metricsQcb.m's DoG contrast-sensitivity response on the freqspace grid, ifftshift'ed. → (rows, cols)."""
    u, v = freqspace_meshgrid(rows, cols, device=device)
    u, v = (cols / 30) * u, (rows / 30) * v
    radius = torch.sqrt(u * u + v * v)
    response = torch.exp(-(radius / QCB_F0) ** 2) - QCB_A * torch.exp(-(radius / QCB_F1) ** 2)
    return torch.fft.ifftshift(response)


def _qcb_masked_contrast(images: Tensor, compiled: bool | None = None) -> Tensor:
    """normalize1'ed [0, 1] planes (..., H, W) → their CSF-filtered, contrast-masked maps (..., H, W) real.

    Everything here is per plane (normalize1 stretches each plane on its own), so the sources' maps do not
    depend on the fused image and are kept in `QCB_SOURCE_FEATURES`. On the CPU (`compiled=None`) the
    contrast and masking run in `_perception_kernels.qcb_masked_contrast`, in torch otherwise."""
    rows, cols = images.shape[-2:]
    filtered = _csf_filter(images, _qcb_response(rows, cols, str(images.device)))
    if use_compiled(images, compiled):
        parts = [filter2_separable(part, _qcb_gauss(sigma, images.device), "same")
                 for sigma in (2.0, 4.0) for part in (filtered.real, filtered.imag)]
        masked = torch.empty(filtered.shape, dtype=torch.float64)
        qcb_masked_contrast(*(part.reshape(-1, rows, cols).numpy() for part in parts), QCB_K, QCB_H, QCB_P,
                            QCB_Q, QCB_Z, masked.reshape(-1, rows, cols).numpy())
        return masked
    contrast = _qcb_contrast(filtered)
    return (QCB_K * contrast ** QCB_P) / (QCB_H * contrast ** QCB_Q + QCB_Z)


# QCB's store of the sources' masked contrast.
QCB_SOURCE_FEATURES = source_cache("QCB")


def qcb_planes(sources: Tensor, fused: Tensor, compiled: bool | None = None) -> Tensor:
    """Chen–Blum on 0–255 planes: sources (2, B, H, W), fused (B, H, W) → (B,).

    On the CPU (`compiled=None`) the per-pixel work runs in `_perception_kernels`, in torch otherwise; the
    two agree to the last bits. (The sources' maps are kept from whichever path ran first.)"""
    (source_maps,) = QCB_SOURCE_FEATURES.get(
        sources, lambda planes: (_qcb_masked_contrast(normalize1(planes / 255), compiled),))  # im2double, normalize1
    c_a, c_b = source_maps
    c_f = _qcb_masked_contrast(normalize1(fused / 255), compiled)
    if use_compiled(fused, compiled):
        quality_map = torch.empty_like(c_f)
        qcb_quality(c_a.contiguous().numpy(), c_b.contiguous().numpy(), c_f.numpy(), quality_map.numpy())
        return quality_map.mean(dim=(-2, -1))

    def preservation(c_s: Tensor) -> Tensor:
        # The Matlab code multiplies both ratios by the mask, so 0/0 and x/0 leak NaN exactly as it does.
        mask = (c_s < c_f).to(c_s.dtype)
        return (c_s / c_f) * mask + (c_f / c_s) * (1 - mask)

    saliency_a = c_a * c_a / (c_a * c_a + c_b * c_b)
    saliency_b = c_b * c_b / (c_a * c_a + c_b * c_b)
    quality = saliency_a * preservation(c_a) + saliency_b * preservation(c_b)
    return quality.mean(dim=(-2, -1))


def qcb(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Chen–Blum human-perception metric Q_CB, per RGB channel then averaged. → (N,)."""
    return per_channel(qcb_planes, "QCB", sources, fused, convention)


# ---------------------------------------------------------------------------------------------- QCV
QCV_WINDOW = 16
QCV_ALPHA = 5
# metricsQcv.m's [-1 0 1; -2 0 2; -1 0 1] and its transpose, as (column, row) taps of the outer product.
_QCV_SOBEL_X = ((1.0, 2.0, 1.0), (-1.0, 0.0, 1.0))
_QCV_SOBEL_Y = ((-1.0, 0.0, 1.0), (1.0, 2.0, 1.0))


def _qcv_source_part(sources: Tensor) -> tuple[Tensor, Tensor]:
    """The sources' (2, B, H, W) normalize1'ed planes and their block saliencies (Σ over 16×16 blocks of the
    Sobel magnitude^5), (2, B, H, W) and (2, B, ⌈H/16⌉, ⌈W/16⌉)."""
    normalised = normalize1(sources)
    grad_x = filter2_3x3(normalised, *_QCV_SOBEL_X)
    grad_y = filter2_3x3(normalised, *_QCV_SOBEL_Y)
    return normalised, block_sums(torch.sqrt(grad_x * grad_x + grad_y * grad_y) ** QCV_ALPHA, QCV_WINDOW)


# QCV's store of the sources' normalised planes and saliencies.
QCV_SOURCE_FEATURES = source_cache("QCV", max_bytes=2 ** 28)


@functools.lru_cache(maxsize=8)
def _qcv_response(rows: int, cols: int, device: str) -> Tensor:
    """metricsQcv.m's Mannos–Sakrison response on the freqspace grid, ifftshift'ed. → (rows, cols)."""
    u, v = freqspace_meshgrid(rows, cols, device=device)
    u, v = (cols / 8) * u, (rows / 8) * v
    radius = torch.sqrt(u * u + v * v)
    return torch.fft.ifftshift(2.6 * (0.0192 + 0.144 * radius) * torch.exp(-(0.144 * radius) ** 1.1))


def qcv_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Chen–Varshney on 0–255 planes: sources (2, B, H, W), fused (B, H, W) → (B,). Lower is better.

    Region saliency: Σ over 16×16 blocks of the Sobel magnitude^5; distortion: block mean of the squared
    Mannos–Sakrison-filtered difference. Blocks follow `blkproc` (zero-padded at the bottom/right; the mean
    divides by 256 there too). The Matlab result is complex with an imaginary part ~1e-16; this is its real part.
    """
    rows, cols = fused.shape[-2:]
    (norm_a, norm_b), saliency = QCV_SOURCE_FEATURES.get(sources, _qcv_source_part)
    norm_f = normalize1(fused)

    difference = _csf_filter(torch.stack([norm_a - norm_f, norm_b - norm_f]),
                             _qcv_response(rows, cols, str(fused.device)))
    distortion = block_sums(difference * difference, QCV_WINDOW) / QCV_WINDOW ** 2
    quality = (saliency * distortion).sum(dim=(0, -2, -1)) / saliency.sum(dim=(0, -2, -1))
    return quality.real


def qcv(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Chen–Varshney regional perceptual distortion Q_CV, per RGB channel then averaged (lower is better). → (N,)."""
    return per_channel(qcv_planes, "QCV", sources, fused, convention)


# ---------------------------------------------------------------------------------------------- VIF
VIF_NOISE_VAR = 0.005 * 255 * 255  # σ_n² of the visual noise
VIF_C = 1e-7
VIF_SCALE_WEIGHTS = (1.0 / 2.15, 0.0, 0.15 / 2.15, 1.0 / 2.15)
_VIF_TINY = 1e-10


def _vif_taps(scale: int, device: torch.device) -> Tensor:
    size = 2 ** (4 - scale) + 1
    return gaussian_taps(size, size / 5, device=device)


def _vif_means(planes: Tensor, scale: int) -> tuple[Tensor, Tensor]:
    """Windowed means of planes (P, H, W) and of their squares, and the clamped variances → mu, var."""
    filtered = filter2_separable(torch.cat([planes, planes * planes]), _vif_taps(scale, planes.device), "valid")
    mu, squares = filtered.split(planes.shape[0])
    return mu, torch.clamp(squares - mu * mu, min=0)


def _vif_source_part(sources: Tensor) -> tuple[Tensor, ...]:
    """The reference side of every scale, from sources (2, B, H, W): for scales 0–3 the planes of A then B
    (2B, H_s, W_s), their windowed means and clamped variances, and the VIND maps (2B, H_s', W_s')."""
    reference = torch.cat([sources[0], sources[1]])
    part: list[Tensor] = []
    for scale in range(4):
        if scale:
            reference = filter2_separable(reference, _vif_taps(scale, reference.device), "valid", step=2)
        mu_r, var_r = _vif_means(reference, scale)
        part.extend((reference, mu_r, var_r, _vind(var_r)))
    return tuple(part)


def _vind(var_r: Tensor) -> Tensor:
    """The VIND map (information in the reference) from its clamped variance: log10(1 + var_r′/σ_n²), where
    var_r′ is 0 on flat windows (var_r < 1e-10). Depends on the sources alone."""
    return torch.log10(1 + torch.where(var_r < _VIF_TINY, 0.0, var_r) / VIF_NOISE_VAR)


# VIF's store of the sources' scales, moments and VIND maps (one 1200×800 RGB pair: about 250 MB).
VIF_SOURCE_FEATURES = source_cache("VIF", max_bytes=2 ** 29)


def _vif_scale_maps(reference: Tensor, mu_r: Tensor, var_r: Tensor, distorted: Tensor, scale: int
                    ) -> tuple[Tensor, Tensor, Tensor]:
    """One scale of ComVidVindG (Sheikh–Bovik's pixel-domain VIF with Han et al.'s changes).

    reference (2B, H, W) with its means and variances (2B, H', W'), distorted (B, H, W) →
    VID map, VIND map, gain g, each (2B, H', W') (H' = H − n + 1).
    """
    mu_d, var_d = _vif_means(distorted, scale)
    mu_d, var_d = torch.cat([mu_d, mu_d]), torch.cat([var_d, var_d])
    cross = filter2_separable(reference * torch.cat([distorted, distorted]), _vif_taps(scale, reference.device),
                              "valid")
    cov = cross - mu_r * mu_d

    gain = cov / (var_r + _VIF_TINY)
    noise = var_d - gain * cov
    flat_r = var_r < _VIF_TINY
    gain = torch.where(flat_r, 0.0, gain)
    noise = torch.where(flat_r, var_d, noise)
    var_r = torch.where(flat_r, 0.0, var_r)
    flat_d = var_d < _VIF_TINY
    gain = torch.where(flat_d, 0.0, gain)
    noise = torch.where(flat_d, 0.0, noise)
    negative = gain < 0
    noise = torch.where(negative, var_d, noise)
    gain = torch.where(negative, 0.0, gain)
    noise = torch.clamp(noise, min=_VIF_TINY)  # sv_sq(sv_sq <= 1e-10) = 1e-10

    vid = torch.log10(1 + gain * gain * var_r / (noise + VIF_NOISE_VAR))
    vind = torch.log10(1 + var_r / VIF_NOISE_VAR)
    return vid, vind, gain


def _vif_chosen_maps(reference: Tensor, mu_r: Tensor, var_r: Tensor, vind: Tensor, distorted: Tensor,
                     scale: int, compiled: bool | None = None) -> tuple[Tensor, Tensor]:
    """One scale's VID and VIND maps (B, H', W'), each pixel from the source with the smaller gain g (B when
    equal); reference and its moments (2B, ...) as in `_vif_scale_maps`, distorted (B, H, W).

    On the CPU (`compiled=None`) the per-pixel work runs in `_vif_kernels.vif_choose`, in torch otherwise;
    the two are equal bit for bit."""
    batch = distorted.shape[0]
    if not use_compiled(distorted, compiled):
        vid, vind_both, gain = _vif_scale_maps(reference, mu_r, var_r, distorted, scale)
        take_a = torch.lt(*gain.split(batch))
        return torch.where(take_a, *vid.split(batch)), torch.where(take_a, *vind_both.split(batch))
    mu_d, var_d = _vif_means(distorted, scale)
    cross = filter2_separable(reference * torch.cat([distorted, distorted]), _vif_taps(scale, reference.device),
                              "valid")
    vid_argument, vind_chosen = torch.empty_like(mu_d), torch.empty_like(mu_d)

    def sources_first(x: Tensor) -> np.ndarray:
        return x.reshape(2, batch, *x.shape[-2:]).numpy()

    vif_choose(sources_first(cross), sources_first(mu_r), sources_first(var_r), sources_first(vind),
               mu_d.numpy(), var_d.numpy(), _VIF_TINY, VIF_NOISE_VAR, vid_argument.numpy(), vind_chosen.numpy())
    return torch.log10(vid_argument), vind_chosen


def vif_planes(sources: Tensor, fused: Tensor, compiled: bool | None = None) -> Tensor:
    """Han et al.'s fusion VIF on 0–255 planes: sources (2, B, H, W), fused (B, H, W) → (B,).

    Per scale, each pixel takes VID/VIND from the source with the smaller gain g; the score is
    Σ_scales p_s · Σ(VID + C)/Σ(VIND + C) with p = [1, 0, 0.15, 1]/2.15.
    """
    batch = fused.shape[0]
    source_part = VIF_SOURCE_FEATURES.get(sources, _vif_source_part)
    distorted = fused
    score = torch.zeros(batch, dtype=torch.float64, device=fused.device)
    for scale in range(4):
        if scale:
            distorted = filter2_separable(distorted, _vif_taps(scale, fused.device), "valid", step=2)
        reference, mu_r, var_r, vind = source_part[4 * scale:4 * scale + 4]
        vid_ab, vind_ab = _vif_chosen_maps(reference, mu_r, var_r, vind, distorted, scale, compiled)
        ratio = (vid_ab + VIF_C).sum(dim=(-2, -1)) / (vind_ab + VIF_C).sum(dim=(-2, -1))
        score = score + VIF_SCALE_WEIGHTS[scale] * ratio
    return score


def vif(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Han et al.'s visual-information-fidelity fusion metric, per RGB channel then averaged. → (N,)."""
    return per_channel(vif_planes, "VIF", sources, fused, convention)


for _spec in (
    MetricSpec("QCB", "Qcb", qcb, True, "perception", False, True,
               "Chen–Blum contrast-preservation metric with a DoG contrast-sensitivity filter"),
    MetricSpec("QCV", "Qcv", qcv, False, "perception", False, True,
               "Chen–Varshney regional CSF-filtered distortion, saliency weighted (lower is better)"),
    MetricSpec("VIF", "VIF", vif, True, "perception", False, True,
               "Han et al.'s multi-scale visual information fidelity for fusion"),
):
    register_metric(_spec)
