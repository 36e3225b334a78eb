"""Options shared by the commands that run evaluations (`evaluate`, `reproduce`, `validate`): comma-separated
names, Lightning's placement (--accelerator, --devices, --num-nodes) and the run file (--config)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.errors import UsageProblem
from fusion_bench.evaluation.runner import ACCELERATORS, Devices
from fusion_bench.io.storage import STORAGE_PROTOCOLS
from fusion_bench.metrics.registry import CONVENTIONS


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
        if value is not None and key == "convention" and value not in CONVENTIONS:
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


def comma_names(text: str | None) -> list[str] | None:
    """The names of a comma-separated option ("a, b,,c" -> ["a", "b", "c"]); None for an option not given."""
    return [item.strip() for item in text.split(",") if item.strip()] if text else None
