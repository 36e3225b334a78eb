"""Seconds of a CU-Net forward (`cunet-mef`, random weights, one thread) in the upstream form (conv_u(u) and
the decoder's conv_1(u), likewise for v, as four 64→3 convolutions) against ours (`CUNet.forward`: each code's
two convolutions as one 64→6 convolution, `cunet.same_input_convs`), interleaved so both see the same load.
Prints the median of each, their ratio, and whether the outputs are equal (they should be).

    .venv/bin/python benchmarks/cunet_shared_convs.py [--runs 3] [--size 800x1200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.models.ports.cunet import CUNet


def upstream_forward(network: CUNet, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CU-Net's forward as the authors wrote it (`CUNet` in their model file)."""
    u, v = network.net_u(x), network.net_v(y)
    z = network.net_z(torch.cat([x - network.conv_u(u), y - network.conv_v(v)], dim=1))
    return network.decoder(u, v, z)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="800x1200", help="height x width of the two RGB sources")
    args = parser.parse_args()
    keep_freed_memory()  # as the evaluation workers do
    torch.set_num_threads(1)
    height, width = (int(v) for v in args.size.split("x"))
    generator = torch.Generator().manual_seed(0)
    network = CUNet().eval()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02 if parameter.dim() > 1
                            else torch.full(parameter.shape, 0.01))
    x, y = (torch.rand(1, 3, height, width, generator=generator) for _ in range(2))
    forms = {"upstream": lambda: upstream_forward(network, x, y), "shared convs": lambda: network(x, y)}
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
    print(f"CU-Net forward at {height}×{width}, 1 thread, median of {args.runs}: upstream {old:.2f} s, "
          f"shared convs {new:.2f} s (×{old / new:.2f}); outputs equal: "
          f"{torch.equal(outputs['upstream'], outputs['shared convs'])}")


if __name__ == "__main__":
    main()
