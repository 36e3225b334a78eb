"""The evaluation as a Lightning prediction loop: `EvaluationModule.predict_step` runs an item's jobs (fuse
on `self.device`, store, read back, score: `worker.run_job`), `ResultsWriter` writes each item's rows to
the results store as soon as the item is done.

Devices, nodes and the DDP strategy are Lightning's (`runner.run_jobs` builds the Trainer); items are split
between ranks by `items.RankSampler`.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter

from fusion_bench.evaluation.allocator import keep_freed_memory
from fusion_bench.evaluation.jobs import Job
from fusion_bench.evaluation.worker import limit_threads, run_job
from fusion_bench.results.store import read_rows, write_rows

# (job, sources as loaded or None, device, why the sources could not be loaded) -> the job's rows
JobRunner = Callable[[Job, Sequence[torch.Tensor] | None, torch.device, str], list[dict]]


# Lightning's notes that do not apply here: the module keeps batches on the CPU on purpose (it overrides
# `transfer_batch_to_device`), and an item's index is not needed by the writer.
IGNORED_WARNINGS: tuple[str, ...] = (
    r"You have overridden `transfer_batch_to_device`",
    r"Couldn't infer the batch indices fetched from your dataloader",
)


@contextmanager
def quiet_lightning() -> Iterator[None]:
    """Within the block, Lightning says only what is wrong: its start-up notes (devices found, tips) are
    dropped, as are the warnings of `IGNORED_WARNINGS` and those training drops
    (`training.console.quiet_third_party`); the result is the command's own summary."""
    from fusion_bench.training.console import LIGHTNING_LOGGERS, quiet_third_party

    loggers = [logging.getLogger(name) for name in LIGHTNING_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    observer = logging.getLogger(RANK_OBSERVER_LOGGER)
    observer_state = (observer.level, observer.propagate)
    notice = RankDeathNotice()
    observer.setLevel(logging.INFO)
    observer.propagate = False
    observer.addHandler(notice)
    try:
        with quiet_third_party(), warnings.catch_warnings():
            for message in IGNORED_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
        observer.removeHandler(notice)
        observer.setLevel(observer_state[0])
        observer.propagate = observer_state[1]


# Lightning's watcher of the ranks it started: when one ends with an error code it logs that (at INFO) and
# then sends SIGKILL to every process of the run, this one included, so nothing of ours runs afterwards.
RANK_OBSERVER_LOGGER = "lightning.fabric.strategies.launchers.subprocess_script"
_RANK_DIED = re.compile(r"Child process with PID (\d+) terminated with code (-?\d+)")


_REPORTED = threading.Event()  # a rank's death has been reported: say it once
_REPORTING = threading.Lock()


def rank_death_reported() -> bool:
    """Note that this process reports a lost rank itself (`runner`: a collective failed), so that Lightning's
    observer, if it notices too before ending the run, adds no second line; returns whether the observer had
    already said it (then the caller says nothing more)."""
    with _REPORTING:
        already = _REPORTED.is_set()
        _REPORTED.set()
    return already


class RankDeathNotice(logging.Handler):
    """Says in one `error:` line on stderr, before Lightning's SIGKILL ends the run, which rank's process died
    and what is kept (the items every rank finished; a re-run computes the rest)."""

    def emit(self, record: logging.LogRecord) -> None:
        found = _RANK_DIED.search(record.getMessage())
        if found is None:
            return
        pid, code = found.group(1), int(found.group(2))
        if code in (130, -2) or rank_death_reported():  # 130, -2: Ctrl-C, which this process reports itself
            return
        how = " (killed by SIGKILL, e.g. for memory)" if code == -9 else (
            f" (signal {-code})" if code < 0 else "")
        sys.stderr.write(f"error: a process of this run (PID {pid}) ended with code {code}{how}; Lightning stops "
                         f"the others; the items finished are kept and a re-run computes the rest\n")
        sys.stderr.flush()


class EvaluationModule(L.LightningModule):
    """Runs the jobs of one item per `predict_step`, returning [(job, rows), ...].

    Args:
        execute: the function run per job (`worker.run_job`; tests pass wrappers).
        threads: torch threads of this process (None: leave the process's setting).
    """

    def __init__(self, execute: JobRunner = run_job, threads: int | None = None) -> None:
        super().__init__()
        self.execute = execute
        self.threads = threads

    def setup(self, stage: str) -> None:
        # In every process of the run (DDP children included): its share of the cores, and freed memory
        # kept for the next image (`allocator`).
        if self.threads is not None:
            limit_threads(self.threads)
        keep_freed_memory()

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        # Sources stay on the CPU, where the stored file is scored; `worker.fuse_job` moves them to the device.
        return batch

    def on_predict_end(self) -> None:
        # Every rank's rows are stored before rank 0 reads them back for its summary.
        self.trainer.strategy.barrier("evaluation stored")

    def predict_step(self, batch: dict, batch_idx: int) -> list[tuple[Job, list[dict]]]:
        return [(job, self.execute(job, batch["sources"], self.device, batch["error"])) for job in batch["jobs"]]


def record(job: Job, rows: list[dict], force: bool) -> None:
    """Write the image's rows atomically; rows of other metrics already in its file are kept (unless `force`)."""
    part = Path(job.part_path)
    kept = [] if force or not part.is_file() else [row for row in read_rows(part) if row["metric"] not in job.metrics]
    write_rows(part, kept + rows)


class ResultsWriter(BasePredictionWriter):
    """Writes each item's rows to the results store at the end of its batch, on the rank that ran it."""

    def __init__(self, force: bool = False) -> None:
        super().__init__(write_interval="batch")
        self.force = force

    def write_on_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, prediction: Any,
                           batch_indices: Sequence[int] | None, batch: Any, batch_idx: int,
                           dataloader_idx: int = 0) -> None:
        for job, rows in prediction:
            record(job, rows, self.force)
