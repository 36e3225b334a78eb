"""`fusion-bench leaderboard [--results DIR] [--out leaderboard/]`: Markdown tables, CSVs and figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info, print_json
from fusion_bench.errors import UsageProblem
from fusion_bench.leaderboard.build import build_leaderboard
from fusion_bench.paths import results_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("leaderboard", help="write the leaderboard from a results folder",
                                   description=__doc__)
    parser.add_argument("--results", type=Path, help="results folder (default FUSION_BENCH_HOME/results)")
    parser.add_argument("--out", type=Path, default=Path("leaderboard"), help="output folder (default leaderboard/)")
    parser.add_argument("--note", default="", help="text added to the README's header (e.g. what a run left out)")
    parser.add_argument("--json", action="store_true", help="list the files written as JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    results = args.results or results_dir()
    if not results.is_dir():
        raise UsageProblem(f"{results}: no results folder; run `fusion-bench evaluate` first or pass --results")
    pages = build_leaderboard(results, args.out, args.note)
    if args.json:
        print_json([str(page) for page in pages])
    else:
        info(f"{args.out}: wrote {len(pages)} pages")
    return 0
