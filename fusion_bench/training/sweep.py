"""W&B sweep files, checked against W&B's sweep-config rules and run offline with Optuna.

A sweep file is W&B's format (https://docs.wandb.ai/guides/sweeps/define-sweep-configuration):

    method: bayes                      # grid | random | bayes
    metric: {name: val/PSNR_ref, goal: maximize}
    parameters:
      optim.lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-3}
      loss.nmi: {values: [0.0, 0.5, 1.0]}
    command: [${env}, fusion-bench, train, experiments/mgdn_mef.yaml, ${args_no_hyphens}]

`wandb sweep FILE` + `wandb agent` run it online: the agent calls the command with `key=value` arguments
(`${args_no_hyphens}`), i.e. OmegaConf dot-list overrides. The wandb package ships no schema for sweep
files (it lives in W&B's separate `sweeps` service), so `check_sweep` implements its rules: allowed
top-level keys, method, metric with a goal, one of value / values / distribution per parameter with the
bounds that distribution needs, grid only over finite sets, bayes only with a metric.

Offline (`run_sweep`), the same file becomes an Optuna study: grid → `GridSampler`, random →
`RandomSampler`, bayes → `TPESampler` (a Bayesian optimiser, as W&B's bayes is), the goal → the study
direction, and each parameter → the matching `suggest_*` call (table in `docs/training.md`). The study is
stored in SQLite (`<sweep_dir>/study.db` unless `storage` is given), so several processes or machines
pointing at one database share it. Each trial is a normal training run with its own run folder, config
and logs; the metric is the run's last logged value of `metric.name`, as W&B's summary.

Before any trial (and by `--check`), `check_against_experiment` composes the experiment with each
parameter's values (every categorical value, the bounds of a range): an unknown key (`optim.lrr`), a value
of the wrong type or out of range fails naming `parameters.<key>`; and `metric.name` must be something a
trial logs (`module.logged_keys`), with a validation before `trainer.max_steps` for a `val/` metric. A trial
that fails anyway (an error while building or training, the metric missing from what it logged) is
recorded with its reason in `trials.jsonl` and `trial-NNN/trial.json`, and the sweep goes on.
"""

from __future__ import annotations

import json
import math
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from fusion_bench.errors import ConfigError, FusionBenchError
from fusion_bench.io.files import file_problem
from fusion_bench.paths import home_dir

TOP_LEVEL = {"program", "method", "parameters", "metric", "early_terminate", "command", "name", "description",
             "project", "entity", "run_cap", "job", "image_uri"}
METHODS = {"grid", "random", "bayes"}
GOALS = {"minimize", "maximize"}
MACROS = {"${env}", "${interpreter}", "${program}", "${args}", "${args_no_hyphens}", "${args_no_boolean_flags}",
          "${args_json}", "${args_json_file}"}
# distribution → the keys it needs (W&B's names; "log_uniform" bounds are natural-log exponents).
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "constant": ("value",), "categorical": ("values",), "int_uniform": ("min", "max"), "uniform": ("min", "max"),
    "q_uniform": ("min", "max"), "log_uniform": ("min", "max"), "log_uniform_values": ("min", "max"),
    "q_log_uniform": ("min", "max"), "q_log_uniform_values": ("min", "max"), "inv_log_uniform": ("min", "max"),
    "inv_log_uniform_values": ("min", "max"), "normal": ("mu", "sigma"), "q_normal": ("mu", "sigma"),
    "log_normal": ("mu", "sigma"), "q_log_normal": ("mu", "sigma"), "beta": ("a", "b"), "q_beta": ("a", "b"),
}
PARAMETER_KEYS = {"value", "values", "probabilities", "distribution", "min", "max", "mu", "sigma", "q", "a", "b",
                  "parameters"}
# What the offline runner can translate to Optuna (the others are valid W&B but have no Optuna sampler).
OFFLINE = {"constant", "categorical", "int_uniform", "uniform", "q_uniform", "log_uniform", "log_uniform_values",
           "q_log_uniform_values"}


def _error(where: str, message: str) -> ConfigError:
    return ConfigError(f"sweep {where}: {message}")


def flatten_parameters(parameters: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Nested `parameters:` blocks → {"optim.lr": spec, ...} (W&B passes nested names dotted)."""
    flat: dict[str, dict[str, Any]] = {}
    for name, spec in parameters.items():
        key = f"{prefix}{name}"
        if not isinstance(spec, dict):
            raise _error(f"parameters.{key}", "must be a mapping with value, values or distribution")
        if "parameters" in spec:
            flat.update(flatten_parameters(spec["parameters"], f"{key}."))
        else:
            flat[key] = spec
    return flat


def _distribution(key: str, spec: dict[str, Any]) -> str:
    """The spec's distribution, defaulted as W&B does (values → categorical, min/max → by their types)."""
    if "distribution" in spec:
        return spec["distribution"]
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "min" in spec and "max" in spec:
        return "int_uniform" if isinstance(spec["min"], int) and isinstance(spec["max"], int) else "uniform"
    raise _error(f"parameters.{key}", "needs value, values, min/max or a distribution")


def check_sweep(sweep: dict[str, Any]) -> None:
    """Raise `ConfigError` naming the offending key if `sweep` breaks W&B's sweep-config rules."""
    unknown = sorted(set(sweep) - TOP_LEVEL)
    if unknown:
        raise _error(str(unknown), f"unknown top-level key(s); allowed: {sorted(TOP_LEVEL)}")
    method = sweep.get("method")
    if method not in METHODS:
        raise _error("method", f"must be one of {sorted(METHODS)}, got {method!r}")
    metric = sweep.get("metric")
    if metric is not None:
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
            raise _error("metric", "must be a mapping with a 'name'")
        if metric.get("goal", "minimize") not in GOALS:
            raise _error("metric.goal", f"must be minimize or maximize, got {metric.get('goal')!r}")
        extra = sorted(set(metric) - {"name", "goal", "target"})
        if extra:
            raise _error(f"metric.{extra[0]}", "unknown key; allowed: name, goal, target")
    elif method == "bayes":
        raise _error("metric", "bayes search needs a metric to optimise")
    parameters = sweep.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        raise _error("parameters", "must be a non-empty mapping of parameter names")
    for key, spec in flatten_parameters(parameters).items():
        extra = sorted(set(spec) - PARAMETER_KEYS)
        if extra:
            raise _error(f"parameters.{key}.{extra[0]}", f"unknown key; allowed: {sorted(PARAMETER_KEYS)}")
        distribution = _distribution(key, spec)
        if distribution not in DISTRIBUTIONS:
            raise _error(f"parameters.{key}.distribution", f"unknown distribution {distribution!r}")
        for needed in DISTRIBUTIONS[distribution]:
            if needed not in spec:
                raise _error(f"parameters.{key}", f"distribution {distribution} needs {needed!r}")
        if distribution == "categorical" and (not isinstance(spec["values"], list) or not spec["values"]):
            raise _error(f"parameters.{key}.values", "must be a non-empty list")
        if "min" in spec and "max" in spec and spec["min"] > spec["max"]:
            raise _error(f"parameters.{key}", f"min {spec['min']} > max {spec['max']}")
        if distribution.endswith("log_uniform_values") and spec["min"] <= 0:
            raise _error(f"parameters.{key}.min", "log_uniform_values needs min > 0")
        if method == "grid" and distribution not in ("constant", "categorical", "int_uniform", "q_uniform"):
            raise _error(f"parameters.{key}", f"grid search needs a finite set, not distribution {distribution}")
    command = sweep.get("command")
    if command is not None:
        if not isinstance(command, list) or not all(isinstance(item, str) for item in command):
            raise _error("command", "must be a list of strings")
        unknown_macros = [item for item in command if item.startswith("${") and item not in MACROS]
        if unknown_macros:
            raise _error("command", f"unknown macro(s) {unknown_macros}; W&B knows {sorted(MACROS)}")


def load_sweep(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise ConfigError(f"sweep file {path}: {problem}")
    try:
        sweep = OmegaConf.to_container(OmegaConf.load(path))
    except Exception as exc:
        from fusion_bench.config_files import one_line

        raise ConfigError(f"{path}: not valid YAML ({one_line(exc)})") from exc
    if not isinstance(sweep, dict):
        raise ConfigError(f"{path}: a sweep file is a mapping (method, metric, parameters, command)")
    check_sweep(sweep)
    return sweep


@dataclass(frozen=True)
class TrainCommand:
    """What the sweep's `command` runs: the experiment file and the fixed overrides before the sweep's own."""

    experiment: Path
    overrides: tuple[str, ...]


def parse_command(sweep: dict[str, Any], base: Path) -> TrainCommand:
    """Find `train EXPERIMENT [key=value ...]` in the command; relative paths are resolved against `base`
    (the folder the sweep is launched from) and, failing that, the sweep file's experiments folder."""
    command = [item for item in sweep.get("command", []) if item not in MACROS]
    if "train" not in command or command.index("train") + 1 >= len(command):
        raise _error("command", "must run `fusion-bench train EXPERIMENT.yaml ${args_no_hyphens}`")
    position = command.index("train")
    experiment = Path(command[position + 1])
    fixed = tuple(command[position + 2:])
    if not experiment.is_absolute():
        experiment = base / experiment
    problem = file_problem(experiment)
    if problem:
        raise _error("command", f"experiment file {experiment}: {problem}")
    return TrainCommand(experiment, fixed)


def _format(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _probe_values(key: str, spec: dict[str, Any]) -> list[Any]:
    """Values a trial may pass for `key`, enough to check its key, type and range: every categorical value,
    the bounds of a range, the centre of an unbounded distribution."""
    distribution = _distribution(key, spec)
    if distribution == "constant":
        return [spec["value"]]
    if distribution == "categorical":
        return list(spec["values"])
    if distribution == "int_uniform":
        return [int(spec["min"]), int(spec["max"])]
    if distribution in ("log_uniform", "q_log_uniform"):  # bounds are natural-log exponents
        return [math.exp(spec["min"]), math.exp(spec["max"])]
    if "min" in spec:
        return [float(spec["min"]), float(spec["max"])]
    if "mu" in spec:
        return [math.exp(spec["mu"]) if "log" in distribution else float(spec["mu"])]
    return [spec["a"] / (spec["a"] + spec["b"])]  # beta: its mean


def check_metric(metric: str, config: DictConfig) -> None:
    """Raise `ConfigError` unless a run of `config` logs `metric` (what `FusionModule` logs, and whether a
    validation runs before `trainer.max_steps`)."""
    from fusion_bench.training.module import logged_keys

    keys = logged_keys(OmegaConf.to_container(config.loss), list(config.metrics))  # type: ignore[arg-type]
    if metric not in keys:
        raise _error("metric.name", f"{metric!r} is never logged by this experiment; it logs "
                                    f"{', '.join(sorted(keys))}")
    trainer = config.trainer
    if keys[metric].startswith("validation") and (trainer.val_check_interval > trainer.max_steps
                                                  or trainer.limit_val_batches == 0):
        raise _error("metric.name", f"{metric!r} is logged at validation (every {trainer.val_check_interval} "
                                    f"steps, limit_val_batches {trainer.limit_val_batches}), but a trial stops at "
                                    f"trainer.max_steps={trainer.max_steps} without one")


def check_against_experiment(sweep: dict[str, Any], command: TrainCommand) -> None:
    """Before any training: every parameter's key, type and range against the composed experiment (each
    value from `_probe_values` as an override), and the metric against what a trial logs (it must be
    logged with the command's own settings or with one of the probed values). Raises `ConfigError` naming
    the parameter or `metric.name`."""
    from fusion_bench.training.config import compose

    configs = [compose(command.experiment, command.overrides)]
    for key, spec in flatten_parameters(sweep["parameters"]).items():
        for value in _probe_values(key, spec):
            try:
                configs.append(compose(command.experiment, [*command.overrides, f"{key}={_format(value)}"]))
            except ConfigError as exc:
                raise _error(f"parameters.{key}", f"{_format(value)} does not fit the experiment: {exc}") from exc
    metric = sweep.get("metric")
    if not metric:
        return
    problems = []
    for config in configs:
        try:
            check_metric(metric["name"], config)
            return
        except ConfigError as exc:
            problems.append(exc)
    raise problems[0]


def _suggest(trial: Any, key: str, spec: dict[str, Any]) -> Any:
    distribution = _distribution(key, spec)
    if distribution not in OFFLINE:
        raise _error(f"parameters.{key}", f"distribution {distribution} has no offline (Optuna) equivalent; "
                                          f"offline runs support {sorted(OFFLINE)}")
    if distribution == "constant":
        return spec["value"]
    if distribution == "categorical":
        return trial.suggest_categorical(key, spec["values"])
    low, high = spec["min"], spec["max"]
    if distribution == "int_uniform":
        return trial.suggest_int(key, int(low), int(high))
    if distribution == "uniform":
        return trial.suggest_float(key, float(low), float(high))
    if distribution == "q_uniform":
        return trial.suggest_float(key, float(low), float(high), step=float(spec.get("q", 1.0)))
    if distribution == "log_uniform":  # W&B: exp of a uniform draw in [min, max]
        return trial.suggest_float(key, math.exp(low), math.exp(high), log=True)
    value = trial.suggest_float(key, float(low), float(high), log=True)
    if distribution == "q_log_uniform_values":
        q = float(spec.get("q", 1.0))
        value = round(value / q) * q
    return value


def _grid_space(parameters: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    space: dict[str, list[Any]] = {}
    for key, spec in parameters.items():
        distribution = _distribution(key, spec)
        if distribution == "constant":
            space[key] = [spec["value"]]
        elif distribution == "categorical":
            space[key] = list(spec["values"])
        elif distribution == "int_uniform":
            space[key] = list(range(int(spec["min"]), int(spec["max"]) + 1))
        else:  # q_uniform
            q = float(spec.get("q", 1.0))
            steps = int(round((spec["max"] - spec["min"]) / q))
            space[key] = [spec["min"] + i * q for i in range(steps + 1)]
    return space


def make_sampler(sweep: dict[str, Any], parameters: dict[str, dict[str, Any]], seed: int | None) -> Any:
    import optuna

    method = sweep["method"]
    if method == "grid":
        return optuna.samplers.GridSampler(_grid_space(parameters), seed=seed)
    if method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


@dataclass
class TrialRecord:
    """One trial as `trials.jsonl` and `<run_dir>/trial.json` record it; `reason` says why a trial failed."""

    number: int
    overrides: list[str]
    run_dir: str
    value: float | None
    state: str
    reason: str | None = None


def _failure(exc: BaseException, run_dir: Path) -> str:
    """A failed trial's reason: our errors' own message; anything else (e.g. a torch error) with its type, its
    traceback written to `<run_dir>/traceback.txt`."""
    if isinstance(exc, FusionBenchError):
        return str(exc)
    (run_dir / "traceback.txt").write_text("".join(traceback.format_exception(exc)))
    return f"{type(exc).__name__}: {exc} (traceback in {run_dir / 'traceback.txt'})"


def _record(record: TrialRecord, folder: Path) -> None:
    line = json.dumps(record.__dict__)
    (Path(record.run_dir) / "trial.json").write_text(line + "\n")
    with open(folder / "trials.jsonl", "a") as handle:
        handle.write(line + "\n")


def run_sweep(path: str | Path, count: int, sweep_dir: str | Path | None = None, storage: str | None = None,
              base: Path | None = None, seed: int | None = None) -> list[TrialRecord]:
    """Run `count` trials of the sweep file offline (module docstring); returns this call's trials.

    `sweep_dir` (default `FUSION_BENCH_HOME/sweeps/<name>`) holds `study.db`, one run folder per trial
    (`trial-<n>/`, with its `config.yaml`, checkpoints, logs and `trial.json`) and `trials.jsonl` (overrides,
    metric, state and, for a failed trial, the reason). Parameters and the metric are checked against the
    experiment before any trial (`check_against_experiment`); a trial that fails (an error while training,
    the metric missing from what it logged) is recorded with its reason and the sweep goes on.
    """
    import optuna

    from fusion_bench.training.config import compose
    from fusion_bench.training.run import train

    path = Path(path)
    sweep = load_sweep(path)
    if count < 1:
        raise ConfigError(f"--count must be >= 1, got {count}")
    command = parse_command(sweep, base or Path.cwd())
    check_against_experiment(sweep, command)
    name = sweep.get("name") or path.stem
    folder = Path(sweep_dir) if sweep_dir else home_dir() / "sweeps" / name
    folder.mkdir(parents=True, exist_ok=True)
    parameters = flatten_parameters(sweep["parameters"])
    metric = sweep.get("metric") or {}
    direction = metric.get("goal", "minimize")
    study = optuna.create_study(study_name=name, storage=storage or f"sqlite:///{folder / 'study.db'}",
                                sampler=make_sampler(sweep, parameters, seed), direction=direction,
                                load_if_exists=True)
    records: list[TrialRecord] = []
    for _ in range(count):
        trial = study.ask()
        run_dir = folder / f"trial-{trial.number:03d}"
        run_dir.mkdir(parents=True, exist_ok=True)
        values = {key: _suggest(trial, key, spec) for key, spec in parameters.items()}
        overrides = [f"{key}={_format(value)}" for key, value in values.items()]
        trial.set_user_attr("overrides", overrides)
        trial.set_user_attr("run_dir", str(run_dir))
        record = TrialRecord(trial.number, overrides, str(run_dir), None, "COMPLETE")
        try:
            config = compose(command.experiment, [*command.overrides, *overrides, f"run_dir={run_dir}",
                                                  f"name={name}-trial{trial.number:03d}"])
            if metric:
                check_metric(metric["name"], config)
            result = train(config, print_config=False)
            if metric:
                if metric["name"] not in result.metrics:
                    raise ConfigError(f"sweep metric {metric['name']!r} was not logged; logged: "
                                      f"{', '.join(sorted(result.metrics))}")
                record.value = result.metrics[metric["name"]]
            study.tell(trial, record.value if metric else 0.0)
        except Exception as exc:  # a failed trial is recorded and the sweep goes on, as a W&B agent does
            record.state, record.reason = "FAIL", _failure(exc, run_dir)
            trial.set_user_attr("error", record.reason)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        _record(record, folder)
        records.append(record)
    return records
