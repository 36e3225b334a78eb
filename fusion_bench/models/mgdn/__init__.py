"""MGDN (Guan et al., ACM MM 2023): the network, its checkpoint loader, tiling and the `mgdn-mff` and
`mgdn-mef` fusers.

Importing this package registers `mgdn-mff` (the authors' weights) and `mgdn-mef` (weights trained here,
shipped in `weights/` with their model card); the registry imports it. For training:
`build_mgdn(PRESETS["mgdn-mef"])` is the plain network (no Lightning); `MGDNFuser(config, weights_path,
info=...)` wraps trained weights for inference.
"""

from fusion_bench.models.mgdn.checkpoint import DROPPED_KEYS, filter_checkpoint, load_weights
from fusion_bench.models.mgdn.config import PRESETS, MGDNConfig
from fusion_bench.models.mgdn.fuser import MFF_INFO, MFF_WEIGHTS, MGDNFuser
from fusion_bench.models.mgdn.mef import MEF_INFO, MEF_WEIGHTS
from fusion_bench.models.mgdn.network import MGDN, build_mgdn

__all__ = ["DROPPED_KEYS", "MEF_INFO", "MEF_WEIGHTS", "MFF_INFO", "MFF_WEIGHTS", "MGDN", "MGDNConfig", "MGDNFuser",
           "PRESETS", "build_mgdn", "filter_checkpoint", "load_weights"]
