"""`fusion-bench leaderboard [--results DIR] [--out DIR] [--force] [--note TEXT] [--wandb] [--json]`: Markdown
tables, CSVs and figures from a results folder; with --wandb, the CSV tables and the figures are also logged
as one W&B run (offline unless WANDB_MODE says otherwise).

Writes into FUSION_BENCH_HOME/leaderboard unless `--out` says where: the repository's committed
`leaderboard/` is regenerated only on purpose (`--out leaderboard/`, or `make reproduce-table`). The
output folder is the leaderboard's own: pages it wrote before and does not write now are removed. A
results folder with fewer than 10 scored images is refused unless `--force`: a leaderboard of a few
images ranks noise, and one of none would only empty the output folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info, print_json
from fusion_bench.errors import UsageProblem
from fusion_bench.paths import home_dir, results_dir

# Fewer scored (dataset, method, image) results than this are refused without --force.
MIN_IMAGES = 10


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("leaderboard", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, help="results folder (default FUSION_BENCH_HOME/results)")
    parser.add_argument("--out", type=Path,
                        help="output folder (default FUSION_BENCH_HOME/leaderboard; the committed one: --out leaderboard/)")
    parser.add_argument("--force", action="store_true",
                        help=f"write even from a results folder with fewer than {MIN_IMAGES} scored images")
    parser.add_argument("--note", default="", help="text added to the README's header (e.g. what a run left out)")
    parser.add_argument("--wandb", action="store_true",
                        help="also log the tables and figures written as one W&B run (offline unless WANDB_MODE "
                             "says otherwise; `wandb sync` uploads it)")
    parser.add_argument("--json", action="store_true", help="list the files written as JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_bench.results.store import load_results
    from fusion_bench.results.validation import load_validation
    from fusion_bench.leaderboard.build import write_leaderboard

    results_root = args.results or results_dir()
    out = args.out or home_dir() / "leaderboard"
    if not results_root.exists():
        raise UsageProblem(f"{results_root}: no results folder; run `fusion-bench evaluate` first or pass --results")
    try:
        results = load_results(results_root)
    except ValueError as exc:  # not UTF-8, not CSV
        raise UsageProblem(f"{results_root}: not a results folder or results table ({exc})") from exc
    if not {"dataset", "method", "image"} <= set(results.columns):
        raise UsageProblem(f"{results_root}: not a results folder or results table (no dataset, method and "
                           f"image columns)")
    images = len(results[["dataset", "method", "image"]].drop_duplicates())
    if images < MIN_IMAGES and not args.force:
        raise UsageProblem(f"{results_root}: {len(results)} result rows, {images} scored images; a leaderboard "
                           f"needs at least {MIN_IMAGES} (run `fusion-bench evaluate`, or pass --force to write "
                           f"{out} anyway)")
    pages = write_leaderboard(results, out, args.note, load_validation(results_root))
    if args.wandb:
        from fusion_bench.leaderboard.wandb_tables import log_leaderboard

        log_leaderboard(out, {"results": str(results_root), "out": str(out), "note": args.note})
    if args.json:
        print_json([str(page) for page in pages])
    else:
        info(f"{out}: wrote {len(pages)} pages")
    return 0
