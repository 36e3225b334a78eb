"""How many threads a `fusion-bench` command computes with, and how idle OpenMP threads wait.

Measured on the 2-core machine (benchmarks/fuse_under_load.py, numbers in benchmarks/README.md): with
torch's defaults (one thread per core, libgomp spinning while it waits for work) `fuse --method mgdn-mff`
collapses when another process keeps one core busy, because the spinning threads and the other process
take turns on the cores the work needs. Two settings keep it from collapsing:

- `OMP_WAIT_POLICY=PASSIVE`: idle OpenMP threads sleep instead of spinning. libgomp reads it once, when
  torch is loaded, so the entry point sets it before any command imports torch, and only if the user has
  not set it.
- The thread count follows the CPUs that are free: of the CPUs this process may run on
  (`os.sched_getaffinity`), those found idle over 0.1 s before the command starts (/proc/stat), at least 1.
  Not the load average: it lags a minute behind, and counts this user's own previous commands, so a
  series of `fuse` calls on a quiet machine would drop to one thread. `--threads N` (or
  `OMP_NUM_THREADS`) overrides it.

Functions here import nothing heavy: the CLI calls them before it knows whether the command needs torch.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

# How long the CLI watches the CPUs before choosing its thread count: 20 ticks of /proc/stat on 2 CPUs.
SAMPLE_SECONDS = 0.1


def allowed_cpus() -> set[int]:
    """The CPUs this process may run on (its affinity mask; all `os.cpu_count()` where there is none)."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return set(range(os.cpu_count() or 1))


def free_cpus(cpus: int, idle: float) -> int:
    """Threads for `cpus` allowed CPUs of which `idle` CPUs' worth of time is idle (a fractional count):
    that count rounded, at least 1 and at most `cpus`. free_cpus(2, 1.8) = 2, free_cpus(2, 0.9) = 1."""
    return max(1, min(cpus, round(idle)))


def _cpu_times(cpus: set[int]) -> tuple[int, int]:
    """(idle, total) clock ticks so far of the CPUs `cpus`, from /proc/stat."""
    idle = total = 0
    with open("/proc/stat", encoding="ascii") as stat:
        for line in stat:
            name, *fields = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            if int(name[3:]) in cpus:
                ticks = [int(field) for field in fields[:8]]
                idle += ticks[3] + ticks[4]  # idle, iowait
                total += sum(ticks)
    return idle, total


def idle_cpus(cpus: set[int], interval: float = SAMPLE_SECONDS) -> float:
    """How many of `cpus` were idle, on average, over the next `interval` seconds (this process sleeps
    meanwhile, so it does not count itself). Falls back to len(cpus) − the one-minute load average where
    /proc/stat cannot be read."""
    try:
        idle_0, total_0 = _cpu_times(cpus)
        time.sleep(interval)
        idle_1, total_1 = _cpu_times(cpus)
    except (OSError, ValueError):
        try:
            return len(cpus) - os.getloadavg()[0]
        except OSError:
            return float(len(cpus))
    if total_1 <= total_0:
        return float(len(cpus))
    return len(cpus) * (idle_1 - idle_0) / (total_1 - total_0)


def default_threads() -> int:
    """The thread count used when neither `--threads` nor `OMP_NUM_THREADS` says otherwise."""
    cpus = allowed_cpus()
    return free_cpus(len(cpus), idle_cpus(cpus))


def choose_threads(requested: int | None, environ: MutableMapping[str, str]) -> int:
    """`--threads` if given, else a valid `OMP_NUM_THREADS`, else `default_threads()`."""
    if requested is not None:
        return requested
    value = environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return default_threads()


def apply_threads(requested: int | None) -> int:
    """Choose the thread count (`choose_threads`) and apply it: through `OMP_NUM_THREADS` for a torch that
    is not loaded yet, with `torch.set_num_threads` for one that is. Returns the count."""
    threads = choose_threads(requested, os.environ)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    return threads


@contextmanager
def process_settings() -> Iterator[None]:
    """Set `OMP_WAIT_POLICY=PASSIVE` (unless set) for the block, which must be entered before torch is
    imported to have an effect, and put back on leaving what the block changed (the two variables, and
    torch's thread count if torch was already loaded: an in-process call, e.g. from the tests, keeps its
    own settings)."""
    environ = os.environ
    saved = {key: environ.get(key) for key in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    torch_before = sys.modules.get("torch")
    threads_before = torch_before.get_num_threads() if torch_before is not None else None
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        if torch_before is not None and threads_before is not None:
            torch_before.set_num_threads(threads_before)
