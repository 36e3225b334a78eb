"""MGDN with the published MFF weights against the authors' outputs (shared/reference/mgdn_mff)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fusion_bench.io.images import read_image
from fusion_bench.models.mgdn import PRESETS, build_mgdn, load_weights
from fusion_bench.models.registry import create_method

pytestmark = pytest.mark.realdata

# Observed: 3e-7 … 6.6e-7 (float32 rounding; a wrong tap order, head split or mask gives ≥ 1e-2).
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def network(weights_root: Path) -> torch.nn.Module:
    model = build_mgdn(PRESETS["mgdn-mff"]).eval()
    load_weights(model, weights_root / "MGDN" / "MFF" / "62000_E.pth")
    return model


def _fuse(network: torch.nn.Module, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return network(torch.from_numpy(a)[None].float(), torch.from_numpy(b)[None].float())[0].numpy()


def test_crops_match_reference(network: torch.nn.Module, reference_root: Path) -> None:
    crops = np.load(reference_root / "mgdn_mff" / "mgdn_mff_crops.npz")
    prefixes = sorted({key.rsplit("_", 1)[0] for key in crops.files})
    assert len(prefixes) == 3
    for prefix in prefixes:
        fused = _fuse(network, crops[f"{prefix}_A"], crops[f"{prefix}_B"])
        assert np.abs(fused - crops[f"{prefix}_fused"]).max() < TOLERANCE, prefix


def test_random_pair_matches_reference(network: torch.nn.Module, reference_root: Path) -> None:
    pair = np.load(reference_root / "mgdn_mff" / "mgdn_mff_random.npz")
    assert np.abs(_fuse(network, pair["A"], pair["B"]) - pair["fused"]).max() < TOLERANCE


def test_full_lytro_pair_through_registry(local_weights: Path, data_root: Path, reference_root: Path) -> None:
    """The registered method, weights resolved from FUSION_BENCH_WEIGHTS, on the full 520×520 pair."""
    fuser = create_method("mgdn-mff")
    sources = [read_image(data_root / "Lytro" / side / "lytro_01.jpg", channels="rgb").tensor for side in "AB"]
    fused = fuser.fuse(sources)[0].numpy()
    expected = np.load(reference_root / "mgdn_mff" / "lytro_01.npy")
    assert fused.shape == expected.shape
    assert np.abs(fused - expected).max() < TOLERANCE
