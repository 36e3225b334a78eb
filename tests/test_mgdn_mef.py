"""`mgdn-mef`: the shipped weights (trained here), their checks and their model card. Its output on a real
MEFB crop is pinned (tests/pinned/mgdn-mef-mef.npz, compared in tests/test_all_methods.py)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
import torch

from fusion_bench.errors import CheckpointError
from fusion_bench.models.mgdn import PRESETS, build_mgdn
from fusion_bench.models.mgdn.mef import MEF_INFO, MEF_WEIGHTS, SHIPPED_WEIGHTS, shipped_weights

CARD = SHIPPED_WEIGHTS.parent / "MODEL_CARD.md"


def test_shipped_weights_match_their_record_and_load_strictly():
    data = shipped_weights().read_bytes()
    assert len(data) == MEF_WEIGHTS.size < 25 * 2**20
    assert hashlib.sha256(data).hexdigest() == MEF_WEIGHTS.sha256
    state = torch.load(SHIPPED_WEIGHTS, map_location="cpu", weights_only=True)
    network = build_mgdn(PRESETS["mgdn-mef"])
    network.load_state_dict({key: value.float() for key, value in state.items()}, strict=True)
    assert all(torch.isfinite(value).all() for value in state.values())


def test_a_corrupted_copy_is_refused_naming_the_file(tmp_path: Path):
    copy = tmp_path / "mgdn_mef.pth"
    shutil.copyfile(SHIPPED_WEIGHTS, copy)
    with copy.open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CheckpointError, match=re.escape(str(copy))):
        shipped_weights(copy)
    with pytest.raises(CheckpointError, match="missing"):
        shipped_weights(tmp_path / "absent.pth")


def test_model_card_states_the_training():
    card = CARD.read_text()
    steps = int(re.search(r"steps: \*\*(\d+)\*\*", card).group(1))
    assert steps >= 5500
    assert MEF_WEIGHTS.sha256 in card
    for fact in ("synthetic_exposure", "seed 0", "ssim", "nmi", "Final (step"):
        assert fact in card


def test_registered_as_trained_here():
    assert MEF_INFO.tasks == ("mef",) and "trained here" in MEF_INFO.label


def test_the_registry_resolves_the_shipped_file():
    from fusion_bench.models.weights import resolve_weight_file

    assert resolve_weight_file(MEF_WEIGHTS) == SHIPPED_WEIGHTS
