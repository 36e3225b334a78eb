"""SESF-Fuse (Ma et al., Neural Computing and Applications 2021; Keep-Passion/SESF-Fuse):
`sesf`, multi-focus, two sources.

An encoder with squeeze-and-excitation (channel, "CSE") attention and dense connections, trained as an
auto-encoder, gives 64 features per pixel for each grey source. The fusion (`nets/sesf_net.py`,
`SESF_Fuse.fuse`, the paper's `se_sf_dm`) compares the features' spatial frequency summed over an 11×11
window and channels, keeps the sharper source per pixel (decision map), cleans the map morphologically
(opening and closing with a disk of radius 5, holes under 1 % of the image filled), softens it with the
authors' guided filter (radius 4, eps 0.1 on the 0–255 scale, guided by the roughly fused image), blends
the 8-bit sources with it and truncates to 8 bits. Colour pairs decide on skimage `rgb2gray`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage import morphology
from skimage.color import rgb2gray
from torch import nn

from fusion_bench.models.base import Fuser, MethodInfo
from fusion_bench.models.ports.checkpoint import KeyMap, load_checkpoint, weight_path
from fusion_bench.models.ports.common import box_sum, github_weight, to_bytes
from fusion_bench.models.registry import register_method

# Statistics of the authors' training images, used to normalise the grey input.
MEAN, STD = 0.4500517361627943, 0.26465333914691797
KEY_MAP = KeyMap(dropped=((r"conv_decode_\d\..+", "decoder: trains the auto-encoder, unused when fusing"),))


def conv_relu_bn(inputs: int, outputs: int) -> nn.Sequential:
    """3×3 conv (bias, zero padding 1) → ReLU → BatchNorm, the authors' `conv_block` order."""
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(outputs))


class ChannelSqueezeExcitation(nn.Module):
    """x · σ(W2 ReLU(W1 mean_hw(x))), no biases: (N, C, H, W) → (N, C, H, W)."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(channels, channels // reduction, bias=False), nn.ReLU(),
                                nn.Linear(channels // reduction, channels, bias=False), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.fc(x.mean(dim=(2, 3)))[..., None, None]


class SESFEncoder(nn.Module):
    """Normalised grey (N, 1, H, W) → features (N, 64, H, W): 16 features and three 16-feature dense blocks,
    each followed by squeeze-and-excitation."""

    def __init__(self) -> None:
        super().__init__()
        self.features = conv_relu_bn(1, 16)
        self.conv_encode_1 = conv_relu_bn(16, 16)
        self.conv_encode_2 = conv_relu_bn(32, 16)
        self.conv_encode_3 = conv_relu_bn(48, 16)
        self.se_f, self.se_1, self.se_2, self.se_3 = (ChannelSqueezeExcitation(16, 8) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.se_f(self.features(x))
        for conv, attention in ((self.conv_encode_1, self.se_1), (self.conv_encode_2, self.se_2),
                                (self.conv_encode_3, self.se_3)):
            features = torch.cat([features, attention(conv(features))], dim=1)
        return features


def spatial_frequency(features: torch.Tensor, radius: int = 5) -> torch.Tensor:
    """(N, C, H, W) → (N, H, W): Σ_c Σ_window [(f(i, j−1) − f)² + (f(i−1, j) − f)²], zero outside."""
    padded = F.pad(features, (1, 0, 1, 0))
    left, up = padded[..., 1:, :-1], padded[..., :-1, 1:]
    gradient = (left - features) ** 2 + (up - features) ** 2
    size = 2 * radius + 1
    window = features.new_ones(features.shape[1], 1, size, size)
    return F.conv2d(gradient, window, padding=radius, groups=features.shape[1]).sum(dim=1)


def _binary_opening(mask: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """skimage's `binary_opening` (deprecated in 0.26): erosion with the outside counted as 1, then
    dilation with the outside counted as 0 (SciPy's binary morphology; equal on every pixel, tested)."""
    eroded = ndimage.binary_erosion(mask, footprint, border_value=1)
    return ndimage.binary_dilation(eroded, footprint, border_value=0)


def _binary_closing(mask: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """skimage's `binary_closing`: dilation (outside 0), then erosion (outside 1)."""
    dilated = ndimage.binary_dilation(mask, footprint, border_value=0)
    return ndimage.binary_erosion(dilated, footprint, border_value=1)


def clean_decision_map(decision: np.ndarray, disk_radius: int = 5, area_ratio: float = 0.01) -> np.ndarray:
    """(H, W) bool → (H, W) int: opening, fill small holes of the 0 region, closing, fill small holes of the
    1 region; "small" is under `area_ratio`·H·W pixels (skimage's former exclusive threshold)."""
    footprint = morphology.disk(disk_radius)
    max_size = math.ceil(area_ratio * decision.size) - 1
    decision = _binary_opening(decision, footprint)
    decision = ~morphology.remove_small_holes(~decision, max_size=max_size)
    decision = _binary_closing(decision, footprint)
    return morphology.remove_small_holes(decision, max_size=max_size).astype(np.int64)


def sesf_guided_filter(guide: torch.Tensor, target: torch.Tensor, radius: int, eps: float) -> torch.Tensor:
    """The authors' guided filter: guide (C, H, W), target (1, H, W) → (1, H, W). With C = 3, the linear
    coefficients are fitted per channel and summed over channels (not the joint colour model)."""
    count = box_sum(torch.ones_like(target)[None], radius)[0]

    def mean(x: torch.Tensor) -> torch.Tensor:
        return box_sum(x[None], radius)[0] / count

    mean_guide, mean_target = mean(guide), mean(target)
    a = (mean(guide * target) - mean_guide * mean_target) / (mean(guide * guide) - mean_guide * mean_guide + eps)
    b = mean_target - (a * mean_guide).sum(dim=0, keepdim=True)
    return (mean(a) * guide).sum(dim=0, keepdim=True) + mean(b)


class SESFFuser(Fuser):
    """`sesf`: two sources (N, C, H, W), C = 3 or 1 → (N, C, H, W), 8-bit values."""

    def __init__(self, encoder: SESFEncoder, config: dict) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = dict(config)

    def _grey(self, image: np.ndarray, like: torch.Tensor) -> torch.Tensor:
        """(H, W, C) uint8 → normalised (1, 1, H, W) as the authors' PIL + ToTensor + Normalize."""
        grey = rgb2gray(image).astype(np.float32) if image.shape[2] == 3 else image[..., 0].astype(np.float32) / 255
        return ((torch.from_numpy(grey).to(like) - MEAN) / STD)[None, None]

    def fuse_pair(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """(C, H, W) in [0, 1] → (C, H, W) 8-bit values in [0, 1]."""
        images = [to_bytes(x) for x in (first, second)]
        frequencies = [spatial_frequency(self.encoder(self._grey(image, first)), self.config["sf_radius"])[0]
                       for image in images]
        decision = clean_decision_map((frequencies[0] > frequencies[1]).cpu().numpy(), self.config["disk_radius"],
                                      self.config["area_ratio"])
        one, two = (torch.from_numpy(image).permute(2, 0, 1).to(torch.float64) for image in images)
        mask = torch.from_numpy(decision).to(torch.float64)[None]
        weights = sesf_guided_filter(one * mask + two * (1 - mask), mask, self.config["gf_radius"],
                                     self.config["gf_eps"])
        fused = (one * weights + two * (1 - weights)).clamp(0, 255).floor() / 255.0
        return fused.to(first)

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        return torch.stack([self.fuse_pair(a, b) for a, b in zip(sources[0], sources[1])])


WEIGHTS = github_weight("SESF-Fuse/lp+lssim_se_sf_net_times30.pkl", "Keep-Passion/SESF-Fuse",
                        "23e60b8c710919f5b2957b64c96e3c204443c6d7", "nets/parameters/lp+lssim_se_sf_net_times30.pkl",
                        "8758fcab88f19f673e31c9a8d1dc60e67f5b655572462ea099c49248b36fdaa3", 311937, "LGPL-2.1")

INFO = MethodInfo(
    name="sesf",
    tasks=("mff",),
    kind="deep",
    channels="any",
    multi_source=False,
    trainable=False,
    paper=("B. Ma, Y. Zhu, X. Yin, X. Ban, H. Huang, M. Mukeshimana, SESF-Fuse: An unsupervised deep model for "
           "multi-focus image fusion, Neural Computing and Applications 33 (2021) 5793-5804"),
    description="SESF-Fuse: SE-attention encoder, feature spatial-frequency decision map, morphology, guided filter",
    weights=(WEIGHTS,),
    default_config={"weights_path": None, "sf_radius": 5, "disk_radius": 5, "area_ratio": 0.01, "gf_radius": 4,
                    "gf_eps": 0.1},
)


def load_sesf(weights_path: str | None = None) -> SESFEncoder:
    """`SESFEncoder` in eval mode with the published weights or those at `weights_path`."""
    encoder = SESFEncoder()
    load_checkpoint(encoder, weight_path(weights_path, WEIGHTS), KEY_MAP)
    return encoder.eval()


@register_method(INFO)
def build_sesf(config: dict) -> SESFFuser:
    return SESFFuser(load_sesf(config["weights_path"]), config)
