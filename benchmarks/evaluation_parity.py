"""Parity and cost of the evaluation engine: reproduce's work (every available registered method, MFIFB's
published outputs, MGDN's evidence scorings) on the first pairs of some datasets, run by whichever engine
the checkout on PYTHONPATH has, into a fresh results folder; prints CPU and wall seconds. Run it once with
the old engine's checkout and once with the new one, then compare the two tables with `--compare`:

    PYTHONPATH=<old checkout> python benchmarks/evaluation_parity.py --out /tmp/old --pairs Lytro=3,SICE=2
    PYTHONPATH=<new checkout> python benchmarks/evaluation_parity.py --out /tmp/new --pairs Lytro=3,SICE=2
    python benchmarks/evaluation_parity.py --compare /tmp/old /tmp/new

`--pairs Lytro=20,SICE=5` is the whole of both. Two processes by default (the old engine's `workers`, the
new one's CPU `devices`), one torch thread each.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

KEY = ["method", "dataset", "image", "metric", "convention", "storage", "provenance", "source", "config_hash"]
IGNORED = ("fuse_seconds", "score_seconds", "fused_path", "timestamp", "code_version")


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(out: Path, pairs: dict[str, int], processes: int) -> None:
    from fusion_bench.evaluation import runner
    from fusion_bench.evaluation.evaluate import plan_jobs
    from fusion_bench.evaluation.reproduce import evidence_jobs, prepare
    from fusion_bench.metrics.registry import mefb_metric_names

    plan = prepare(list(pairs))
    views = [replace(view, pairs=view.pairs[:pairs[view.name]]) for view in plan.views]
    jobs, _ = plan_jobs(plan.methods, views, mefb_metric_names(), out, published=True)
    start_wall, start_cpu = time.perf_counter(), _cpu_seconds()
    if hasattr(runner, "Devices"):  # the Lightning loop: main and evidence jobs in one run
        summary = runner.run_jobs(jobs + evidence_jobs(jobs, out), runner.Devices("cpu", processes), progress=False)
        if not summary.main_process:  # Lightning's other ranks are not this process's children: each says its own
            print(f"another rank: {_cpu_seconds() - start_cpu:.1f} s CPU")
            return
    else:  # the process pool: evidence after the main jobs, as its reproduce did
        runner.run_jobs(jobs, workers=processes, progress=False)
        runner.run_jobs(evidence_jobs(jobs, out), workers=processes, progress=False)
    wall, cpu = time.perf_counter() - start_wall, _cpu_seconds() - start_cpu
    from fusion_bench.results.store import export_results

    export_results(out)
    print(f"{len(plan.methods)} methods, {len(jobs)} main jobs: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(this process and its children; under the new engine add the other ranks' lines)")


def compare(old: Path, new: Path) -> int:
    import pandas as pd

    tables = []
    for folder in (old, new):
        table = pd.read_csv(folder / "results.csv", keep_default_na=False, dtype=str)
        duplicates = int(table.duplicated(KEY).sum())
        if duplicates:
            print(f"{folder}: {duplicates} duplicated rows")
            return 1
        tables.append(table.drop(columns=list(IGNORED)).sort_values(KEY).reset_index(drop=True))
    left, right = tables
    if len(left) != len(right) or not left[KEY].equals(right[KEY]):
        print(f"different rows: {len(left)} vs {len(right)}")
        return 1
    differing = left.ne(right).any(axis=1)
    print(f"{len(left)} rows, {int(differing.sum())} differ (values compared as written, exactly)")
    if differing.any():
        print(pd.concat([left[differing].head(20), right[differing].head(20)]).to_string())
    return int(differing.any())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--pairs", default="Lytro=3,SICE=2", help="DATASET=first N pairs, comma-separated")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    pairs = {name: int(count) for name, count in (item.split("=") for item in args.pairs.split(","))}
    from fusion_bench.evaluation.worker import limit_threads

    limit_threads(1)
    run(args.out, pairs, args.processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
