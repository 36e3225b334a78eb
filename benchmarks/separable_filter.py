"""Seconds of Matlab `filter2(taps' * taps, x, mode)` for a separable Gaussian window on float64 planes:
the compiled rows/columns passes (`fusion_bench/metrics/_filter_kernels.py`, what runs on the CPU) against
the banded matrix products (`compiled=False`, the path for other devices), interleaved so both see the
same load.

    .venv/bin/python benchmarks/separable_filter.py [--runs 5] [--threads 1]

Planes: 15 planes of 1200×800 (the largest MEFB size; QP filters 15 maps per channel of a fused image)
and 15 of 520×520 (Lytro), random values 0–255; windows of 11 taps (QP, QY's 'valid' Gaussian) and 17 taps
(VIF's first scale). Prints the median seconds of each path, their ratio, and their largest relative
difference (the two sum the same products in different orders).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.metrics._filters import filter2_separable, gaussian_taps

CASES = [((15, 800, 1200), 11, 1.5, "same"), ((15, 800, 1200), 17, 17 / 5, "valid"),
         ((15, 520, 520), 11, 1.5, "same"), ((15, 520, 520), 17, 17 / 5, "valid")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    keep_freed_memory()  # as the evaluation workers do: freed buffers are reused, not faulted in again
    torch.set_num_threads(args.threads)
    print(f"{args.threads} thread(s), median of {args.runs} runs per path")
    generator = torch.Generator().manual_seed(0)
    for shape, n, sigma, mode in CASES:
        x = torch.rand(*shape, generator=generator, dtype=torch.float64) * 255
        taps = gaussian_taps(n, sigma)
        results = {flag: filter2_separable(x, taps, mode, compiled=flag) for flag in (True, False)}  # warm-up
        seconds: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.runs):
            for flag in (True, False):
                start = time.perf_counter()
                filter2_separable(x, taps, mode, compiled=flag)
                seconds[flag].append(time.perf_counter() - start)
        compiled, matrices = (statistics.median(seconds[flag]) for flag in (True, False))
        difference = float((results[True] - results[False]).abs().max() / results[False].abs().max())
        label = f"{shape[0]}×{shape[1]}×{shape[2]}, {n} taps '{mode}'"
        print(f"{label:>32}: compiled {compiled:.3f} s, matrix products {matrices:.3f} s "
              f"(×{matrices / compiled:.2f}); largest relative difference {difference:.1e}")


if __name__ == "__main__":
    main()
