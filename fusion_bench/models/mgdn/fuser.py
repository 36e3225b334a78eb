"""`mgdn-mff`: MGDN with the authors' published multi-focus weights, behind the `Fuser` interface.

`MGDNFuser(config, weights_path)` also serves weights trained by this project (a plain state_dict of
`MGDN`'s own names, any float dtype); the training code registers `mgdn-mef` with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from fusion_bench.errors import ConfigError
from fusion_bench.models.base import Fuser, MethodInfo, WeightFile
from fusion_bench.models.mgdn.checkpoint import load_weights
from fusion_bench.models.mgdn.config import PRESETS, MGDNConfig
from fusion_bench.models.mgdn.network import build_mgdn
from fusion_bench.models.mgdn.tiling import fuse_tiled
from fusion_bench.models.registry import register_method
from fusion_bench.models.weights import resolve_weight_file

PAPER = ("Guan, Xu, Yao, Wang, Xiong: Mutual-Guided Dynamic Network for Image Fusion, "
         "ACM Multimedia 2023 (arXiv 2308.12538)")
_COMMIT = "dd157ff608254e0bffd4687836d976760ca9b26e"

MFF_WEIGHTS = WeightFile(
    relpath="MGDN/MFF/62000_E.pth",
    url=f"https://github.com/Guanys-dar/MGDN/raw/{_COMMIT}/Pretrain_model/MFF/62000_E.pth",
    sha256="a24b8bd6a1d88121f823bd56c66adfb41ba7a900544cb4e3a73ca0459f1678da",
    size=2917001,
    licence="no licence file upstream",
    source=f"Guanys-dar/MGDN @ {_COMMIT}, Pretrain_model/MFF/62000_E.pth (the EMA copy the authors' script loads)",
)

MFF_INFO = MethodInfo(
    name="mgdn-mff",
    tasks=("mff",),
    kind="deep",
    channels="rgb",
    multi_source=False,
    trainable=True,
    paper=PAPER,
    description="MGDN with the authors' multi-focus weights",
    weights=(MFF_WEIGHTS,),
    label="authors' network and weights",
    default_config={"weights_path": None, "tile": None},
)

# Smallest tile accepted: its overlap (a quarter of the tile) then spans at least one window (8 for mgdn-mef).
MIN_TILE = 32


class MGDNFuser(Fuser):
    """MGDN for inference and training: sources [a, b] (N, 3, H, W) in [0, 1] → (N, 3, H, W).

    With `tile`, images larger than `tile` are fused in overlapping tiles (`tiling.fuse_tiled`, overlap
    a quarter of the tile): less memory, but an approximation of the full-image result.
    """

    def __init__(self, config: MGDNConfig, weights_path: str | Path | None = None, tile: int | None = None,
                 info: MethodInfo = MFF_INFO) -> None:
        super().__init__()
        if tile is not None and (not isinstance(tile, int) or tile < MIN_TILE):
            raise ConfigError(f"{info.name}: tile={tile!r} must be an integer ≥ {MIN_TILE}")
        self.info = info
        self.tile = tile
        self.network = build_mgdn(config)
        self.dropped_keys = load_weights(self.network, weights_path) if weights_path is not None else {}

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        a, b = sources
        if self.tile is not None and max(a.shape[-2:]) > self.tile:
            return fuse_tiled(self.network, a, b, self.tile, self.tile // 4)
        return self.network(a, b)


@register_method(MFF_INFO)
def build_mgdn_mff(config: dict) -> MGDNFuser:
    weights = config["weights_path"] or resolve_weight_file(MFF_WEIGHTS)
    return MGDNFuser(PRESETS["mgdn-mff"], weights, config["tile"])
