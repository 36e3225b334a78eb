"""`train(config)`: build the network, data, loss, loggers and Trainer from a composed experiment and fit.

The run folder (`run_dir`, default `FUSION_BENCH_HOME/runs/<name>`) holds `config.yaml` (the resolved
config), `checkpoints/` (`last.ckpt` every `trainer.checkpoint_every_n_steps` and at the end: model,
optimiser, LR schedule, EMA copy, step and data position), `csv/metrics.csv` (`csv/resume<step>/` after a resume), `wandb/` (offline unless
`WANDB_MODE` says otherwise), `images/` (fused images of each validation) and, after training,
`ema_weights.pth` (the EMA network's state dict, what inference loads).

Checkpoints are read with `torch.load(weights_only=True)` (tensors and plain containers only; ours hold
nothing else). A run whose checkpoint already reached `trainer.max_steps` is not trained again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, Logger, WandbLogger
from omegaconf import DictConfig, OmegaConf
from torch import nn

from fusion_bench.errors import ConfigError
from fusion_bench.losses.composite import FusionLoss, LossConfig
from fusion_bench.paths import home_dir
from fusion_bench.training.config import to_yaml
from fusion_bench.training.console import progress_bar, quiet_third_party
from fusion_bench.training.export import read_checkpoint
from fusion_bench.training.module import FusionModule, OptimConfig
from fusion_bench.training.synthetic_exposure import SyntheticExposureConfig, SyntheticExposureDataModule


@dataclass
class RunResult:
    """`steps`: the step the run stands at; `start_step`: where this call began (0, or the resumed
    checkpoint's step). `steps == start_step`: nothing was trained (the checkpoint had reached max_steps)."""

    run_dir: Path
    checkpoint: Path | None
    metrics: dict[str, float]
    steps: int
    start_step: int = 0

    @property
    def trained_steps(self) -> int:
        return self.steps - self.start_step


def run_dir_of(config: DictConfig) -> Path:
    return Path(config.run_dir) if config.run_dir else home_dir() / "runs" / config.name


def build_network(model: DictConfig) -> nn.Module:
    """The plain MGDN network for `name: mgdn`, else the registered method."""
    settings: dict[str, Any] = OmegaConf.to_container(model.config)  # type: ignore[assignment]
    if model.name == "mgdn":
        from fusion_bench.models.mgdn import MGDNConfig, build_mgdn

        return build_mgdn(MGDNConfig.from_dict(settings))
    from fusion_bench.models.registry import create_method

    return create_method(model.name, **settings)


def build_datamodule(data: DictConfig) -> L.LightningDataModule:
    if data.kind == "synthetic_exposure":
        return SyntheticExposureDataModule(OmegaConf.to_object(data.synthetic_exposure))  # type: ignore[arg-type]
    from fusion_bench.data.datamodules import FusionDataModule

    return FusionDataModule(**OmegaConf.to_container(data.catalogue))  # type: ignore[arg-type]


def build_module(config: DictConfig, network: nn.Module | None = None) -> FusionModule:
    network = network if network is not None else build_network(config.model)
    loss = FusionLoss(LossConfig.from_dict(OmegaConf.to_container(config.loss)))  # type: ignore[arg-type]
    return FusionModule(network, loss, OmegaConf.to_object(config.optim), config.trainer.max_steps,  # type: ignore[arg-type]
                        list(config.metrics), config.convention, config.model.feature_module,
                        config.logger.log_images, hparams=OmegaConf.to_container(config, resolve=True))


def build_loggers(config: DictConfig, run_dir: Path, resumed_step: int | None = None) -> list[Logger]:
    """CSV (in `csv/`, or `csv/resume<step>/` for a resumed run: Lightning's CSV writer would delete the
    earlier file) and W&B."""
    loggers: list[Logger] = []
    if config.logger.csv:
        version = "" if resumed_step is None else f"resume{resumed_step:06d}"
        loggers.append(CSVLogger(save_dir=str(run_dir), name="csv", version=version))
    if config.logger.wandb:
        os.environ.setdefault("WANDB_MODE", "offline")
        wandb_logger = WandbLogger(project=config.logger.project, entity=config.logger.entity, name=config.name,
                                   save_dir=str(run_dir), tags=list(config.logger.tags),
                                   offline=os.environ["WANDB_MODE"] == "offline",
                                   config=OmegaConf.to_container(config, resolve=True))
        # Lightning passes `anonymous=None` to `wandb.init`, which wandb >= 0.19 answers with a warning that
        # the (deprecated) setting has no effect; leaving it out changes nothing else.
        wandb_logger._wandb_init.pop("anonymous", None)
        loggers.append(wandb_logger)
    return loggers


class LogLastStep(Callback):
    """Log the last training step's values when `log_every_n_steps` would skip it, so that every run's
    `csv/metrics.csv` (and W&B history) ends with its final step, even a run shorter than the interval."""

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        steps = trainer.global_step  # already counts this batch's optimiser step
        if steps < trainer.max_steps or steps % trainer.log_every_n_steps == 0:  # not last, or Lightning logs it
            return
        values = {key: float(value) for key, value in trainer.callback_metrics.items() if key.startswith("train/")}
        for logger in trainer.loggers:
            # As Lightning's own rows: numbered from step 0, with the epoch.
            logger.log_metrics({**values, "epoch": trainer.current_epoch}, step=steps - 1)
            logger.save()


def resume_path(config: DictConfig, run_dir: Path) -> Path | None:
    if config.resume is None:
        return None
    if config.resume == "auto":
        last = run_dir / "checkpoints" / "last.ckpt"
        return last if last.is_file() else None
    path = Path(config.resume)
    if not path.is_file():
        raise ConfigError(f"resume: no checkpoint {path}; give an existing .ckpt, 'auto' or null")
    return path


def build_trainer(config: DictConfig, run_dir: Path, resumed_step: int | None = None) -> L.Trainer:
    t = config.trainer
    checkpoint = ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="step{step:06d}",
                                 auto_insert_metric_name=False, every_n_train_steps=t.checkpoint_every_n_steps,
                                 save_last=True, save_top_k=t.keep_checkpoints, save_on_train_epoch_end=False)
    callbacks: list[Any] = [checkpoint]
    loggers = build_loggers(config, run_dir, resumed_step)
    if loggers:
        callbacks += [LearningRateMonitor(logging_interval="step"), LogLastStep()]
    bar = config.logger.progress_bar
    if (bar_callback := progress_bar(bar)) is not None:
        callbacks.append(bar_callback)
    return L.Trainer(
        max_steps=t.max_steps, max_epochs=-1, accelerator=t.accelerator, devices=t.devices, num_nodes=t.num_nodes,
        strategy=t.strategy, precision=t.precision, gradient_clip_val=t.gradient_clip_val,
        val_check_interval=t.val_check_interval, check_val_every_n_epoch=None,
        limit_val_batches=t.limit_val_batches, log_every_n_steps=t.log_every_n_steps,
        deterministic=t.deterministic, logger=loggers or False, callbacks=callbacks,
        enable_progress_bar=bar != "none", default_root_dir=str(run_dir),
        # The training sampler already gives each process its own share and resumes mid-stream.
        use_distributed_sampler=False, num_sanity_val_steps=0,
        # Evaluate under no_grad, not inference_mode: the metrics memoise on tensor versions, which
        # inference tensors do not have.
        inference_mode=False,
    )


def _finish_wandb(trainer: L.Trainer, failed: bool) -> None:
    """Close the W&B run, so that the next run in this process (sweeps, tests) starts its own."""
    if any(isinstance(logger, WandbLogger) for logger in trainer.loggers):
        import wandb

        if wandb.run is not None:
            wandb.finish(exit_code=1 if failed else 0)


def train(config: DictConfig, print_config: bool = True) -> RunResult:
    """Fit the experiment (resuming per `config.resume`), then export the EMA weights. Rank 0 prints.

    A checkpoint that has reached `trainer.max_steps` trains nothing: the result has `trained_steps == 0`.
    """
    run_dir = run_dir_of(config)
    run_dir.mkdir(parents=True, exist_ok=True)
    rank = int(os.environ.get("LOCAL_RANK", "0"))
    ckpt = resume_path(config, run_dir)
    resumed_step = int(read_checkpoint(ckpt)["global_step"]) if ckpt else None
    last = run_dir / "checkpoints" / "last.ckpt"
    if resumed_step is not None and resumed_step >= config.trainer.max_steps:
        return RunResult(run_dir, ckpt, {}, resumed_step, resumed_step)
    if rank == 0:
        (run_dir / "config.yaml").write_text(to_yaml(config))
        if print_config:
            print(to_yaml(config), flush=True)
    if config.trainer.threads is not None:
        # On a shared CPU, one thread per process is several times faster than spin-waiting OpenMP threads.
        torch.set_num_threads(config.trainer.threads)
    L.seed_everything(config.seed, workers=True, verbose=False)
    module = build_module(config)
    datamodule = build_datamodule(config.data)
    with quiet_third_party():
        trainer = build_trainer(config, run_dir, resumed_step)
        failed = True
        try:
            trainer.fit(module, datamodule=datamodule, ckpt_path=str(ckpt) if ckpt else None, weights_only=True)
            # The step checkpoints come every `checkpoint_every_n_steps`; the final step always gets one
            # too, with the full training state (what a resume needs).
            trainer.save_checkpoint(last, weights_only=False)
            failed = False
        finally:
            _finish_wandb(trainer, failed)
    if trainer.is_global_zero:
        torch.save(module.inference_network.state_dict(), run_dir / "ema_weights.pth")
    metrics = {key: float(value) for key, value in trainer.callback_metrics.items()}
    return RunResult(run_dir, last, metrics, trainer.global_step, resumed_step or 0)
