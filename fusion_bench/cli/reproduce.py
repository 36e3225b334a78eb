"""`fusion-bench reproduce [--config FILE.yaml] [--results DIR] [--out DIR] [--accelerator A] [--devices N] [--num-nodes M]
[--datasets D,..] [--methods M,..] [--metrics X,..] [--storage imwrite|lossless] [--no-wandb]`: the whole table (`make reproduce-table`).

Every registered method on every available benchmark of its task, MFIFB's published outputs scored, MEFB's
published scores imported, MGDN's reported cells also scored in the other convention and its images' EN, SD,
SF under the other storage protocol, MEFB's published fused images scored in the same loop and compared with
MEFB's Matlab values (kept in the results folder for the leaderboard's comparison section; an image is scored
again only by other scoring code); then a timing breakdown and the leaderboard. Fused images are stored
as each dataset's benchmark stores them (`imwrite` for MEFB, Lytro, MFFW; `lossless` for SICE, RealMFF)
unless --storage names one protocol for all. Data and weights come from FUSION_BENCH_DATA /
FUSION_BENCH_WEIGHTS or the FUSION_BENCH_HOME cache (a verified download where a dataset has checksums).
Re-running resumes: finished images are kept. The leaderboard goes to FUSION_BENCH_HOME/leaderboard unless
--out says where (`make reproduce-table` passes `--out leaderboard`, the committed one). The results and the
leaderboard's mean table are logged as one W&B run (offline unless WANDB_MODE says otherwise). `--config`
reads datasets, methods, metrics, storage and trainer (accelerator, devices, num_nodes) from a run file
(`fusion_bench.evaluation.config`); flags given win.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.arguments import add_config_option, add_device_options, apply_config, comma_names, device_choice
from fusion_bench.cli.output import info
from fusion_bench.evaluation.reproduce import DATASETS, prepare, reproduce
from fusion_bench.io.storage import STORAGE_PROTOCOLS
from fusion_bench.paths import home_dir, results_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reproduce", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, help="results folder (default FUSION_BENCH_HOME/results)")
    parser.add_argument("--out", type=Path,
                        help="leaderboard folder (default FUSION_BENCH_HOME/leaderboard; the committed one: "
                             "--out leaderboard/)")
    add_config_option(parser)
    add_device_options(parser)
    parser.add_argument("--datasets",
                        help=f"comma-separated (default {','.join(DATASETS)}; a missing one is skipped)")
    parser.add_argument("--methods", help="comma-separated registered methods (default: all)")
    parser.add_argument("--metrics", help="comma-separated metrics (default: MEFB's 20)")
    parser.add_argument("--storage", choices=STORAGE_PROTOCOLS,
                        help="store every dataset's fused images this way (default: as each dataset's benchmark "
                             "stores them)")
    parser.add_argument("--no-wandb", action="store_true", help="log nothing to W&B")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from fusion_bench.evaluation.runner import pending
    from fusion_bench.leaderboard.build import build_leaderboard
    from fusion_bench.leaderboard.tables import select_runs, timing_table
    from fusion_bench.results.store import load_results
    from fusion_bench.validation.kept import keep_mefb_validation, plan_kept_validation
    from fusion_bench.validation.mefb_published import ValidationPlan

    apply_config(args, refused=("convention", "published"))
    args.datasets = comma_names(args.datasets) or list(DATASETS)
    args.methods, args.metrics = comma_names(args.methods), comma_names(args.metrics)
    results_root = args.results or results_dir()
    out = args.out or home_dir() / "leaderboard"
    where = device_choice(args)
    plan = prepare(args.datasets, args.methods)
    validation: ValidationPlan | str | None = None
    if any(view.name == "MEFB" for view in plan.views):
        validation = plan_kept_validation(results_root, args.metrics)
    validation_jobs = validation.jobs if isinstance(validation, ValidationPlan) else ()
    to_score = len(pending(validation_jobs))
    summary = reproduce(results_root, where, metrics=args.metrics, storage=args.storage, plan=plan,
                        extra_jobs=validation_jobs)
    if not summary.main_process:
        return 0
    if isinstance(validation, ValidationPlan):
        info(keep_mefb_validation(validation, results_root, to_score))
    elif validation is not None:
        info(validation)
    results = load_results(results_root)
    with pd.option_context("display.max_rows", None, "display.width", 160):
        info("\ntiming per dataset and method (seconds recorded when each image was computed):")
        info(timing_table(select_runs(results)).to_string())
    pages = build_leaderboard(results_root, out)
    info(f"wrote {len(pages)} pages to {out}")
    if not args.no_wandb:
        from fusion_bench.leaderboard.wandb_tables import log_results

        log_results(results, args.datasets, job="reproduce",
                    config={"datasets": args.datasets, "methods": args.methods or "all", "metrics": args.metrics
                            or "MEFB's 20", "storage": args.storage or "each benchmark's", "results": str(results_root)})
    if summary.failed_images:
        info(f"{len(summary.failed_images)} images failed (listed above, recorded in the results); the leaderboard "
             f"shows the rest")
    return 0
