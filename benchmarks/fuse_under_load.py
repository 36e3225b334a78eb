"""`fusion-bench fuse --method mgdn-mff` on a Lytro pair, with and without a competing CPU load, under
torch's own thread defaults ("old") and under the CLI's (`fusion_bench/cli/threads.py`).

    FUSION_BENCH_WEIGHTS=../shared/weights FUSION_BENCH_DATA=../shared/data \\
        .venv/bin/python benchmarks/fuse_under_load.py [--size 320] [--runs 1] [--settings old,new,threads2]

Each run is a whole `fusion-bench fuse` process (start-up included, as a user sees it) on the centre
`--size`×`--size` crop of lytro_01 (the whole pair is 520×520; a crop keeps the old defaults' collapse
within a few minutes). "Loaded" runs share the machine with one busy-loop process (unpinned, stopped after
the run, never longer than `--load-limit` seconds). Settings:

- old: torch's defaults: one thread per core, libgomp's default wait (spin, then sleep). The command runs
  through the same parser and function as the CLI, without its thread settings.
- new: the CLI's defaults (`OMP_WAIT_POLICY=PASSIVE`, threads from the CPUs found idle).
- threads1, threads2: the CLI with `--threads 1` / `--threads 2` (passive waiting either way).

Runs are interleaved (setting by setting within each round) so that all see the same background load;
`OMP_WAIT_POLICY` and `OMP_NUM_THREADS` are removed from the children's environment. Prints the median
seconds per setting and condition, the loaded/quiet ratio of each and the old/new ratio under load.
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


from fusion_bench.io.images import read_image, write_png

REPO = Path(__file__).resolve().parent.parent

# The CLI's parser and command function, without `main`'s process settings: torch's defaults.
OLD_DEFAULTS = (
    "import sys; from fusion_bench.cli.main import build_parser; "
    "args = build_parser('fuse').parse_args(sys.argv[1:]); sys.exit(args.func(args))"
)


def crop_pair(data: Path, size: int, folder: Path) -> list[Path]:
    """The centre size×size crop of lytro_01's two sources, written as PNGs into `folder`."""
    paths = []
    for side in ("A", "B"):
        image = read_image(data / "Lytro" / side / "lytro_01.jpg").tensor
        h, w = image.shape[-2:]
        top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
        paths.append(write_png(image[..., top:top + size, left:left + size], folder / f"lytro_01_{side}.png"))
    return paths


def command(setting: str, sources: list[Path], out: Path) -> list[str]:
    fuse = ["fuse", "--method", "mgdn-mff", "--a", str(sources[0]), "--b", str(sources[1]), "--out", str(out)]
    if setting == "old":
        return [sys.executable, "-c", OLD_DEFAULTS, *fuse]
    cli = [sys.executable, "-m", "fusion_bench.cli.main"]
    if setting == "new":
        return [*cli, *fuse]
    if setting.startswith("threads"):
        return [*cli, "--threads", setting[len("threads"):], *fuse]
    raise SystemExit(f"error: unknown setting {setting!r}; use old, new, threads1, threads2")


def busy_loop(limit: float) -> subprocess.Popen:
    code = f"import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def timed(cmd: list[str], env: dict[str, str], load: bool, limit: float) -> float:
    competitor = busy_loop(limit) if load else None
    try:
        if competitor is not None:
            time.sleep(0.5)  # let the competitor get going
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=320, help="crop side in pixels (default 320; 520 = whole pair)")
    parser.add_argument("--runs", type=int, default=1, help="rounds (default 1)")
    parser.add_argument("--settings", default="old,new", help="comma-separated: old, new, threads1, threads2")
    parser.add_argument("--load-limit", type=float, default=120.0, help="longest life of a busy loop, s")
    args = parser.parse_args()
    data = os.environ.get("FUSION_BENCH_DATA")
    if not data:
        raise SystemExit("error: set FUSION_BENCH_DATA (the Lytro pair) and FUSION_BENCH_WEIGHTS")
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    times: dict[tuple[str, bool], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sources = crop_pair(Path(data), args.size, Path(tmp))
        out = Path(tmp) / "fused.png"
        for _ in range(args.runs):
            for load in (False, True):
                for setting in settings:
                    seconds = timed(command(setting, sources, out), env, load, args.load_limit)
                    times.setdefault((setting, load), []).append(seconds)
                    print(f"  {setting:<9} {'loaded' if load else 'quiet':<7} {seconds:7.2f} s", flush=True)
    try:
        load_now = os.getloadavg()[0]
    except OSError:
        load_now = float("nan")
    print(f"\nmgdn-mff fuse, {args.size}x{args.size} crop of lytro_01, whole process, median of {args.runs} "
          f"(cpus {len(os.sched_getaffinity(0))}, load average at the end {load_now:.2f}):")
    median = {key: statistics.median(value) for key, value in times.items()}
    for setting in settings:
        quiet, loaded = median[(setting, False)], median[(setting, True)]
        print(f"  {setting:<9} no added load {quiet:6.2f} s   with a busy loop {loaded:6.2f} s   "
              f"ratio {loaded / quiet:5.2f}")
    if "old" in settings and "new" in settings:
        print(f"  under load, old / new = {median[('old', True)] / median[('new', True)]:.2f}; "
              f"without, old / new = {median[('old', False)] / median[('new', False)]:.2f}")


if __name__ == "__main__":
    main()
