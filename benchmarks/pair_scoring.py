"""Seconds to score several fused images of one pair, as an evaluation does: the first image pays for what
the metrics compute from the two sources (QP's phase congruency, QCB's masked contrast, the windowed
moments of the SSIM-type metrics, ...), the next ones reuse it (`fusion_bench/metrics/_source_cache.py`).

    FUSION_BENCH_DATA=../shared/data .venv/bin/python benchmarks/pair_scoring.py [--pair lytro_01]
        [--threads 1] [--no-cache] [--allocator keep|default]

Sources: a Lytro pair (full size, 520×520 RGB). Fused images, in this order: the rounded pixel average, the
pixel maximum, the rounded average again as a new tensor (equal contents, so QC and QY also find its
fused-image maps: the second image is the one to read for a new image). Each of MEFB's 20 metrics is
called alone, as `fusion-bench evaluate` calls them, and timed; the total and the slowest metrics are
printed per image. `--no-cache` switches every metric's cache off, which is what scoring method by method
(a cache holding a few pairs, always cold) amounted to. `--allocator default` leaves glibc's allocator as it
is; `keep` (the default, what `fusion-bench evaluate` does in its workers) applies
`fusion_bench/evaluation/allocator.py`. Run it once each way to compare.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.io.images import read_image
from fusion_bench.metrics._source_cache import set_source_caching
from fusion_bench.metrics.registry import compute_metrics, mefb_metric_names


def lytro_pair(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    data = os.environ.get("FUSION_BENCH_DATA")
    if not data:
        raise SystemExit("set FUSION_BENCH_DATA to the folder holding Lytro/ (e.g. ../shared/data)")
    folder = Path(data) / "Lytro"
    found = [sorted((folder / side).glob(f"{name}.*")) for side in ("A", "B")]
    if not all(found):
        raise SystemExit(f"{folder}: no {name}.* under A/ and B/")
    return read_image(found[0][0]).tensor, read_image(found[1][0]).tensor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pair", default="lytro_01")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-cache", action="store_true", help="switch the source-feature caches off")
    parser.add_argument("--allocator", choices=("keep", "default"), default="keep",
                        help="keep: the evaluation workers' allocator settings; default: glibc's own")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.allocator == "keep":
        keep_freed_memory()
    if args.no_cache:
        set_source_caching(False)
    a, b = lytro_pair(args.pair)
    average = torch.round((a + b) / 2 * 255) / 255
    fused_images = {"average": average, "maximum": torch.maximum(a, b), "average again": average.clone()}
    print(f"{args.pair} {tuple(a.shape)}, {args.threads} thread(s), source caches {'off' if args.no_cache else 'on'}, "
          f"allocator {args.allocator}")
    for label, fused in fused_images.items():
        seconds = {}
        for name in mefb_metric_names():
            start = time.perf_counter()
            compute_metrics([a, b], fused, [name])
            seconds[name] = time.perf_counter() - start
        slowest = sorted(seconds.items(), key=lambda item: -item[1])[:5]
        print(f"{label:>14}: {sum(seconds.values()):.2f} s  (" + ", ".join(f"{n} {s:.2f}" for n, s in slowest) + ")")


if __name__ == "__main__":
    main()
