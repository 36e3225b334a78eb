"""The checkpoint filter: the published file loads with exactly the listed keys dropped; missing,
mis-shaped and foreign weights are refused with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fusion_bench.errors import CheckpointError
from fusion_bench.models.mgdn import MGDNConfig, MGDNFuser, PRESETS, build_mgdn, filter_checkpoint, load_weights
from fusion_bench.models.mgdn.checkpoint import drop_reason

PUBLISHED = Path("MGDN") / "MFF" / "62000_E.pth"


@pytest.fixture(scope="module")
def published(weights_root: Path) -> dict[str, torch.Tensor]:
    return torch.load(weights_root / PUBLISHED, map_location="cpu", weights_only=True)


@pytest.mark.realdata
def test_published_file_loads_and_drops_only_listed_keys(published: dict[str, torch.Tensor]) -> None:
    model = build_mgdn(PRESETS["mgdn-mff"])
    kept, dropped = filter_checkpoint(published, model)
    assert len(published) == 220
    assert sum(value.numel() for value in kept.values()) == 178_975
    assert set(kept) == set(model.state_dict())
    assert set(dropped) == {key for key in published if key not in kept}
    # 4 never-applied norms, 2 adjust_channel_03 convs × 2, 6 position indices, 2 shift masks
    assert len(dropped) == 4 + 4 + 6 + 2


@pytest.mark.realdata
@pytest.mark.parametrize("change", ["missing", "misshaped"])
def test_damaged_file_is_refused_naming_the_key(published: dict[str, torch.Tensor], tmp_path: Path,
                                                change: str) -> None:
    key = "layers.1.MGF.kernel_predictor_ext.1.0.weight"
    damaged = dict(published)
    if change == "missing":
        del damaged[key]
    else:
        damaged[key] = damaged[key][:, :-1]
    path = tmp_path / "damaged.pth"
    torch.save(damaged, path)
    with pytest.raises(CheckpointError, match=key.replace(".", r"\.")):
        load_weights(build_mgdn(PRESETS["mgdn-mff"]), path)


@pytest.mark.realdata
def test_other_model_file_is_refused(weights_root: Path) -> None:
    with pytest.raises(CheckpointError, match="unexpected key"):
        load_weights(build_mgdn(PRESETS["mgdn-mff"]), weights_root / "IFCNN" / "IFCNN-MAX.pth")


@pytest.mark.realdata
def test_mff_file_refused_by_mef_network(weights_root: Path) -> None:
    with pytest.raises(CheckpointError, match="has shape"):
        load_weights(build_mgdn(PRESETS["mgdn-mef"]), weights_root / PUBLISHED)


def test_own_float16_state_dict_round_trips(tmp_path: Path) -> None:
    """A file in our own names (as the training code saves it), even in float16, loads into the fuser."""
    config = MGDNConfig(channels=12, depths=(2,), heads=(2,), window=4, cross_heads=6)
    torch.manual_seed(0)
    trained = build_mgdn(config)
    path = tmp_path / "own.pth"
    torch.save({key: value.half() for key, value in trained.state_dict().items()}, path)
    fuser = MGDNFuser(config, path)
    assert fuser.dropped_keys == {}
    for key, value in trained.state_dict().items():
        assert torch.equal(fuser.network.state_dict()[key], value.half().float()), key


def test_unexpected_key_and_non_tensor_are_refused() -> None:
    model = build_mgdn(MGDNConfig(channels=12, depths=(2,), heads=(2,), cross_heads=6))
    state = model.state_dict()
    with pytest.raises(CheckpointError, match="'extra.weight'"):
        filter_checkpoint({**state, "extra.weight": torch.zeros(1)}, model)
    with pytest.raises(CheckpointError, match="'epoch'"):
        filter_checkpoint({**state, "epoch": 3}, model)


def test_drop_list_matches_whole_keys_only() -> None:
    assert drop_reason("norm.weight") is not None
    assert drop_reason("layers.0.residual_group.blocks.1.attn_mask") is not None
    assert drop_reason("layers.0.residual_group.blocks.0.norm1.weight") is None
    assert drop_reason("conv_after_body.0.weight") is None


def test_missing_weight_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="weight file: no such file"):
        load_weights(build_mgdn(PRESETS["mgdn-mff"]), tmp_path / "absent.pth")
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_weights(build_mgdn(PRESETS["mgdn-mff"]), garbage)
