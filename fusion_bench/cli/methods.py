"""`fusion-bench methods [--task mef|mff] [--json]`: registered fusers with task, kind and weights."""

from __future__ import annotations

import argparse

from fusion_bench.cli.output import print_json
from fusion_bench.models.registry import list_methods


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("methods", description=__doc__)
    parser.add_argument("--task", choices=("mef", "mff"), help="only methods meant for this task")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    infos = list_methods(args.task)
    rows = [
        {
            "name": info.name,
            "task": "+".join(info.tasks),
            "kind": info.kind,
            "channels": info.channels,
            "multi_source": info.multi_source,
            "trainable": info.trainable,
            "weights": [{"file": w.relpath, "url": w.url, "sha256": w.sha256, "licence": w.licence} for w in info.weights],
            "label": info.label,
            "paper": info.paper,
            "description": info.description,
        }
        for info in infos
    ]
    if args.json:
        print_json(rows)
        return 0
    import pandas as pd

    table = pd.DataFrame(
        [
            {
                "method": row["name"],
                "task": row["task"],
                "kind": row["kind"],
                "sources": ">=2" if row["multi_source"] else "2",
                "weights": ", ".join(w["file"] for w in row["weights"]) or "-",
                "licence": ", ".join(sorted({w["licence"] for w in row["weights"]})) or "-",
                "note": row["label"] or row["description"],
            }
            for row in rows
        ]
    )
    print(table.to_string(index=False) if len(table) else "no methods registered")
    return 0
