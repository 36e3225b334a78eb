"""Start-up time of the `fusion-bench` command: each command's module is imported only when it runs.

    .venv/bin/python benchmarks/cli_startup.py [--runs 5]

Times whole processes (the console script of this venv), median of `--runs`, interleaved so that all see
the same machine load: `--help`, `--version`, `data list --json` (no torch), `methods --json` (the model
registry: torch), and for scale a bare interpreter and `python -c "import torch"`. The aim for `--help`
is under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("fusion-bench")

CASES: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "fusion-bench --help": [str(SCRIPT), "--help"],
    "fusion-bench --version": [str(SCRIPT), "--version"],
    "fusion-bench data list --json": [str(SCRIPT), "data", "list", "--json"],
    "fusion-bench methods --json": [str(SCRIPT), "methods", "--json"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args()
    if not SCRIPT.is_file():
        raise SystemExit(f"error: {SCRIPT}: no console script; run `make setup` first")
    times: dict[str, list[float]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory() as home:
        env = os.environ | {"FUSION_BENCH_HOME": home}
        for name, cmd in CASES.items():  # one warm-up each: the first run reads the files from disk
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(args.runs):
            for name, cmd in CASES.items():
                start = time.perf_counter()
                subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - start)
    try:
        load = f"{os.getloadavg()[0]:.2f}"
    except OSError:
        load = "?"
    print(f"whole-process wall time, median of {args.runs} (load average at the end {load}):")
    for name, values in times.items():
        print(f"  {name:<32} {statistics.median(values):6.3f} s   (min {min(values):.3f})")


if __name__ == "__main__":
    main()
