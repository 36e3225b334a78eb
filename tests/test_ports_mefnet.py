"""MEF-Net against the authors' code (shared/reference/mefnet, docs/baselines.md).

The references were made on this machine with PyTorch's default two intra-op threads and are matched
exactly (max difference 0.0) with two threads. The guided filter divides by var + 1e-4 at the low
resolution, which amplifies float32 rounding: with one thread the convolution sums in another order
and the output moves by up to 3e-3. The test therefore runs with two threads, as the reference was made.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_bench.errors import CheckpointError
from fusion_bench.io.images import read_image
from fusion_bench.models import create_method
from fusion_bench.models.ports.checkpoint import load_checkpoint, read_checkpoint
from fusion_bench.models.ports.common import box_sum
from fusion_bench.models.ports.mefnet import KEY_MAP, MEFNet, fuse_exposure_stack, load_mefnet, \
    shorter_side_size

pytestmark = pytest.mark.realdata


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("name", ["Arno", "Candle"])
def test_mefnet_matches_the_authors_output(name, two_threads, weights_root, data_root, reference_root) -> None:
    network = load_mefnet(str(weights_root / "MEFNet" / "MEFNet_release.pt"))
    folder = data_root / "MEFB" / "input" / name
    stack = torch.cat([read_image(next(folder.glob(f"{name}_{side}.*"))).tensor for side in "AB"])
    with torch.inference_mode():
        fused = fuse_exposure_stack(network, stack)[0].numpy()
    reference = np.load(reference_root / "mefnet" / f"{name}.npy")
    assert fused.shape == reference.shape
    assert np.abs(fused - reference).max() < 1e-4


def test_box_sum_is_the_clipped_window_sum() -> None:
    x = torch.rand(1, 1, 9, 7, dtype=torch.float64)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    expected = torch.nn.functional.avg_pool2d(padded, 5, stride=1) * 25
    assert torch.allclose(box_sum(x, 2), expected)


def test_low_resolution_size_follows_torchvision_resize() -> None:
    assert shorter_side_size(339, 512, 128) == (128, 193)
    assert shorter_side_size(512, 339, 128) == (193, 128)
    assert shorter_side_size(128, 128, 128) == (128, 128)


def test_fuser_takes_three_grey_exposures(local_weights, data_root) -> None:
    """Three colour exposures are pinned (tests/pinned/mefnet-mef-3src.npz); grey ones give a grey image."""
    paths = sorted((data_root / "IFCNN-ME" / "chair").glob("*.jpg"))[:3]
    sources = [read_image(path).tensor[..., :100, :150].mean(dim=1, keepdim=True) for path in paths]
    assert create_method("mefnet").fuse(sources).shape == (1, 1, 100, 150)


def test_large_inputs_are_fused_at_2048_and_returned_at_their_size(local_weights) -> None:
    fuser = create_method("mefnet", high_limit=64, low_size=32)
    sources = [torch.rand(1, 3, 80, 96) * scale for scale in (0.3, 1.0)]
    assert fuser.fuse(sources).shape == (1, 3, 80, 96)


def test_a_damaged_checkpoint_is_refused(weights_root, tmp_path) -> None:
    checkpoint = dict(read_checkpoint(weights_root / "MEFNet" / "MEFNet_release.pt", allow_numpy_scalars=True))
    state = dict(checkpoint["state_dict"])
    del state["lr.4.w_1"]
    torch.save({"state_dict": state}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"lr\.4\.w_1"):
        load_checkpoint(MEFNet(), tmp_path / "bad.pt", KEY_MAP)
