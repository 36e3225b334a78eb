"""Seconds per plane of Kovesi's phase congruency (QP's core) with its per-pixel work compiled by Numba
(`fusion_bench/metrics/_phase_congruency_kernels.py`, what runs on the CPU) against the same steps as torch
expressions (`compiled=False`, the path for other devices), interleaved so both see the same load.

    FUSION_BENCH_DATA=../shared/data .venv/bin/python benchmarks/phase_congruency.py [--runs 3] [--threads 1]

Planes: the first channel of real images of the sizes an evaluation meets (a Lytro source, 520×520; MEFB
sources of 536×356, with its 89-point FFT axis, and 1200×800). Prints the median seconds of each path,
their ratio, and the largest difference of the three maps (pc, M, m) relative to each map's maximum.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from fusion_bench.io.images import read_image
from fusion_bench.metrics.phase_congruency import _phase_congruency_plane, phase_congruency_bank

PLANES = {"Lytro lytro_01 (520×520)": ("Lytro/A", "lytro_01"),
          "MEFB Arno (536×356)": ("MEFB/input/Arno", "Arno_A"),
          "MEFB ICCV_09 (1200×800)": ("MEFB/input/ICCV_09", "ICCV_09_A")}


def plane(data: Path, folder: str, stem: str) -> torch.Tensor:
    found = sorted((data / folder).glob(f"{stem}.*"))
    if not found:
        raise SystemExit(f"{data / folder}: no {stem}.*")
    return read_image(found[0]).tensor[0, 0].to(torch.float64) * 255


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    data = os.environ.get("FUSION_BENCH_DATA")
    if not data:
        raise SystemExit("set FUSION_BENCH_DATA to the folder holding Lytro/ and MEFB/ (e.g. ../shared/data)")
    torch.set_num_threads(args.threads)
    print(f"{args.threads} thread(s), median of {args.runs} runs per path")
    for label, (folder, stem) in PLANES.items():
        image = plane(Path(data), folder, stem)
        spectrum = torch.fft.fft2(image)
        bank = phase_congruency_bank(*image.shape)
        results = {flag: _phase_congruency_plane(spectrum, bank, compiled=flag) for flag in (True, False)}  # warm-up
        seconds: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.runs):
            for flag in (True, False):
                start = time.perf_counter()
                _phase_congruency_plane(spectrum, bank, compiled=flag)
                seconds[flag].append(time.perf_counter() - start)
        compiled, expressions = (statistics.median(seconds[flag]) for flag in (True, False))
        difference = max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(results[True], results[False]))
        print(f"{label:>26}: compiled {compiled:.3f} s, torch expressions {expressions:.3f} s "
              f"({expressions / compiled:.2f}×), max relative difference {difference:.1e}")


if __name__ == "__main__":
    main()
