"""What the ports share: the 8-bit image steps of the authors' test scripts and the weight-file record.

The authors read 8-bit files with PIL and write their results as 8-bit PNGs, converting float outputs by
truncation (`numpy.astype(uint8)`), not rounding. The ports take our float sources in [0, 1] (8-bit
files decode exactly to k/255) and repeat those steps so their outputs are the authors' pixel values.
"""

from __future__ import annotations

import numpy as np
import torch

from fusion_bench.models.base import WeightFile


def to_bytes(image: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] → (H, W, C) uint8, rounded to nearest (exact for images read from 8-bit files)."""
    return np.ascontiguousarray(
        torch.round(image.clamp(0.0, 1.0) * 255.0).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    )


def from_bytes(array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """(H, W, C) or (H, W) uint8 → (C, H, W) float in [0, 1] on `like`'s device and dtype."""
    if array.ndim == 2:
        array = array[..., None]
    return torch.from_numpy(np.array(array)).permute(2, 0, 1).to(like) / 255.0  # a copy: PIL arrays are read-only


def truncate_to_bytes(image: torch.Tensor) -> torch.Tensor:
    """Clamp to [0, 1], scale by 255 and truncate, as `(x.clamp(0, 1) * 255).numpy().astype(uint8)`
    does; returned divided by 255 so that writing it as an 8-bit PNG gives exactly those values."""
    return torch.floor(image.clamp(0.0, 1.0) * 255.0) / 255.0


def _window_differences(cumulative: torch.Tensor, r: int, dim: int) -> torch.Tensor:
    """Window sums along `dim` from a cumulative sum: the first r + 1 entries as they are, then differences
    at offset 2r + 1, then the last r against the total (windows shrink at the borders)."""
    length = cumulative.shape[dim]
    head = cumulative.narrow(dim, r, r + 1)
    middle = cumulative.narrow(dim, 2 * r + 1, length - 2 * r - 1) - cumulative.narrow(dim, 0, length - 2 * r - 1)
    tail = cumulative.narrow(dim, length - 1, 1) - cumulative.narrow(dim, length - 2 * r - 1, r)
    return torch.cat([head, middle, tail], dim=dim)


def box_sum(x: torch.Tensor, r: int) -> torch.Tensor:
    """(N, C, H, W) → sums over (2r + 1)² windows clipped to the image, computed as the authors of MEF-Net
    and SESF-Fuse do (rows,
    then columns, by cumulative sums); H, W > 2r + 1."""
    return _window_differences(_window_differences(x.cumsum(dim=2), r, 2).cumsum(dim=3), r, 3)


def order_exposures(first: torch.Tensor, second: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Two exposures (N, C, H, W) → (over, under) for each image of the batch, by mean intensity: the
    networks trained on (over, under) pairs are told which is which rather than trusting the order given."""
    first_brighter = (first.mean(dim=(1, 2, 3)) >= second.mean(dim=(1, 2, 3))).view(-1, 1, 1, 1)
    return torch.where(first_brighter, first, second), torch.where(first_brighter, second, first)


def github_weight(relpath: str, repository: str, commit: str, upstream_path: str, sha256: str, size: int,
                  licence: str) -> WeightFile:
    """A `WeightFile` pinned to `repository@commit`."""
    return WeightFile(
        relpath=relpath,
        url=f"https://github.com/{repository}/raw/{commit}/{upstream_path}",
        sha256=sha256,
        size=size,
        licence=licence,
        source=f"{repository} @ {commit}, {upstream_path}",
    )
