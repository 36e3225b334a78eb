"""Speed and memory of `mgdn-mff` against an unfold-based formulation of its dynamic filter.

    FUSION_BENCH_WEIGHTS=../shared/weights FUSION_BENCH_DATA=../shared/data \\
        .venv/bin/python benchmarks/mgdn.py [--pairs 3] [--runs 3]

For each of the first `--pairs` Lytro pairs: one warm-up, then `--runs` timed fusions of our network and,
interleaved so both see the same machine load, of the same network whose per-pixel filter unfolds the
padded features into (N, C, k², H, W) and multiplies by the kernels (the formulation of the authors'
code, with the per-channel kernel copy replaced by broadcasting). Prints the median s/pair of each,
their ratio, the maximum difference of each output from the published reference for lytro_01, and the
peak RSS of a whole `fusion-bench fuse` process (ours) and of the same process with the baseline filter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from fusion_bench.io.images import read_image
from fusion_bench.models.mgdn import blocks
from fusion_bench.models.registry import create_method

REPO = Path(__file__).resolve().parent.parent


def unfold_dynamic_filter(features: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Baseline: (N, C, H, W), (N, k², H, W) → (N, C, H, W) through the unfolded (N, C, k², H, W) patches."""
    n, c, h, w = features.shape
    taps = kernels.shape[1]
    side = round(taps ** 0.5)
    radius = side // 2
    padded = F.pad(features, (radius, radius, radius, radius), mode="replicate")
    patches = F.unfold(padded, side).view(n, c, taps, h, w)
    return (patches * kernels[:, None]).sum(dim=2)


@contextlib.contextmanager
def baseline_filter() -> Iterator[None]:
    """Swap the network's filter for the unfold baseline while the context is open."""
    ours = blocks.dynamic_filter
    blocks.dynamic_filter = unfold_dynamic_filter
    try:
        yield
    finally:
        blocks.dynamic_filter = ours


def load_pair(data: Path, index: int) -> list[torch.Tensor]:
    name = f"lytro_{index:02d}.jpg"
    return [read_image(data / "Lytro" / side / name, channels="rgb").tensor for side in ("A", "B")]


def timed(fuser, sources: list[torch.Tensor]) -> tuple[float, float, torch.Tensor]:
    """(wall seconds, CPU seconds of this process, fused)."""
    start, cpu = time.perf_counter(), time.process_time()
    fused = fuser.fuse(sources)
    return time.perf_counter() - start, time.process_time() - cpu, fused


def peak_rss_mb(command: list[str]) -> float:
    """Peak RSS (MB) of `command` run as this process's only child, from the wrapper's rusage."""
    wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True)
    return int(result.stdout.split()[-1]) / 1024


def child_fuse_baseline(a: str, b: str, out: str) -> None:
    """`fusion-bench fuse --method mgdn-mff` in this process, with the baseline filter."""
    from fusion_bench.cli.main import main

    with baseline_filter():
        main(["fuse", "--method", "mgdn-mff", "--a", a, "--b", b, "--out", out])


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="Lytro pairs lytro_01 … (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per pair and variant (default 3)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice, the cores)")
    parser.add_argument("--reference", type=Path, help="lytro_01.npy of the published implementation")
    parser.add_argument("--child-baseline", nargs=3, metavar=("A", "B", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_baseline:
        child_fuse_baseline(*args.child_baseline)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # for the fuse subprocesses
    data = Path(os.environ.get("FUSION_BENCH_DATA", REPO.parent / "shared" / "data"))
    reference = args.reference or data.parent / "reference" / "mgdn_mff" / "lytro_01.npy"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load average {load_average()}")
    fuser = create_method("mgdn-mff")
    ours, baseline, ours_cpu, baseline_cpu = [], [], [], []
    for index in range(1, args.pairs + 1):
        sources = load_pair(data, index)
        fuser.fuse(sources)
        with baseline_filter():
            fuser.fuse(sources)
        for _ in range(args.runs):
            seconds, cpu, fused = timed(fuser, sources)
            ours.append(seconds)
            ours_cpu.append(cpu)
            with baseline_filter():
                seconds, cpu, fused_baseline = timed(fuser, sources)
            baseline.append(seconds)
            baseline_cpu.append(cpu)
        if index == 1 and reference.is_file():
            expected = torch.from_numpy(np.load(reference))
            print(f"lytro_01 max |output - reference|: ours {(fused[0] - expected).abs().max().item():.2e}, "
                  f"baseline {(fused_baseline[0] - expected).abs().max().item():.2e}")
        print(f"lytro_{index:02d}: ours {statistics.median(ours[-args.runs:]):.2f} s, "
              f"baseline {statistics.median(baseline[-args.runs:]):.2f} s", flush=True)
    ours_s, baseline_s = statistics.median(ours), statistics.median(baseline)
    print(f"s/pair (median of {len(ours)}): ours {ours_s:.2f}, unfold baseline {baseline_s:.2f}, "
          f"speed-up {baseline_s / ours_s:.2f}x")
    ours_c, baseline_c = statistics.median(ours_cpu), statistics.median(baseline_cpu)
    print(f"CPU s/pair (median): ours {ours_c:.2f}, unfold baseline {baseline_c:.2f}, ratio {baseline_c / ours_c:.2f}x")
    pair = [str(data / "Lytro" / side / "lytro_01.jpg") for side in ("A", "B")]
    out = "/tmp/fusion_bench_mgdn_benchmark.png"
    cli = [str(Path(sys.executable).with_name("fusion-bench")), "fuse", "--method", "mgdn-mff",
           "--a", pair[0], "--b", pair[1], "--out", out]
    ours_rss = peak_rss_mb(cli)
    baseline_rss = peak_rss_mb([sys.executable, __file__, "--child-baseline", *pair, out])
    print(f"peak RSS of the whole fuse process (520x520): ours {ours_rss:.0f} MB, unfold baseline "
          f"{baseline_rss:.0f} MB")
    print(f"load average at the end {load_average()}")


if __name__ == "__main__":
    main()
