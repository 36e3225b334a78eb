"""`FusionModule`: the LightningModule that trains, validates, tests and runs any fuser.

- training: random crops from the DataModule, `FusionLoss` on the output (and, for MGDN's NMI term, on the
  two sources' features, read by a forward hook on `feature_module`, whose output is that pair), optimiser and LR schedule from config, EMA of the weights.
- validation / test: full-size samples, batch size 1, through the EMA copy when EMA is on; a separate
  metric collection per stage (the metrics issue's torchmetrics classes), plus PSNR / SSIM against the
  reference image when the data has one. A few fused images are logged per validation.
- predict: writes each fused image as `<predict_dir>/<name>.png`.

Classical (parameter-free) fusers are test / predict only; `fit` refuses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure

from fusion_bench.errors import ConfigError
from fusion_bench.io.images import write_png
from fusion_bench.losses import FusionLoss
from fusion_bench.metrics.classes import build_metric_collection
from fusion_bench.training.ema import make_ema_copy, update_ema


@dataclass
class OptimConfig:
    """The `optim:` group: optimiser and per-step LR schedule."""

    name: str = "adam"  # adam | adamw
    lr: float = 2e-4
    weight_decay: float = 0.0
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    scheduler: str = "multistep"  # none | cosine | multistep
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.5
    min_lr: float = 1e-6
    ema_decay: float = 0.999  # 0 turns EMA off


def find_submodule(network: nn.Module, path: str) -> nn.Module:
    """`network.get_submodule(path)`, where a negative index counts from the end ("layers.-1": last block)."""
    module = network
    for part in path.split("."):
        try:
            if part.lstrip("-").isdigit() and isinstance(module, (nn.ModuleList, nn.Sequential)):
                module = module[int(part)]
            else:
                module = getattr(module, part)
        except (AttributeError, IndexError) as exc:
            raise ConfigError(f"model.feature_module: {type(network).__name__} has no submodule {path!r}") from exc
        if not isinstance(module, nn.Module):
            raise ConfigError(f"model.feature_module: {path!r} of {type(network).__name__} is not a module")
    return module


LOSS_TERMS: tuple[str, ...] = ("ssim", "intensity", "gradient", "nmi")  # `FusionLoss`'s terms, by weight name
REFERENCE_METRICS: tuple[str, ...] = ("PSNR_ref", "SSIM_ref")


def logged_keys(loss_weights: Mapping[str, Any], metrics: Sequence[str]) -> dict[str, str]:
    """What `FusionModule` logs during `fit` (the keys of `trainer.callback_metrics`) → when.

    `loss_weights`: the `loss:` settings (a term is logged when its weight is > 0); `metrics`: the
    validation metrics. Validation keys need a validation to run; `*_ref` ones also need reference images.
    """
    keys = {"train/loss": "training"}
    keys.update({f"train/{name}": "training" for name in LOSS_TERMS if loss_weights[name] > 0})
    keys.update({f"val/{name}": "validation" for name in metrics})
    keys.update({f"val/{name}": "validation, with reference images" for name in REFERENCE_METRICS})
    return keys


def _fused_grid(batch_sources: Sequence[torch.Tensor], fused: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """(3, H, k·W) strip: sources, fused, reference (first sample of the batch; grey expanded to RGB)."""
    tiles = [*(s[0] for s in batch_sources), fused[0]] + ([target[0]] if target is not None else [])
    return torch.cat([t.expand(3, -1, -1) for t in tiles], dim=-1).clamp(0, 1)


class FusionModule(L.LightningModule):
    """Wraps `network` (any registered `Fuser`, or a plain `nn.Module` mapping a list of sources to a fused image).

    Args:
        network: the fuser.
        loss: the training loss; None for test / predict only.
        optim: optimiser, schedule and EMA settings.
        max_steps: the run's step budget (for the cosine schedule).
        metrics: registered metric names computed in validation and test.
        convention: metric convention ("mefb" or "gray").
        feature_module: dotted name of the submodule whose output is the pair of per-source feature maps
            (MGDN: "layers.-1", the last block), or None.
        log_images: fused images logged per validation (the first validation batches).
        predict_dir: where `predict_step` writes PNGs.
        hparams: the resolved experiment config, saved in checkpoints and sent to the loggers.
    """

    def __init__(self, network: nn.Module, loss: FusionLoss | None = None, optim: OptimConfig | None = None,
                 max_steps: int = -1, metrics: Sequence[str] = (), convention: str = "mefb",
                 feature_module: str | None = None, log_images: int = 2, predict_dir: str | Path | None = None,
                 hparams: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.network = network
        self.loss = loss
        self.optim = optim or OptimConfig()
        self.max_steps = max_steps
        self.log_images = log_images
        self.predict_dir = Path(predict_dir) if predict_dir is not None else None
        self.save_hyperparameters(hparams or {})
        self.trainable = any(p.requires_grad for p in network.parameters())
        self.ema_network = make_ema_copy(network) if self.trainable and self.optim.ema_decay > 0 else None
        self.val_metrics = self._metric_objects(metrics, convention, "val/")
        self.test_metrics = self._metric_objects(metrics, convention, "test/")
        self.val_reference = self._reference_metrics("val/")
        self.test_reference = self._reference_metrics("test/")
        self._features: list[torch.Tensor] = []
        self._reference_seen = False
        self._pending_rng: torch.Tensor | None = None
        self._image_dir: Path | None = None
        if feature_module:
            find_submodule(network, feature_module).register_forward_hook(self._capture_features)

    @staticmethod
    def _metric_objects(names: Sequence[str], convention: str, prefix: str) -> MetricCollection | None:
        return build_metric_collection(list(names), convention).clone(prefix=prefix) if names else None

    @staticmethod
    def _reference_metrics(prefix: str) -> MetricCollection:
        return MetricCollection(dict(zip(REFERENCE_METRICS, (PeakSignalNoiseRatio(data_range=1.0),
                                                             StructuralSimilarityIndexMeasure(data_range=1.0)))),
                                prefix=prefix)

    def _capture_features(self, module: nn.Module, inputs: Any, output: Any) -> None:
        if not self.training:
            return
        if not (isinstance(output, (tuple, list)) and len(output) == 2 and all(torch.is_tensor(t) for t in output)):
            raise ConfigError(f"model.feature_module: {type(module).__name__} returns {type(output).__name__}, not "
                              f"the pair of per-source feature maps the NMI loss needs")
        self._features = list(output)

    def setup(self, stage: str) -> None:
        # `trainer.log_dir` is a collective under DDP: read it here, on every process, not from rank 0 alone.
        log_dir = self.trainer.log_dir
        self._image_dir = Path(log_dir) / "images" if log_dir is not None else None

    # ---- inference --------------------------------------------------------------------------------
    @property
    def inference_network(self) -> nn.Module:
        """The EMA copy when there is one (what is evaluated and exported), else the network itself."""
        return self.ema_network if self.ema_network is not None else self.network

    def fuse(self, sources: Sequence[torch.Tensor]) -> torch.Tensor:
        """(N, C, H, W) sources → fused (N, C', H, W) in [0, 1], no graph; a `Fuser` runs its own `fuse`."""
        network = self.inference_network
        if hasattr(network, "fuse"):
            fused = network.fuse(list(sources))
            # `Fuser.fuse` runs under inference_mode; a normal copy can be used by the metrics (they read
            # tensor versions) and by autograd-aware code.
            return fused.clone() if fused.is_inference() and not torch.is_inference_mode_enabled() else fused
        was_training = network.training
        network.eval()
        try:
            with torch.no_grad():
                return network(list(sources)).clamp(0.0, 1.0)
        finally:
            network.train(was_training)

    # ---- training ---------------------------------------------------------------------------------
    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Restored here, right before the first step after a resume, so that nothing run during
        # start-up (loader creation, logging) consumes the generator in between.
        if self._pending_rng is not None:
            torch.set_rng_state(self._pending_rng)
            self._pending_rng = None

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        sources = batch["sources"]
        self._features = []
        fused = self.network(list(sources))
        features = None
        if self.loss is not None and self.loss.needs_features:
            height, width = sources[0].shape[-2:]
            features = [f[..., :height, :width] for f in self._features] or None  # drop the network's padding
        total, terms = self.loss(fused, sources, features)
        batch_size = sources[0].shape[0]
        self.log("train/loss", total, prog_bar=True, batch_size=batch_size)
        for name, value in terms.items():
            self.log(f"train/{name}", value, batch_size=batch_size)
        return total

    def optimizer_step(self, *args: Any, **kwargs: Any) -> None:
        super().optimizer_step(*args, **kwargs)
        # The EMA follows each step here, not in `on_train_batch_end`: Lightning runs the checkpoint
        # callback's `on_train_batch_end` before the module's, so a step checkpoint would hold an EMA one
        # update behind its weights, and a run resumed from it would miss that update. Lightning counts
        # the step in `global_step` once this hook returns.
        if self.ema_network is not None:
            update_ema(self.ema_network, self.network, self.optim.ema_decay, self.global_step + 1)

    def configure_optimizers(self) -> dict:
        if not self.trainable or self.loss is None:
            raise ConfigError(f"{type(self.network).__name__} has no trainable parameters or no loss; classical "
                              f"methods can only be tested (fusion-bench evaluate / Trainer.test)")
        cfg = self.optim
        params = [p for p in self.network.parameters() if p.requires_grad]
        kinds = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
        if cfg.name not in kinds:
            raise ConfigError(f"optim.name must be one of {sorted(kinds)}, got {cfg.name!r}")
        optimizer = kinds[cfg.name](params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)
        if cfg.scheduler == "none":
            return {"optimizer": optimizer}
        if cfg.scheduler == "cosine":
            if self.max_steps <= 0:
                raise ConfigError("optim.scheduler=cosine needs trainer.max_steps > 0")
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.max_steps, cfg.min_lr)
        elif cfg.scheduler == "multistep":
            scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(cfg.milestones), cfg.gamma)
        else:
            raise ConfigError(f"optim.scheduler must be none, cosine or multistep, got {cfg.scheduler!r}")
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # ---- evaluation -------------------------------------------------------------------------------
    def _evaluate(self, batch: dict, metrics: MetricCollection | None, reference: MetricCollection) -> torch.Tensor:
        sources = batch["sources"]
        fused = self.fuse(sources)
        if metrics is not None:
            metrics.update(sources, fused)
        target = batch.get("target")
        if target is not None and target.shape == fused.shape:
            reference.update(fused, target)
            self._reference_seen = True
        return fused

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        fused = self._evaluate(batch, self.val_metrics, self.val_reference)
        if batch_idx < self.log_images and self.global_rank == 0:
            self._log_image(f"{batch['name'][0]}", _fused_grid(batch["sources"], fused, batch.get("target")))

    def on_validation_epoch_end(self) -> None:
        self._log_collections(self.val_metrics, self.val_reference)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, self.test_metrics, self.test_reference)

    def on_test_epoch_end(self) -> None:
        self._log_collections(self.test_metrics, self.test_reference)

    def _log_collections(self, metrics: MetricCollection | None, reference: MetricCollection) -> None:
        values: dict[str, torch.Tensor] = {}
        if metrics is not None:
            values.update(metrics.compute())
            metrics.reset()
        if self._reference_seen:
            values.update(reference.compute())
        reference.reset()
        self._reference_seen = False
        self.log_dict({k: v.float() for k, v in values.items()}, sync_dist=False)

    def _log_image(self, name: str, grid: torch.Tensor) -> None:
        for logger in self.loggers:
            if hasattr(logger, "log_image"):
                logger.log_image(key=f"val/fused/{name}", images=[grid.permute(1, 2, 0).cpu().numpy()],
                                 step=self.global_step)
        if self._image_dir is not None:
            write_png(grid, self._image_dir / f"step{self.global_step:06d}_{name}.png")

    def predict_step(self, batch: dict, batch_idx: int) -> list[Path]:
        if self.predict_dir is None:
            raise ConfigError("predict needs predict_dir (where the fused PNGs are written)")
        fused = self.fuse(batch["sources"])
        return [write_png(fused[i:i + 1], self.predict_dir / f"{name}.png") for i, name in enumerate(batch["name"])]

    # ---- checkpoints ------------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # Drop path draws from torch's global generator: keep its state so a resumed step is identical.
        checkpoint["rng_state"] = torch.get_rng_state()
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "samples_consumed"):
            checkpoint["data_state"] = {"samples_consumed": datamodule.samples_consumed(),
                                        "seed": datamodule.config.seed}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self._pending_rng = checkpoint.get("rng_state")
        state = checkpoint.get("data_state")
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if state and datamodule is not None and hasattr(datamodule, "config") and \
                state["seed"] != datamodule.config.seed:
            raise ConfigError(f"resume: the checkpoint's data seed is {state['seed']} but data.seed is "
                              f"{datamodule.config.seed}; resume with the run's own config")
