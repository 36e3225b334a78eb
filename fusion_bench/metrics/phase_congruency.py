"""Kovesi's phase congruency (as Z. Liu's `myphasecong3.m` in MEFB) and Zhao et al.'s metric QP built on it.

QP is registered with the structure family (`structure.py`).

Log-Gabor filtering runs through torch.fft on a batch of planes; the filter bank and its noise statistics
depend only on the image size, so they are built once per (H, W, device) and cached.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from fusion_bench.metrics._filters import filter2_separable, gaussian_taps, matlab_median
from fusion_bench.metrics.conventions import per_channel
from fusion_bench.metrics.registry import Convention

# myphasecong3.m defaults (checkargs), all used by MEFB's metricsQp.m.
N_SCALE = 4
N_ORIENT = 6
MIN_WAVELENGTH = 3.0
MULT = 2.1
SIGMA_ON_F = 0.55
D_THETA_ON_SIGMA = 1.2
NOISE_K = 2.0
CUT_OFF = 0.5
SHARPNESS_G = 10.0
_EPSILON = 1e-4

QP_FEATURE_THRESHOLD = 0.1
_QP_C = 1e-4
# (re, im) → (im, −re) after swapping the pair: multiplication by −i on a view_as_real tensor.
_FLIP_SIGN = torch.tensor([1.0, -1.0], dtype=torch.float64)


@dataclass(frozen=True)
class PhaseCongruencyBank:
    """Log-Gabor filters and the noise statistics myphasecong3.m derives from them.

    Attributes:
        filters: (O, S, H, W) real transfer functions, zero frequency at [0, 0].
        even_half: (O, S, H, W//2+1) their symmetric parts (f(ω) + f(−ω))/2 on the rfft half-plane.
        odd_half: (O, S, H, W//2+1) their antisymmetric parts (f(ω) − f(−ω))/2 on the half-plane.
        mean_sq_filter: (O,) Σ filter² at the smallest scale (EM_n).
        sum_an2: (O,) Σ over scales and pixels of the rescaled spatial filters squared.
        sum_aiaj: (O,) Σ over scale pairs i < j and pixels of their products.
        angles: (O,) filter orientations.
    """

    filters: Tensor
    even_half: Tensor
    odd_half: Tensor
    mean_sq_filter: Tensor
    sum_an2: Tensor
    sum_aiaj: Tensor
    angles: Tensor


def _centred_axis(n: int, device: torch.device) -> Tensor:
    """myphasecong3.m's x/y range: ±0.5 normalised, odd and even sizes handled as it does."""
    index = torch.arange(n, dtype=torch.float64, device=device)
    if n % 2:
        return (index - (n - 1) / 2) / (n - 1)
    return (index - n / 2) / n


def _lowpass(rows: int, cols: int, device: torch.device, cutoff: float = 0.45, order: int = 15) -> Tensor:
    """Kovesi's `lowpassfilter([rows cols], .45, 15)` as shipped in MEFB (note: fftshift, not ifftshift)."""
    x = (torch.arange(cols, dtype=torch.float64, device=device) - cols // 2) / cols
    y = (torch.arange(rows, dtype=torch.float64, device=device) - rows // 2) / rows
    radius = torch.sqrt(x[None, :] ** 2 + y[:, None] ** 2)
    return torch.fft.fftshift(1.0 / (1.0 + (radius / cutoff) ** (2 * order)))


@functools.lru_cache(maxsize=8)
def phase_congruency_bank(rows: int, cols: int, device: str = "cpu") -> PhaseCongruencyBank:
    """Build (and cache) the filter bank for rows×cols images on `device`."""
    dev = torch.device(device)
    x = _centred_axis(cols, dev)[None, :].expand(rows, cols)
    y = _centred_axis(rows, dev)[:, None].expand(rows, cols)
    radius = torch.sqrt(x * x + y * y)
    radius[rows // 2, cols // 2] = 1.0
    theta = torch.atan2(-y, x)
    radius = torch.fft.ifftshift(radius)
    theta = torch.fft.ifftshift(theta)
    sin_theta, cos_theta = torch.sin(theta), torch.cos(theta)
    lowpass = _lowpass(rows, cols, dev)

    log_gabors = []
    for scale in range(N_SCALE):
        centre_frequency = 1.0 / (MIN_WAVELENGTH * MULT ** scale)
        log_gabor = torch.exp(-(torch.log(radius / centre_frequency)) ** 2 / (2 * math.log(SIGMA_ON_F) ** 2))
        log_gabor = log_gabor * lowpass
        log_gabor[0, 0] = 0.0
        log_gabors.append(log_gabor)
    log_gabor_stack = torch.stack(log_gabors)

    theta_sigma = math.pi / N_ORIENT / D_THETA_ON_SIGMA
    angles = torch.arange(N_ORIENT, dtype=torch.float64, device=dev) * math.pi / N_ORIENT
    filters = []
    for angle in angles.tolist():
        ds = sin_theta * math.cos(angle) - cos_theta * math.sin(angle)
        dc = cos_theta * math.cos(angle) + sin_theta * math.sin(angle)
        spread = torch.exp(-torch.abs(torch.atan2(ds, dc)) ** 2 / (2 * theta_sigma ** 2))
        filters.append(log_gabor_stack * spread)
    bank = torch.stack(filters)  # (O, S, H, W)

    spatial = torch.fft.ifft2(bank).real * math.sqrt(rows * cols)
    sum_an2 = (spatial ** 2).sum(dim=(1, 2, 3))
    sum_aiaj = sum((spatial[:, i] * spatial[:, j]).sum(dim=(-2, -1))
                   for i in range(N_SCALE - 1) for j in range(i + 1, N_SCALE))
    mean_sq_filter = (bank[:, 0] ** 2).sum(dim=(-2, -1))
    mirrored = torch.roll(torch.flip(bank, dims=(-2, -1)), shifts=(1, 1), dims=(-2, -1))  # f(−ω)
    half = cols // 2 + 1
    even_half = ((bank + mirrored) / 2)[..., :half].contiguous()
    odd_half = ((bank - mirrored) / 2)[..., :half].contiguous()
    return PhaseCongruencyBank(bank, even_half, odd_half, mean_sq_filter, sum_an2, sum_aiaj, angles)


def phase_congruency(images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """myphasecong3.m on a batch of planes (values 0–255): (B, H, W) → (pc, M, m), each (B, H, W).

    pc: phase congruency (total weighted energy over total amplitude); M, m: maximum and minimum moments of
    the phase-congruency covariance (edge and corner strength).
    """
    rows, cols = images.shape[-2:]
    bank = phase_congruency_bank(rows, cols, str(images.device))
    spectrum = torch.view_as_real(torch.fft.rfft2(images))[:, None]  # (B, 1, H, W//2+1, 2)
    total_energy = torch.zeros_like(images)
    total_sum_an = torch.zeros_like(images)
    cov_x2 = torch.zeros_like(images)
    cov_y2 = torch.zeros_like(images)
    cov_xy = torch.zeros_like(images)
    for o in range(N_ORIENT):
        # For a real image, the even (real) response comes from the filter's symmetric part and the odd
        # (imaginary) one from its antisymmetric part, each a Hermitian product: two half-size inverse real
        # FFTs give contiguous real planes. The product is formed on the (re, im) view because promoting
        # the real filter to complex is slow.
        even = torch.fft.irfft2(torch.view_as_complex(spectrum * bank.even_half[o][None, :, :, :, None]),
                                s=(rows, cols))
        odd = torch.fft.irfft2(torch.view_as_complex(spectrum.flip(-1) * bank.odd_half[o][None, :, :, :, None]
                                                     * _FLIP_SIGN.to(spectrum)), s=(rows, cols))
        amplitude = torch.hypot(even, odd)
        sum_an = amplitude.sum(dim=1)
        sum_even, sum_odd = even.sum(dim=1), odd.sum(dim=1)
        max_an = amplitude.amax(dim=1)
        x_energy = torch.sqrt(sum_even ** 2 + sum_odd ** 2) + _EPSILON
        mean_even, mean_odd = sum_even / x_energy, sum_odd / x_energy
        # Σ_s (E·mE + O·mO) collapses to sums over scales; only the |E·mO − O·mE| term needs each scale.
        energy = (sum_even * mean_even + sum_odd * mean_odd
                  - torch.abs(torch.addcmul(even * mean_odd[:, None], odd, mean_even[:, None], value=-1)).sum(dim=1))

        median_e2n = matlab_median((amplitude[:, 0] ** 2).reshape(images.shape[0], -1))
        noise_power = (-median_e2n / math.log(0.5)) / bank.mean_sq_filter[o]
        noise_energy2 = 2 * noise_power * bank.sum_an2[o] + 4 * noise_power * bank.sum_aiaj[o]
        tau = torch.sqrt(noise_energy2 / 2)
        threshold = (tau * math.sqrt(math.pi / 2) + NOISE_K * torch.sqrt((2 - math.pi / 2) * tau ** 2)) / 1.7
        energy = torch.clamp(energy - threshold[:, None, None], min=0)

        width = sum_an / (max_an + _EPSILON) / N_SCALE
        weight = 1.0 / (1 + torch.exp((CUT_OFF - width) * SHARPNESS_G))
        total_sum_an = total_sum_an + sum_an
        total_energy = total_energy + weight * energy
        pc_orientation = weight * energy / sum_an
        angle = float(bank.angles[o])
        cov_x = pc_orientation * math.cos(angle)
        cov_y = pc_orientation * math.sin(angle)
        cov_x2 = cov_x2 + cov_x ** 2
        cov_y2 = cov_y2 + cov_y ** 2
        cov_xy = cov_xy + cov_x * cov_y

    pc = total_energy / (total_sum_an + _EPSILON)
    cov_x2 = cov_x2 / (N_ORIENT / 2)
    cov_y2 = cov_y2 / (N_ORIENT / 2)
    cov_xy = cov_xy / N_ORIENT
    denom = torch.sqrt(cov_xy ** 2 + (cov_x2 - cov_y2) ** 2) + _EPSILON
    moment_max = (cov_y2 + cov_x2 + denom) / 2
    moment_min = (cov_y2 + cov_x2 - denom) / 2
    return pc, moment_max, moment_min


def _feature_agreement(feature_a: Tensor, feature_b: Tensor, feature_max: Tensor, feature_f: Tensor,
                       masks: Tensor) -> Tensor:
    """metricsQp.m's correlation_coeffcient: (B, H, W) maps, masks (3, B, H, W) bool → (B,)."""
    taps = gaussian_taps(11, 1.5, device=feature_f.device)
    features = torch.stack([feature_a, feature_b, feature_max]) * masks
    planes = torch.cat([features, feature_f[None], features ** 2, feature_f[None] ** 2,
                        features * feature_f[None]])
    filtered = filter2_separable(planes, taps, "same")
    mu, mu_f = filtered[0:3], filtered[3]
    var = filtered[4:7] - mu * mu
    var_f = filtered[7] - mu_f * mu_f
    cov = filtered[8:11] - mu * mu_f
    agreement = (cov + _QP_C) / (torch.sqrt(torch.abs(var * var_f)) + _QP_C)
    agreement = torch.where(masks, agreement, torch.zeros_like(agreement))
    best = torch.fmax(torch.fmax(agreement[0], agreement[1]), agreement[2])  # Matlab's max skips NaN
    return best.sum(dim=(-2, -1)) / masks[2].sum(dim=(-2, -1))


def qp_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Zhao et al.'s QP on 0–255 planes: sources (2, B, H, W), fused (B, H, W) → (B,)."""
    batch = fused.shape[0]
    pc, moment_max, moment_min = phase_congruency(torch.cat([sources[0], sources[1], fused]))
    pc_a, pc_b, pc_f = pc.split(batch)
    max_a, max_b, max_f = moment_max.split(batch)
    min_a, min_b, min_f = moment_min.split(batch)
    a_wins = pc_a > pc_b
    pc_max = torch.where(a_wins, pc_a, pc_b)
    masks = torch.stack([pc_a, pc_b, pc_max]) > QP_FEATURE_THRESHOLD
    result = _feature_agreement(pc_a, pc_b, pc_max, pc_f, masks)
    result = result * _feature_agreement(max_a, max_b, torch.where(a_wins, max_a, max_b), max_f, masks)
    return result * _feature_agreement(min_a, min_b, torch.where(a_wins, min_a, min_b), min_f, masks)


def qp(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Zhao et al.'s phase-congruency metric QP, per RGB channel then averaged. → (N,)."""
    return per_channel(qp_planes, "QP", sources, fused, convention)

