"""`fusion-bench data list|verify NAME [--root DIR]|download NAME` (each with `--json`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info as say
from fusion_bench.cli.output import print_json
from fusion_bench.errors import DatasetError, FusionBenchError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="list, verify and download datasets", description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True

    listing = actions.add_parser("list", help="datasets, task, pair count, whether present locally, where")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=run_list)

    verify = actions.add_parser("verify", help="check a copy: pairs, readability, sizes, checksums where known")
    verify.add_argument("name", metavar="NAME")
    verify.add_argument("--root", type=Path, help="the dataset folder, or a data folder holding it as <folder>/ like FUSION_BENCH_DATA (default: FUSION_BENCH_DATA or the cache)")
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    verify.set_defaults(func=run_verify)

    download = actions.add_parser("download", help="fetch into FUSION_BENCH_HOME, verifying checksums")
    download.add_argument("name", metavar="NAME")
    download.add_argument("--json", action="store_true", help="machine-readable output")
    download.set_defaults(func=run_download)


def run_list(args: argparse.Namespace) -> int:
    from fusion_bench.data.catalogue import DATASETS, find_root

    rows = []
    for info in DATASETS.values():
        try:
            location: str | None = str(find_root(info)) if info.folder else None
        except DatasetError:
            location = None
        rows.append({
            "name": info.name, "task": info.task, "pairs": info.pairs, "present": location is not None,
            "root": location, "upstream": f"{info.repository}@{info.commit}" if info.repository else None,
            "checksummed_files": len(info.files()), "convention": info.convention, "trainable": info.trainable,
            "description": info.description, "note": info.note,
        })
    if args.json:
        print_json(rows)
        return 0
    import pandas as pd

    table = pd.DataFrame([{
        "dataset": row["name"], "task": row["task"], "pairs": row["pairs"] if row["pairs"] is not None else "-",
        "present": "yes" if row["present"] else "no", "where": row["root"] or "-",
    } for row in rows])
    print(table.to_string(index=False))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from fusion_bench.data.fetch import verify_dataset

    report = verify_dataset(args.name, args.root)
    if args.json:
        print_json(report.as_dict())
    if report.ok:
        if not args.json:
            print(f"{report.name}: {report.pairs} pairs OK")
        return 0
    if len(report.problems) > 1:
        for problem in report.problems:
            say(f"  {problem}")
    raise FusionBenchError(f"{report.name}: {len(report.problems)} problem(s) in {report.root} "
                           f"({report.pairs} pairs found): {report.problems[0]}")


def run_download(args: argparse.Namespace) -> int:
    from fusion_bench.data.fetch import download_dataset

    root = download_dataset(args.name, progress=not args.json)
    if args.json:
        print_json({"name": args.name, "root": str(root)})
    else:
        print(f"{args.name}: verified copy at {root}")
    return 0
