"""Seconds of a CU-Net forward (`cunet-mef`, random weights, one thread) with the soft threshold in the
upstream form sign(x)·relu(|x| − θ) (five passes over each 64-channel map) against ours
(`cunet.soft_threshold`: one `softshrink` pass when no gradient is wanted), interleaved so both see the
same load. Prints the median of each, their ratio, and whether the outputs are equal (they should be:
the two forms differ only in the sign of zeros).

    .venv/bin/python benchmarks/cunet_soft_threshold.py [--runs 3] [--size 400x600]
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from _ab import interleaved_medians, parse_runs_and_size, random_cunet, use_worker_settings

from fusion_bench.models.ports import cunet


def _upstream(x: torch.Tensor, threshold: torch.Tensor, overwrite: bool = False) -> torch.Tensor:
    """The upstream form; `overwrite` (ours may write into x) is accepted and ignored."""
    return torch.sign(x) * torch.relu(x.abs() - threshold)


def main() -> None:
    runs, height, width = parse_runs_and_size(__doc__, "400x600")
    use_worker_settings()
    generator = torch.Generator().manual_seed(0)
    network = random_cunet(generator)
    x, y = (torch.rand(1, 3, height, width, generator=generator) for _ in range(2))
    original = cunet.soft_threshold

    def forward_with(form: Callable[..., torch.Tensor]) -> Callable[[], torch.Tensor]:
        def run() -> torch.Tensor:
            cunet.soft_threshold = form
            return network(x, y)
        return run

    try:
        medians, outputs = interleaved_medians({"upstream": forward_with(_upstream), "ours": forward_with(original)},
                                               runs)
    finally:
        cunet.soft_threshold = original
    upstream, ours = medians["upstream"], medians["ours"]
    print(f"CU-Net forward at {height}×{width}, 1 thread, median of {runs}: upstream soft threshold "
          f"{upstream:.2f} s, ours {ours:.2f} s (×{upstream / ours:.2f}); outputs equal: "
          f"{torch.equal(outputs['upstream'], outputs['ours'])}")


if __name__ == "__main__":
    main()
