"""Compiled loops (Numba) for the metrics' filters on CPU float64 planes.

`filter2_valid_octave_order`: the filter whose rounding the metrics' values depend on, Octave's
`filter2(window, x, 'valid')`, summed tap by tap in Octave's order (`_filters.octave_filter2_valid`).

As torch expressions this is 2·n·m full passes (one multiply, one add per tap); here each output row stays
in the core's L1 cache while all taps are added into it, and the loop over the row vectorises. Every output
pixel sees the same IEEE operations in the same order as Octave's daxpy loop: start from 0, then for
q = m … 1 and p = n … 1 add the rounded product window(p, q)·x(r+p−1, c+q−1). No fast-math, so nothing
is reassociated or contracted into an FMA.

`correlate_rows` then `correlate_columns`: Matlab `filter2(taps' * taps, x, mode)` for a separable window
(`_filters.filter2_separable`), one plane at a time. Each output sums its taps in ascending order from 0
(the banded matrix products of the torch form leave the order to BLAS), so the two forms agree to
rounding, not bit for bit. Which loops LLVM vectorises depends on how they index (see the comments);
1.6–2.2× the torch form at 1200×800 (`benchmarks/separable_filter.py`).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def filter2_valid_octave_order(planes: np.ndarray, window: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """planes (B, H, W) float64, window (n, m) float64 → writes out (B, H − n + 1, W − m + 1)."""
    batch = planes.shape[0]
    n, m = window.shape
    out_rows, out_cols = out.shape[1], out.shape[2]
    row = np.empty(out_cols)  # a buffer of its own: the compiler knows it aliases no input and vectorises
    for b in range(batch):
        for r in range(out_rows):
            row[:] = 0.0
            for q in range(m - 1, -1, -1):
                for p in range(n - 1, -1, -1):
                    weight = window[p, q]
                    source = planes[b, r + p, q:q + out_cols]
                    for c in range(out_cols):
                        row[c] += weight * source[c]
            out[b, r] = row



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
