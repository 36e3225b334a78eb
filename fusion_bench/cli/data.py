"""`fusion-bench data list|verify NAME [--root DIR]|download NAME [--part PART]` (each with `--json`).

`verify` lists every problem of a copy in one pass (files without their partner, truncated or unreadable
files, wrong sizes and checksums) and counts the complete pairs; for a dataset with optional parts (MEFB's
`published-fused`: its 2,100 published fused images) it checks the part's files that are present and
counts the absent ones. `download NAME --part PART` fetches an optional part.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info as say
from fusion_bench.cli.output import print_json
from fusion_bench.errors import DatasetError, FusionBenchError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", description=__doc__)
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
    download.add_argument("--part", metavar="PART",
                          help="an optional part of the dataset instead of its pairs: MEFB published-fused "
                          "(MEFB's 2,100 published fused images, 517 MB; files under FUSION_BENCH_DATA that verify "
                          "are used, the rest are fetched)")
    download.add_argument("--json", action="store_true", help="machine-readable output")
    download.set_defaults(func=run_download)


def run_list(args: argparse.Namespace) -> int:
    from fusion_bench.data.catalogue import DATASETS, find_root
    from fusion_bench.data.catalogue.parts import parts_of

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
            "parts": [{"name": part.name, "files": len(part.files()), "upstream": f"{info.repository}@{part.commit}",
                       "description": part.description} for part in parts_of(info.name)],
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
            for part in report.parts:
                print(f"  {part.line()}")
        return 0
    for part in [] if args.json else report.parts:
        say(f"  {part.line()}")
    if len(report.problems) > 1:
        for problem in report.problems:
            say(f"  {problem}")
    raise FusionBenchError(f"{report.name}: {len(report.problems)} problem(s) in {report.root} "
                           f"({report.pairs} complete pairs found): {report.problems[0]}")


def run_download(args: argparse.Namespace) -> int:
    from fusion_bench.data.fetch import download_dataset, download_part

    if args.part:
        counts = download_part(args.name, args.part, progress=not args.json)
        if args.json:
            print_json({"name": args.name, "part": args.part, "folders": {str(k): v for k, v in counts.items()}})
        else:
            where = ", ".join(f"{count} in {folder}" for folder, count in counts.items())
            print(f"{args.name} {args.part}: {sum(counts.values())} verified files ({where})")
        return 0

    root = download_dataset(args.name, progress=not args.json)
    if args.json:
        print_json({"name": args.name, "root": str(root)})
    else:
        print(f"{args.name}: verified copy at {root}")
    return 0
