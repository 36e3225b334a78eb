"""Tiled inference for images too large for memory: overlapping tiles, blended by linear cross-fades.

Each tile is fused on its own, so MGDN's global cross attention only sees the tile: the result is an
approximation of the full-image output (measured in docs/mgdn.md), without seams because every overlap
is a weighted average whose weights ramp linearly from one tile to the next.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from fusion_bench.errors import ConfigError

PairFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size `tile` covering [0, length), neighbours overlapping ≥ `overlap`;
    the last tile ends at `length`.

    >>> tile_starts(10, 4, 1)
    [0, 3, 6]
    """
    if tile >= length:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride))
    return starts + [length - tile]


def _ramp(length: int, start: int, size: int, overlap: int, device: torch.device) -> torch.Tensor:
    """(size,) blending weight of one tile along one axis: 1 inside, rising linearly over `overlap` pixels
    on each side that has a neighbour (image borders keep weight 1)."""
    weight = torch.ones(size, device=device)
    rise = torch.arange(1, overlap + 1, device=device, dtype=torch.float32) / (overlap + 1)
    if start > 0:
        weight[:overlap] = rise
    if start + size < length:
        weight[size - overlap:] = torch.minimum(weight[size - overlap:], rise.flip(0))
    return weight


def fuse_tiled(fn: PairFn, a: torch.Tensor, b: torch.Tensor, tile: int, overlap: int) -> torch.Tensor:
    """Apply `fn(a_tile, b_tile) -> fused_tile` over overlapping tiles of (N, C, H, W) inputs and blend.

    Returns (N, C', H, W). `tile` is the tile side, `overlap` the minimum overlap of neighbours.
    """
    if not 0 < overlap < tile:
        raise ConfigError(f"tiling: overlap {overlap} must be between 0 and the tile size {tile} (exclusive)")
    height, width = a.shape[-2:]
    out = None
    total = torch.zeros(height, width, device=a.device)
    for top in tile_starts(height, tile, overlap):
        rows = slice(top, top + min(tile, height))
        ramp_y = _ramp(height, top, rows.stop - top, overlap, a.device)
        for left in tile_starts(width, tile, overlap):
            cols = slice(left, left + min(tile, width))
            weight = ramp_y[:, None] * _ramp(width, left, cols.stop - left, overlap, a.device)[None, :]
            fused = fn(a[:, :, rows, cols], b[:, :, rows, cols])
            if out is None:
                out = fused.new_zeros(fused.shape[:2] + (height, width))
            out[:, :, rows, cols] += fused * weight
            total[rows, cols] += weight
    return out / total
