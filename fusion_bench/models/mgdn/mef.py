"""`mgdn-mef`: MGDN's published multi-exposure setting with weights trained by this project.

The authors published no MEF weights small enough to ship (nor their training code or loss), so these come
from `experiments/mgdn_mef.yaml` (synthetic exposure pairs from images disjoint from every test set here,
our implementation of the paper's loss); see `weights/MODEL_CARD.md` beside the file and docs/training.md.
They are not the authors' weights, and the leaderboard labels them so.
"""

from __future__ import annotations

from pathlib import Path

from fusion_bench.models.base import MethodInfo, WeightFile
from fusion_bench.models.mgdn.config import PRESETS
from fusion_bench.models.mgdn.fuser import PAPER, MGDNFuser
from fusion_bench.models.registry import register_method
from fusion_bench.models.weights import verify_shipped

SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "mgdn_mef.pth"

MEF_WEIGHTS = WeightFile(
    relpath="fusion_bench/models/mgdn/weights/mgdn_mef.pth",
    url="",  # shipped inside the package: nothing to download
    sha256="0e35d235231a320236048b51c2727a1dbb6a6080603ea10c62f169853e387c21",
    size=3672059,
    licence="MIT (this repository)",
    source="trained here: experiments/mgdn_mef.yaml, 5,500 steps, EMA weights in float32 "
           "(model card: fusion_bench/models/mgdn/weights/MODEL_CARD.md)",
)

MEF_INFO = MethodInfo(
    name="mgdn-mef",
    tasks=("mef",),
    kind="deep",
    channels="rgb",
    multi_source=False,
    trainable=True,
    paper=PAPER,
    description="MGDN, published MEF setting, weights trained here on synthetic exposure pairs",
    weights=(MEF_WEIGHTS,),
    label="trained here (not the authors' weights)",
    default_config={"weights_path": None, "tile": None},
)


def shipped_weights(path: Path = SHIPPED_WEIGHTS) -> Path:
    """`path` after checking its size and sha256 against `MEF_WEIGHTS` (CheckpointError naming the file)."""
    return verify_shipped(path, MEF_WEIGHTS)


@register_method(MEF_INFO)
def build_mgdn_mef(config: dict) -> MGDNFuser:
    weights = config["weights_path"] or shipped_weights()
    return MGDNFuser(PRESETS["mgdn-mef"], weights, config["tile"], info=MEF_INFO)
