"""`fusion-bench train EXPERIMENT.yaml [key=value ...]`: compose the experiment, print and save the resolved
config beside the run, and train with Lightning (resuming from the run's last checkpoint by default)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fusion_bench.cli.output import info


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a fuser from an experiments/ config", description=__doc__)
    parser.add_argument("experiment", type=Path, help="experiment YAML, e.g. experiments/mgdn_mef.yaml")
    parser.add_argument("overrides", nargs="*", help="dot-list overrides, e.g. trainer.max_steps=20 loss.nmi=0.5")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_bench.training.config import compose
    from fusion_bench.training.run import train

    config = compose(args.experiment, args.overrides)
    result = train(config)
    if os.environ.get("LOCAL_RANK", "0") == "0":  # DDP: the other processes run this function too
        info(f"trained {result.steps} steps; run folder {result.run_dir}; last checkpoint {result.checkpoint}")
    return 0
