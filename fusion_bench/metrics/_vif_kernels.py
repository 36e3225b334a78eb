"""The per-pixel part of one VIF scale (`perception._vif_scale_maps` and the choice between the sources),
compiled by Numba for CPU arrays.

As torch expressions one scale is about twenty element-wise passes over the (2B, H, W) maps of both
sources (covariance, gain, noise, four guards, the VID argument, the choice of the source with the smaller
gain), memory-bound at 1200×800. Here one loop per pixel does them all while the pixel's values are in
registers. Every operation is the IEEE double operation of the torch expression, in the same order (no
fast-math, so nothing is reassociated or contracted into an FMA): the outputs are the torch path's bit for
bit (tested). The logarithms stay in torch, applied after the choice (`log10` of the chosen argument is
the chosen `log10`), so they are torch's own. `error_model="numpy"`: division by zero gives inf/NaN.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def vif_choose(cross: np.ndarray, mu_r: np.ndarray, var_r: np.ndarray, vind: np.ndarray, mu_d: np.ndarray,
               var_d: np.ndarray, tiny: float, noise_var: float, vid_argument: np.ndarray,
               vind_chosen: np.ndarray) -> None:  # pragma: no cover
    """One VIF scale, pixel by pixel, for sources A and B against the fused image.

    cross, mu_r, var_r, vind: (2, B, H, W) windowed mean of reference·distorted, the reference's windowed
    mean and clamped variance, and its VIND map log10(1 + var_r′/σ_n²) (from the sources alone); mu_d, var_d:
    (B, H, W) the distorted image's windowed mean and clamped variance. Writes vid_argument (B, H, W):
    1 + g²·var_r′/(noise + σ_n²) of the source with the smaller gain g (B when equal), and vind_chosen
    (B, H, W): that source's VIND.
    """
    sources, batch, rows, cols = cross.shape
    for b in range(batch):
        for y in range(rows):
            for x in range(cols):
                mean_d = mu_d[b, y, x]
                variance_d = var_d[b, y, x]
                gain_a = 0.0
                argument_a = 0.0
                for k in range(sources):
                    variance_r = var_r[k, b, y, x]
                    covariance = cross[k, b, y, x] - mu_r[k, b, y, x] * mean_d
                    gain = covariance / (variance_r + tiny)
                    noise = variance_d - gain * covariance
                    if variance_r < tiny:
                        gain = 0.0
                        noise = variance_d
                        variance_r = 0.0
                    if variance_d < tiny:
                        gain = 0.0
                        noise = 0.0
                    if gain < 0:
                        noise = variance_d
                        gain = 0.0
                    if noise < tiny:  # torch.clamp(min=): NaN stays NaN
                        noise = tiny
                    argument = 1 + gain * gain * variance_r / (noise + noise_var)
                    if k == 0:
                        gain_a = gain
                        argument_a = argument
                    elif gain_a < gain:
                        vid_argument[b, y, x] = argument_a
                        vind_chosen[b, y, x] = vind[0, b, y, x]
                    else:
                        vid_argument[b, y, x] = argument
                        vind_chosen[b, y, x] = vind[1, b, y, x]
