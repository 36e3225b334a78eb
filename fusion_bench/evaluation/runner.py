"""Run a list of jobs: skip the ones already done, run the rest as a Lightning prediction loop
(`loop.EvaluationModule` over `items.ItemData`) on the devices and nodes asked for, each item's rows
written atomically as soon as it finishes (`loop.ResultsWriter`).

Every rank plans the same work (`pending`, before the Trainer starts; the planner reads only the results
store, which no rank writes before all have joined), takes its share of the items (`items.RankSampler`:
whole pairs, none repeated) and writes its own rows. A crash or Ctrl-C loses at most the items in flight
(one pair per rank); a re-run picks up the rest. After the loop, the main process (rank 0) reads what the
run stored back from the store for its summary; the other ranks have nothing more to do.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from fusion_bench.errors import EvaluationError, UsageProblem
from fusion_bench.evaluation.items import ItemData, group_items
from fusion_bench.evaluation.jobs import Job
from fusion_bench.evaluation.locks import fetch_weights
from fusion_bench.evaluation.loop import EvaluationModule, JobRunner, ResultsWriter, quiet_lightning, rank_death_reported
from fusion_bench.evaluation.worker import one_line, run_job
from fusion_bench.results.store import read_rows

ACCELERATORS: tuple[str, ...] = ("auto", "cpu", "cuda", "gpu", "mps")


@dataclass(frozen=True)
class Devices:
    """Where a run goes (Lightning's Trainer arguments): accelerator, devices per node (a count, or "auto"),
    nodes. On the CPU a device is a process; None devices means one per core (at most 8) on the CPU and
    every GPU otherwise."""

    accelerator: str = "auto"
    devices: int | str | None = None
    num_nodes: int = 1


@dataclass
class RunSummary:
    """What a run did: counts, and per (method, dataset) fusing and scoring seconds and errors.
    `main_process` is False on the ranks other than 0, whose summary is empty."""

    skipped: int = 0
    done: int = 0
    failed_images: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, dataset, image, error
    fuse_seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    score_seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    images: dict[tuple[str, str], int] = field(default_factory=dict)
    main_process: bool = True

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


def default_processes() -> int:
    """CPU processes of a run when none are asked for: the cores this process may use, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 8))


def on_cpu(accelerator: str) -> bool:
    """Whether `accelerator` means the CPU here."""
    if accelerator == "cpu":
        return True
    if accelerator == "auto":
        import torch

        return not torch.cuda.is_available() and not torch.backends.mps.is_available()
    return False


def trainer_arguments(where: Devices) -> tuple[dict, int | None]:
    """Lightning Trainer arguments for `where`, and the torch threads of each process (None: unchanged).
    In a notebook (`interactive_session`), unless a launcher started the ranks, the CPU default is one
    process and a multi-process run forks its ranks (`ddp_notebook`), the one DDP Lightning allows there.

    Raises:
        UsageProblem: an unknown accelerator, or a device or node count below 1.
    """
    if where.accelerator not in ACCELERATORS:
        raise UsageProblem(f"accelerator {where.accelerator!r}: expected one of {', '.join(ACCELERATORS)}")
    if where.num_nodes < 1 or (isinstance(where.devices, int) and where.devices < 1):
        raise UsageProblem(f"devices {where.devices}, nodes {where.num_nodes}: need at least 1 of each")
    cpu = on_cpu(where.accelerator)
    launched = "WORLD_SIZE" in os.environ  # torchrun, srun (SLURM) or Lightning's own launcher started us
    interactive = interactive_session() and not launched
    default = (1 if interactive else default_processes()) if cpu else "auto"
    devices = where.devices if where.devices is not None else default
    processes = devices if isinstance(devices, int) else None
    distributed = where.num_nodes > 1 or processes is None or processes > 1 or launched
    # On the CPU each process takes an equal share of the cores (one each with a process per core, as the
    # metrics' compiled loops were measured).
    threads = max(1, default_processes() // processes) if cpu and processes and processes > 1 else None
    arguments = {"accelerator": "cpu" if cpu else where.accelerator, "devices": devices,
                 "num_nodes": where.num_nodes,
                 "strategy": ("ddp_notebook" if interactive else "ddp") if distributed else "auto"}
    return arguments, threads


def interactive_session() -> bool:
    """Whether this is an interactive Python (a notebook, the REPL), where Lightning cannot start DDP by
    re-running the script: there a run defaults to one process, and more are forked (`ddp_notebook`)."""
    return hasattr(sys, "ps1") or bool(sys.flags.interactive)


def run_jobs(jobs: Sequence[Job], where: Devices = Devices(devices=1), force: bool = False, progress: bool = True,
             execute: JobRunner = run_job) -> RunSummary:
    """Execute the jobs not yet done on `where`'s devices and nodes (default: this process alone).

    `execute` is the function run per job (the default fuses and scores; tests pass a wrapper).
    On ranks other than 0 the summary is empty and has `main_process=False`.
    """
    todo = pending(jobs, force)
    summary = RunSummary(skipped=len(jobs) - len(todo))
    if not todo:
        return summary
    arguments, threads = trainer_arguments(where)
    fetch_weights(todo)  # before the ranks start: under torchrun every rank is here at once
    with quiet_lightning():
        trainer = _predict(arguments, threads, todo, force, progress, execute)
    if trainer.global_rank != 0:
        summary.main_process = False
        return summary
    for job in todo:  # what every rank stored, read back
        rows = stored_rows(job)
        if rows:
            summary.add(job, rows)
    return summary


def stored_rows(job: Job) -> list[dict]:
    """The rows stored for `job`'s image on `job`'s metrics (seconds as floats); none if it has no file."""
    part = Path(job.part_path)
    return [{**row, "fuse_seconds": float(row["fuse_seconds"]), "score_seconds": float(row["score_seconds"])}
            for row in (read_rows(part) if part.is_file() else []) if row["metric"] in job.metrics]


def _predict(arguments: dict, threads: int | None, todo: list[Job], force: bool, progress: bool,
             execute: JobRunner) -> "L.Trainer":
    import lightning as L

    # Not under inference mode: the metrics keep tensors of a pair's sources between its images (their caches).
    trainer = L.Trainer(**arguments, logger=False, enable_checkpointing=False, enable_model_summary=False,
                        inference_mode=False,
                        enable_progress_bar=progress, use_distributed_sampler=False,
                        callbacks=[ResultsWriter(force)])
    on_interrupt = signal.getsignal(signal.SIGINT)
    try:
        trainer.predict(EvaluationModule(execute, threads), datamodule=ItemData(group_items(todo)),
                        return_predictions=False)
    except SystemExit:
        if trainer.interrupted:  # Lightning turns Ctrl-C into an exit; ours is the CLI's `error: interrupted`
            raise KeyboardInterrupt from None
        raise
    except RuntimeError as exc:
        if trainer.world_size > 1 and peer_lost(exc):
            if rank_death_reported():  # Lightning's observer has said it (and is ending the run)
                raise SystemExit(1) from None
            raise EvaluationError("another process of this run ended (a collective found its rank gone; e.g. killed "
                                  "for memory); the items finished are kept and a re-run computes the rest") from None
        raise
    finally:  # Lightning ignores Ctrl-C from an interrupt on; the caller's handling comes back
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_interrupt)
    return trainer


def peer_lost(exc: RuntimeError) -> bool:
    """Whether a collective failed because another rank's process is gone (gloo and NCCL say it thus)."""
    import torch.distributed

    text = str(exc)
    return isinstance(exc, torch.distributed.DistBackendError) or any(
        sign in text for sign in ("Connection closed by peer", "Connection reset by peer", "remote worker crashing"))
