"""One registry for every method (MGDN, classical fusers, network ports).

    @register_method(MethodInfo(name="average", ...))
    def build_average(config: dict) -> Fuser: ...

`create_method(name, **overrides)` merges the overrides into `info.default_config` (unknown keys are an
error) and calls the factory. Method modules register themselves on import; `_ensure_loaded` imports
them all once.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from typing import Any

from fusion_bench.errors import ConfigError, UnknownNameError
from fusion_bench.models.base import Fuser, MethodInfo

Factory = Callable[[dict[str, Any]], Fuser]

_REGISTRY: dict[str, tuple[MethodInfo, Factory]] = {}

# Modules that register methods when imported. Each method family lives in its own module.
METHOD_MODULES: tuple[str, ...] = (
    "fusion_bench.models.classical",
    "fusion_bench.models.mgdn",
    "fusion_bench.models.ports",
)
_loaded = False


def register_method(info: MethodInfo) -> Callable[[Factory], Factory]:
    """Decorator registering `factory(config) -> Fuser` under `info.name`."""

    def decorator(factory: Factory) -> Factory:
        if info.name in _REGISTRY:
            raise ValueError(f"method {info.name!r} is registered twice")
        _REGISTRY[info.name] = (info, factory)
        return factory

    return decorator


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    for module in METHOD_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real import error inside the module: surface it
                raise
    _loaded = True


def list_methods(task: str | None = None) -> list[MethodInfo]:
    """Registered methods, sorted by kind then name; `task` filters to "mef" or "mff"."""
    _ensure_loaded()
    infos = [info for info, _ in _REGISTRY.values() if task is None or task in info.tasks]
    return sorted(infos, key=lambda info: (info.kind, info.name))


def get_method_info(name: str) -> MethodInfo:
    _ensure_loaded()
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownNameError(f"unknown method {name!r}; registered methods: {known}")
    return _REGISTRY[name][0]


def method_module(name: str) -> str:
    """The module defining the method's factory (where its code starts; used to version its results)."""
    get_method_info(name)
    return _REGISTRY[name][1].__module__


def resolve_config(name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The method's default config with `overrides` applied; an unknown key is a `ConfigError`."""
    info = get_method_info(name)
    config = dict(info.default_config)
    for key, value in (overrides or {}).items():
        if key not in config:
            allowed = ", ".join(sorted(config)) or "none"
            raise ConfigError(f"method {name!r} has no config key {key!r}; allowed keys: {allowed}")
        config[key] = value
    return config


def config_hash(name: str, config: dict[str, Any]) -> str:
    """A short stable hash of (method name, resolved config), used to key results."""
    payload = json.dumps({"method": name, "config": config}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def create_method(name: str, **overrides: Any) -> Fuser:
    """Build a registered method with its default config updated by `overrides`."""
    info = get_method_info(name)
    config = resolve_config(name, overrides)
    fuser = _REGISTRY[name][1](config)
    fuser.info = info
    fuser.config = config
    return fuser
