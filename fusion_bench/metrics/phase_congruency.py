"""Kovesi's phase congruency (as Z. Liu's `myphasecong3.m` in MEFB) and Zhao et al.'s metric QP built on it.

QP is registered with the structure family (`structure.py`).

Log-Gabor filtering runs through torch.fft one plane at a time; the filter bank and its noise statistics
depend only on the image size, so they are built once per (H, W, device) and cached. The maps of the source
planes, and their windowed moments in the metric, depend only on the sources, which an evaluation scores
against every method's fused image, so QP keeps them in `SOURCE_FEATURES`, a small LRU keyed on the planes'
contents (`_source_cache.py`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from fusion_bench.metrics import _phase_congruency_kernels as kernels
from fusion_bench.metrics._filters import filter2_separable, gaussian_taps, matlab_median, use_compiled
from fusion_bench.metrics._source_cache import source_cache
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
_STRIP_BYTES = 1 << 20  # complex responses of all scales per strip of rows (fits a 2 MB L2 cache)

QP_FEATURE_THRESHOLD = 0.1
_QP_C = 1e-4


@dataclass(frozen=True)
class PhaseCongruencyBank:
    """Log-Gabor filters and the noise statistics myphasecong3.m derives from them.

    Attributes:
        filters: (O, S, H, W) real transfer functions, zero frequency at [0, 0].
        mean_sq_filter: (O,) Σ filter² at the smallest scale (EM_n).
        sum_an2: (O,) Σ over scales and pixels of the rescaled spatial filters squared.
        sum_aiaj: (O,) Σ over scale pairs i < j and pixels of their products.
        angles: (O,) filter orientations.
    """

    filters: Tensor
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
    return PhaseCongruencyBank(bank, mean_sq_filter, sum_an2, sum_aiaj, angles)


def _median_rows(x: Tensor) -> Tensor:
    """`matlab_median` over the last axis, by NumPy's selection on CPU (one pass for both middle values;
    torch.kthvalue needs two and is several times slower). (..., L) → (...)."""
    if x.device.type != "cpu":
        return matlab_median(x)
    length = x.shape[-1]
    middle = length // 2
    chosen = np.partition(x.numpy(), [middle - 1, middle] if length % 2 == 0 else [middle], axis=-1)
    if length % 2:
        return torch.from_numpy(chosen[..., middle].copy())
    return torch.from_numpy((chosen[..., middle - 1] + chosen[..., middle]) / 2)


def _reduce_scales_torch(response: Tensor, smallest_energy: Tensor, sum_amplitude: Tensor, max_amplitude: Tensor,
                         raw_energy: Tensor) -> None:
    """`_phase_congruency_kernels.reduce_scales` in torch, for tensors on other devices than the CPU.

    The (S, H, W) responses are reduced over scales in strips of rows of about `_STRIP_BYTES`, so that the
    dozen element-wise passes find their operands in cache.
    """
    scales, rows, cols = response.shape
    step = max(1, _STRIP_BYTES // (scales * cols * 16))
    for top in range(0, rows, step):
        strip = slice(top, top + step)
        block = response[:, strip]
        even, odd = block.real, block.imag
        amplitude = (even * even).addcmul_(odd, odd).sqrt_()  # |even + i·odd|, 3× faster than torch.hypot
        torch.mul(amplitude[0], amplitude[0], out=smallest_energy[strip])
        torch.sum(amplitude, dim=0, out=sum_amplitude[strip])
        torch.amax(amplitude, dim=0, out=max_amplitude[strip])
        sum_even, sum_odd = even.sum(dim=0), odd.sum(dim=0)
        x_energy = torch.sqrt(sum_even ** 2 + sum_odd ** 2) + _EPSILON
        mean_even, mean_odd = sum_even / x_energy, sum_odd / x_energy
        # Σ_s (E·mE + O·mO) collapses to sums over scales; only |E·mO − O·mE| needs each scale.
        spread = (even * mean_odd).addcmul_(odd, mean_even, value=-1).abs_().sum(dim=0)
        torch.sub(sum_even * mean_even + sum_odd * mean_odd, spread, out=raw_energy[strip])


def _accumulate_orientation_torch(raw_energy: Tensor, sum_amplitude: Tensor, max_amplitude: Tensor,
                                  threshold: float, angle: float, totals: tuple[Tensor, ...]) -> None:
    """`_phase_congruency_kernels.accumulate_orientation` in torch; totals = (total_energy,
    total_amplitude, cov_x2, cov_y2, cov_xy), each (H, W), updated in place."""
    total_energy, total_amplitude, cov_x2, cov_y2, cov_xy = totals
    energy = torch.clamp(raw_energy - threshold, min=0)
    width = sum_amplitude / (max_amplitude + _EPSILON) / N_SCALE
    weight = 1.0 / (1 + torch.exp((CUT_OFF - width) * SHARPNESS_G))
    total_amplitude += sum_amplitude
    weighted = weight * energy
    total_energy += weighted
    pc_orientation = weighted / sum_amplitude
    cov_x = pc_orientation * math.cos(angle)
    cov_y = pc_orientation * math.sin(angle)
    cov_x2.addcmul_(cov_x, cov_x)
    cov_y2.addcmul_(cov_y, cov_y)
    cov_xy.addcmul_(cov_x, cov_y)


def _noise_threshold(smallest_energy: Tensor, bank: PhaseCongruencyBank, orientation: int) -> float:
    """myphasecong3.m's noise threshold T of one orientation, from the median smallest-scale energy (H, W)."""
    median_e2n = float(_median_rows(smallest_energy.reshape(1, -1))[0])
    noise_power = (-median_e2n / math.log(0.5)) / float(bank.mean_sq_filter[orientation])
    noise_energy2 = (2 * noise_power * float(bank.sum_an2[orientation])
                     + 4 * noise_power * float(bank.sum_aiaj[orientation]))
    tau = math.sqrt(noise_energy2 / 2)
    return (tau * math.sqrt(math.pi / 2) + NOISE_K * math.sqrt((2 - math.pi / 2) * tau ** 2)) / 1.7


def _phase_congruency_plane(spectrum: Tensor, bank: PhaseCongruencyBank,
                            compiled: bool | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """myphasecong3.m on one plane given its full fft2 spectrum (H, W) complex → (pc, M, m), each (H, W).

    One plane at a time keeps each plane's result independent of what else is being scored (so the
    source-feature cache returns bit-identical values). After each orientation's inverse FFTs, the work per
    pixel runs in `_phase_congruency_kernels` (compiled loops; `compiled=None` means: on the CPU) or else
    in torch (other devices; `compiled=False` forces it, for tests and `benchmarks/phase_congruency.py`).
    """
    scales, rows, cols = bank.filters.shape[1:]
    device = spectrum.device
    filtered = torch.empty((scales, rows, cols), dtype=spectrum.dtype, device=device)
    filtered_parts = torch.view_as_real(filtered)
    spectrum_parts = torch.view_as_real(spectrum).unsqueeze(0)
    plane = dict(dtype=torch.float64, device=device)
    totals = tuple(torch.zeros((rows, cols), **plane) for _ in range(5))
    total_energy, total_amplitude, cov_x2, cov_y2, cov_xy = totals
    sum_amplitude, max_amplitude, raw_energy, smallest_energy = (torch.empty((rows, cols), **plane)
                                                                  for _ in range(4))
    on_cpu = use_compiled(spectrum, compiled)
    for o in range(N_ORIENT):
        # The real filters scale the spectrum's real and imaginary parts (no promotion to complex).
        if on_cpu:
            kernels.scale_spectrum(spectrum_parts[0].numpy(), bank.filters[o].numpy(), filtered_parts.numpy())
        else:
            torch.mul(spectrum_parts, bank.filters[o].unsqueeze(-1), out=filtered_parts)
        # even + i·odd in one complex inverse FFT per scale: the filters are real and one-sided, so the
        # real part is the even-symmetric (cosine) response and the imaginary part the odd one.
        response = torch.fft.ifft2(filtered)
        if on_cpu:
            kernels.reduce_scales(response.numpy(), smallest_energy.numpy(), sum_amplitude.numpy(),
                                  max_amplitude.numpy(), raw_energy.numpy(), _EPSILON)
        else:
            _reduce_scales_torch(response, smallest_energy, sum_amplitude, max_amplitude, raw_energy)
        # the noise estimate needs the whole plane's smallest-scale energy, so the rest waits for it
        threshold = _noise_threshold(smallest_energy, bank, o)
        angle = float(bank.angles[o])
        if on_cpu:
            kernels.accumulate_orientation(raw_energy.numpy(), sum_amplitude.numpy(), max_amplitude.numpy(),
                                           threshold, math.cos(angle), math.sin(angle), N_SCALE, CUT_OFF,
                                           SHARPNESS_G, _EPSILON, *(t.numpy() for t in totals))
        else:
            _accumulate_orientation_torch(raw_energy, sum_amplitude, max_amplitude, threshold, angle, totals)

    pc = total_energy / (total_amplitude + _EPSILON)
    cov_x2 = cov_x2 / (N_ORIENT / 2)
    cov_y2 = cov_y2 / (N_ORIENT / 2)
    cov_xy = cov_xy / N_ORIENT
    denom = torch.sqrt(cov_xy ** 2 + (cov_x2 - cov_y2) ** 2) + _EPSILON
    moment_max = (cov_y2 + cov_x2 + denom) / 2
    moment_min = (cov_y2 + cov_x2 - denom) / 2
    return pc, moment_max, moment_min


def phase_congruency(images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """myphasecong3.m on a batch of planes (values 0–255): (B, H, W) → (pc, M, m), each (B, H, W).

    pc: phase congruency (total weighted energy over total amplitude); M, m: maximum and minimum moments of
    the phase-congruency covariance (edge and corner strength).
    """
    rows, cols = images.shape[-2:]
    bank = phase_congruency_bank(rows, cols, str(images.device))
    results = [_phase_congruency_plane(spectrum, bank) for spectrum in torch.fft.fft2(images)]
    pc, moment_max, moment_min = (torch.stack(maps) for maps in zip(*results))
    return pc, moment_max, moment_min


PhaseCongruencyMaps = tuple[Tensor, Tensor, Tensor]

# QP's store of what it computes from the sources (one 1200×800 RGB pair: about 0.65 GB);
# `_source_cache.set_source_caching(False)` switches it off with the others.
SOURCE_FEATURES = source_cache("QP", max_bytes=2 ** 30)


def _window_taps(device: torch.device) -> Tensor:
    return gaussian_taps(11, 1.5, device=device)


def _source_moments(features: Tensor, taps: Tensor) -> tuple[Tensor, Tensor]:
    """Windowed means and variances of masked source features (3, B, H, W) → mu, var (3, B, H, W)."""
    filtered = filter2_separable(torch.cat([features, features ** 2]), taps, "same")
    mu = filtered[:3]
    return mu, filtered[3:] - mu * mu


def _qp_source_part(sources: Tensor) -> tuple[Tensor, ...]:
    """Everything QP computes from the sources alone: (2, B, H, W) planes → masks (3, B, H, W) bool, then for
    each of pc, M, m: the masked features of A, B and the larger one, their windowed means and variances,
    each (3, B, H, W)."""
    batch = sources.shape[1]
    pc_s, max_s, min_s = phase_congruency(sources.reshape(-1, *sources.shape[-2:]))
    pc_a, pc_b = pc_s.split(batch)
    a_wins = pc_a > pc_b
    masks = torch.stack([pc_a, pc_b, torch.where(a_wins, pc_a, pc_b)]) > QP_FEATURE_THRESHOLD
    taps = _window_taps(sources.device)
    part: list[Tensor] = [masks]
    for maps in (pc_s, max_s, min_s):
        map_a, map_b = maps.split(batch)
        features = torch.stack([map_a, map_b, torch.where(a_wins, map_a, map_b)]) * masks
        part.extend((features, *_source_moments(features, taps)))
    return tuple(part)


def _feature_agreement(features: Tensor, mu: Tensor, var: Tensor, masks: Tensor, feature_f: Tensor,
                       compiled: bool | None = None) -> Tensor:
    """metricsQp.m's correlation_coeffcient for the masked source features (3, B, H, W) of A, B and the
    larger one, with their windowed means and variances, against the fused feature map (B, H, W) → (B,).

    The windowed means are separable filters (torch); the per-pixel rest runs in
    `_phase_congruency_kernels.best_agreement` on the CPU (`compiled=None`), in torch otherwise."""
    maps = torch.empty((5, *feature_f.shape), dtype=feature_f.dtype, device=feature_f.device)
    maps[0] = feature_f  # F, F², and the three masked source features times F, written in place
    torch.mul(feature_f, feature_f, out=maps[1])
    torch.mul(features, feature_f[None], out=maps[2:])
    filtered = filter2_separable(maps, _window_taps(feature_f.device), "same")
    if use_compiled(feature_f, compiled):
        best = torch.empty_like(feature_f)
        kernels.best_agreement(filtered[0].numpy(), filtered[1].numpy(), filtered[2:].numpy(), mu.numpy(),
                               var.numpy(), masks.numpy(), _QP_C, best.numpy())
        return best.sum(dim=(-2, -1)) / masks[2].sum(dim=(-2, -1))
    mu_f = filtered[0]
    var_f = filtered[1] - mu_f * mu_f
    cov = filtered[2:] - mu * mu_f
    agreement = (cov + _QP_C) / (torch.sqrt(torch.abs(var * var_f)) + _QP_C)
    agreement = torch.where(masks, agreement, torch.zeros_like(agreement))
    best = torch.fmax(torch.fmax(agreement[0], agreement[1]), agreement[2])  # Matlab's max skips NaN
    return best.sum(dim=(-2, -1)) / masks[2].sum(dim=(-2, -1))


def qp_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Zhao et al.'s QP on 0–255 planes: sources (2, B, H, W), fused (B, H, W) → (B,)."""
    masks, *per_map = SOURCE_FEATURES.get(sources, _qp_source_part)
    result = None
    for index, fused_map in enumerate(phase_congruency(fused)):
        features, mu, var = per_map[3 * index:3 * index + 3]
        agreement = _feature_agreement(features, mu, var, masks, fused_map)
        result = agreement if result is None else result * agreement
    assert result is not None
    return result


def qp(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Zhao et al.'s phase-congruency metric QP, per RGB channel then averaged. → (N,)."""
    return per_channel(qp_planes, "QP", sources, fused, convention)

