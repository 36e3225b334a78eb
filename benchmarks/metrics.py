"""Seconds per 512×512 RGB image of every registered metric, torch against a straightforward NumPy/SciPy
version of the same formulas, in the same run.

    FUSION_BENCH_DATA=../shared/data .venv/bin/python benchmarks/metrics.py [--runs 3] [--threads 1]
        [--metrics EN,SF,...] [--skip-numpy]

The image: the 512×512 top-left crop of Lytro pair 01 (sources) and their pixel average rounded to 8 bits
(fused) when FUSION_BENCH_DATA is set, else smoothed noise of that size. For each metric: one warm-up,
then `--runs` timed calls of the torch functional form (MEFB convention) and of the NumPy version
(`metrics_numpy_information.py`, `metrics_numpy_structure.py`), interleaved so both see the same machine
load; the median seconds, their ratio and the largest relative difference of the values are printed.
Per-metric torch times exclude input validation and the conversion to 0–255 planes, which a run over
many metrics does once per image (`conventions.shared_planes`); that cost is printed separately. Then the
full set through `compute_metrics` (what `fusion-bench evaluate` calls), torch only, and the sum
of the NumPy medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fusion_bench.io.images import read_image, to_uint8  # noqa: E402
from fusion_bench.metrics.conventions import shared_planes  # noqa: E402
from fusion_bench.metrics.registry import compute_metrics, list_metrics  # noqa: E402

SIZE = 512


def numpy_metrics() -> dict[str, Callable[[list[np.ndarray], np.ndarray], float]]:
    """The NumPy baselines that exist (metrics B's module may be absent in a partial checkout)."""
    table: dict[str, Callable[[list[np.ndarray], np.ndarray], float]] = {}
    for module_name in ("metrics_numpy_information", "metrics_numpy_structure"):
        try:
            module = __import__(module_name)
        except ModuleNotFoundError:
            continue
        table.update(module.NUMPY_METRICS)
    return table


def benchmark_images() -> tuple[list[torch.Tensor], torch.Tensor, str]:
    data = os.environ.get("FUSION_BENCH_DATA")
    if data and Path(data, "Lytro", "A", "lytro_01.jpg").is_file():
        sources = [read_image(Path(data, "Lytro", side, "lytro_01.jpg")).tensor[..., :SIZE, :SIZE] for side in "AB"]
        origin = "Lytro pair 01, top-left 512×512 crop; fused = rounded pixel average"
    else:
        generator = torch.Generator().manual_seed(0)
        noise = torch.rand(2, 3, SIZE + 6, SIZE + 6, generator=generator)
        smooth = torch.nn.functional.avg_pool2d(noise, 7, stride=1)
        sources = [torch.round(smooth[i:i + 1] * 255) / 255 for i in range(2)]
        origin = "smoothed noise (FUSION_BENCH_DATA not set)"
    fused = torch.floor((sources[0] + sources[1]) / 2 * 255 + 0.5) / 255
    return sources, fused, origin


def timed(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--metrics", help="comma-separated subset (default: every registered metric)")
    parser.add_argument("--skip-numpy", action="store_true", help="time torch only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    sources, fused, origin = benchmark_images()
    arrays = [to_uint8(s) for s in sources]
    fused_array = to_uint8(fused)
    baselines = {} if args.skip_numpy else numpy_metrics()
    specs = [spec for spec in list_metrics() if not args.metrics or spec.name in args.metrics.split(",")]
    print(f"image: {origin}; torch {torch.__version__}, {args.threads} thread(s), {os.cpu_count()} CPUs, "
          f"median of {args.runs} runs")
    print(f"{'metric':<9} {'torch s':>9} {'numpy s':>9} {'numpy/torch':>11} {'max rel diff':>12}")
    torch_total = numpy_total = 0.0
    for spec in specs:
        baseline = baselines.get(spec.name)
        spec.function(sources, fused)
        if baseline is not None:
            baseline(arrays, fused_array)
        torch_times, numpy_times, differences = [], [], []
        for _ in range(args.runs):
            seconds, value = timed(lambda: spec.function(sources, fused))
            torch_times.append(seconds)
            if baseline is not None:
                seconds_np, value_np = timed(lambda: baseline(arrays, fused_array))
                numpy_times.append(seconds_np)
                ours = float(value[0])  # type: ignore[index]
                differences.append(abs(ours - value_np) / max(abs(value_np), 1e-300))
        torch_median = statistics.median(torch_times)
        torch_total += torch_median
        if numpy_times:
            numpy_median = statistics.median(numpy_times)
            numpy_total += numpy_median
            print(f"{spec.name:<9} {torch_median:>9.4f} {numpy_median:>9.4f} {numpy_median / torch_median:>11.1f} "
                  f"{max(differences):>12.1e}")
        else:
            print(f"{spec.name:<9} {torch_median:>9.4f} {'-':>9} {'-':>11} {'-':>12}")
    names = [spec.name for spec in specs]
    prepare = statistics.median(
        timed(lambda: shared_planes("benchmark", [s.clone() for s in sources], fused.clone(), "mefb"))[0]
        for _ in range(args.runs))
    print(f"validation + 0–255 planes, once per image and convention (not in the per-metric times): {prepare:.4f} s")
    compute_metrics(sources, fused, names)
    full = statistics.median(timed(lambda: compute_metrics(sources, fused, names))[0] for _ in range(args.runs))
    print(f"full set ({len(names)} metrics) via compute_metrics: {full:.3f} s/image "
          f"(sum of per-metric medians {torch_total:.3f} s)")
    if numpy_total:
        print(f"NumPy baselines, sum of medians: {numpy_total:.3f} s/image; ratio {numpy_total / torch_total:.1f}")


if __name__ == "__main__":
    main()
