"""Safe checkpoint loading: weights_only with the numpy-scalar allow-list only, and the explicit key map
that refuses missing, unexpected and mis-shaped keys."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from fusion_bench.errors import CheckpointError
from fusion_bench.models.ports.checkpoint import BATCHNORM_COUNTER, KeyMap, filter_state_dict, load_checkpoint, \
    read_checkpoint


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {key: torch.randn_like(value.float()).to(value.dtype) for key, value in model.state_dict().items()}


def test_numpy_scalars_need_the_allow_list(tmp_path: Path) -> None:
    model = Tiny()
    path = tmp_path / "training.pth"
    torch.save({"model": _state(model), "train_loss": [np.float64(1.5), np.float64(0.25)]}, path)
    with pytest.raises(CheckpointError, match="weights_only=True"):
        read_checkpoint(path)
    loaded = read_checkpoint(path, allow_numpy_scalars=True)
    assert loaded["train_loss"] == [1.5, 0.25]
    load_checkpoint(model, path, KeyMap(container="model"), allow_numpy_scalars=True)


class _Payload:
    def __reduce__(self):
        return (print, ("unpickled arbitrary code",))


def test_arbitrary_objects_are_refused_even_with_the_allow_list(tmp_path: Path, capsys) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(1), "payload": _Payload()}, path)
    with pytest.raises(CheckpointError, match="cannot read"):
        read_checkpoint(path, allow_numpy_scalars=True)
    assert "unpickled" not in capsys.readouterr().out
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError):
        read_checkpoint(plain)


def test_key_map_renames_drops_and_optional_keys() -> None:
    model = Tiny()
    state = {f"module.{key}": value for key, value in _state(model).items() if "num_batches" not in key}
    state["module.extra.weight"] = torch.zeros(3)
    key_map = KeyMap(renames=((r"module\.(.+)", r"\1"),), dropped=((r"module\.extra\..+", "not used"),),
                     optional=(BATCHNORM_COUNTER,))
    kept, dropped = filter_state_dict(state, model, key_map)
    assert dropped == {"module.extra.weight": "not used"}
    assert set(kept) == set(model.state_dict())
    assert torch.equal(kept["conv.weight"], state["module.conv.weight"])


@pytest.mark.parametrize("damage", ["missing", "unexpected", "shape", "not a tensor", "no container"])
def test_key_map_refuses_a_damaged_file(damage: str, tmp_path: Path) -> None:
    model = Tiny()
    state = _state(model)
    if damage == "missing":
        del state["conv.bias"]
    elif damage == "unexpected":
        state["head.weight"] = torch.zeros(1)
    elif damage == "shape":
        state["conv.weight"] = torch.zeros(2, 1, 5, 5)
    elif damage == "not a tensor":
        state["conv.bias"] = [0.0, 0.0]
    path = tmp_path / "damaged.pth"
    torch.save(state if damage != "no container" else {"weights": state}, path)
    key = {"missing": "conv.bias", "unexpected": "head.weight", "shape": "conv.weight", "not a tensor": "conv.bias",
           "no container": "'model'"}[damage]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError, match=key.replace(".", r"\.")):
        load_checkpoint(model, path, KeyMap(container="model" if damage == "no container" else None))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_missing_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="weight file: no such file"):
        read_checkpoint(tmp_path / "absent.pth")
