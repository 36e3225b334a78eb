"""CU-Net (Deng & Dragotti, TPAMI 2021; cindydeng1991/TPAMI-CU-Net, `MIF_Task_pytorch`): `cunet-mef` and
`cunet-mff`, two sources.

Three unfolded convolutional sparse coding networks (LISTA with learned soft thresholds): `net_u` and
`net_v` code what is unique to each source, `net_z` codes what is common to the residuals
x − conv_u(u), y − conv_v(v); the fused image is the sum of three 9×9 decodings of u, v and z.

Protocol (`MIF_test.py`): RGB in [0, 1] (the test arrays are MATLAB `im2double` images), no resizing,
the raw network output as result. Multi-exposure: x is the over-exposed, y the under-exposed image; here
the brighter source (higher mean) is taken as over-exposed. Multi-focus: x = source A, y = source B. A grey
pair is repeated to RGB and the result turned grey with MATLAB's `rgb2gray` weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from fusion_bench.io.colour import rgb_to_gray_matlab
from fusion_bench.models.base import Fuser, MethodInfo, Task, WeightFile
from fusion_bench.models.ports.checkpoint import KeyMap, load_checkpoint, weight_path
from fusion_bench.models.ports.common import github_weight, order_exposures
from fusion_bench.models.registry import register_method

KEY_MAP = KeyMap(container="model")
KERNEL = 9
FILTERS = 64


def _conv(inputs: int, outputs: int) -> nn.Conv2d:
    return nn.Conv2d(inputs, outputs, KERNEL, padding=KERNEL // 2, bias=False)


def soft_threshold(x: torch.Tensor, threshold: torch.Tensor, overwrite: bool = False) -> torch.Tensor:
    """sign(x)·max(|x| − θ, 0) for a one-element θ; x (N, C, H, W) → same shape.

    Written as x − clamp(x, −θ, θ) (differentiable in θ) or, when no gradient is wanted, as one `softshrink`
    pass: the same values as the upstream sign·relu form in every bit except the sign of zeros, in one or two
    passes over the 64-channel maps instead of five (`benchmarks/cunet_soft_threshold.py`). With `overwrite`
    (x is not used afterwards) and no gradient wanted, the pass writes into x: at 1200×800 a 246 MB map
    fewer to fault in, 0.13 → 0.05 s.
    """
    if torch.is_grad_enabled():
        if threshold.requires_grad:
            return x - torch.clamp(x, -threshold, threshold)
        return F.softshrink(x, float(threshold))
    if overwrite:
        return torch.ops.aten.softshrink.out(x, float(threshold), out=x)
    return F.softshrink(x, float(threshold))


def _residual_update(encoded: torch.Tensor, code: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """encoded + (code − reconstructed), all (N, 64, H, W). Without autograd it is written into
    `reconstructed` (a fresh conv output used nowhere else): the same values in every bit (the two roundings
    are those of the upstream expression), and two 64-channel maps fewer to allocate per iteration."""
    if torch.is_grad_enabled():
        return encoded + (code - reconstructed)
    return torch.sub(code, reconstructed, out=reconstructed).add_(encoded)


class SparseCoder(nn.Module):
    """Unfolded LISTA with 4 iterations: (N, C, H, W) → sparse code (N, 64, H, W)."""

    def __init__(self, channels: int, iterations: int = 4) -> None:
        super().__init__()
        self.iterations = iterations
        self.layer_in = _conv(channels, FILTERS)
        self.lam_in = nn.Parameter(torch.full((1,), 0.01))
        for index in range(iterations):
            setattr(self, f"down_conv_{index}", _conv(FILTERS, channels))
            setattr(self, f"up_conv_{index}", _conv(channels, FILTERS))
            setattr(self, f"lam_{index}", nn.Parameter(torch.full((1,), 0.01)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        encoded = self.layer_in(x)
        code = soft_threshold(encoded, self.lam_in)
        for index in range(self.iterations):
            reconstructed = getattr(self, f"up_conv_{index}")(getattr(self, f"down_conv_{index}")(code))
            residual = _residual_update(encoded, code, reconstructed)  # a fresh map: overwritten
            code = soft_threshold(residual, getattr(self, f"lam_{index}"), overwrite=True)
        return code


class Decoder(nn.Module):
    """Unique codes u, v and common code z (N, 64, H, W) → image (N, 3, H, W)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_1 = _conv(FILTERS, 3)
        self.conv_2 = _conv(FILTERS, 3)
        self.conv_3 = _conv(FILTERS, 3)

    def forward(self, u: torch.Tensor, v: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.combine(self.conv_1(u), self.conv_3(v), z)

    def combine(self, u_decoded: torch.Tensor, v_decoded: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """conv_1(u) + conv_2(z) + conv_3(v), in the upstream order, given conv_1(u) and conv_3(v)."""
        return u_decoded + self.conv_2(z) + v_decoded


def same_input_convs(x: torch.Tensor, *convs: nn.Conv2d) -> tuple[torch.Tensor, ...]:
    """(conv(x) for conv in convs) as one convolution with the convs' weights stacked: (N, 64, H, W) → each
    (N, C_i, H, W). oneDNN's 9×9 convolutions with 3 output channels leave most of each pass over the
    64-channel input unused: 6 outputs take the time of 3, with the same values in every bit
    (`tests/test_cunet_shared_convs.py`). The convs have no bias and the same geometry (`_conv`)."""
    first = convs[0]
    weight = torch.cat([conv.weight for conv in convs])
    stacked = F.conv2d(x, weight, None, first.stride, first.padding, first.dilation)
    return tuple(stacked.split([conv.out_channels for conv in convs], dim=1))


class CUNet(nn.Module):
    """(x, y) RGB (N, 3, H, W) in [0, 1] → fused (N, 3, H, W), not clamped."""

    def __init__(self) -> None:
        super().__init__()
        self.net_u = SparseCoder(3)
        self.conv_u = _conv(FILTERS, 3)
        self.net_v = SparseCoder(3)
        self.conv_v = _conv(FILTERS, 3)
        self.net_z = SparseCoder(6)
        self.decoder = Decoder()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        u, v = self.net_u(x), self.net_v(y)
        # each unique code feeds two 64→3 convs, its reconstruction and its decoding: one conv each
        u_reconstructed, u_decoded = same_input_convs(u, self.conv_u, self.decoder.conv_1)
        v_reconstructed, v_decoded = same_input_convs(v, self.conv_v, self.decoder.conv_3)
        z = self.net_z(torch.cat([x - u_reconstructed, y - v_reconstructed], dim=1))
        return self.decoder.combine(u_decoded, v_decoded, z)


class CUNetFuser(Fuser):
    """`cunet-mef` / `cunet-mff`: two sources (N, C, H, W), C = 3 or 1 → (N, C, H, W)."""

    def __init__(self, network: CUNet, task: Task, config: dict) -> None:
        super().__init__()
        self.network = network
        self.task = task
        self.config = dict(config)

    def forward(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        first, second = (x.expand(-1, 3, -1, -1) for x in sources)
        x, y = order_exposures(first, second) if self.task == "mef" else (first, second)
        fused = self.network(x, y)
        return fused if sources[0].shape[1] == 3 else rgb_to_gray_matlab(fused)


_REPOSITORY = "cindydeng1991/TPAMI-CU-Net"
_COMMIT = "ac43ffccfe3a2c10e095a2fedd060d378c393b80"
_LICENCE = "no licence file upstream"
_PAPER = ("X. Deng, P. L. Dragotti, Deep convolutional neural network for multi-modal image restoration and "
          "fusion, IEEE TPAMI 43(10) (2021) 3333-3348")
WEIGHTS: dict[Task, WeightFile] = {
    "mef": github_weight("CU-Net/multi_exposure.pth", _REPOSITORY, _COMMIT, "MIF_Task_pytorch/multi_exposure.pth",
                         "2584aa7926224f966cc752f9016d98af00d3bb1697d8106ee5643827f2a64661", 2582038, _LICENCE),
    "mff": github_weight("CU-Net/multi_focus.pth", _REPOSITORY, _COMMIT, "MIF_Task_pytorch/multi_focus.pth",
                         "7a2c45d745bda85098b444045de35a2853966d0fd9cdcc43a78e17f3c3f0d873", 2580950, _LICENCE),
}


def load_cunet(task: Task, weights_path: str | None = None) -> CUNet:
    """`CUNet` in eval mode with the task's published weights or those at `weights_path`."""
    network = CUNet()
    load_checkpoint(network, weight_path(weights_path, WEIGHTS[task]), KEY_MAP, allow_numpy_scalars=True)
    return network.eval()


def _register(task: Task, what: str) -> None:
    info = MethodInfo(
        name=f"cunet-{task}",
        tasks=(task,),
        kind="deep",
        channels="any",
        multi_source=False,
        trainable=False,
        paper=_PAPER,
        description=f"CU-Net: common/unique sparse codes (unfolded LISTA), {what} weights, RGB, raw output",
        weights=(WEIGHTS[task],),
        default_config={"weights_path": None},
    )

    @register_method(info)
    def build(config: dict) -> CUNetFuser:
        return CUNetFuser(load_cunet(task, config["weights_path"]), task, config)


_register("mef", "multi-exposure (SICE)")
_register("mff", "multi-focus (blurred DIV2K)")
