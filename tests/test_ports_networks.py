"""CU-Net, SESF-Fuse and the third-party U2Fusion port: the published checkpoints load through their key
maps (a missing or mis-shaped key is refused), and grey sources give a grey output. No published outputs
of these methods are available here; their outputs on a real crop are pinned (tests/pinned/, reviewed
outputs of our own) and compared in tests/test_all_methods.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fusion_bench.errors import CheckpointError
from fusion_bench.io.images import read_image
from fusion_bench.models import create_method, get_method_info
from fusion_bench.models.ports import cunet, sesf, u2fusion
from fusion_bench.models.ports.checkpoint import load_checkpoint, read_checkpoint
from fusion_bench.models.ports.common import order_exposures

pytestmark = pytest.mark.realdata

CROP = 64
# name → (network class, key map, published file, a key of the file to damage)
PORTS = {
    "cunet-mef": (cunet.CUNet, cunet.KEY_MAP, "CU-Net/multi_exposure.pth", "net_z.up_conv_2.weight"),
    "cunet-mff": (cunet.CUNet, cunet.KEY_MAP, "CU-Net/multi_focus.pth", "decoder.conv_3.weight"),
    "sesf": (sesf.SESFEncoder, sesf.KEY_MAP, "SESF-Fuse/lp+lssim_se_sf_net_times30.pkl", "se_2.fc.0.weight"),
    "u2fusion-port": (u2fusion.U2FusionDenseNet, u2fusion.KEY_MAP, "U2Fusion-pytorch/model.pth",
                      "dense_layers.3.conv.0.weight"),
}


def _pair(data_root: Path, task: str) -> list[torch.Tensor]:
    if task == "mff":
        images = [read_image(data_root / "Lytro" / side / "lytro_01.jpg").tensor for side in "AB"]
        return [x[..., 220:220 + CROP, 230:230 + CROP] for x in images]
    folder = data_root / "MEFB" / "input" / "Arno"
    images = [read_image(folder / f"Arno_{side}.png").tensor for side in "AB"]
    return [x[..., 150:150 + CROP, 250:250 + CROP] for x in images]


def _damaged_copy(weights_root: Path, name: str, damage: str, folder: Path) -> Path:
    network, key_map, relpath, key = PORTS[name]
    loaded = dict(read_checkpoint(weights_root / relpath, allow_numpy_scalars=True))
    state = dict(loaded[key_map.container]) if key_map.container else loaded
    if damage == "missing":
        del state[key]
    else:
        state[key] = torch.zeros(*state[key].shape[:-1], state[key].shape[-1] + 1)
    path = folder / f"{damage}.pth"
    torch.save({key_map.container: state} if key_map.container else state, path)
    return path


@pytest.mark.parametrize("name", sorted(PORTS))
def test_published_checkpoint_loads_and_damaged_copies_are_refused(name, weights_root, tmp_path) -> None:
    network, key_map, relpath, key = PORTS[name]
    load_checkpoint(network(), weights_root / relpath, key_map, allow_numpy_scalars=True)
    for damage in ("missing", "shape"):
        path = _damaged_copy(weights_root, name, damage, tmp_path)
        with pytest.raises(CheckpointError, match=key.replace(".", r"\.")):
            load_checkpoint(network(), path, key_map, allow_numpy_scalars=True)


def test_weights_option_loads_the_given_file_and_refuses_a_damaged_one(local_weights, tmp_path) -> None:
    path = _damaged_copy(local_weights, "sesf", "shape", tmp_path)
    with pytest.raises(CheckpointError, match=str(path.name)):
        create_method("sesf", weights_path=str(path))


@pytest.mark.parametrize("name", sorted(PORTS))
def test_port_fuses_grey_sources_to_grey(name, local_weights, data_root) -> None:
    """Colour outputs are pinned (tests/test_all_methods.py); grey sources give a grey image."""
    info = get_method_info(name)
    sources = _pair(data_root, info.tasks[0])
    grey = create_method(name).fuse([x.mean(dim=1, keepdim=True) for x in sources])
    assert grey.shape == (1, 1, CROP, CROP)


def test_exposures_are_ordered_by_brightness_per_image() -> None:
    dark, bright = torch.full((2, 3, 4, 4), 0.2), torch.full((2, 3, 4, 4), 0.8)
    first = torch.stack([dark[0], bright[1]])
    second = torch.stack([bright[0], dark[1]])
    over, under = order_exposures(first, second)
    assert torch.equal(over, bright) and torch.equal(under, dark)


def test_u2fusion_result_does_not_depend_on_the_order_given(local_weights, data_root) -> None:
    fuser = create_method("u2fusion-port")
    a, b = _pair(data_root, "mef")
    assert torch.equal(fuser.fuse([a, b]), fuser.fuse([b, a]))


def test_sesf_returns_the_8_bit_source_when_both_sources_are_equal(local_weights, data_root) -> None:
    a, _ = _pair(data_root, "mff")
    assert torch.allclose(create_method("sesf").fuse([a, a]), a, atol=1e-6)


def test_sesf_spatial_frequency_matches_its_definition() -> None:
    features = torch.rand(1, 2, 9, 8, dtype=torch.float64)
    result = sesf.spatial_frequency(features, radius=1)[0].numpy()
    f = np.pad(features[0].numpy(), ((0, 0), (1, 1), (1, 1)))
    gradient = (f[:, 1:-1, :-2] - f[:, 1:-1, 1:-1]) ** 2 + (f[:, :-2, 1:-1] - f[:, 1:-1, 1:-1]) ** 2
    g = np.pad(gradient.sum(axis=0), 1)
    expected = sum(g[1 + di:10 + di, 1 + dj:9 + dj] for di in (-1, 0, 1) for dj in (-1, 0, 1))
    assert np.allclose(result, expected)


def test_sesf_fills_holes_under_the_area_exclusively() -> None:
    decision = np.ones((20, 20), dtype=bool)
    decision[2:5, 2:5] = False  # a 9-pixel hole
    decision[10:14, 10:14] = False  # a 16-pixel hole
    cleaned = sesf.clean_decision_map(decision, disk_radius=0, area_ratio=16 / 400)
    assert cleaned[2:5, 2:5].all() and not cleaned[10:14, 10:14].any()
