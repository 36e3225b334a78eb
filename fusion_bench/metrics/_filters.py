"""Matlab-exact filtering primitives for the structure, perception and phase-congruency metrics.

MEFB's metric code relies on Matlab's `filter2`/`conv2`/`imfilter` border semantics, `fspecial('gaussian')`
windows, `blkproc`, `freqspace`, `round` and `median`. Each is reproduced here on float64 tensors of shape
(..., H, W), device-agnostic.

Separable filters run on CPU float64 planes as compiled rows and columns passes (`_filter_kernels`), else
as two banded matrix products, `T_rows @ x @ T_cols.T`: the matrices encode the border rule exactly ('same'
with zero padding, 'valid', a following 2× subsampling) and a matmul over the band of a 512×512 plane is
faster than a 31-tap float64 convolution. Where a metric's
result depends on the rounding of the filter itself (QC, QY), `matlab_filter2_rank1_valid` repeats the
arithmetic of Matlab's filter2 for a rank-1 window.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from fusion_bench.metrics._filter_kernels import correlate_columns, correlate_rows

FilterMode = Literal["same", "valid"]

# Matlab's eps (spacing of doubles at 1.0), used by several of MEFB's guards.
MATLAB_EPS = 2.220446049250313e-16


def gaussian_taps(size: int, sigma: float, *, device: torch.device | str = "cpu",
                  normalise: bool = True) -> Tensor:
    """1-D taps whose outer product is `fspecial('gaussian', size, sigma)` (normalised) → (size,) float64.

    fspecial also zeroes entries below eps·max; none of the windows MEFB uses (11/1.5, 7/1.5, 33/6.6 …)
    has such entries, so the separable form equals it up to rounding.
    """
    x = torch.arange(size, dtype=torch.float64, device=device) - (size - 1) / 2
    taps = torch.exp(-(x * x) / (2 * sigma * sigma))
    return taps / taps.sum() if normalise else taps


def _filtered_length(length: int, n: int, mode: FilterMode) -> tuple[int, int]:
    """Output length and first input offset of an n-tap correlation along an axis of `length` samples.

    'same' pads with zeros and centres an odd-length kernel; 'valid' keeps only full overlaps.
    """
    if mode == "same":
        if n % 2 == 0:
            raise ValueError("'same' correlation needs an odd number of taps")
        out_len, offset = length, -(n - 1) // 2
    elif mode == "valid":
        out_len, offset = length - n + 1, 0
    else:
        raise ValueError(f"unknown filter mode {mode!r}")
    if out_len < 1:
        raise ValueError(f"a {n}-tap 'valid' filter needs at least {n} samples, got {length}")
    return out_len, offset


def correlation_matrix(taps: Tensor, length: int, mode: FilterMode, step: int = 1) -> Tensor:
    """(L_out, length) matrix M with (M @ v) = Matlab `filter2(taps, v, mode)` along one axis, then v(1:step:end).

    'same' pads with zeros and centres an odd-length kernel; 'valid' keeps only full overlaps.
    """
    n = taps.shape[0]
    out_len, offset = _filtered_length(length, n, mode)
    rows = torch.arange(0, out_len, step, device=taps.device)
    cols = rows[:, None] + torch.arange(n, device=taps.device)[None, :] + offset
    inside = (cols >= 0) & (cols < length)
    matrix = torch.zeros(rows.shape[0], length, dtype=taps.dtype, device=taps.device)
    row_index = torch.arange(rows.shape[0], device=taps.device)[:, None].expand_as(cols)
    values = taps[None, :].expand_as(cols)
    matrix.index_put_((row_index[inside], cols[inside]), values[inside], accumulate=True)
    return matrix


_BAND_BLOCK = 32


def _band_blocks(matrix: Tensor) -> list[tuple[int, int, Tensor]]:
    """Split a banded (L_out, L) matrix into row blocks of `_BAND_BLOCK` with the columns they touch.

    → [(c0, c1, block (rows, c1 − c0))]: matrix[r0:r1] @ v == block @ v[c0:c1]. Skipping the zero columns
    only leaves out exact zero products; it halves the time of a 512-wide 7–31-tap filter.
    """
    nonzero = matrix != 0
    length = matrix.shape[1]
    first = torch.where(nonzero.any(dim=1), nonzero.to(torch.uint8).argmax(dim=1), length).tolist()
    last = (length - 1 - nonzero.flip(1).to(torch.uint8).argmax(dim=1)).tolist()
    blocks = []
    for start in range(0, matrix.shape[0], _BAND_BLOCK):
        stop = min(start + _BAND_BLOCK, matrix.shape[0])
        c0 = min(first[start:stop])
        c1 = max(last[start:stop]) + 1 if c0 < length else c0
        blocks.append((c0, c1, matrix[start:stop, c0:c1]))
    return blocks


def apply_separable(x: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """rows @ x @ cols.T over the last two axes; x may be complex (real and imaginary parts filtered alike).

    The matrices are banded, so each block of output rows (columns) multiplies only the input rows
    (columns) its band covers.
    """
    if x.is_complex():
        return torch.complex(apply_separable(x.real, rows, cols), apply_separable(x.imag, rows, cols))
    along_rows = torch.cat([block @ x[..., c0:c1, :] for c0, c1, block in _band_blocks(rows)], dim=-2)
    return torch.cat([along_rows[..., c0:c1] @ block.transpose(0, 1) for c0, c1, block in _band_blocks(cols)],
                     dim=-1)


def filter2_separable(x: Tensor, taps: Tensor, mode: FilterMode, step: int = 1,
                      compiled: bool | None = None) -> Tensor:
    """Matlab `filter2(taps' * taps, x, mode)` then x(1:step:end, 1:step:end), on (..., H, W) → (..., H', W').

    Float64 input on the CPU (`compiled=None`; complex input part by part) without subsampling runs as
    compiled loops (`_filter_kernels.correlate_rows`, then `correlate_columns`; 1.6–2.2× at 1200×800),
    otherwise (other devices, step 2, where the strided columns pass did not vectorise, `compiled=False`)
    as two banded matrix products; the two agree to rounding (each sums the same products, in its own order).
    """
    height, width = x.shape[-2:]
    if x.dtype == torch.complex128 and step == 1 and use_compiled(x, compiled):
        # real and imaginary parts filtered alike (the window is real), as `apply_separable` does
        return torch.complex(filter2_separable(x.real, taps, mode, compiled=compiled),
                             filter2_separable(x.imag, taps, mode, compiled=compiled))
    if step == 1 and use_compiled(x, compiled) and x.dtype == torch.float64 and taps.dtype == torch.float64:
        n = taps.shape[0]
        out_h, offset = _filtered_length(height, n, mode)
        out_w, _ = _filtered_length(width, n, mode)
        planes = x.reshape(-1, height, width).contiguous().numpy()
        out = torch.empty(planes.shape[0], out_h, out_w, dtype=x.dtype)
        taps_array = taps.contiguous().numpy()
        rows_pass = np.empty((1, out_h, width))  # one plane at a time, reused
        for index in range(planes.shape[0]):
            correlate_rows(planes[index:index + 1], taps_array, offset, rows_pass)
            correlate_columns(rows_pass, taps_array, offset, out[index:index + 1].numpy())
        return out.reshape(*x.shape[:-2], out_h, out_w)
    rows = correlation_matrix(taps, height, mode, step)
    cols = correlation_matrix(taps, width, mode, step)
    return apply_separable(x, rows, cols)


def fspecial_gaussian(size: int, sigma: float, *, device: torch.device | str = "cpu") -> Tensor:
    """`fspecial('gaussian', size, sigma)` as Octave's image package computes it → (size, size) float64.

    Each entry is exp(−(x² + y²)/(2σ²)) with `math.exp` (the platform libm, glibc for the Octave reference;
    for 7×7, σ = 1.5 all ten distinct values are the correctly rounded ones), divided by their sum taken in
    column-major order one entry at a time, as Octave's `sum(f(:))` does. Bit for bit, unlike the outer
    product of `gaussian_taps`.
    """
    centre = (size - 1) / 2
    entries = [[math.exp(-((col - centre) ** 2 + (row - centre) ** 2) / (2 * sigma * sigma)) for col in range(size)]
               for row in range(size)]
    total = 0.0
    for col in range(size):
        for row in range(size):
            total += entries[row][col]
    return torch.tensor(entries, dtype=torch.float64, device=device) / total


def matlab_sum2(window: Tensor) -> float:
    """`sum(sum(window))` in Octave's order: each column summed top to bottom, then the column sums left to right."""
    total = 0.0
    for column in window.transpose(0, 1).tolist():
        column_sum = 0.0
        for value in column:
            column_sum += value
        total += column_sum
    return total


_TAP_BLOCK_ROWS = 128


def use_compiled(x: Tensor, compiled: bool | None) -> bool:
    """Whether a metric step with a compiled (Numba) form runs it: `compiled`, or by default for CPU tensors
    (the torch form serves other devices, and tests and benchmarks compare the two)."""
    return x.device.type == "cpu" if compiled is None else compiled


def matlab_filter2_rank1_valid(x: Tensor, hcol: Tensor, hrow: Tensor, compiled: bool | None = None) -> Tensor:
    """Matlab's `filter2(window, x, 'valid')` for a rank-1 window: x (..., H, W) float64 → (..., H−n+1, W−m+1).

    Matlab's filter2.m (unlike Octave's) tests the rotated window for rank 1 (`svd(stencil, 'econ')`,
    `s(2,2) <= length(stencil)·eps(s(1,1))`) and then calls `conv2(hcol, hrow, x, 'valid')` with
    hcol = u(:,1)·√s(1), hrow = v(:,1)·√s(1): two 1-D passes, so a flat window's moments carry the rounding of
    those two passes, not of a 49-tap sum. Here: along each row with `hrow` first, then along each column with
    `hcol`, each output summing its taps from the last input sample to the first (convolution order), one
    rounding per multiply and per add. `hcol` (n,), `hrow` (m,) are the factors as convolution taps.

    On the CPU (`compiled=None`) the passes are the compiled `correlate_columns` / `correlate_rows` loops (the
    correlation taps are the factors reversed, summed in ascending order: the same operations); elsewhere the
    torch form adds tap by tap in the same order. Both give the same values bit for bit.
    """
    if x.dtype != torch.float64 or hcol.dtype != torch.float64 or hrow.dtype != torch.float64:
        raise ValueError(f"matlab_filter2_rank1_valid needs float64 input and factors, got {x.dtype}, "
                         f"{hcol.dtype} and {hrow.dtype}")
    n, m = hcol.shape[0], hrow.shape[0]
    height, width = x.shape[-2:]
    if height < n or width < m:
        raise ValueError(f"a {n}×{m} 'valid' filter needs at least {n}×{m} samples, got {height}×{width}")
    out_h, out_w = height - n + 1, width - m + 1
    planes = x.reshape(-1, height, width)
    row_taps = torch.flip(hrow, dims=(0,))
    col_taps = torch.flip(hcol, dims=(0,))
    if use_compiled(x, compiled):
        along_rows = np.empty((1, height, out_w))
        out = torch.empty(planes.shape[0], out_h, out_w, dtype=x.dtype)
        row_array, col_array = row_taps.cpu().numpy(), col_taps.cpu().numpy()
        for index in range(planes.shape[0]):
            correlate_columns(planes[index:index + 1].contiguous().numpy(), row_array, 0, along_rows)
            correlate_rows(along_rows, col_array, 0, out[index:index + 1].numpy())
        return out.reshape(*x.shape[:-2], out_h, out_w)
    along_rows = torch.zeros(planes.shape[0], height, out_w, dtype=x.dtype, device=x.device)
    for q, weight in enumerate(row_taps.tolist()):
        along_rows.add_(planes[..., q:q + out_w] * weight)
    out = torch.zeros(planes.shape[0], out_h, out_w, dtype=x.dtype, device=x.device)
    for p, weight in enumerate(col_taps.tolist()):
        out.add_(along_rows[..., p:p + out_h, :] * weight)
    return out.reshape(*x.shape[:-2], out_h, out_w)


def filter2_3x3(x: Tensor, column: tuple[float, float, float], row: tuple[float, float, float]) -> Tensor:
    """Matlab `filter2(column' * row, x, 'same')` for a separable 3×3 kernel (correlation, zero padding).

    (..., H, W) → same. Shifted adds: every 3×3 kernel MEFB uses (Sobel, Prewitt) is separable with
    integer taps, so on integer images the result is exact whatever the summation order.
    """
    padded = F.pad(x, (1, 1, 1, 1))
    height, width = x.shape[-2:]
    across = row[0] * padded[..., :, 0:width] + row[1] * padded[..., :, 1:width + 1] + row[2] * padded[..., :, 2:]
    return column[0] * across[..., 0:height, :] + column[1] * across[..., 1:height + 1, :] + column[2] * across[..., 2:, :]


def conv2_3x3(x: Tensor, column: tuple[float, float, float], row: tuple[float, float, float]) -> Tensor:
    """Matlab `conv2(x, column' * row, 'same')`: correlation with the kernel rotated by 180°."""
    return filter2_3x3(x, column[::-1], row[::-1])


def halve_symmetric(x: Tensor) -> Tensor:
    """`dI = imfilter(x, ones(2)/4, 'symmetric', 'same'); dI(1:2:end, 1:2:end)` on (..., H, W).

    Matlab centres the 2×2 kernel on its top-left tap, so output (i, j) averages x(i:i+1, j:j+1), mirroring
    the last row/column when a side is odd.
    """
    def halving_matrix(length: int) -> Tensor:
        out_len = (length + 1) // 2
        rows = torch.arange(out_len, device=x.device)
        matrix = torch.zeros(out_len, length, dtype=x.dtype, device=x.device)
        matrix[rows, 2 * rows] += 0.5
        matrix[rows, torch.clamp(2 * rows + 1, max=length - 1)] += 0.5
        return matrix

    height, width = x.shape[-2:]
    return apply_separable(x, halving_matrix(height), halving_matrix(width))


def block_sums(x: Tensor, block: int) -> Tensor:
    """Sum over distinct block×block tiles, zero-padding the bottom/right (Matlab `blkproc` tiling).

    (..., H, W) → (..., ceil(H/block), ceil(W/block)).
    """
    height, width = x.shape[-2:]
    pad_h, pad_w = (-height) % block, (-width) % block
    padded = F.pad(x, (0, pad_w, 0, pad_h)) if (pad_h or pad_w) else x
    tiles = padded.reshape(*x.shape[:-2], (height + pad_h) // block, block, (width + pad_w) // block, block)
    return tiles.sum(dim=(-3, -1))


def freqspace_meshgrid(height: int, width: int, device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """Matlab `[u, v] = freqspace([height width], 'meshgrid')` → u, v (height, width): u varies along columns."""
    def axis(n: int) -> Tensor:
        return (torch.arange(n, dtype=torch.float64, device=device) - math.floor(n / 2)) * (2.0 / n)

    v, u = torch.meshgrid(axis(height), axis(width), indexing="ij")
    return u, v


def matlab_round(x: Tensor) -> Tensor:
    """Matlab `round`: halves away from zero (torch.round rounds halves to even)."""
    return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)


def matlab_median(x: Tensor) -> Tensor:
    """Matlab `median` over the last axis: the mean of the two middle values for an even count. (..., L) → (...)."""
    length = x.shape[-1]
    upper = torch.kthvalue(x, length // 2 + 1, dim=-1).values
    if length % 2:
        return upper
    lower = torch.kthvalue(x, length // 2, dim=-1).values
    return (lower + upper) / 2


def normalize1(x: Tensor) -> Tensor:
    """Z. Liu's `normalize1` (QCB, QCV): stretch each (H, W) plane to 0–255 and round; all-zero planes unchanged.

    (..., H, W) → same. The float operations follow the Matlab code's order so rounding ties agree.
    """
    high = x.amax(dim=(-2, -1), keepdim=True)
    low = x.amin(dim=(-2, -1), keepdim=True)
    stretched = matlab_round((x - low) / (high - low) * 255)
    all_zero = (high == 0) & (low == 0)
    return torch.where(all_zero, x, stretched)
