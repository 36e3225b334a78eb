"""YAML config files read into typed OmegaConf schemas: one loader and one merge, whose errors name the file
and the key (training's experiments, `training.config`; evaluation's run files, `evaluation.config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from fusion_bench.errors import ConfigError
from fusion_bench.io.files import file_problem


def load_yaml(path: Path, what: str) -> DictConfig:
    """The mapping in the YAML file `path` (`what` names it in errors: "experiment", "--config", ...).

    Raises:
        ConfigError: the file is missing or unreadable, not YAML, or not a mapping.
    """
    problem = file_problem(path)
    if problem:
        raise ConfigError(f"{what} {path}: {problem}")
    try:
        loaded = OmegaConf.load(path)
    except Exception as exc:  # OmegaConf's, PyYAML's parser errors (not ValueErrors), OSError
        raise ConfigError(f"{path}: not a valid YAML config ({one_line(exc)})") from exc
    if not isinstance(loaded, DictConfig):
        raise ConfigError(f"{path}: a config file must be a mapping of keys")
    return loaded


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (YAML parser errors span several: what, then where)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def error_reason(exc: OmegaConfBaseException) -> str:
    """OmegaConf's message without the `full_key:` / `object_type=` lines it appends (the key is named already)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def merge_config(base: DictConfig, other: Any, source: str) -> DictConfig:
    """`other` merged into the typed `base`; an unknown key or a value of the wrong type is a `ConfigError`
    naming `source` and the key."""
    try:
        return OmegaConf.merge(base, other)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        raise ConfigError(f"{source}: invalid key or value {key!r}: {error_reason(exc)}") from exc
