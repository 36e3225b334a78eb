"""Compiled loops (Numba) for the metrics' filters on CPU float64 planes.

`correlate_rows` then `correlate_columns`: Matlab `filter2(taps' * taps, x, mode)` for a separable window
(`_filters.filter2_separable`), one plane at a time. Each output sums its taps in ascending order from 0
(the banded matrix products of the torch form leave the order to BLAS), so the two forms agree to
rounding, not bit for bit. No fast-math, so nothing is reassociated or contracted into an FMA: QC's and
QY's filter (`_filters.matlab_filter2_rank1_valid`) relies on these loops' exact order of operations. Which
loops LLVM vectorises depends on how they index (see the comments); 1.6–2.2× the torch form at 1200×800
(`benchmarks/separable_filter.py`).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def correlate_rows(planes: np.ndarray, taps: np.ndarray, offset: int, out: np.ndarray) -> None:  # pragma: no cover
    """The rows pass of a separable correlation: planes (B, H, W) float64, taps (n,) → writes out (B, H', W),
    out[b, i, c] = Σ_p taps[p]·planes[b, i + p + offset, c] over the rows inside the plane (zero padding).
    """
    batch, height, width = planes.shape
    n = taps.shape[0]
    across = np.empty(width)  # a buffer of its own: the compiler knows it aliases no input and vectorises
    for b in range(batch):
        for i in range(out.shape[1]):
            for c in range(width):
                across[c] = 0.0
            for p in range(n):
                source_row = i + p + offset
                if 0 <= source_row < height:
                    weight = taps[p]
                    for c in range(width):  # indexed directly: through a row view this does not vectorise
                        across[c] += weight * planes[b, source_row, c]
            for c in range(width):
                out[b, i, c] = across[c]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def correlate_columns(rows: np.ndarray, taps: np.ndarray, offset: int, out: np.ndarray) -> None:  # pragma: no cover
    """The columns pass: rows (B, H', W) float64, taps (n,) → writes out (B, H', W'),
    out[b, i, j] = Σ_q taps[q]·rows[b, i, j + q + offset] over the columns inside the plane.
    """
    batch, height, width = rows.shape
    n = taps.shape[0]
    out_cols = out.shape[2]
    for b in range(batch):
        for i in range(height):
            target = out[b, i]
            source = rows[b, i]
            for j in range(out_cols):
                target[j] = 0.0
            for q in range(n):
                shift = q + offset
                first = max(0, -shift)  # the output columns whose input column lies inside the plane
                last = min(out_cols, width - shift)
                if last <= first:
                    continue
                weight = taps[q]
                targets = target[first:last]
                sources = source[first + shift:last + shift]
                for k in range(last - first):  # on contiguous 1-D views (unlike the rows pass) this vectorises
                    targets[k] += weight * sources[k]
