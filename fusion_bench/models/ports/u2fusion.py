"""`u2fusion-port`: a third-party PyTorch re-implementation of U2Fusion (Xu et al., TPAMI 2022) trained for
multi-exposure fusion (ytZhang99/U2Fusion-pytorch). Not the U2Fusion authors' TensorFlow weights: its
results are labelled "third-party PyTorch port".

Network (`model.py`): the over- and under-exposed Y channels (2 channels, in [−1, 1]) → 3×3 conv to 44
features, five dense layers (3×3 conv, growth 44, each output concatenated to its input), then 3×3 convs
264 → 128 → 64 → 32 → 1 and tanh. Every conv has a bias and, except the last, LeakyReLU(0.2).

Protocol (`train.py`, class `Test`): each 8-bit image goes to YCrCb with OpenCV and to [−1, 1]
((x/255 − 0.5)/0.5); Cr and Cb are fused by weights (|c| + 1e-8) normalised over the two images and
clamped to [−1, 1]; the three planes are mapped back by (x + 1)·127.5, truncated to uint8 and converted
with OpenCV's YCrCb→RGB. The brighter source is taken as the over-exposed one. A grey pair is repeated to
RGB and the result turned grey with MATLAB's `rgb2gray` weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import nn

from fusion_bench.io.colour import rgb_to_gray_matlab
from fusion_bench.models.base import Fuser, MethodInfo
from fusion_bench.models.ports.checkpoint import KeyMap, load_checkpoint, weight_path
from fusion_bench.models.ports.common import from_bytes, github_weight, order_exposures, to_bytes
from fusion_bench.models.registry import register_method

EPS = 1e-8
KEY_MAP = KeyMap(container="model")


def conv_lrelu(inputs: int, outputs: int) -> nn.Sequential:
    """3×3 conv with bias and zero padding 1, LeakyReLU(0.2); the checkpoint names the conv `<name>.0`.
    The activation overwrites the conv's fresh output (same values, one map fewer to allocate and fault in;
    autograd allows it for a positive slope)."""
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.LeakyReLU(0.2, inplace=True))


class DenseLayer(nn.Module):
    """(N, C, H, W) → (N, C + growth, H, W): the input and its conv_lrelu features."""

    def __init__(self, channels: int, growth: int) -> None:
        super().__init__()
        self.conv = conv_lrelu(channels, growth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.conv(x)], dim=1)


class U2FusionDenseNet(nn.Module):
    """Over- and under-exposed Y (N, 1, H, W) in [−1, 1] → fused Y (N, 1, H, W) in [−1, 1]."""

    def __init__(self, features: int = 44, growth: int = 44, layers: int = 5) -> None:
        super().__init__()
        self.conv_1 = conv_lrelu(2, features)
        self.dense_layers = nn.Sequential(*[DenseLayer(features + index * growth, growth) for index in range(layers)])
        self.sub = nn.Sequential(conv_lrelu(features + layers * growth, 128), conv_lrelu(128, 64), conv_lrelu(64, 32),
                                 nn.Conv2d(32, 1, 3, padding=1), nn.Tanh())

    def forward(self, over: torch.Tensor, under: torch.Tensor) -> torch.Tensor:
        x = self.conv_1(torch.cat([over, under], dim=1))
        features = self.dense_layers(x) if torch.is_grad_enabled() else self._dense_into_one_buffer(x)
        return self.sub(features)

    def _dense_into_one_buffer(self, x: torch.Tensor) -> torch.Tensor:
        """`dense_layers(x)` without autograd: (N, F, H, W) → (N, F + L·growth, H, W). Each layer's output is
        written into its channels of one buffer, and each layer reads the channels before them as a view,
        instead of concatenating a growing copy per layer (at 1200×800 that is 3.4 GB of copies per pair,
        2.5 GB of them avoided). Same convolutions on the same values: the same result, bit for bit."""
        widths = [x.shape[1]] + [layer.conv[0].out_channels for layer in self.dense_layers]
        buffer = x.new_empty((x.shape[0], sum(widths), *x.shape[2:]))
        buffer[:, :widths[0]] = x
        filled = widths[0]
        for layer, width in zip(self.dense_layers, widths[1:]):
            buffer[:, filled:filled + width] = layer.conv(buffer[:, :filled])
            filled += width
        return buffer


def fuse_pair(network: U2FusionDenseNet, over: torch.Tensor, under: torch.Tensor) -> torch.Tensor:
    """The test protocol for one pair: RGB (3, H, W) in [0, 1] → fused RGB (3, H, W), 8-bit values."""
    planes = [torch.from_numpy(cv2.cvtColor(to_bytes(image), cv2.COLOR_RGB2YCrCb)).permute(2, 0, 1)
              for image in (over, under)]
    planes = (torch.stack(planes).to(over) / 255.0 - 0.5) / 0.5  # (2, 3, H, W): Y, Cr, Cb in [−1, 1]
    chroma = planes[:, 1:]
    weights = (chroma.abs() + EPS) / torch.sum(chroma.abs() + EPS, dim=0)
    chroma = torch.sum(weights * chroma, dim=0, keepdim=True).clamp(-1.0, 1.0)
    y = network(planes[0:1, :1], planes[1:2, :1])
    fused = ((torch.cat([y, chroma], dim=1)[0] + 1.0) * 127.5).permute(1, 2, 0).cpu().numpy().astype(np.uint8)
    return from_bytes(cv2.cvtColor(fused, cv2.COLOR_YCrCb2RGB), like=over)


class U2FusionFuser(Fuser):
    """`u2fusion-port`: two exposures (N, C, H, W), C = 3 or 1 → (N, C, H, W)."""

    def __init__(self, network: U2FusionDenseNet, config: dict) -> None:
        super().__init__()
        self.network = network
        self.config = dict(config)

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        over, under = order_exposures(*(x.expand(-1, 3, -1, -1) for x in sources))
        fused = torch.stack([fuse_pair(self.network, o, u) for o, u in zip(over, under)])
        return fused if sources[0].shape[1] == 3 else rgb_to_gray_matlab(fused)


WEIGHTS = github_weight("U2Fusion-pytorch/model.pth", "ytZhang99/U2Fusion-pytorch",
                        "a8a334c65444f9c0ba086a1ddbbf5a386219f49f", "model/model.pth",
                        "05e8fc40ba96055178a76880ec89a079bd4ad1e93db5d711457baba61cfcd77e", 2669170,
                        "no licence file upstream (third-party re-implementation)")

INFO = MethodInfo(
    name="u2fusion-port",
    tasks=("mef",),
    kind="deep",
    channels="any",
    multi_source=False,
    trainable=False,
    paper=("H. Xu, J. Ma, J. Jiang, X. Guo, H. Ling, U2Fusion: A unified unsupervised image fusion network, "
           "IEEE TPAMI 44(1) (2022) 502-518; weights: ytZhang99/U2Fusion-pytorch"),
    description="U2Fusion DenseNet on Y (third-party PyTorch port and weights), Cr/Cb weighted by magnitude",
    weights=(WEIGHTS,),
    label="third-party PyTorch port",
    default_config={"weights_path": None},
)


def load_u2fusion(weights_path: str | None = None) -> U2FusionDenseNet:
    """`U2FusionDenseNet` in eval mode with the published port's weights or those at `weights_path`."""
    network = U2FusionDenseNet()
    load_checkpoint(network, weight_path(weights_path, WEIGHTS), KEY_MAP, allow_numpy_scalars=True)
    return network.eval()


@register_method(INFO)
def build_u2fusion(config: dict) -> U2FusionFuser:
    return U2FusionFuser(load_u2fusion(config["weights_path"]), config)
