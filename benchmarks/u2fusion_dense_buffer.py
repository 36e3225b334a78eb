"""Seconds of U2Fusion's network (`u2fusion-port`, random weights, one thread) with the upstream dense block
(each layer concatenates its output to a growing copy) against ours (without autograd, every layer writes
into its channels of one buffer: `U2FusionDenseNet._dense_into_one_buffer`), interleaved so both see the
same load. Prints the median of each, their ratio, and whether the outputs are equal (they should be).

    .venv/bin/python benchmarks/u2fusion_dense_buffer.py [--runs 3] [--size 800x1200]
"""

from __future__ import annotations


import torch
from _ab import interleaved_medians, parse_runs_and_size, use_worker_settings

from fusion_bench.models.ports.u2fusion import U2FusionDenseNet


def main() -> None:
    runs, height, width = parse_runs_and_size(__doc__, "800x1200")
    use_worker_settings()
    torch.manual_seed(0)
    network = U2FusionDenseNet().eval()
    over, under = (torch.rand(1, 1, height, width) * 2 - 1 for _ in range(2))

    def upstream() -> torch.Tensor:
        return network.sub(network.dense_layers(network.conv_1(torch.cat([over, under], dim=1))))

    medians, outputs = interleaved_medians({"concatenation": upstream, "one buffer": lambda: network(over, under)},
                                           runs)
    old, new = medians["concatenation"], medians["one buffer"]
    print(f"U2Fusion network at {height}×{width}, 1 thread, median of {runs}: concatenation {old:.2f} s, "
          f"one buffer {new:.2f} s (×{old / new:.2f}); outputs equal: "
          f"{torch.equal(outputs['concatenation'], outputs['one buffer'])}")


if __name__ == "__main__":
    main()
