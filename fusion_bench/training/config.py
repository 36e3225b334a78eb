"""Experiment configs: OmegaConf composition of the `experiments/` groups, dot-list overrides, strict checks.

An experiment file names one file per group and states only what differs:

    defaults: {data: synthetic_exposure, model: mgdn_mef, loss: mgdn, optim: adam, trainer: cpu, logger: offline}
    name: mgdn_mef
    trainer: {max_steps: 6000}

`compose(path, overrides)` merges, in order: the `Experiment` schema's defaults, each group file
`<experiments>/<group>/<choice>.yaml`, the experiment body, then the `key=value` overrides (the form W&B
sweeps pass). Merging into the typed schema makes an unknown key or a value of the wrong type a
`ConfigError` naming the key, before anything is built; value checks (ranges, choices) follow in `validate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from fusion_bench.config_files import error_reason, load_yaml, merge_config
from fusion_bench.errors import ConfigError
from fusion_bench.losses.composite import LossConfig
from fusion_bench.training.module import OptimConfig
from fusion_bench.training.synthetic_exposure import SyntheticExposureConfig

GROUPS: tuple[str, ...] = ("data", "model", "loss", "optim", "trainer", "logger")


@dataclass
class CatalogueDataConfig:
    """`data.catalogue`: a catalogue dataset through `FusionDataModule` (SICE, RealMFF, a user folder)."""

    dataset: str = "SICE"
    root: str | None = None
    channels: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    crop_size: int = 128
    batch_size: int = 8
    val_fraction: float = 0.1
    seed: int = 0
    num_workers: int = 0


@dataclass
class DataConfig:
    kind: str = "synthetic_exposure"  # synthetic_exposure | catalogue
    synthetic_exposure: SyntheticExposureConfig = field(default_factory=SyntheticExposureConfig)
    catalogue: CatalogueDataConfig = field(default_factory=CatalogueDataConfig)


@dataclass
class ModelConfig:
    """`name`: "mgdn" (the plain network, `config` = `MGDNConfig` fields) or a registered method name
    (`config` = overrides of its default config). `feature_module`: where the NMI loss reads features."""

    name: str = "mgdn"
    config: dict[str, Any] = field(default_factory=dict)
    feature_module: str | None = None


@dataclass
class TrainerConfig:
    """Lightning `Trainer` settings (more GPUs or nodes: `accelerator`, `devices`, `num_nodes`, `strategy`)."""

    max_steps: int = 5500
    accelerator: str = "cpu"
    devices: Any = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    gradient_clip_val: float | None = 1.0
    val_check_interval: int = 500
    limit_val_batches: Any = 1.0
    log_every_n_steps: int = 10
    checkpoint_every_n_steps: int = 100
    keep_checkpoints: int = 1  # step checkpoints kept besides last.ckpt (-1: all)
    deterministic: bool = False
    threads: int | None = None  # torch intra-op threads per process (None: torch's default)


@dataclass
class LoggerConfig:
    wandb: bool = True
    csv: bool = True
    project: str = "fusion_bench"
    entity: str | None = None
    tags: list[str] = field(default_factory=list)
    log_images: int = 2
    progress_bar: str = "rich"  # rich | tqdm | none


@dataclass
class Experiment:
    name: str = "experiment"
    seed: int = 0
    run_dir: str | None = None  # default FUSION_BENCH_HOME/runs/<name>
    resume: str | None = "auto"  # auto (run_dir/checkpoints/last.ckpt if present) | a path | null
    metrics: list[str] = field(default_factory=lambda: ["EN", "SF", "SD", "Qabf"])
    convention: str = "mefb"
    defaults: dict[str, str] = field(default_factory=dict)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)


def experiments_dir(experiment: Path) -> Path:
    """The folder holding the group sub-folders: the experiment's folder, or its parent for sweeps/."""
    for folder in (experiment.parent, experiment.parent.parent):
        if all((folder / group).is_dir() for group in ("data", "model")):
            return folder
    return experiment.parent


def group_choices(root: Path, group: str) -> list[str]:
    """The files a `defaults.<group>` may name: `<root>/<group>/*.yaml` without the suffix."""
    return sorted(path.stem for path in (root / group).glob("*.yaml"))


def _parse_override(override: str) -> DictConfig:
    if "=" not in override:
        raise ConfigError(f"override {override!r}: expected key=value (e.g. trainer.max_steps=20)")
    try:
        return OmegaConf.from_dotlist([override])
    except OmegaConfBaseException as exc:
        raise ConfigError(f"override {override!r}: {error_reason(exc)}") from exc


def _is_group_choice(override: str) -> bool:
    key = override.split("=", 1)[0].strip()
    return key == "defaults" or key.startswith("defaults.")


def _defaults(path: Path, body: DictConfig, overrides: Sequence[str]) -> dict[str, str]:
    """The group choices: the experiment's `defaults:` with `defaults.<group>=<choice>` overrides applied."""
    choices = body.get("defaults") or {}
    if not isinstance(choices, DictConfig):
        raise ConfigError(f"{path}: 'defaults' must map groups to file names, e.g. {{model: mgdn_mef}}")
    merged = {str(group): choice for group, choice in choices.items()}
    for override in overrides:
        if _is_group_choice(override):
            dotted = _parse_override(override)
            value = dotted.get("defaults")
            if not isinstance(value, DictConfig):
                raise ConfigError(f"override {override!r}: give one group, e.g. defaults.model=mgdn_tiny")
            merged.update({str(group): choice for group, choice in value.items()})
    for group, choice in merged.items():
        if group not in GROUPS:
            raise ConfigError(f"defaults.{group}: unknown group; groups are {', '.join(GROUPS)}")
        if not isinstance(choice, str) or not choice:
            raise ConfigError(f"defaults.{group}: expected a file name under {group}/, got {choice!r}")
    return merged


def compose(path: str | Path, overrides: Sequence[str] = ()) -> DictConfig:
    """The resolved, type-checked experiment (see the module docstring). Raises `ConfigError`.

    A `defaults.<group>=<choice>` override picks another group file (applied before the groups are merged);
    a choice with no file is an error listing the group's files.
    """
    path = Path(path)
    body = load_yaml(path, "experiment")
    root = experiments_dir(path)
    config: DictConfig = OmegaConf.structured(Experiment)
    choices = _defaults(path, body, overrides)
    for group, choice in choices.items():
        group_file = root / group / f"{choice}.yaml"
        if not group_file.is_file():
            known = group_choices(root, group)
            raise ConfigError(f"defaults.{group}={choice}: no file {group_file}; choices for {group}: "
                              f"{', '.join(known) if known else f'none (no {root / group}/*.yaml)'}")
        config = merge_config(config, {group: load_yaml(group_file, f"defaults.{group}={choice}")}, str(group_file))
    config = merge_config(config, body, str(path))
    config.defaults = choices
    for override in overrides:
        if _is_group_choice(override):
            continue
        config = merge_config(config, _parse_override(override), f"override {override!r}")
    validate(config)
    return config


def validate(config: DictConfig) -> None:
    """Value checks that types cannot express; each failure names its key. Builds nothing heavy."""
    from fusion_bench.metrics.registry import CONVENTIONS, get_metric

    try:
        LossConfig.from_dict(OmegaConf.to_container(config.loss))  # type: ignore[arg-type]
    except TypeError as exc:
        raise ConfigError(f"loss: {exc}") from exc
    if config.data.kind not in ("synthetic_exposure", "catalogue"):
        raise ConfigError(f"data.kind must be synthetic_exposure or catalogue, got {config.data.kind!r}")
    if config.trainer.max_steps < 1:
        raise ConfigError(f"trainer.max_steps must be >= 1, got {config.trainer.max_steps}")
    for key in ("val_check_interval", "log_every_n_steps", "checkpoint_every_n_steps"):
        if config.trainer[key] < 1:
            raise ConfigError(f"trainer.{key} must be >= 1, got {config.trainer[key]}")
    if config.optim.lr <= 0:
        raise ConfigError(f"optim.lr must be > 0, got {config.optim.lr}")
    if not 0 <= config.optim.ema_decay < 1:
        raise ConfigError(f"optim.ema_decay must be in [0, 1), got {config.optim.ema_decay}")
    if config.optim.name not in ("adam", "adamw"):
        raise ConfigError(f"optim.name must be adam or adamw, got {config.optim.name!r}")
    if config.optim.scheduler not in ("none", "cosine", "multistep"):
        raise ConfigError(f"optim.scheduler must be none, cosine or multistep, got {config.optim.scheduler!r}")
    if config.convention not in CONVENTIONS:
        raise ConfigError(f"convention must be one of {CONVENTIONS}, got {config.convention!r}")
    if config.logger.progress_bar not in ("rich", "tqdm", "none"):
        raise ConfigError(f"logger.progress_bar must be rich, tqdm or none, got {config.logger.progress_bar!r}")
    for name in config.metrics:
        try:
            get_metric(name)
        except Exception as exc:
            raise ConfigError(f"metrics: {exc}") from exc
    _validate_model(config.model)
    _validate_data(config.data)


def _validate_data(data: DictConfig) -> None:
    from fusion_bench.training.synthetic_exposure import TEST_SETS, ExposureModel

    if data.kind != "synthetic_exposure":
        return
    synthetic = data.synthetic_exposure
    forbidden = sorted(set(synthetic.mfifb_sets) & TEST_SETS)
    if forbidden:
        raise ConfigError(f"data.synthetic_exposure.mfifb_sets: {forbidden} are MFF test sets here and cannot "
                          f"be training data")
    ExposureModel(tuple(synthetic.ev_under), tuple(synthetic.ev_over), synthetic.shot, synthetic.read)
    if not 0 <= synthetic.val_fraction < 1:
        raise ConfigError(f"data.synthetic_exposure.val_fraction must be in [0, 1), got {synthetic.val_fraction}")


def _validate_model(model: DictConfig) -> None:
    from fusion_bench.models.mgdn.config import MGDNConfig
    from fusion_bench.models.registry import resolve_config

    settings = OmegaConf.to_container(model.config)
    if model.name == "mgdn":
        MGDNConfig.from_dict(settings)  # type: ignore[arg-type]
    else:
        resolve_config(model.name, settings)  # type: ignore[arg-type]


def to_yaml(config: DictConfig) -> str:
    return OmegaConf.to_yaml(config, resolve=True)
