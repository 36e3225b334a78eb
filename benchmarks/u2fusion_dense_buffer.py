"""Seconds of U2Fusion's network (`u2fusion-port`, random weights, one thread) with the upstream dense block
(each layer concatenates its output to a growing copy) against ours (without autograd, every layer writes
into its channels of one buffer: `U2FusionDenseNet._dense_into_one_buffer`), interleaved so both see the
same load. Prints the median of each, their ratio, and whether the outputs are equal (they should be).

    .venv/bin/python benchmarks/u2fusion_dense_buffer.py [--runs 3] [--size 800x1200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.models.ports.u2fusion import U2FusionDenseNet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="800x1200", help="height x width of the two Y planes")
    args = parser.parse_args()
    keep_freed_memory()  # as the evaluation workers do
    torch.set_num_threads(1)
    height, width = (int(v) for v in args.size.split("x"))
    torch.manual_seed(0)
    network = U2FusionDenseNet().eval()
    over, under = (torch.rand(1, 1, height, width) * 2 - 1 for _ in range(2))

    def upstream() -> torch.Tensor:
        return network.sub(network.dense_layers(network.conv_1(torch.cat([over, under], dim=1))))

    forms = {"concatenation": upstream, "one buffer": lambda: network(over, under)}
    seconds: dict[str, list[float]] = {name: [] for name in forms}
    outputs: dict[str, torch.Tensor] = {}
    with torch.inference_mode():
        for run in range(args.runs + 1):  # the first round warms up
            for name, form in forms.items():
                start = time.perf_counter()
                outputs[name] = form()
                if run:
                    seconds[name].append(time.perf_counter() - start)
    old, new = (statistics.median(seconds[name]) for name in forms)
    print(f"U2Fusion network at {height}×{width}, 1 thread, median of {args.runs}: concatenation {old:.2f} s, "
          f"one buffer {new:.2f} s (×{old / new:.2f}); outputs equal: "
          f"{torch.equal(outputs['concatenation'], outputs['one buffer'])}")


if __name__ == "__main__":
    main()
