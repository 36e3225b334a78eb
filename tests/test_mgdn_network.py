"""MGDN network properties on random weights: shapes, training step, determinism, the filter and its
custom backward, padding, tiling, config validation."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from fusion_bench.errors import ConfigError, ImageFormatError
from fusion_bench.models.mgdn import PRESETS, MGDNConfig, MGDNFuser, build_mgdn
from fusion_bench.models.mgdn.filter import dynamic_filter
from fusion_bench.models.mgdn.network import pad_to_multiple
from fusion_bench.models.mgdn.tiling import fuse_tiled, tile_starts
from fusion_bench.models.mgdn.window_attention import WindowAttention, shift_mask, window_layout, window_order

SMALL = MGDNConfig(channels=12, depths=(2, 2), heads=(2, 3), window=4, cross_heads=6, drop_path=0.2)


def _unfold_filter(features: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Independent formulation: unfold the replicate-padded features into (N, C, k², H, W)."""
    n, c, h, w = features.shape
    side = round(kernels.shape[1] ** 0.5)
    padded = F.pad(features, (side // 2,) * 4, mode="replicate")
    return (F.unfold(padded, side).view(n, c, side * side, h, w) * kernels[:, None]).sum(2)


def test_filter_equals_unfold_formulation_and_tap_order() -> None:
    torch.manual_seed(0)
    features, kernels = torch.rand(2, 5, 9, 11), torch.randn(2, 49, 9, 11)
    assert torch.allclose(dynamic_filter(features, kernels), _unfold_filter(features, kernels), atol=1e-5)
    shift = torch.zeros(1, 49, 9, 11)
    shift[:, 7 * 3 + 4] = 1  # row offset 0, column offset +1
    image = torch.rand(1, 1, 9, 11)
    assert torch.equal(dynamic_filter(image, shift)[..., :-1], image[..., 1:])


def test_filter_custom_backward_equals_autograd() -> None:
    torch.manual_seed(1)
    features = torch.rand(2, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    kernels = torch.randn(2, 9, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(dynamic_filter, (features, kernels))
    grad = torch.randn(2, 2, 4, 5, dtype=torch.float64)
    ours = torch.autograd.grad(dynamic_filter(features, kernels), (features, kernels), grad)
    reference = torch.autograd.grad(_unfold_filter(features, kernels), (features, kernels), grad)
    for mine, theirs in zip(ours, reference):
        assert torch.allclose(mine, theirs)


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (3, 9), (17, 5), (13, 21), (8, 8)])
def test_pad_to_multiple_sizes(size: tuple[int, int]) -> None:
    image = torch.rand(1, 2, *size)
    padded = pad_to_multiple(image, 8)
    assert padded.shape[-2] % 8 == 0 and padded.shape[-1] % 8 == 0
    assert torch.equal(padded[..., : size[0], : size[1]], image)
    if size[0] > 1 and size[0] + 8 > padded.shape[-2] > size[0] and padded.shape[-2] - size[0] < size[0]:
        assert torch.equal(padded[..., size[0], : size[1]], image[..., size[0] - 2, :])  # reflect: edge not repeated


@pytest.mark.parametrize("shape", [(1, 3, 7, 9), (2, 3, 13, 10), (1, 3, 3, 2), (1, 3, 1, 1), (1, 3, 16, 24)])
def test_output_has_input_shape_and_range(shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    network = build_mgdn(SMALL).eval()
    a, b = torch.rand(shape), torch.rand(shape)
    with torch.inference_mode():
        fused = network(a, b)
        assert torch.equal(network([a, b]), fused)
    assert fused.shape == shape
    assert torch.isfinite(fused).all() and fused.min() >= 0 and fused.max() <= 1


def test_batch_of_two_equals_two_single_runs() -> None:
    torch.manual_seed(0)
    network = build_mgdn(SMALL).eval()
    a, b = torch.rand(2, 3, 12, 20), torch.rand(2, 3, 12, 20)
    with torch.inference_mode():
        batch = network(a, b)
        singles = torch.cat([network(a[i : i + 1], b[i : i + 1]) for i in range(2)])
    assert torch.allclose(batch, singles, atol=1e-6)


def test_training_step_gives_finite_gradients_everywhere() -> None:
    torch.manual_seed(0)
    network = build_mgdn(SMALL).train()
    assert any(block.drop_path_rate > 0 for layer in network.layers for block in layer.residual_group.blocks)
    a, b = torch.rand(2, 3, 16, 12), torch.rand(2, 3, 16, 12)
    loss = (network(a, b) - (a + b) / 2).abs().mean()
    loss.backward()
    for name, parameter in network.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
    assert any(parameter.grad.abs().sum() > 0 for parameter in network.parameters())


def test_bit_identical_run_to_run() -> None:
    torch.manual_seed(0)
    network = build_mgdn(PRESETS["mgdn-mff"]).eval()
    a, b = torch.rand(1, 3, 37, 45), torch.rand(1, 3, 37, 45)
    with torch.inference_mode():
        assert torch.equal(network(a, b), network(a, b))


def test_wrong_inputs_are_refused() -> None:
    network = build_mgdn(SMALL)
    with pytest.raises(ImageFormatError):
        network(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))
    with pytest.raises(ImageFormatError):
        network([torch.rand(1, 3, 8, 8)] * 3)
    with pytest.raises(ImageFormatError):
        network(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8))


def test_shift_mask_regions() -> None:
    mask = shift_mask(8, 8, 4)
    assert mask.shape == (4, 16, 16)
    assert (mask[0] == 0).all()  # the top-left window lies inside one region
    assert (mask[3] == -100).any()  # the bottom-right window mixes wrapped-around pixels


def _swin_attention(module: WindowAttention, x: torch.Tensor, shifted: bool) -> torch.Tensor:
    """Swin's own formulation: roll, partition, explicit softmax(q·kᵀ/√d + bias + mask)·v, reverse, roll back."""
    n, h, w, c = x.shape
    win, heads = module.window, module.heads
    shift = win // 2 if shifted else 0
    rolled = torch.roll(x, (-shift, -shift), dims=(1, 2))
    windows = rolled.view(n, h // win, win, w // win, win, c).transpose(2, 3).reshape(-1, win * win, c)
    q, k, v = module.qkv(windows).view(windows.shape[0], win * win, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    scores = q @ k.transpose(-2, -1) / math.sqrt(c // heads) + module.position_bias()[None]
    if shifted:
        scores = scores + shift_mask(h, w, win).repeat(n, 1, 1)[:, None]
    out = module.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(-1, win * win, c))
    out = out.view(n, h // win, w // win, win, win, c).transpose(2, 3).reshape(n, h, w, c)
    return torch.roll(out, (shift, shift), dims=(1, 2))


@pytest.mark.parametrize("size", [(8, 8), (16, 24), (24, 8), (40, 32)])
def test_window_attention_equals_swin_formulation(size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    module = WindowAttention(12, 3, 8 if min(size) >= 16 else 4)
    x = torch.randn(2, *size, 12)
    with torch.no_grad():
        for shifted in (False, True):
            torch.testing.assert_close(module(x, shifted), _swin_attention(module, x, shifted), atol=1e-5, rtol=1e-5)


def test_window_layout_puts_masked_windows_last() -> None:
    layout = window_layout(24, 16, 4, shifted=True)
    mask = shift_mask(24, 16, 4)  # 6×4 windows: the last row and column of windows mix regions
    assert layout.plain == 5 * 3 and layout.mask.shape == (24 - 15, 16, 16)
    assert torch.equal(layout.order.sort().values, torch.arange(24 * 16))
    rows_first = window_order(24, 16, 4, shifted=True).view(24, 16)
    masked = [index for index in range(24) if (mask[index] != 0).any()]
    assert torch.equal(layout.order.view(24, 16)[15:], rows_first[masked])
    assert torch.equal(layout.mask, mask[masked])
    assert window_layout(24, 16, 4, shifted=False).mask is None


def test_tiles_cover_and_blend_without_seams() -> None:
    assert tile_starts(10, 4, 1) == [0, 3, 6]
    assert tile_starts(4, 8, 2) == [0]
    a, b = torch.rand(1, 3, 50, 37), torch.rand(1, 3, 50, 37)
    # A pixel-wise function is reproduced exactly by any tiling: the blending weights sum to one.
    tiled = fuse_tiled(lambda x, y: (x + y) / 2, a, b, tile=16, overlap=4)
    assert torch.allclose(tiled, (a + b) / 2, atol=1e-6)


def test_fuser_tiles_large_images_only() -> None:
    torch.manual_seed(0)
    fuser = MGDNFuser(SMALL, tile=32).eval()
    small = [torch.rand(1, 3, 20, 30), torch.rand(1, 3, 20, 30)]
    with torch.inference_mode():
        assert torch.equal(fuser.fuse(small), fuser.network(*small).clamp(0, 1))
    large = [torch.rand(1, 3, 70, 45), torch.rand(1, 3, 70, 45)]
    assert fuser.fuse(large).shape == (1, 3, 70, 45)
    with pytest.raises(ConfigError):
        MGDNFuser(SMALL, tile=8)


@pytest.mark.parametrize("values", [{"channels": 30, "heads": (4, 3)}, {"window": 5}, {"depths": (2,)},
                                    {"kernel_size": 6}, {"unknown": 1}])
def test_config_rejects_bad_values(values: dict) -> None:
    with pytest.raises(ConfigError):
        MGDNConfig.from_dict(values)


def test_config_round_trip_and_presets() -> None:
    assert MGDNConfig.from_dict(PRESETS["mgdn-mef"].to_dict() | {"depths": [6, 6]}) == PRESETS["mgdn-mef"]
    assert PRESETS["mgdn-mff"].channels == 30 and PRESETS["mgdn-mef"].window == 8
