"""`fusion-bench train EXPERIMENT.yaml [key=value ...]`: compose the experiment, print and save the resolved
config beside the run, and train with Lightning (resuming from the run's last checkpoint by default; a run
that already reached trainer.max_steps says so and trains nothing)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fusion_bench.cli.output import info


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a fuser from an experiments/ config", description=__doc__)
    parser.add_argument("experiment", type=Path, help="experiment YAML, e.g. experiments/mgdn_mef.yaml")
    parser.add_argument("overrides", nargs="*", help="dot-list overrides, e.g. trainer.max_steps=20 loss.nmi=0.5; "
                        "defaults.GROUP=FILE picks another group file (defaults.model=mgdn_tiny)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_bench.training.config import compose
    from fusion_bench.training.run import train

    config = compose(args.experiment, args.overrides)
    result = train(config)
    if os.environ.get("LOCAL_RANK", "0") != "0":  # DDP: the other processes run this function too
        return 0
    if result.trained_steps == 0:
        info(f"already finished at step {result.steps} (trainer.max_steps={config.trainer.max_steps}); nothing "
             f"trained. Run folder {result.run_dir}, checkpoint {result.checkpoint}. To train further raise "
             f"trainer.max_steps; to start afresh pass resume=null or another run_dir")
    else:
        resumed = f" (resumed at step {result.start_step})" if result.start_step else ""
        steps = f"{result.trained_steps} step{'s' if result.trained_steps != 1 else ''}"
        info(f"trained {steps} to step {result.steps}{resumed}; run folder {result.run_dir}; "
             f"last checkpoint {result.checkpoint}")
    return 0
