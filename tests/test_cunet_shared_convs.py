"""CU-Net's two 64→3 convolutions of the same code, run as one 64→6 convolution, give the values of the
separate convolutions and of the upstream forward, bit for bit."""

from __future__ import annotations

import pytest
import torch

from fusion_bench.models.ports.cunet import CUNet, same_input_convs


def _network() -> CUNet:
    torch.manual_seed(11)
    return CUNet().eval()  # PyTorch's default initialisation; thresholds 0.01


def _upstream_forward(network: CUNet, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    u, v = network.net_u(x), network.net_v(y)
    z = network.net_z(torch.cat([x - network.conv_u(u), y - network.conv_v(v)], dim=1))
    decoder = network.decoder
    return decoder.conv_1(u) + decoder.conv_2(z) + decoder.conv_3(v)


@pytest.mark.parametrize("size", [(17, 23), (40, 61)])
def test_stacked_convs_equal_separate_ones(size: tuple[int, int]) -> None:
    network = _network()
    code = torch.randn(2, 64, *size, generator=torch.Generator().manual_seed(5)) * 0.1
    with torch.no_grad():
        reconstructed, decoded = same_input_convs(code, network.conv_u, network.decoder.conv_1)
        assert torch.equal(reconstructed, network.conv_u(code))
        assert torch.equal(decoded, network.decoder.conv_1(code))


def test_forward_equals_upstream_forward() -> None:
    network = _network()
    generator = torch.Generator().manual_seed(2)
    x, y = (torch.rand(1, 3, 33, 47, generator=generator) for _ in range(2))
    with torch.no_grad():
        assert torch.equal(network(x, y), _upstream_forward(network, x, y))
    with torch.enable_grad():
        x.requires_grad_(True)
        network(x, y).sum().backward()  # the stacked weights stay differentiable
    assert all(p.grad is not None for p in (network.conv_u.weight, network.decoder.conv_1.weight))
