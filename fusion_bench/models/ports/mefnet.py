"""MEF-Net (Ma, Duanmu, Zhu, Fang, Wang, TIP 2020; makedede/MEFNet): `mefnet`, any number of exposures.

A small dilated network predicts a weight map per exposure from a low-resolution Y channel; a fast
guided filter (the authors' cumulative-sum box filter) carries the maps to the full resolution; Y is
fused by the normalised |weights|, Cb and Cr by their distance from 0.5 (docs/baselines.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from fusion_bench.errors import ConfigError
from fusion_bench.models.base import Fuser, MethodInfo
from fusion_bench.models.ports.checkpoint import KeyMap, load_checkpoint, weight_path
from fusion_bench.models.ports.common import box_sum, from_bytes, github_weight, to_bytes
from fusion_bench.models.registry import register_method

EPS = 1e-8
KEY_MAP = KeyMap(container="state_dict")


class AdaptiveNorm(nn.Module):
    """w_0·x + w_1·InstanceNorm(x), with learned scalars w_0, w_1 and an affine InstanceNorm."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.w_0 = nn.Parameter(torch.ones(1))
        self.w_1 = nn.Parameter(torch.zeros(1))
        self.in_norm = nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_0 * x + self.w_1 * self.in_norm(x)


def build_weight_net(width: int = 24, dilated: int = 4) -> nn.Sequential:
    """(K, 1, h, w) → (K, 1, h, w): conv+norm+LeakyReLU blocks with dilations 1, 2, …, 2^dilated, 1, then a
    1×1 conv. The layer order gives the checkpoint's `lr.<index>` names."""
    layers: list[nn.Module] = []
    for index, dilation in enumerate([1] + [2 ** level for level in range(1, dilated + 1)] + [1]):
        layers += [nn.Conv2d(1 if index == 0 else width, width, 3, padding=dilation, dilation=dilation, bias=False),
                   AdaptiveNorm(width), nn.LeakyReLU(0.2)]
    layers.append(nn.Conv2d(width, 1, 1))
    return nn.Sequential(*layers)


def fast_guided_filter(guide_lr: torch.Tensor, target_lr: torch.Tensor, guide_hr: torch.Tensor, r: int,
                       eps: float) -> torch.Tensor:
    """Fast guided filter: the linear model a·guide + b fitted at low resolution (K, 1, h, w), its
    coefficients bilinearly upsampled and applied to `guide_hr` (K, 1, H, W) → (K, 1, H, W)."""
    h, w = guide_lr.shape[-2:]
    count = box_sum(guide_lr.new_ones(1, 1, h, w), r)
    mean_x = box_sum(guide_lr, r) / count
    mean_y = box_sum(target_lr, r) / count
    cov_xy = box_sum(guide_lr * target_lr, r) / count - mean_x * mean_y
    var_x = box_sum(guide_lr * guide_lr, r) / count - mean_x * mean_x
    a = cov_xy / (var_x + eps)
    b = mean_y - a * mean_x
    size = guide_hr.shape[-2:]
    a = F.interpolate(a, size, mode="bilinear", align_corners=False)
    b = F.interpolate(b, size, mode="bilinear", align_corners=False)
    return a * guide_hr + b


def normalised_weights(weights: torch.Tensor) -> torch.Tensor:
    """(K, …) non-negative weights → (w + 1e-8) / Σ_k (w + 1e-8)."""
    return (weights + EPS) / torch.sum(weights + EPS, dim=0)


class MEFNet(nn.Module):
    """K exposures' Y at low (K, 1, h, w) and full resolution (K, 1, H, W) → fused Y (1, 1, H, W) in [0, 1]."""

    def __init__(self, radius: int = 1, eps: float = 1e-4) -> None:
        super().__init__()
        self.lr = build_weight_net()
        self.radius = radius
        self.eps = eps

    def forward(self, y_lr: torch.Tensor, y_hr: torch.Tensor) -> torch.Tensor:
        weights = fast_guided_filter(y_lr, self.lr(y_lr), y_hr, self.radius, self.eps)
        weights = normalised_weights(weights.abs())
        return torch.sum(weights * y_hr, dim=0, keepdim=True).clamp(0.0, 1.0)


def rgb_to_ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    """(K, 3, H, W) RGB in [0, 1] → YCbCr (BT.601, offset 0.5), summed in the authors' order."""
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    y = r * 0.299 + g * 0.587 + b * 0.114
    cb = 0.5 - r * 0.168736 - g * 0.331264 + b * 0.5
    cr = 0.5 + r * 0.5 - g * 0.418688 - b * 0.081312
    return torch.stack([y, cb, cr], dim=1)


def ycbcr_to_rgb(ycbcr: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) YCbCr → RGB, the inverse of `rgb_to_ycbcr`, not clamped."""
    y, cb, cr = ycbcr[:, 0], ycbcr[:, 1] - 0.5, ycbcr[:, 2] - 0.5
    return torch.stack([y + cr * 1.402, y - cb * 0.344136 - cr * 0.714136, y + cb * 1.772], dim=1)


def shorter_side_size(height: int, width: int, shorter: int) -> tuple[int, int]:
    """(H, W) with the shorter side `shorter` and the longer `int(shorter · long / short)`, as
    torchvision's `Resize(int)`."""
    if width <= height:
        return int(shorter * height / width), shorter
    return shorter, int(shorter * width / height)


def resize_bytes(images: list[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
    """uint8 (H, W, C) arrays → PIL bilinear resize to (h, w) = `size` (the authors resize PIL images)."""
    return [np.asarray(Image.fromarray(image).resize((size[1], size[0]), Image.BILINEAR))
            for image in images]


def fuse_exposure_stack(network: MEFNet, exposures: torch.Tensor, low_size: int = 128,
                        high_limit: int = 2048) -> torch.Tensor:
    """The authors' test protocol for one stack: K exposures (K, 3, H, W) RGB in [0, 1] → (1, 3, H', W')
    RGB, not clamped, where (H', W') is (H, W) unless both sides exceed `high_limit` (then the shorter
    side is `high_limit`)."""
    images = [to_bytes(exposure) for exposure in exposures]
    height, width = exposures.shape[-2:]
    high = images
    if height > high_limit and width > high_limit:
        high = resize_bytes(images, shorter_side_size(height, width, high_limit))
    low = resize_bytes(images, shorter_side_size(height, width, low_size))
    ycbcr_hr = rgb_to_ycbcr(torch.stack([from_bytes(image, like=exposures) for image in high]))
    ycbcr_lr = rgb_to_ycbcr(torch.stack([from_bytes(image, like=exposures) for image in low]))
    y = network(ycbcr_lr[:, :1], ycbcr_hr[:, :1])
    chroma = ycbcr_hr[:, 1:]
    chroma = torch.sum(normalised_weights((chroma - 0.5).abs()) * chroma, dim=0, keepdim=True).clamp(0.0, 1.0)
    return ycbcr_to_rgb(torch.cat([y, chroma], dim=1))


class MEFNetFuser(Fuser):
    """`mefnet`: K exposures (N, C, H, W), C = 3 or 1 → (N, C, H, W). Grey exposures are their own Y.

    Where the protocol works at a reduced resolution (both sides > `high_limit`), the result is resized
    back bilinearly so that it has the sources' size.
    """

    def __init__(self, network: MEFNet, config: dict) -> None:
        super().__init__()
        self.network = network
        self.config = dict(config)

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        low, high = self.config["low_size"], self.config["high_limit"]
        fused = []
        for index in range(sources[0].shape[0]):
            stack = torch.stack([x[index] for x in sources]).expand(-1, 3, -1, -1)
            rgb = fuse_exposure_stack(self.network, stack, low, high)
            if rgb.shape[-2:] != stack.shape[-2:]:
                rgb = F.interpolate(rgb, stack.shape[-2:], mode="bilinear", align_corners=False)
            fused.append(rgb[0] if sources[0].shape[1] == 3 else rgb[0, :1])
        return torch.stack(fused)


WEIGHTS = github_weight("MEFNet/MEFNet_release.pt", "makedede/MEFNet", "d2b87b425e425e497bc02e582ca3a15100c45023",
                        "checkpoint/MEFNet_release.pt",
                        "8d524b43086cff513c36ae34814669ea4d1cbee4014d394b1a921b5114360b1b", 333528,
                        "no licence file upstream")

INFO = MethodInfo(
    name="mefnet",
    tasks=("mef",),
    kind="deep",
    channels="any",
    multi_source=True,
    trainable=False,
    paper=("K. Ma, Z. Duanmu, H. Zhu, Y. Fang, Z. Wang, Deep guided learning for fast multi-exposure image "
           "fusion, IEEE TIP 29 (2020) 2808-2819"),
    description="MEF-Net: weight maps from 128-px Y, fast guided filter upsampling; Cb/Cr by saturation",
    weights=(WEIGHTS,),
    default_config={"weights_path": None, "low_size": 128, "high_limit": 2048},
)


def load_mefnet(weights_path: str | None = None) -> MEFNet:
    """`MEFNet` in eval mode with weights from `weights_path` or the published checkpoint."""
    network = MEFNet()
    load_checkpoint(network, weight_path(weights_path, WEIGHTS), KEY_MAP, allow_numpy_scalars=True)
    return network.eval()


@register_method(INFO)
def build_mefnet(config: dict) -> MEFNetFuser:
    for key in ("low_size", "high_limit"):
        if int(config[key]) != config[key] or config[key] < 8:
            raise ConfigError(f"mefnet: {key} must be an integer ≥ 8, got {config[key]!r}")
    return MEFNetFuser(load_mefnet(config["weights_path"]), config)
