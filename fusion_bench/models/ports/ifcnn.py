"""IFCNN (Zhang et al., Information Fusion 2020; uzeful/IFCNN): `ifcnn-max` (multi-focus) and
`ifcnn-mean` (multi-exposure), any number of sources.

The network (`IFCNN`) extracts features of each source with shared weights, fuses them element-wise
(max or mean) and reconstructs. The protocols are the authors' test scripts (`Code/IFCNN_Main.py`):

- focus (`ifcnn-max`): RGB normalised with the ImageNet statistics, output de-normalised, clamped and
  truncated to 8 bits. Grey sources are repeated to three channels without normalisation and the output
  turned grey with OpenCV, as the authors do for their grey data sets.
- exposure (`ifcnn-mean`): the PIL Y channel goes through the network; Cb and Cr are fused by their
  distance from 128; the fused Y is stretched to the video range and enhanced with CLAHE before going
  back to RGB with OpenCV (docs/baselines.md gives the steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from fusion_bench.errors import ConfigError
from fusion_bench.models.base import Fuser, MethodInfo
from fusion_bench.models.ports.checkpoint import BATCHNORM_COUNTER, KeyMap, load_checkpoint, weight_path
from fusion_bench.models.ports.common import from_bytes, github_weight, to_bytes, truncate_to_bytes
from fusion_bench.models.registry import register_method

Fusion = Literal["max", "mean"]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The published files have no BatchNorm step counters.
KEY_MAP = KeyMap(optional=(BATCHNORM_COUNTER,))


class ConvBN(nn.Module):
    """Replicate-pad 1, 3×3 conv (no bias), BatchNorm, ReLU: (N, C, H, W) → (N, C, H, W)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, bias=False)
        self.bn = nn.BatchNorm2d(channels, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(F.pad(x, (1, 1, 1, 1), mode="replicate"))))


class IFCNN(nn.Module):
    """IFCNN: K sources (N, 3, H, W) → (N, 3, H, W) in the sources' (normalised) space.

    `conv1` is the 7×7 first convolution of an ImageNet ResNet-101 (stride 1, replicate padding), with no
    activation after it; features of the sources are fused element-wise by `fusion`.
    """

    def __init__(self, fusion: Fusion) -> None:
        super().__init__()
        if fusion not in ("max", "mean"):
            raise ConfigError(f"IFCNN fusion must be 'max' or 'mean', got {fusion!r}")
        self.fusion = fusion
        self.conv1 = nn.Conv2d(3, 64, 7, bias=False)
        self.conv2 = ConvBN(64)
        self.conv3 = ConvBN(64)
        self.conv4 = nn.Conv2d(64, 3, 1)

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        features = torch.stack([self.conv2(self.conv1(F.pad(x, (3, 3, 3, 3), mode="replicate")))
                                for x in sources])
        fused = features.amax(dim=0) if self.fusion == "max" else features.mean(dim=0)
        return self.conv4(self.conv3(fused))


def _per_channel(values: Sequence[float], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(values, dtype=like.dtype, device=like.device).view(1, -1, 1, 1)


def fuse_normalised(network: IFCNN, sources: Sequence[torch.Tensor], mean: Sequence[float] = IMAGENET_MEAN,
                    std: Sequence[float] = IMAGENET_STD) -> torch.Tensor:
    """K RGB sources (N, 3, H, W) in [0, 1] → de-normalised network output (N, 3, H, W), not clamped."""
    m, s = _per_channel(mean, sources[0]), _per_channel(std, sources[0])
    return network([(x - m) / s for x in sources]) * s + m


def fuse_focus(network: IFCNN, sources: Sequence[torch.Tensor]) -> torch.Tensor:
    """The authors' multi-focus protocol: K sources (N, C, H, W), C = 3 (RGB) or 1 → (N, C, H, W), 8-bit
    values (k/255), as their saved PNGs."""
    if sources[0].shape[1] == 3:
        return truncate_to_bytes(fuse_normalised(network, sources))
    rgb = truncate_to_bytes(network([x.expand(-1, 3, -1, -1) for x in sources]))
    return torch.stack([from_bytes(cv2.cvtColor(to_bytes(image), cv2.COLOR_RGB2GRAY), like=image)
                        for image in rgb])


def _fuse_chroma(planes: torch.Tensor) -> torch.Tensor:
    """(K, H, W) Cb or Cr on the 0–255 scale → Σ c·|c − 128| / Σ |c − 128| (128 where that is 0/0),
    summed over the sources one after another in float32 as the authors' code does."""
    distance = (planes - 128.0).abs()
    total = distance[0]
    for plane in distance[1:]:
        total = total + plane
    fused = torch.zeros_like(total)
    for plane, weight in zip(planes, distance):
        fused = fused + plane * weight / total
    return torch.nan_to_num(fused, nan=128.0)


def _fuse_exposure_stack(network: IFCNN, images: list[np.ndarray], clip_limit: float, tiles: int,
                         like: torch.Tensor) -> np.ndarray:
    """K RGB uint8 (H, W, 3) → fused RGB uint8 (H, W, 3)."""
    ycbcr = [np.asarray(Image.fromarray(image).convert("YCbCr")) for image in images]
    planes = torch.stack([torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))) for image in ycbcr])
    planes = planes.to(device=like.device, dtype=torch.float32) / 255.0  # (K, 3, H, W), as ToTensor
    cb, cr = _fuse_chroma(planes[:, 1] * 255.0), _fuse_chroma(planes[:, 2] * 255.0)
    luma = [plane[None, None].expand(1, 3, -1, -1).to(like.dtype) for plane in planes[:, 0]]
    fused = network(luma)[0]
    fused_rgb = (fused.clamp(0.0, 1.0) * 255.0).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    y = cv2.cvtColor(np.ascontiguousarray(fused_rgb), cv2.COLOR_RGB2GRAY) / 255.0
    y = (y * 235.0 + (1.0 - y) * 16.0).astype(np.uint8)
    y = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles)).apply(y)
    merged = np.stack([y, cr.cpu().numpy().astype(np.uint8), cb.cpu().numpy().astype(np.uint8)], axis=-1)
    return cv2.cvtColor(merged, cv2.COLOR_YCrCb2RGB)


def fuse_exposures(network: IFCNN, sources: Sequence[torch.Tensor], clip_limit: float = 2.0,
                   tiles: int = 8) -> torch.Tensor:
    """The authors' multi-exposure protocol: K sources (N, C, H, W), C = 3 (RGB) or 1 → (N, C, H, W),
    8-bit values. A grey source is its own Y with neutral chroma, so its result is grey."""
    fused = []
    for index in range(sources[0].shape[0]):
        images = [to_bytes(x[index].expand(3, -1, -1)) for x in sources]
        rgb = from_bytes(_fuse_exposure_stack(network, images, clip_limit, tiles, sources[0]), like=sources[0])
        fused.append(rgb if sources[0].shape[1] == 3 else rgb[:1])
    return torch.stack(fused)


class IFCNNFuser(Fuser):
    """`ifcnn-max` / `ifcnn-mean`: the network with its published weights and the authors' protocol."""

    def __init__(self, network: IFCNN, protocol: Literal["focus", "exposure"], config: dict) -> None:
        super().__init__()
        self.network = network
        self.protocol = protocol
        self.config = dict(config)

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        if self.protocol == "focus":
            return fuse_focus(self.network, sources)
        return fuse_exposures(self.network, sources, self.config["clahe_clip_limit"], self.config["clahe_tiles"])


_REPOSITORY = "uzeful/IFCNN"
_COMMIT = "8fe59c2b1553e52acc793986208ca479d134a8da"
_PAPER = ("Y. Zhang, Y. Liu, P. Sun, H. Yan, X. Zhao, L. Zhang, IFCNN: A general image fusion framework based "
          "on convolutional neural network, Information Fusion 54 (2020) 99-118")
_LICENCE = "no licence file upstream"

MAX_WEIGHTS = github_weight("IFCNN/IFCNN-MAX.pth", _REPOSITORY, _COMMIT, "Code/snapshots/IFCNN-MAX.pth",
                            "6022b44c88a2f0367ba9b08fcdf0d663745d9a966fca0ee1f41867797b6ff53f", 337094, _LICENCE)
MEAN_WEIGHTS = github_weight("IFCNN/IFCNN-MEAN.pth", _REPOSITORY, _COMMIT, "Code/snapshots/IFCNN-MEAN.pth",
                             "fd2ee9361f1d428fc9749e28e8a2c5c5ef6ce6528ab6f5ad8ef5def42e7ffa4b", 337079, _LICENCE)

MAX_INFO = MethodInfo(
    name="ifcnn-max",
    tasks=("mff",),
    kind="deep",
    channels="any",
    multi_source=True,
    trainable=False,
    paper=_PAPER,
    description="IFCNN with element-wise max feature fusion; ImageNet-normalised RGB, 8-bit truncated output",
    weights=(MAX_WEIGHTS,),
    default_config={"weights_path": None},
)

MEAN_INFO = MethodInfo(
    name="ifcnn-mean",
    tasks=("mef",),
    kind="deep",
    channels="any",
    multi_source=True,
    trainable=False,
    paper=_PAPER,
    description="IFCNN with mean feature fusion on Y; Cb/Cr weighted by saturation; video-range Y and CLAHE",
    weights=(MEAN_WEIGHTS,),
    default_config={"weights_path": None, "clahe_clip_limit": 2.0, "clahe_tiles": 8},
)


PUBLISHED = {"max": MAX_WEIGHTS, "mean": MEAN_WEIGHTS}


def load_ifcnn(fusion: Fusion, weights_path: str | None = None) -> IFCNN:
    """An `IFCNN` in eval mode with weights from `weights_path` or the published file for `fusion`."""
    network = IFCNN(fusion)
    load_checkpoint(network, weight_path(weights_path, PUBLISHED[fusion]), KEY_MAP)
    return network.eval()


@register_method(MAX_INFO)
def build_ifcnn_max(config: dict) -> IFCNNFuser:
    return IFCNNFuser(load_ifcnn("max", config["weights_path"]), "focus", config)


@register_method(MEAN_INFO)
def build_ifcnn_mean(config: dict) -> IFCNNFuser:
    tiles = config["clahe_tiles"]
    if not config["clahe_clip_limit"] > 0 or int(tiles) != tiles or tiles < 1:
        raise ConfigError(f"ifcnn-mean: clahe_clip_limit must be > 0 and clahe_tiles a positive integer, got "
                          f"{config['clahe_clip_limit']!r}, {config['clahe_tiles']!r}")
    return IFCNNFuser(load_ifcnn("mean", config["weights_path"]), "exposure", config)
