"""Inter-process locks for what every rank of a distributed run does before it starts: under `torchrun` or
`srun` each rank prepares the datasets and weights itself. Under the lock one rank fetches a file and the
others wait, then find it verified in place, instead of writing the same partial download at once.
The locks are files under FUSION_BENCH_HOME/locks/ (`filelock`: flock on Unix), apart from the cached files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

from filelock import FileLock

from fusion_bench.evaluation.jobs import Job


def inter_process_lock(name: str) -> AbstractContextManager:
    """The lock `name` shared by every process using this FUSION_BENCH_HOME; no lock where the home cannot be
    written (nothing can be fetched into it either; fetching says so itself)."""
    from fusion_bench.paths import home_dir

    folder = home_dir() / "locks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return nullcontext()
    return FileLock(folder / f"{name}.lock") if os.access(folder, os.W_OK) else nullcontext()


def fetch_weights(jobs: Sequence[Job]) -> list[str]:
    """Obtain the weights of every method that `jobs` fuse with, one process at a time (the files verified in
    place or downloaded into the cache); returns the methods whose weights could not be obtained. Those are
    left to the jobs themselves, whose rows then say why (as without this step)."""
    from fusion_bench.errors import FusionBenchError
    from fusion_bench.models.registry import get_method_info
    from fusion_bench.models.weights import resolve_weight_file

    missing = []
    with inter_process_lock("weights"):
        for method in sorted({job.method for job in jobs if job.fuse}):
            try:
                for weight in get_method_info(method).weights:
                    resolve_weight_file(weight, progress=False)
            except FusionBenchError:
                missing.append(method)
    return missing
