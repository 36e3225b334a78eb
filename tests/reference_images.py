"""Shared by the metric reference tests: the images behind shared/reference/metrics, and the precision of their
Octave values."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import torch

from fusion_bench.io.images import read_image


@lru_cache(maxsize=None)
def reference_images(reference: Path, data: Path, image: str) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """((A, B), fused) of a reference image: Lytro pairs fused by MGDN, MEFB pairs fused by averaging."""
    if image.startswith("lytro"):
        sources = tuple(read_image(data / "Lytro" / side / f"{image}.jpg").tensor for side in "AB")
        return sources, read_image(reference / "metrics" / "lytro_fused" / f"{image}.png").tensor
    folder = data / "MEFB" / "input" / image
    sources = tuple(read_image(sorted(folder.glob(f"{image}_{side}.*"))[0]).tensor for side in "AB")
    return sources, read_image(reference / "metrics" / "mefb_fused" / f"{image}.png").tensor


def printed_unit(expected: float) -> float:
    """One unit in the 10th significant digit of `expected`: the references are printed with %.10g, so a
    value that agrees with them is within half of it."""
    return 10.0 ** (math.floor(math.log10(abs(expected))) - 9)
