"""RealMFF (truth-zheng/RealMFF): `imageA/N.png`, `imageB/N.png` and the all-in-focus ground truth
`Fusion/N.png`; 710 pairs named by N, in numeric order."""

from __future__ import annotations

from pathlib import Path

from fusion_bench.data import folder
from fusion_bench.data.sample import PairRecord


def discover(root: Path, ground_truth: bool = True) -> list[PairRecord]:
    """Every pair (with its `Fusion/` ground truth unless `ground_truth=False`); a file without its partner
    in the other two folders is a `DatasetError`."""
    return folder.discover(root, sources=("imageA", "imageB"), target="Fusion" if ground_truth else None)
