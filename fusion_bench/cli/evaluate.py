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

from fusion_bench.cli.output import info, print_json
from fusion_bench.errors import UsageProblem
from fusion_bench.evaluation.evaluate import evaluate
from fusion_bench.evaluation.runner import ACCELERATORS, Devices
from fusion_bench.io.storage import STORAGE_PROTOCOLS
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
    parser.add_argument("--convention", choices=("mefb", "gray"), help="override each dataset's convention")
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


def _devices(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"need 'auto' or a whole number of at least 1, got {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"need a whole number of at least 1, got {text!r}")
    return int(text)


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """--accelerator, --devices, --num-nodes: Lightning's, for `evaluate` and `reproduce`."""
    parser.add_argument("--accelerator", choices=ACCELERATORS,
                        help="Lightning accelerator (default auto: the GPUs if any, else the CPU)")
    parser.add_argument("--devices", type=_devices,
                        help="devices per node: on the CPU, processes sharing the cores (default: one per core, at "
                             "most 8); on GPUs, how many (default: all); 'auto' lets Lightning choose")
    parser.add_argument("--num-nodes", type=_count,
                        help="machines of the run (default 1), each started by torchrun or srun")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """--config: a run file (`evaluation.config`) for `evaluate` and `reproduce`."""
    parser.add_argument("--config", type=Path, metavar="FILE.yaml",
                        help="run file: the same keys as the flags (methods, datasets, metrics, storage, ...; "
                             "trainer: accelerator, devices, num_nodes); a flag given here wins "
                             "(examples: experiments/evaluation/)")


def apply_config(args: argparse.Namespace, refused: tuple[str, ...] = ()) -> None:
    """Fill each option not given on the command line from `args.config`'s file (lists as comma-separated
    names, as the flags take them). A key of `refused` set in the file is a `UsageProblem`: the command
    decides it itself.

    Raises:
        ConfigError: the file is invalid (see `load_evaluation_config`).
        UsageProblem: the file sets a key of `refused`.
    """
    if args.config is None:
        return
    from fusion_bench.evaluation.config import load_evaluation_config

    config = load_evaluation_config(args.config)
    given = [key for key in refused if getattr(config, key) is not None]
    if given:
        raise UsageProblem(f"{args.config}: {', '.join(given)} cannot be set for this command")
    for key in ("methods", "datasets", "metrics", "storage", "convention", "published"):
        if key in refused or getattr(args, key, None) is not None:
            continue
        value = getattr(config, key)
        if value is not None and key == "storage" and value not in STORAGE_PROTOCOLS:
            raise UsageProblem(f"{args.config}: storage {value!r}: expected one of {', '.join(STORAGE_PROTOCOLS)}")
        if value is not None and key == "convention" and value not in ("mefb", "gray"):
            raise UsageProblem(f"{args.config}: convention {value!r}: expected mefb or gray")
        setattr(args, key, ",".join(value) if isinstance(value, list) else value)
    for key in ("accelerator", "devices", "num_nodes"):
        value = getattr(config.trainer, key)
        if getattr(args, key) is None and value is not None:
            if key == "accelerator" and value not in ACCELERATORS:
                raise UsageProblem(f"{args.config}: trainer.accelerator {value!r}: expected one of "
                                   f"{', '.join(ACCELERATORS)}")
            setattr(args, key, value)


def device_choice(args: argparse.Namespace) -> Devices:
    """The devices of `--accelerator`, `--devices`, `--num-nodes` (or the run file's), defaults where unset."""
    return Devices(args.accelerator or "auto", args.devices, args.num_nodes or 1)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def run(args: argparse.Namespace) -> int:
    apply_config(args)
    missing = [f"--{key}" for key in ("methods", "datasets") if getattr(args, key) is None]
    if missing:
        raise UsageProblem(f"{' and '.join(missing)} required (on the command line or in --config)")
    methods = [m.name for m in list_methods()] if args.methods == "all" else _split(args.methods)
    out = args.out or results_dir()
    datasets = _split(args.datasets)
    report = evaluate(methods, datasets, out, _split(args.metrics) if args.metrics else None,
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
