"""`fusion-bench sweep SWEEP.yaml [--count N] [--dir DIR] [--storage URL] [--check]`: run a W&B sweep file
offline with Optuna (SQLite storage shared by every process pointing at it), or only check it: W&B's rules,
then every parameter (key, type, range) and the metric against the experiment the command trains.

Each trial prints `trial N: COMPLETE value=...` or `trial N: FAIL <reason>` with its run folder; the exit
code is 1 when every trial of this call failed."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info
from fusion_bench.errors import FusionBenchError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sweep", help="run a W&B sweep file offline (Optuna)", description=__doc__)
    parser.add_argument("sweep", type=Path, help="sweep YAML in W&B's format, e.g. experiments/sweeps/tiny.yaml")
    parser.add_argument("--count", type=int, default=1, help="trials to run in this process (default 1)")
    parser.add_argument("--dir", type=Path, help="sweep folder (default FUSION_BENCH_HOME/sweeps/<name>)")
    parser.add_argument("--storage", help="Optuna storage URL (default sqlite:///<dir>/study.db)")
    parser.add_argument("--seed", type=int, help="sampler seed (default: random, so that processes sharing "
                        "one study draw different trials)")
    parser.add_argument("--check", action="store_true",
                        help="only check the file: W&B's rules, then its parameters and metric against the experiment")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_bench.training.sweep import check_against_experiment, load_sweep, parse_command, run_sweep

    if args.check:
        sweep = load_sweep(args.sweep)
        check_against_experiment(sweep, parse_command(sweep, Path.cwd()))
        info(f"{args.sweep}: valid sweep file (parameters and metric checked against the experiment)")
        return 0
    records = run_sweep(args.sweep, args.count, args.dir, args.storage, seed=args.seed)
    for record in records:
        if record.state == "FAIL":
            info(f"trial {record.number}: FAIL {record.reason} ({record.run_dir})")
        else:
            info(f"trial {record.number}: {record.state} value={record.value} {' '.join(record.overrides)} "
                 f"({record.run_dir})")
    if all(record.state == "FAIL" for record in records):
        raise FusionBenchError(f"all {len(records)} trial(s) failed; reasons above and in "
                               f"{Path(records[0].run_dir).parent / 'trials.jsonl'}")
    return 0
