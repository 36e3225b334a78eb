"""`fusion-bench` entry point: sub-commands, process settings, one-line errors, exit codes (2 usage, 1 the rest).

A command's module is imported only when that command runs, so `fusion-bench --help` (and a command that
needs no torch, such as `data list`) starts without loading torch (benchmarks/cli_startup.py).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from fusion_bench import __version__
from fusion_bench.cli.environment import conflicting_distribution_warning
from fusion_bench.cli.threads import apply_threads, process_settings
from fusion_bench.errors import FusionBenchError, UsageProblem

# Command → (module defining `add_parser(subparsers)`, which registers the command with `func(args) -> int`;
# the line shown in `fusion-bench --help`, which is said here only: the module is not imported for it).
# One line per command.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("fusion_bench.cli.data", "list, verify and download datasets"),
    "methods": ("fusion_bench.cli.methods", "list registered fusers"),
    "fuse": ("fusion_bench.cli.fuse", "fuse one pair or one exposure stack"),
    "metrics": ("fusion_bench.cli.metrics", "metric values for one fused image"),
    "evaluate": ("fusion_bench.cli.evaluate", "run methods on datasets and score them (resumes)"),
    "reproduce": ("fusion_bench.cli.reproduce", "every method on every benchmark, then the leaderboard (make reproduce-table)"),
    "leaderboard": ("fusion_bench.cli.leaderboard", "write a leaderboard from a results folder"),
    "validate": ("fusion_bench.cli.validate", "our metrics against published values (MEFB's Matlab scores)"),
    "train": ("fusion_bench.cli.train", "train a fuser from an experiments/ config"),
    "sweep": ("fusion_bench.cli.sweep", "run a W&B sweep file offline (Optuna)"),
}

# Top-level options that take a value (so that their value is not mistaken for the command's name).
_VALUED_OPTIONS = ("--threads",)


class UsageError(Exception):
    """Raised instead of argparse's own exit, so that usage errors are one `error:` line with exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"need a whole number of at least 1, got {text!r}")
    return int(text)


def command_name(argv: Sequence[str]) -> str | None:
    """The sub-command named in `argv` (the first word that is one, skipping top-level option values)."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _VALUED_OPTIONS:
            skip = True
        elif token in COMMANDS:
            return token
        elif not token.startswith("-"):
            return None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with `command`'s full sub-parser (its module imported); the other commands are listed
    by name and help line only."""
    parser = Parser(
        prog="fusion-bench",
        description="Image fusion benchmark suite: data, methods (MGDN and baselines), metrics, evaluation, "
        "leaderboard, training.",
    )
    parser.add_argument("--version", action="version", version=f"fusion-bench {__version__}")
    parser.add_argument("--threads", type=_positive_int, metavar="N",
                        help="torch/OpenMP threads (default: OMP_NUM_THREADS if set, else the CPUs found idle "
                        "when the command starts, at least 1)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for name, (module_name, help_line) in COMMANDS.items():
        if name == command:
            importlib.import_module(module_name).add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=help_line)
    return parser


def _os_error_line(exc: OSError) -> str:
    """"PATH: reason" for an OS error (a directory where a file is expected says so)."""
    reason = exc.strerror or str(exc)
    names = [name for name in (exc.filename, exc.filename2) if name is not None]
    return f"{' -> '.join(os.fsdecode(name) for name in names)}: {reason}" if names else reason


def _quiet_broken_pipe() -> int:
    """The reader of our stdout went away (`fusion-bench methods | head`): stop quietly, as `cat` does.

    stdout is pointed at /dev/null so that the interpreter's final flush does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a command stopped by a closed pipe


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with process_settings():  # before the command's module is imported: it may load torch
        return _run(argv)


def _run(argv: list[str]) -> int:
    try:
        args = build_parser(command_name(argv)).parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warning = conflicting_distribution_warning()
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        apply_threads(args.threads)
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except UsageProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FusionBenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {_os_error_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
