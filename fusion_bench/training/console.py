"""What a training run prints: our config, progress and metrics, without third-party noise.

- `progress_bar(kind)`: Lightning's Rich or tqdm bar, described in steps ("steps 1-20 of 20"): a run is
  bounded by `trainer.max_steps` with `max_epochs=-1`, which Lightning's own description shows as
  "Epoch 0/-2". The bar shows `train/loss`, not the logger's version number.
- `quiet_third_party()`: a context for `Trainer.fit` that drops, by exact message, what does not apply to
  our runs: Lightning's advertising tips ("💡 Tip: ... litlogger"), its warning about modules in eval mode
  (the EMA copy is in eval mode on purpose: it is never trained, only evaluated), and a deprecation inside
  Lightning itself (`LeafSpec`). Everything else, including any other warning, is shown as before.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ProgressBar, RichProgressBar, TQDMProgressBar

# Messages (regular expressions for `warnings`, prefixes for logging) that say nothing about our runs.
IGNORED_WARNINGS: tuple[str, ...] = (
    r"Found \d+ module\(s\) in eval mode at the start of training",
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",
    # `ResumableSampler` restarts mid-stream; Lightning cannot see that, so its warning does not apply.
    r".*your dataloader is not resumable",
)
IGNORED_LOG_PREFIXES: tuple[str, ...] = ("💡 Tip:",)
LIGHTNING_LOGGERS: tuple[str, ...] = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero",
                                      "lightning_fabric.utilities.rank_zero")


def steps_description(trainer: L.Trainer, batches: float) -> str:
    """`steps a-b of max_steps` for the batches of the epoch about to run (1-based, as the bar counts)."""
    start = trainer.global_step
    end = start + batches if batches != float("inf") else trainer.max_steps
    return f"steps {start + 1}-{int(min(end, trainer.max_steps))} of {trainer.max_steps}"


def _without_version(metrics: dict[str, Any]) -> dict[str, Any]:
    metrics.pop("v_num", None)
    return metrics


class StepsRichProgressBar(RichProgressBar):
    """`RichProgressBar` whose training bar is described in steps."""

    def _get_train_description(self, current_epoch: int) -> str:
        return steps_description(self.trainer, self.total_train_batches)

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        return _without_version(super().get_metrics(trainer, pl_module))


class StepsTQDMProgressBar(TQDMProgressBar):
    """`TQDMProgressBar` whose training bar is described in steps."""

    def on_train_epoch_start(self, trainer: L.Trainer, *args: Any) -> None:
        super().on_train_epoch_start(trainer, *args)
        self.train_progress_bar.set_description(steps_description(trainer, self.total_train_batches))

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        return _without_version(super().get_metrics(trainer, pl_module))


def progress_bar(kind: str) -> ProgressBar | None:
    """The bar for `logger.progress_bar` ("rich", "tqdm"; "none": None)."""
    return {"rich": StepsRichProgressBar, "tqdm": StepsTQDMProgressBar}.get(kind, lambda: None)()


class _DropPrefixes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(IGNORED_LOG_PREFIXES)


@contextmanager
def quiet_third_party() -> Iterator[None]:
    """Within the block, drop the messages named in `IGNORED_WARNINGS` / `IGNORED_LOG_PREFIXES` (module
    docstring); restore everything on exit."""
    drop = _DropPrefixes()
    loggers = [logging.getLogger(name) for name in LIGHTNING_LOGGERS]
    for logger in loggers:
        logger.addFilter(drop)
    try:
        with warnings.catch_warnings():
            for message in IGNORED_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)
