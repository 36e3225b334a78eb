"""Exponential moving average of a network's weights (the copy MGDN's authors evaluate and ship).

    ema ← d_t · ema + (1 − d_t) · θ,  d_t = min(decay, (1 + t) / (10 + t))

The warm-up d_t keeps the average from being dominated by the random initialisation in early steps.
Buffers (e.g. cached masks) are copied, not averaged.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def make_ema_copy(network: nn.Module) -> nn.Module:
    """A frozen deep copy of `network` in eval mode, to be updated by `update_ema`."""
    ema = copy.deepcopy(network)
    ema.requires_grad_(False)
    return ema.eval()


@torch.no_grad()
def update_ema(ema: nn.Module, network: nn.Module, decay: float, step: int) -> None:
    """One EMA step (formula in the module docstring); `step` is the number of optimiser steps taken."""
    rate = min(decay, (1.0 + step) / (10.0 + step))
    for average, current in zip(ema.parameters(), network.parameters()):
        average.lerp_(current.detach(), 1.0 - rate)
    for average, current in zip(ema.buffers(), network.buffers()):
        average.copy_(current)
