"""The two metric conventions, as one public entry point: validate inputs, prepare planes, average channels.

- `mefb`: what MEFB's Matlab code computes on the uint8 arrays `imread` returns. Values are the 0–255
  levels `round(x·255)` as float64; RGB images are scored per channel and the per-channel values averaged
  (the loop `for k = 1:b ... mean(g)` in every `metrics<Name>.m`); grey sources with an RGB fused image score
  the fused image's first channel (MEFB's `fused(:,:,1)` branch).
- `gray`: every image converted with MATLAB `rgb2gray` (weights 0.298936021293775, 0.587043074451121,
  0.114020904255103, rounded to uint8 half away from zero) and scored once.

The implementation of the planes lives in `_planes.py` (shared with the structure and perception
metrics); this module is what metric code, the CLI and users call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from torch import Tensor

from fusion_bench.metrics._planes import channel_mean, check_inputs, gray_levels, metric_planes, to_levels
from fusion_bench.metrics.registry import CONVENTIONS, Convention, check_convention

__all__ = [
    "CONVENTIONS",
    "Convention",
    "check_convention",
    "validate_inputs",
    "to_uint8_values",
    "to_gray_matlab",
    "prepare_planes",
    "shared_planes",
    "per_channel",
]

PlaneMetric = Callable[[Tensor, Tensor], Tensor]


def validate_inputs(name: str, sources: Sequence[Tensor], fused: Tensor, n_sources: int | None = 2) -> None:
    """Raise ImageFormatError unless `sources` (each (N, C, H, W)) and `fused` (N, C, H, W) are finite, in
    [0, 1], of one size, and colour-compatible (a grey fused image with RGB sources is refused).

    n_sources: the exact number of sources MEFB's definition takes (None: any number ≥ 2).
    """
    check_inputs(name, sources, fused, n_sources)


def to_uint8_values(x: Tensor) -> Tensor:
    """(…) float in [0, 1] → the uint8 levels round(x·255) as float64 (0–255): what `imread` gives Matlab."""
    return to_levels(x)


def to_gray_matlab(x: Tensor) -> Tensor:
    """(N, 3|1, H, W) float in [0, 1] → (N, 1, H, W) float64 levels of MATLAB `rgb2gray` on the uint8 image
    (weighted sum rounded half away from zero, as `uint8()` does). A grey input is returned as its levels."""
    return gray_levels(to_levels(x))


def prepare_planes(sources: Sequence[Tensor], fused: Tensor, convention: Convention) -> tuple[Tensor, Tensor, int]:
    """The 0–255 float64 planes a per-channel metric scores under `convention`.

    Returns (sources (K, N·C, H, W), fused (N·C, H, W), C): C = 3 for RGB under `mefb`, else 1.
    """
    return metric_planes(sources, fused, check_convention(convention))


class _LastPlanes(threading.local):
    """The planes of the last (sources, fused, convention) prepared in this thread, with the input tensors
    themselves (identity and in-place version counter identify them; holding them keeps ids unique)."""

    key: tuple[tuple[Tensor, ...], Tensor, str] | None = None
    versions: tuple[int, ...] = ()
    planes: tuple[Tensor, Tensor, int] | None = None


_LAST = _LastPlanes()


def _same_inputs(key: tuple[tuple[Tensor, ...], Tensor, str], sources: Sequence[Tensor], fused: Tensor,
                 convention: str) -> bool:
    cached_sources, cached_fused, cached_convention = key
    return (cached_convention == convention and cached_fused is fused and len(cached_sources) == len(sources)
            and all(x is y for x, y in zip(cached_sources, sources)))


def shared_planes(name: str, sources: Sequence[Tensor], fused: Tensor, convention: Convention,
                  n_sources: int | None = 2) -> tuple[Tensor, Tensor, int]:
    """`validate_inputs` + `prepare_planes`, reusing the previous call's result when it was for the very same
    tensors (unchanged since) and convention: scoring one image with many metrics validates and converts it
    once instead of once per metric."""
    if n_sources is not None and len(sources) != n_sources:
        validate_inputs(name, sources, fused, n_sources)
    versions = tuple(t._version for t in (*sources, fused))
    if _LAST.key is not None and _same_inputs(_LAST.key, sources, fused, convention) and _LAST.versions == versions:
        assert _LAST.planes is not None
        return _LAST.planes
    validate_inputs(name, sources, fused, n_sources)
    planes = prepare_planes(sources, fused, convention)
    _LAST.key, _LAST.versions, _LAST.planes = (tuple(sources), fused, convention), versions, planes
    return planes


def per_channel(plane_metric: PlaneMetric, name: str, sources: Sequence[Tensor], fused: Tensor,
                convention: Convention, n_sources: int | None = 2) -> Tensor:
    """Validate, prepare planes (see `shared_planes`), apply `plane_metric(sources (K, B, H, W), fused (B, H, W))
    -> (B,)` and average each image's channels as MEFB does → (N,) float64."""
    source_planes, fused_planes, channels = shared_planes(name, sources, fused, convention, n_sources)
    return channel_mean(plane_metric(source_planes, fused_planes), channels)
