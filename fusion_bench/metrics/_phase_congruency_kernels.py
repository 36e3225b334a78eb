"""The per-pixel loops of phase congruency and of QP's feature agreement (`phase_congruency.py`), compiled
by Numba for CPU arrays.

Written here rather than as torch expressions: after the inverse FFTs, myphasecong3.m's work per
orientation is a dozen element-wise passes over the (S, H, W) responses, which torch runs one full pass at
a time (about two thirds of QP's time at 1200×800, memory-bound). One loop per pixel does them all while
the pixel's S responses are in registers: 0.11 → 0.015 s per orientation at 1200×800
(`benchmarks/phase_congruency.py`).

Every operation is an IEEE double operation in the order of myphasecong3.m's expressions; Numba compiles
without fast-math, so nothing is reassociated or contracted into FMAs, and the values are the same on any
x86-64 CPU. NaN: the largest amplitude over scales is NaN if any is (as torch.amax in the torch path);
QP's best-of-three agreement skips NaN (as Matlab's max and torch.fmax). `error_model="numpy"`: division
by zero gives inf/NaN instead of raising.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_COMPILE = dict(cache=True, nogil=True, error_model="numpy")


@numba.njit(**_COMPILE)
def scale_spectrum(spectrum: np.ndarray, filters: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """One orientation's real filters applied to a plane's spectrum: spectrum (H, W, 2) (real and imaginary
    parts), filters (S, H, W) → writes out (S, H, W, 2), both parts times the filter (the product torch's
    broadcast `mul` computes, in one pass without a broadcast innermost axis)."""
    scales, rows, cols = filters.shape
    for s in range(scales):
        for y in range(rows):
            for x in range(cols):
                weight = filters[s, y, x]
                out[s, y, x, 0] = spectrum[y, x, 0] * weight
                out[s, y, x, 1] = spectrum[y, x, 1] * weight


@numba.njit(**_COMPILE)
def reduce_scales(response: np.ndarray, smallest_energy: np.ndarray, sum_amplitude: np.ndarray,
                  max_amplitude: np.ndarray, raw_energy: np.ndarray, epsilon: float) -> None:  # pragma: no cover
    """One orientation's responses, reduced over scales, pixel by pixel.

    response: (S, H, W) complex128, even + i·odd per scale. Writes (H, W) float64 arrays:
    smallest_energy = |response at the smallest scale|², sum_amplitude = Σ_s |r_s|,
    max_amplitude = max_s |r_s|, raw_energy = Σ_s (E·mE + O·mO) − Σ_s |E·mO − O·mE|, where (mE, mO) is
    the unit vector of the summed response (myphasecong3.m's XEnergy, MeanE, MeanO, Energy before the
    noise threshold).
    """
    scales, rows, cols = response.shape
    for y in range(rows):
        for x in range(cols):
            total_amplitude = 0.0
            total_even = 0.0
            total_odd = 0.0
            largest = 0.0
            for s in range(scales):
                even = response[s, y, x].real
                odd = response[s, y, x].imag
                amplitude = math.sqrt(even * even + odd * odd)
                if s == 0:
                    smallest_energy[y, x] = amplitude * amplitude
                    largest = amplitude
                elif amplitude > largest or amplitude != amplitude:
                    largest = amplitude
                total_amplitude += amplitude
                total_even += even
                total_odd += odd
            norm = math.sqrt(total_even * total_even + total_odd * total_odd) + epsilon
            mean_even = total_even / norm
            mean_odd = total_odd / norm
            spread = 0.0
            for s in range(scales):
                even = response[s, y, x].real
                odd = response[s, y, x].imag
                spread += abs(even * mean_odd - odd * mean_even)
            sum_amplitude[y, x] = total_amplitude
            max_amplitude[y, x] = largest
            raw_energy[y, x] = (total_even * mean_even + total_odd * mean_odd) - spread


@numba.njit(**_COMPILE)
def accumulate_orientation(raw_energy: np.ndarray, sum_amplitude: np.ndarray, max_amplitude: np.ndarray,
                           threshold: float, cos_angle: float, sin_angle: float, scales: int, cut_off: float,
                           gain: float, epsilon: float, total_energy: np.ndarray, total_amplitude: np.ndarray,
                           cov_x2: np.ndarray, cov_y2: np.ndarray, cov_xy: np.ndarray) -> None:  # pragma: no cover
    """Add one orientation's thresholded, frequency-spread-weighted energy to the running totals.

    All arrays (H, W) float64; the last five are updated in place: total_energy += weight·energy,
    total_amplitude += sum_amplitude, and the covariance sums of the orientation's phase congruency
    projected on (cos, sin) of its angle.
    """
    rows, cols = raw_energy.shape
    for y in range(rows):
        for x in range(cols):
            energy = raw_energy[y, x] - threshold
            if energy < 0.0:  # NaN stays NaN, as torch.clamp leaves it in the torch path
                energy = 0.0
            amplitude = sum_amplitude[y, x]
            width = amplitude / (max_amplitude[y, x] + epsilon) / scales
            weight = 1.0 / (1.0 + math.exp((cut_off - width) * gain))
            total_amplitude[y, x] += amplitude
            weighted = weight * energy
            total_energy[y, x] += weighted
            orientation_pc = weighted / amplitude
            projected_x = orientation_pc * cos_angle
            projected_y = orientation_pc * sin_angle
            cov_x2[y, x] += projected_x * projected_x
            cov_y2[y, x] += projected_y * projected_y
            cov_xy[y, x] += projected_x * projected_y


@numba.njit(**_COMPILE)
def best_agreement(mu_fused: np.ndarray, mean_sq_fused: np.ndarray, cross: np.ndarray, mu: np.ndarray,
                   var: np.ndarray, masks: np.ndarray, constant: float, best: np.ndarray) -> None:  # pragma: no cover
    """QP's feature agreement (metricsQp.m's correlation_coeffcient), the best of the three per pixel.

    mu_fused, mean_sq_fused: (B, H, W) windowed means of the fused feature map and of its square;
    cross, mu, var: (3, B, H, W) windowed means of (source feature · fused feature), windowed means and
    variances of the masked features of A, B and the larger one; masks: (3, B, H, W) bool. Writes best
    (B, H, W): the largest of agreement_k = (cov_k + C) / (sqrt|var_k · var_f| + C) where mask_k, else 0,
    skipping NaN as Matlab's max does.
    """
    sources, batch, rows, cols = mu.shape
    for b in range(batch):
        for y in range(rows):
            for x in range(cols):
                mean_f = mu_fused[b, y, x]
                var_f = mean_sq_fused[b, y, x] - mean_f * mean_f
                largest = 0.0
                for k in range(sources):
                    agreement = 0.0
                    if masks[k, b, y, x]:
                        covariance = cross[k, b, y, x] - mu[k, b, y, x] * mean_f
                        agreement = (covariance + constant) / (math.sqrt(abs(var[k, b, y, x] * var_f)) + constant)
                    if k == 0 or agreement > largest or largest != largest:
                        largest = agreement
                best[b, y, x] = largest
