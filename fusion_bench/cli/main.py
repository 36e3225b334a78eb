"""`fusion-bench` entry point: sub-commands, one-line errors, exit codes (2 usage, 1 everything else)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from fusion_bench import __version__
from fusion_bench.errors import FusionBenchError, UsageProblem

# Each module defines `add_parser(subparsers)` registering one sub-command whose `func(args) -> int` runs it.
COMMAND_MODULES: tuple[str, ...] = (
    "fusion_bench.cli.data",
    "fusion_bench.cli.methods",
    "fusion_bench.cli.fuse",
    "fusion_bench.cli.metrics",
    "fusion_bench.cli.evaluate",
    "fusion_bench.cli.leaderboard",
    "fusion_bench.cli.train",
    "fusion_bench.cli.sweep",
)


class UsageError(Exception):
    """Raised instead of argparse's own exit, so that usage errors are one `error:` line with exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fusion-bench",
        description="Image fusion benchmark suite: data, methods (MGDN and baselines), metrics, evaluation, "
        "leaderboard, training.",
    )
    parser.add_argument("--version", action="version", version=f"fusion-bench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FusionBenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
