"""The per-pixel parts of QCB (`perception.py`), compiled by Numba for CPU arrays.

As torch expressions, QCB's band-limited contrast, its masking and the preservation map are about twenty
element-wise passes over complex and real planes (complex division and modulus among them), memory-bound at
1200×800; here one loop per pixel does them while the pixel's values are in registers. The operations are
those of the torch expressions in the same order, without fast-math; the complex division and modulus are
Numba's (CPython's algorithms) rather than torch's, so the two paths agree to the last bits (tested).
`error_model="numpy"`: division by zero gives inf/NaN, which the preservation map leaks as Matlab's does.
"""

from __future__ import annotations

import numba
import numpy as np

_COMPILE = dict(cache=True, nogil=True, error_model="numpy")


@numba.njit(**_COMPILE)
def qcb_masked_contrast(narrow_real: np.ndarray, narrow_imag: np.ndarray, wide_real: np.ndarray,
                        wide_imag: np.ndarray, k: float, h: float, p: float, q: float, z: float,
                        out: np.ndarray) -> None:  # pragma: no cover
    """Peli's contrast c = |narrow/wide − 1| from the two Gaussian-filtered CSF outputs (real and imaginary
    parts, each (B, H, W)), then the masking k·c^p / (h·c^q + z) → writes out (B, H, W).

    p = 3 and q = 2 (metricsQcb.m) are computed as products, as torch's `pow` does for these exponents."""
    batch, rows, cols = out.shape
    for b in range(batch):
        for y in range(rows):
            for x in range(cols):
                ratio = complex(narrow_real[b, y, x], narrow_imag[b, y, x]) / complex(wide_real[b, y, x],
                                                                                      wide_imag[b, y, x])
                contrast = abs(ratio - 1)
                if p == 3.0:
                    numerator = contrast * contrast * contrast
                else:
                    numerator = contrast ** p
                if q == 2.0:
                    masked = contrast * contrast
                else:
                    masked = contrast ** q
                out[b, y, x] = (k * numerator) / (h * masked + z)


@numba.njit(**_COMPILE)
def qcb_quality(contrast_a: np.ndarray, contrast_b: np.ndarray, contrast_f: np.ndarray,
                out: np.ndarray) -> None:  # pragma: no cover
    """QCB's quality map from the masked contrasts of A, B and F (each (B, H, W)) → writes out (B, H, W):
    saliency-weighted preservation, each ratio multiplied by its 0/1 mask as the Matlab code does (so 0/0
    and x/0 leak NaN)."""
    batch, rows, cols = out.shape
    for b in range(batch):
        for y in range(rows):
            for x in range(cols):
                c_a = contrast_a[b, y, x]
                c_b = contrast_b[b, y, x]
                c_f = contrast_f[b, y, x]
                mask_a = 1.0 if c_a < c_f else 0.0
                mask_b = 1.0 if c_b < c_f else 0.0
                preservation_a = (c_a / c_f) * mask_a + (c_f / c_a) * (1 - mask_a)
                preservation_b = (c_b / c_f) * mask_b + (c_f / c_b) * (1 - mask_b)
                saliency_a = c_a * c_a / (c_a * c_a + c_b * c_b)
                saliency_b = c_b * c_b / (c_a * c_a + c_b * c_b)
                out[b, y, x] = saliency_a * preservation_a + saliency_b * preservation_b
