"""`fusion-bench evaluate --methods M1,M2 --datasets D1,D2 [--config FILE.yaml] [--out DIR] [--metrics ...] [--convention C]
[--storage imwrite|lossless] [--force] [--accelerator A] [--devices N] [--num-nodes M] [--published]
[--no-wandb] [--json]`: fuse, store the fused image as the storage protocol says, score the stored file, write
per-image rows; resumes. Runs as a Lightning prediction loop: on the CPU each device is a process (default:
one per core), on GPUs fusing runs on each GPU; under `torchrun` or `srun` the ranks come from the launcher.
Then the results of the datasets evaluated are logged as one W&B run (offline unless WANDB_MODE says
otherwise): a table per dataset with every metric and a thumbnail, and the leaderboard's mean table.
`--config` reads the options from a run file (`fusion_bench.evaluation.config`); flags given win."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.arguments import add_config_option, add_device_options, apply_config, comma_names, device_choice
from fusion_bench.cli.output import info, print_json
from fusion_bench.errors import UsageProblem
from fusion_bench.evaluation.evaluate import evaluate
from fusion_bench.io.storage import STORAGE_PROTOCOLS
from fusion_bench.metrics.registry import CONVENTIONS
from fusion_bench.models.registry import list_methods
from fusion_bench.paths import results_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="run methods on datasets and score them (resumes)",
                                   description=__doc__)
    add_config_option(parser)
    parser.add_argument("--methods", help="comma-separated registered methods, or 'all' (each runs on the datasets "
                        "of its task); required here or in --config")
    parser.add_argument("--datasets", help="comma-separated catalogue names, e.g. MEFB,Lytro; required here or in "
                        "--config")
    parser.add_argument("--out", type=Path, help="results folder (default FUSION_BENCH_HOME/results)")
    parser.add_argument("--metrics", help="comma-separated metric names (default: MEFB's 20)")
    parser.add_argument("--convention", choices=CONVENTIONS, help="override each dataset's convention")
    parser.add_argument("--storage", choices=STORAGE_PROTOCOLS,
                        help="how fused images are stored before they are scored: 'imwrite' (as the benchmark "
                             "stored its own, in the source pair's format: JPEG sources give JPEG with imwrite's "
                             "defaults, quality 75, 4:2:0, or for MFFW the source's own tables and sampling; "
                             "lossless otherwise) or 'lossless' (PNG); default: each dataset's benchmark protocol "
                             "(imwrite for MEFB, Lytro, MFFW, MFIFB; lossless for the others)")
    parser.add_argument("--force", action="store_true", help="recompute results that are already present")
    add_device_options(parser)
    parser.add_argument("--published", action="store_true", default=None,
                        help="also score published fused images (MFIFB on Lytro/MFFW) and import MEFB's scores")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-wandb", action="store_true", help="log nothing to W&B")
    parser.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    apply_config(args)
    missing = [f"--{key}" for key in ("methods", "datasets") if getattr(args, key) is None]
    if missing:
        raise UsageProblem(f"{' and '.join(missing)} required (on the command line or in --config)")
    methods = [m.name for m in list_methods()] if args.methods == "all" else comma_names(args.methods) or []
    out = args.out or results_dir()
    datasets = comma_names(args.datasets) or []
    report = evaluate(methods, datasets, out, comma_names(args.metrics),
                      args.convention, args.force, device_choice(args), bool(args.published),
                      progress=not args.no_progress and not args.json, storage=args.storage)
    if not report.summary.main_process:
        return 0
    if not args.no_wandb:
        from fusion_bench.leaderboard.wandb_tables import log_results
        from fusion_bench.results.store import load_results

        log_results(load_results(out), datasets, job="evaluate",
                    config={"methods": methods, "datasets": datasets, "metrics": args.metrics or "MEFB's 20",
                            "convention": args.convention or "each dataset's", "storage": args.storage
                            or "each benchmark's", "results": str(out)})
    summary = report.summary
    payload = {
        "out": str(out), "planned": report.planned, "computed": summary.done, "already_present": summary.skipped,
        "failed_images": [{"method": m, "dataset": d, "image": i, "error": e} for m, d, i, e in summary.failed_images],
        "skipped": [{"method": m, "dataset": d, "reason": r} for m, d, r in report.skipped_methods
                    if args.methods != "all"],
        "imported": [str(path) for path in report.imported],
    }
    if args.json:
        print_json(payload)
        return 0
    info(f"{out}: {summary.done} images computed, {summary.skipped} already present, "
         f"{len(summary.failed_images)} failed")
    for method, dataset, image, error in summary.failed_images:
        info(f"  failed: {method} on {dataset}/{image}: {error}")
    for item in payload["skipped"]:
        info(f"  skipped: {item['method']} on {item['dataset']}: {item['reason']}")
    return 0
