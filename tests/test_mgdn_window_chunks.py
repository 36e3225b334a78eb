"""MGDN's window attention gives the same output, bit for bit, however many windows are attended at once
(`WINDOW_CHUNK`): chunks only group independent windows, and the masked windows of a shifted layout keep
their own chunks."""

from __future__ import annotations

import pytest
import torch

from fusion_bench.models.mgdn import window_attention
from fusion_bench.models.mgdn.window_attention import WindowAttention


@pytest.mark.parametrize("shifted", [False, True])
def test_window_chunks_do_not_change_the_output(monkeypatch: pytest.MonkeyPatch, shifted: bool) -> None:
    torch.manual_seed(3)
    attention = WindowAttention(channels=12, heads=3, window=4).eval()
    with torch.no_grad():
        attention.relative_position_bias_table.normal_(std=0.5)
    x = torch.randn(2, 16, 24, 12)  # 4 × 6 = 24 windows per image, 9 of them masked when shifted
    outputs = []
    for chunk in (4096, 5, 1):
        monkeypatch.setattr(window_attention, "WINDOW_CHUNK", chunk)
        with torch.inference_mode():
            outputs.append(attention(x, shifted))
    assert all(torch.equal(outputs[0], out) for out in outputs[1:])
    assert outputs[0].shape == x.shape
