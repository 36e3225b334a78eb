"""`fusion-bench sweep SWEEP.yaml [--count N] [--dir DIR] [--storage URL] [--check]`: run a W&B sweep file
offline with Optuna (SQLite storage shared by every process pointing at it), or only check it."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sweep", help="run a W&B sweep file offline (Optuna)", description=__doc__)
    parser.add_argument("sweep", type=Path, help="sweep YAML in W&B's format, e.g. experiments/sweeps/tiny.yaml")
    parser.add_argument("--count", type=int, default=1, help="trials to run in this process (default 1)")
    parser.add_argument("--dir", type=Path, help="sweep folder (default FUSION_BENCH_HOME/sweeps/<name>)")
    parser.add_argument("--storage", help="Optuna storage URL (default sqlite:///<dir>/study.db)")
    parser.add_argument("--seed", type=int, help="sampler seed (default: random, so that processes sharing "
                        "one study draw different trials)")
    parser.add_argument("--check", action="store_true", help="only check the file against W&B's sweep rules")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_bench.training.sweep import load_sweep, parse_command, run_sweep

    if args.check:
        parse_command(load_sweep(args.sweep), Path.cwd())
        info(f"{args.sweep}: valid sweep file")
        return 0
    for record in run_sweep(args.sweep, args.count, args.dir, args.storage, seed=args.seed):
        info(f"trial {record.number}: {record.state} value={record.value} {' '.join(record.overrides)} "
             f"({record.run_dir})")
    return 0
