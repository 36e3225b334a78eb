"""Choose-max selection shared by the max-abs, Laplacian-pyramid and wavelet fusers."""

from __future__ import annotations

import torch


def select_max_abs(details: torch.Tensor) -> torch.Tensor:
    """(K, ...) coefficients → (...): at each position the coefficient of largest magnitude.

    Ties go to the lowest source index, so identical sources give back their common coefficient.
    """
    index = details.abs().argmax(dim=0, keepdim=True)
    return details.gather(0, index).squeeze(0)
