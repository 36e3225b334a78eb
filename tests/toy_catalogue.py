"""Tests that build a toy copy of a benchmark's layout (random images under the catalogue's file names) use
it through FUSION_BENCH_DATA as a user's copy would be. Such a copy cannot match the catalogue's checksums,
and a copy that fails verification is never used (`fusion_bench.data.verified`), so these tests take the
checksums out of the named entries for their duration: what is then checked is the layout, as for datasets
whose checksums are not known (RealMFF)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from fusion_bench.data.catalogue import DATASETS


def without_checksums(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Catalogue entries `names` without their per-file checksums until the test ends."""
    for name in names:
        monkeypatch.setitem(DATASETS, name, dataclasses.replace(DATASETS[name], manifest=None))


def write_toy_lytro(root: Path, generator: torch.Generator, height: int = 24, width: int = 24) -> None:
    """Lytro's layout under `root` (`Lytro/A`, `Lytro/B`, 20 pairs `lytro_01.png`...): random RGB images, each B
    the mirror of its A (a pair the fusers and metrics can tell apart)."""
    from fusion_bench.io.images import write_png

    for index in range(1, 21):
        base = torch.rand(1, 3, height, width, generator=generator)
        write_png(base, root / "Lytro" / "A" / f"lytro_{index:02d}.png")
        write_png(base.flip(-1), root / "Lytro" / "B" / f"lytro_{index:02d}.png")
