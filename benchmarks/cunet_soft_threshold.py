"""Seconds of a CU-Net forward (`cunet-mef`, random weights, one thread) with the soft threshold in the
upstream form sign(x)·relu(|x| − θ) (five passes over each 64-channel map) against ours
(`cunet.soft_threshold`: one `softshrink` pass when no gradient is wanted), interleaved so both see the
same load. Prints the median of each, their ratio, and whether the outputs are equal (they should be:
the two forms differ only in the sign of zeros).

    .venv/bin/python benchmarks/cunet_soft_threshold.py [--runs 3] [--size 400x600]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.models.ports import cunet


def _upstream(x: torch.Tensor, threshold: torch.Tensor, overwrite: bool = False) -> torch.Tensor:
    """The upstream form; `overwrite` (ours may write into x) is accepted and ignored."""
    return torch.sign(x) * torch.relu(x.abs() - threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="400x600", help="height x width of the two RGB sources")
    args = parser.parse_args()
    keep_freed_memory()  # as the evaluation workers do
    torch.set_num_threads(1)
    height, width = (int(v) for v in args.size.split("x"))
    generator = torch.Generator().manual_seed(0)
    network = cunet.CUNet().eval()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02 if parameter.dim() > 1
                            else torch.full(parameter.shape, 0.01))
    x, y = (torch.rand(1, 3, height, width, generator=generator) for _ in range(2))
    forms: dict[str, Callable[..., torch.Tensor]] = {
        "upstream": _upstream, "ours": cunet.soft_threshold}
    seconds: dict[str, list[float]] = {name: [] for name in forms}
    outputs: dict[str, torch.Tensor] = {}
    original = cunet.soft_threshold
    try:
        with torch.inference_mode():
            for run in range(args.runs + 1):  # the first round warms up
                for name, form in forms.items():
                    cunet.soft_threshold = form
                    start = time.perf_counter()
                    outputs[name] = network(x, y)
                    if run:
                        seconds[name].append(time.perf_counter() - start)
    finally:
        cunet.soft_threshold = original
    upstream, ours = (statistics.median(seconds[name]) for name in forms)
    print(f"CU-Net forward at {height}×{width}, 1 thread, median of {args.runs}: upstream soft threshold "
          f"{upstream:.2f} s, ours {ours:.2f} s (×{upstream / ours:.2f}); outputs equal: "
          f"{torch.equal(outputs['upstream'], outputs['ours'])}")


if __name__ == "__main__":
    main()
