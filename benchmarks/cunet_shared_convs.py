"""Seconds of a CU-Net forward (`cunet-mef`, random weights, one thread) in the upstream form (conv_u(u) and
the decoder's conv_1(u), likewise for v, as four 64→3 convolutions) against ours (`CUNet.forward`: each code's
two convolutions as one 64→6 convolution, `cunet.same_input_convs`), interleaved so both see the same load.
Prints the median of each, their ratio, and whether the outputs are equal (they should be).

    .venv/bin/python benchmarks/cunet_shared_convs.py [--runs 3] [--size 800x1200]
"""

from __future__ import annotations


import torch
from _ab import interleaved_medians, parse_runs_and_size, random_cunet, use_worker_settings

from fusion_bench.models.ports.cunet import CUNet


def upstream_forward(network: CUNet, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CU-Net's forward as the authors wrote it (`CUNet` in their model file)."""
    u, v = network.net_u(x), network.net_v(y)
    z = network.net_z(torch.cat([x - network.conv_u(u), y - network.conv_v(v)], dim=1))
    return network.decoder(u, v, z)


def main() -> None:
    runs, height, width = parse_runs_and_size(__doc__, "800x1200")
    use_worker_settings()
    generator = torch.Generator().manual_seed(0)
    network = random_cunet(generator)
    x, y = (torch.rand(1, 3, height, width, generator=generator) for _ in range(2))
    medians, outputs = interleaved_medians(
        {"upstream": lambda: upstream_forward(network, x, y), "shared convs": lambda: network(x, y)}, runs)
    old, new = medians["upstream"], medians["shared convs"]
    print(f"CU-Net forward at {height}×{width}, 1 thread, median of {runs}: upstream {old:.2f} s, "
          f"shared convs {new:.2f} s (×{old / new:.2f}); outputs equal: "
          f"{torch.equal(outputs['upstream'], outputs['shared convs'])}")


if __name__ == "__main__":
    main()
