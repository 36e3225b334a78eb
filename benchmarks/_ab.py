"""What the A/B scripts comparing forms of one computation share (`cunet_*.py`, `u2fusion_*.py`, and for the
workers' settings `mgdn_window_chunk.py`): the evaluation workers' settings, timing the forms interleaved,
and a CU-Net with random weights."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.models.ports.cunet import CUNet


def parse_runs_and_size(description: str, default_size: str) -> tuple[int, int, int]:
    """The scripts' command line, `[--runs 3] [--size HxW]` → (runs, height, width)."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default=default_size, help="height x width of the sources")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    return args.runs, height, width


def use_worker_settings() -> None:
    """The evaluation workers' allocator settings and one torch thread."""
    keep_freed_memory()
    torch.set_num_threads(1)


def interleaved_medians(forms: dict[str, Callable[[], torch.Tensor]],
                        runs: int) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
    """Run every form once per round, `runs` rounds after a warm-up round, without autograd, so that all
    forms see the same load. → (median seconds per form, each form's last output)."""
    seconds: dict[str, list[float]] = {name: [] for name in forms}
    outputs: dict[str, torch.Tensor] = {}
    with torch.inference_mode():
        for run in range(runs + 1):
            for name, form in forms.items():
                start = time.perf_counter()
                outputs[name] = form()
                if run:
                    seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in seconds.items()}, outputs


def random_cunet(generator: torch.Generator) -> CUNet:
    """CU-Net in eval mode, conv weights N(0, 0.02²), thresholds 0.01 (the published weights are not needed
    to time it)."""
    network = CUNet().eval()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02 if parameter.dim() > 1
                            else torch.full(parameter.shape, 0.01))
    return network
