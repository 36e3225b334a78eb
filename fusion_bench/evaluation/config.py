"""A run file for `fusion-bench evaluate` and `fusion-bench reproduce` (`--config FILE.yaml`): what to run and
where, under the names of the flags; a flag given on the command line wins over the file.

    methods: all                   # or a list: [mgdn-mef, gff]  (evaluate)
    datasets: [MEFB, Lytro]
    metrics: [EN, SD, Qabf]        # default: MEFB's 20
    storage: imwrite               # default: each dataset's benchmark protocol
    convention: mefb               # evaluate only; default: each dataset's
    published: true                # evaluate only
    trainer:                       # Lightning's, the keys of training's `trainer` group
      accelerator: gpu
      devices: 8
      num_nodes: 4

`experiments/evaluation/` holds examples. The file is merged into the typed `EvaluationConfig`, so an unknown
key or a value of the wrong type is an error naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from fusion_bench.config_files import load_yaml, merge_config
from fusion_bench.errors import ConfigError


@dataclass
class PlacementConfig:
    """Where the run goes: Lightning's accelerator, devices per node (a count or "auto"; None: one process per
    core on the CPU, every GPU otherwise) and nodes."""

    accelerator: str | None = None
    devices: Any = None
    num_nodes: int | None = None


@dataclass
class EvaluationConfig:
    """The keys of a run file; None where the file says nothing (the flag's default then applies)."""

    methods: Any = None  # "all" or a list of registered names
    datasets: list[str] | None = None
    metrics: list[str] | None = None
    storage: str | None = None
    convention: str | None = None
    published: bool | None = None
    trainer: PlacementConfig = field(default_factory=PlacementConfig)


def load_evaluation_config(path: Path) -> EvaluationConfig:
    """The run file at `path`, type-checked.

    Raises:
        ConfigError: the file is missing, not YAML, has an unknown key or a value of the wrong type (`methods`
            neither "all" nor a list of names, `devices` neither "auto" nor a count of at least 1).
    """
    merged = merge_config(OmegaConf.structured(EvaluationConfig), load_yaml(path, "--config"), str(path))
    config: EvaluationConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    methods = config.methods
    if methods is not None and methods != "all" and not (
            isinstance(methods, list) and all(isinstance(name, str) for name in methods)):
        raise ConfigError(f"{path}: methods must be 'all' or a list of method names, got {methods!r}")
    devices = config.trainer.devices
    if devices is not None and devices != "auto" and not (isinstance(devices, int) and not isinstance(devices, bool)
                                                          and devices >= 1):
        raise ConfigError(f"{path}: trainer.devices must be 'auto' or a whole number of at least 1, got {devices!r}")
    if config.trainer.num_nodes is not None and config.trainer.num_nodes < 1:
        raise ConfigError(f"{path}: trainer.num_nodes must be at least 1, got {config.trainer.num_nodes}")
    return config
