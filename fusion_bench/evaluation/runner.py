"""Run a list of jobs: skip the ones already done, execute the rest in a worker pool, write each image's
rows atomically as soon as it finishes, show a progress bar with ETA.

A crash or Ctrl-C loses at most the images in flight (one per worker); a re-run picks up the rest.
With several workers, each takes whole pairs (`PairScheduler`), so what the metrics compute from a pair's
sources is computed by one process only.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from fusion_bench.errors import EvaluationError
from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.evaluation.jobs import Job
from fusion_bench.results.store import read_rows, write_rows
from fusion_bench.evaluation.worker import limit_threads, run_job

JobRunner = Callable[[Job], list[dict]]


@dataclass
class RunSummary:
    """What a run did: counts, and per (method, dataset) fusing and scoring seconds and errors."""

    skipped: int = 0
    done: int = 0
    failed_images: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, dataset, image, error
    fuse_seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    score_seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    images: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, job: Job, rows: list[dict]) -> None:
        key = (job.method, job.dataset)
        self.done += 1
        self.images[key] = self.images.get(key, 0) + 1
        self.fuse_seconds[key] = self.fuse_seconds.get(key, 0.0) + (rows[0]["fuse_seconds"] if rows else 0.0)
        self.score_seconds[key] = self.score_seconds.get(key, 0.0) + sum(row["score_seconds"] for row in rows)
        errors = sorted({row["error"] for row in rows if row["error"]})
        if errors:
            self.failed_images.append((job.method, job.dataset, job.image, errors[0]))


def pending(jobs: Sequence[Job], force: bool = False) -> list[Job]:
    """The work left: jobs whose per-image file is absent, and for images already scored on fewer metrics
    than asked, a job for the missing metrics only. An image scored from a file (the rows' `fused_path`)
    that has gone since is not done: all its metrics are computed again, on the file made anew, so no
    score points at a file that is not there (an image whose fusing failed has no file and stays failed
    until `force`). A job whose method's image is already on disk (the lossless PNG
    of the same config and code version, or its stored file) scores it instead of fusing again, so
    scoring under another convention or storage protocol never fuses twice. With `force`, everything,
    fusing included."""
    if force:
        return list(jobs)
    todo = []
    for job in jobs:
        part = Path(job.part_path)
        rows = read_rows(part) if part.is_file() else []
        if rows and (Path(job.fused_path).is_file() or all(row["error"] for row in rows)):
            missing = tuple(name for name in job.metrics if name not in {row["metric"] for row in rows})
            if not missing:
                continue
            job = replace(job, metrics=missing)
        if job.fuse and (Path(job.output_path).is_file() or Path(job.fused_path).is_file()):
            job = replace(job, fuse=False)
        todo.append(job)
    return todo


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8))


def _init_worker(threads: int) -> None:
    """Pool initializer: one torch thread per worker, freed memory kept for the next image (`allocator`)."""
    limit_threads(threads)
    keep_freed_memory()


def _record(job: Job, rows: list[dict], summary: RunSummary, force: bool) -> None:
    """Write the image's rows; rows of other metrics already in its file are kept (unless `force`)."""
    part = Path(job.part_path)
    kept = [] if force or not part.is_file() else [row for row in read_rows(part) if row["metric"] not in job.metrics]
    write_rows(part, kept + rows)
    summary.add(job, rows)


def run_jobs(jobs: Sequence[Job], workers: int = 1, force: bool = False, progress: bool = True,
             execute: JobRunner = run_job) -> RunSummary:
    """Execute the jobs not yet done; `workers > 1` uses a process pool with one torch thread each.

    `execute` is the function run per job (the default fuses and scores; tests pass a wrapper).
    """
    todo = pending(jobs, force)
    summary = RunSummary(skipped=len(jobs) - len(todo))
    if not todo:
        return summary
    # Redirected to a log (make, CI), a bar redrawn 10 times a second would bury everything else.
    bar = tqdm(total=len(todo), desc="evaluate", unit="img", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, mininterval=0.5 if sys.stderr.isatty() else 30.0)
    try:
        if workers <= 1:
            keep_freed_memory()
            for job in todo:
                bar.set_postfix_str(f"{job.method} {job.dataset}", refresh=False)
                _record(job, execute(job), summary, force)
                bar.update()
        else:
            _run_pool(todo, workers, execute, summary, bar, force)
    finally:
        bar.close()
    return summary


class PairScheduler:
    """Which job each worker runs next: every worker takes a whole pair (all its methods' images, in the
    given order) before the next pair, so the metrics' source caches, which live in each worker process,
    are computed once per pair instead of once per worker per pair. When no untouched pair is left, an
    idle worker takes the last job of the worker with the most left, so the cores stay busy at the end.
    """

    def __init__(self, jobs: Sequence[Job], workers: int) -> None:
        groups: dict[tuple[str, str], list[Job]] = {}
        for job in jobs:
            groups.setdefault((job.dataset, job.image), []).append(job)
        self.pairs = deque(groups.values())
        self.queues: list[deque[Job]] = [deque() for _ in range(workers)]

    def next_for(self, worker: int) -> Job | None:
        """The next job of `worker`, or None when all work has been handed out."""
        queue = self.queues[worker]
        if not queue and self.pairs:
            queue.extend(self.pairs.popleft())
        if not queue:
            donor = max(self.queues, key=len)
            if donor:
                queue.append(donor.pop())
        return queue.popleft() if queue else None


def _run_pool(todo: list[Job], workers: int, execute: JobRunner, summary: RunSummary, bar: tqdm,
              force: bool) -> None:
    # One single-process executor per worker, fed by `PairScheduler`; at most two jobs per worker are
    # submitted at a time (one running, one ready), so Ctrl-C has little to cancel.
    scheduler = PairScheduler(todo, workers)
    executors = [ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=(1,))
                 for _ in range(workers)]
    in_flight: dict[Future, tuple[int, Job]] = {}

    def submit(worker: int) -> None:
        job = scheduler.next_for(worker)
        if job is not None:
            in_flight[executors[worker].submit(execute, job)] = (worker, job)

    try:
        for worker in range(workers):
            submit(worker)
            submit(worker)
        while in_flight:
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                worker, job = in_flight.pop(future)
                try:
                    rows = future.result()
                except BrokenProcessPool as exc:
                    # Which of the worker's two submitted jobs was running is not known: name both.
                    lost = [job] + [other for owner, other in in_flight.values() if owner == worker]
                    running = ", ".join(sorted(f"{j.method} on {j.dataset}/{j.image}" for j in lost))
                    raise EvaluationError(
                        f"a worker process died (killed, e.g. out of memory, or crashed) running one of: "
                        f"{running}; the {summary.done} images finished in this run are kept, and a re-run "
                        f"continues with the rest") from exc
                _record(job, rows, summary, force)
                bar.set_postfix_str(f"{job.method} {job.dataset}", refresh=False)
                bar.update()
                submit(worker)
    finally:
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)
