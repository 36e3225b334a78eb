"""Cost of the W&B log that `fusion-bench evaluate` / `reproduce` write after their results are stored
(`fusion_bench.leaderboard.wandb_tables.log_results`), against the evaluation it follows.

    FUSION_BENCH_DATA=../shared/data .venv/bin/python benchmarks/wandb_logging.py [--images 200]

Builds a results table of `--images` rows per metric whose fused files are real MEFB-sized images (the
shared copy's published MEFB outputs, repeated), logs it offline into a scratch folder and reports the
seconds per image row, beside the cold run's recorded scoring cost per MEFB image (2.7 s, README) and
the ratio of the two. Offline, in a temporary WANDB_DIR.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import pandas as pd

SCORING_SECONDS_PER_MEFB_IMAGE = 2.7  # README, cold `make reproduce-table` at 68e4fc1 (scoring alone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200, help="image rows to log (default 200)")
    args = parser.parse_args()
    data = Path(os.environ.get("FUSION_BENCH_DATA", "../shared/data"))
    files = sorted((data / "MEFB" / "output" / "fused_images").glob("*"))
    if not files:
        raise SystemExit(f"error: no MEFB published fused images under {data}; set FUSION_BENCH_DATA")
    from fusion_bench.metrics.registry import mefb_metric_names

    metrics = mefb_metric_names()
    rows = []
    for index, path in enumerate(islice(cycle(files), args.images)):
        for metric in metrics:
            rows.append({"method": f"m{index % 20}", "dataset": "MEFB", "image": f"img{index // 20:03d}",
                         "metric": metric, "convention": "mefb", "storage": "imwrite", "value": 0.5,
                         "config_hash": "h", "code_version": "v", "fuse_seconds": 0.0, "score_seconds": 0.0,
                         "fused_path": str(path), "provenance": "run here", "source": "", "error": "",
                         "timestamp": "2026-12-05T00:00:00+00:00"})
    results = pd.DataFrame(rows)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(WANDB_MODE="offline", WANDB_DIR=scratch, WANDB_DATA_DIR=scratch)
        from fusion_bench.leaderboard.wandb_tables import log_results

        start = time.perf_counter()
        log_results(results, ["MEFB"], job="benchmark", config={})
        seconds = time.perf_counter() - start
    per_image = seconds / args.images
    print(f"{args.images} image rows x {len(metrics)} metrics ({len(files)} distinct MEFB files): "
          f"{seconds:.1f} s to log, {per_image * 1000:.0f} ms per image row; "
          f"scoring one MEFB image costs {SCORING_SECONDS_PER_MEFB_IMAGE} s, so the log adds "
          f"{100 * per_image / SCORING_SECONDS_PER_MEFB_IMAGE:.2f} % (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
