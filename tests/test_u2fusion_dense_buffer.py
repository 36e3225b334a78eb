"""U2Fusion's dense block without autograd (layers written into one buffer) gives the values of the
upstream concatenation, bit for bit, for one and for several images."""

from __future__ import annotations

import pytest
import torch

from fusion_bench.models.ports.u2fusion import U2FusionDenseNet


@pytest.mark.parametrize("batch", [1, 2])
def test_buffered_dense_block_equals_concatenation(batch: int) -> None:
    torch.manual_seed(3)
    network = U2FusionDenseNet().eval()
    over, under = (torch.rand(batch, 1, 21, 34) * 2 - 1 for _ in range(2))
    x = network.conv_1(torch.cat([over, under], dim=1)).detach()
    with torch.no_grad():
        buffered = network._dense_into_one_buffer(x)
        concatenated = network.dense_layers(x)
        fused_without_grad = network(over, under)
    assert buffered.shape == (batch, 264, 21, 34)
    assert torch.equal(buffered, concatenated)
    with torch.enable_grad():  # the autograd path keeps the upstream concatenation
        fused_with_grad = network(over, under)
    assert fused_with_grad.requires_grad
    assert torch.equal(fused_without_grad, fused_with_grad.detach())
