"""How many threads a `fusion-bench` command computes with, and how idle OpenMP threads wait.

Measured on the 2-core machine (benchmarks/fuse_under_load.py, numbers in benchmarks/README.md): with
torch's defaults (one thread per core, libgomp spinning while it waits for work) `fuse --method mgdn-mff`
collapses when another process keeps one core busy, because the spinning threads and the other process
take turns on the cores the work needs. Two settings keep it from collapsing:

- `OMP_WAIT_POLICY=PASSIVE`: idle OpenMP threads sleep instead of spinning. libgomp reads it once, when
  torch is loaded, so the entry point sets it before any command imports torch, and only if the user has
  not set it.
- The thread count follows the cores that are free: the CPUs this process may run on
  (`os.sched_getaffinity`) less the one-minute load average, at least 1. `--threads N` (or
  `OMP_NUM_THREADS`) overrides it.

Functions here import nothing heavy: the CLI calls them before it knows whether the command needs torch.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask; `os.cpu_count()` where there is none)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def free_cpus(cpus: int, load: float) -> int:
    """Threads for `cpus` allowed CPUs under a one-minute load average of `load`: the CPUs left idle,
    rounded, at least 1 and at most `cpus`. free_cpus(2, 0.3) = 2, free_cpus(2, 1.2) = 1."""
    return max(1, min(cpus, round(cpus - load)))


def default_threads() -> int:
    """The thread count used when neither `--threads` nor `OMP_NUM_THREADS` says otherwise."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return free_cpus(available_cpus(), load)


def choose_threads(requested: int | None, environ: MutableMapping[str, str]) -> int:
    """`--threads` if given, else a valid `OMP_NUM_THREADS`, else `default_threads()`."""
    if requested is not None:
        return requested
    value = environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return default_threads()


@contextmanager
def process_threads(requested: int | None) -> Iterator[int]:
    """Set the wait policy and thread count for the command run inside the block; yields the count.

    Before torch is imported this works through the environment (`OMP_WAIT_POLICY`, `OMP_NUM_THREADS`,
    read when torch loads); if torch is already loaded (an in-process call, e.g. from the tests) only the
    thread count can change, with `torch.set_num_threads`. Everything is put back on leaving, so that a
    caller's own process settings survive.
    """
    environ = os.environ
    saved = {key: environ.get(key) for key in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    torch_before = sys.modules.get("torch")
    threads_before = torch_before.get_num_threads() if torch_before is not None else None
    threads = choose_threads(requested, environ)
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    environ["OMP_NUM_THREADS"] = str(threads)
    if torch_before is not None:
        torch_before.set_num_threads(threads)
    try:
        yield threads
    finally:
        for key, value in saved.items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        if torch_before is not None and threads_before is not None:
            torch_before.set_num_threads(threads_before)
