"""Compiled loops (Numba) for the filter whose rounding the metrics' values depend on: Octave's
`filter2(window, x, 'valid')`, summed tap by tap in Octave's order (`_filters.octave_filter2_valid`).

As torch expressions this is 2·n·m full passes (one multiply, one add per tap); here each output row stays
in the core's L1 cache while all taps are added into it, and the loop over the row vectorises. Every output
pixel sees the same IEEE operations in the same order as Octave's daxpy loop: start from 0, then for
q = m … 1 and p = n … 1 add the rounded product window(p, q)·x(r+p−1, c+q−1). No fast-math, so nothing
is reassociated or contracted into an FMA.
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
