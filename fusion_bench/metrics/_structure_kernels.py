"""The per-pixel parts of QW and Qabf (`structure.py`) on the fused image, compiled by Numba for CPU arrays.

As torch expressions each is a dozen or more element-wise passes over whole planes (a 3×3 filter alone is
six), memory-bound at 1200×800; here one loop per pixel does them while the pixel's values are in registers.
Every operation is the IEEE double operation of the torch expression in the same order (no fast-math, so
nothing is reassociated or contracted into an FMA), and the 3×3 filters add their taps as `filter2_3x3`
does, zero padding included. The square roots here are IEEE's correctly rounded ones (as Matlab's); torch's
vectorised float64 `sqrt` is not always (1 ulp off seen on 303.595…), and `atan`, `exp` are the platform
libm's here and torch's own vectorised ones there, so the two paths agree to the last bits, not bit for bit
(tested). `error_model="numpy"`: division by zero gives inf/NaN.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_COMPILE = dict(cache=True, nogil=True, error_model="numpy")


@numba.njit(**_COMPILE)
def _filter3x3_at(plane: np.ndarray, y: int, x: int, column: np.ndarray, row: np.ndarray) -> float:  # pragma: no cover
    """`filter2_3x3(plane, column, row)` at (y, x) of a (H, W) plane: rows of the zero-padded plane combined
    across with `row`, then down with `column`, each sum taken left to right as the torch form does."""
    rows, cols = plane.shape
    total = 0.0
    for i in range(3):
        source_row = y + i - 1
        left = centre = right = 0.0
        if 0 <= source_row < rows:
            if x > 0:
                left = plane[source_row, x - 1]
            centre = plane[source_row, x]
            if x + 1 < cols:
                right = plane[source_row, x + 1]
        across = row[0] * left + row[1] * centre + row[2] * right
        total = column[0] * across if i == 0 else total + column[i] * across
    return total


@numba.njit(**_COMPILE)
def _ssim_at(mu_x: float, mu_y: float, var_x: float, var_y: float, cov: float, c1: float,
             c2: float) -> float:  # pragma: no cover
    """`structure.ssim_map` for one pixel, in the same order of operations."""
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2))


@numba.njit(**_COMPILE)
def qw_fused_maps(fused: np.ndarray, edges: np.ndarray, x_column: np.ndarray, x_row: np.ndarray,
                  y_column: np.ndarray, y_row: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """QW's maps of the fused image before filtering: fused (B, H, W), the sources' Prewitt edge maps
    (2, B, H, W) → writes out (4, B, H, W): edge_f = √(Gx² + Gy²), edge_f², edge_f·edge_A, edge_f·edge_B."""
    batch, rows, cols = fused.shape
    for b in range(batch):
        plane = fused[b]
        for y in range(rows):
            for x in range(cols):
                edge_x = _filter3x3_at(plane, y, x, x_column, x_row)
                edge_y = _filter3x3_at(plane, y, x, y_column, y_row)
                edge = math.sqrt(edge_x * edge_x + edge_y * edge_y)
                out[0, b, y, x] = edge
                out[1, b, y, x] = edge * edge
                out[2, b, y, x] = edge * edges[0, b, y, x]
                out[3, b, y, x] = edge * edges[1, b, y, x]


@numba.njit(**_COMPILE)
def qw_weighted_ssim(filtered: np.ndarray, mu: np.ndarray, var: np.ndarray, weight: np.ndarray,
                     saliency: np.ndarray, c1: float, c2: float, out: np.ndarray) -> None:  # pragma: no cover
    """QW's per-window terms: filtered (4, B, H', W') windowed means of the fused maps above, the sources'
    edge moments mu, var (2, B, H', W'), weight λ_A and normalised saliency (B, H', W') → writes out
    (B, H', W'): saliency·(λ_A·SSIM(F, A) + (1 − λ_A)·SSIM(F, B)) on the edge maps."""
    batch, rows, cols = weight.shape
    for b in range(batch):
        for y in range(rows):
            for x in range(cols):
                mu_f = filtered[0, b, y, x]
                var_f = filtered[1, b, y, x] - mu_f * mu_f
                ssim_fa = _ssim_at(mu_f, mu[0, b, y, x], var_f, var[0, b, y, x],
                                   filtered[2, b, y, x] - mu_f * mu[0, b, y, x], c1, c2)
                ssim_fb = _ssim_at(mu_f, mu[1, b, y, x], var_f, var[1, b, y, x],
                                   filtered[3, b, y, x] - mu_f * mu[1, b, y, x], c1, c2)
                lam = weight[b, y, x]
                out[b, y, x] = saliency[b, y, x] * (lam * ssim_fa + (1 - lam) * ssim_fb)


@numba.njit(**_COMPILE)
def qabf_weighted_preservation(fused: np.ndarray, strength: np.ndarray, orientation: np.ndarray,
                               h3_column: np.ndarray, h3_row: np.ndarray, h1_column: np.ndarray,
                               h1_row: np.ndarray, constants: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """Qabf's per-pixel terms: fused (B, H, W) (already ×255), the sources' Sobel strength g_s and
    orientation a_s (K, B, H, W) → writes out (K, B, H, W) = Q^{SF}·g_s, with the fused image's strength and
    orientation from `conv2(·, h3|h1, 'same')` (given as `filter2_3x3` taps) and
    constants = (T_g, κ_g, D_g, T_a, κ_a, D_a). Where g_s == g_f the relative strength is g_f (MEFB's quirk)."""
    sources, batch, rows, cols = strength.shape
    t_g, k_g, d_g, t_a, k_a, d_a = constants[0], constants[1], constants[2], constants[3], constants[4], constants[5]
    half_pi = math.pi / 2
    for b in range(batch):
        plane = fused[b]
        for y in range(rows):
            for x in range(cols):
                # written out as in `qw_fused_maps`: a helper returning (gx, gy, magnitude) ran 1.5× slower
                sx = _filter3x3_at(plane, y, x, h3_column, h3_row)
                sy = _filter3x3_at(plane, y, x, h1_column, h1_row)
                g_f = math.sqrt(sx * sx + sy * sy)
                a_f = half_pi if sx == 0 else math.atan(sy / sx)
                for k in range(sources):
                    g_s = strength[k, b, y, x]
                    if g_s > g_f:
                        relative_strength = g_f / g_s
                    elif g_s == g_f:
                        relative_strength = g_f
                    else:
                        relative_strength = g_s / g_f
                    relative_orientation = 1 - abs(orientation[k, b, y, x] - a_f) / half_pi
                    q_g = t_g / (1 + math.exp(k_g * (relative_strength - d_g)))
                    q_a = t_a / (1 + math.exp(k_a * (relative_orientation - d_a)))
                    out[k, b, y, x] = q_g * q_a * g_s
