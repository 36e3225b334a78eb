"""`make reproduce-table`: run every registered method on every available benchmark and write leaderboard/.

Usage: python scripts/reproduce_table.py [--results DIR] [--out leaderboard] [--workers N] [--datasets D,..]
       [--methods M,..] [--metrics X,..] [--storage imwrite|lossless]
Fused images are stored as each dataset's benchmark stores them (`imwrite` for MEFB, Lytro, MFFW; `lossless`
for SICE, RealMFF), unless --storage names one protocol for all; MGDN's images are also scored on EN, SD
and SF under the other protocol.
Set-up (venv, install) is done by make; data and weights come from FUSION_BENCH_DATA / FUSION_BENCH_WEIGHTS
or the FUSION_BENCH_HOME cache.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fusion_bench.errors import FusionBenchError
from fusion_bench.evaluation.reproduce import DATASETS, reproduce
from fusion_bench.io.storage import STORAGE_PROTOCOLS
from fusion_bench.paths import results_dir

REPO = Path(__file__).resolve().parent.parent


class OneLineErrors(argparse.ArgumentParser):
    """A usage error is one `error:` line and exit code 2, as in `fusion-bench`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def main() -> int:
    parser = OneLineErrors(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=None, help="results folder (default FUSION_BENCH_HOME/results)")
    parser.add_argument("--out", type=Path, default=REPO / "leaderboard", help="leaderboard folder")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the CPU cores)")
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated (default {','.join(DATASETS)})")
    parser.add_argument("--methods", default=None, help="comma-separated registered methods (default: all)")
    parser.add_argument("--metrics", default=None, help="comma-separated metrics (default: MEFB's 20)")
    parser.add_argument("--storage", choices=STORAGE_PROTOCOLS, default=None,
                        help="store every dataset's fused images this way (default: as each dataset's benchmark "
                             "stores them)")
    args = parser.parse_args()
    methods = args.methods.split(",") if args.methods else None
    try:
        failed = len(reproduce(args.results or results_dir(), args.out, args.workers, args.datasets.split(","),
                               methods, args.metrics.split(",") if args.metrics else None,
                               args.storage).failed_images)
    except FusionBenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; re-run to resume (finished images are kept)", file=sys.stderr)
        return 130
    if failed:
        print(f"{failed} images failed (listed above, recorded in the results); the leaderboard shows the rest",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
