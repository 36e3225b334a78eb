"""Sweep files: W&B rule checks, translation to Optuna, and `fusion-bench sweep` running 2 trials."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import optuna
import pytest
import yaml

from fusion_bench.cli.main import main
from fusion_bench.errors import ConfigError
from fusion_bench.training.sweep import _grid_space, _suggest, check_sweep, flatten_parameters, load_sweep

REPO = Path(__file__).resolve().parent.parent
SWEEPS = sorted((REPO / "experiments" / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_shipped_sweep_files_pass_the_checks(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert main(["sweep", str(path), "--check"]) == 0
    # Plain YAML (as `wandb sweep` reads it) sees the same command list with W&B's macros.
    plain = yaml.safe_load(path.read_text())
    assert plain["command"][0] == "${env}" and plain["command"][-1] == "${args_no_hyphens}"


BASE = {"method": "random", "metric": {"name": "val/x", "goal": "maximize"},
        "parameters": {"optim.lr": {"min": 0.1, "max": 0.2}}}


@pytest.mark.parametrize(("change", "named"), [
    ({"methd": "grid"}, "methd"),
    ({"method": "hyperopt"}, "method"),
    ({"metric": {"name": "x", "goal": "up"}}, "metric.goal"),
    ({"method": "bayes", "metric": None}, "metric"),
    ({"parameters": {"a": {"distribution": "log_uniform_values", "min": 0, "max": 1}}}, "parameters.a.min"),
    ({"parameters": {"a": {"distribution": "normal", "mu": 0}}}, "parameters.a"),
    ({"parameters": {"a": {"valuez": [1]}}}, "parameters.a.valuez"),
    ({"method": "grid"}, "parameters.optim.lr"),
    ({"command": ["${env}", "${argz}"]}, "command"),
])
def test_invalid_sweeps_name_the_key(change: dict, named: str) -> None:
    sweep = {**BASE, **change}
    sweep = {key: value for key, value in sweep.items() if value is not None}
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        check_sweep(sweep)


def test_translation_to_optuna() -> None:
    parameters = flatten_parameters({
        "optim": {"parameters": {"lr": {"distribution": "log_uniform", "min": math.log(1e-4), "max": math.log(1e-2)}}},
        "loss.nmi": {"values": [0.0, 0.5]},
        "data.synthetic_exposure.crop_size": {"min": 32, "max": 64},
        "loss.ssim": {"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.5},
    })
    assert set(parameters) == {"optim.lr", "loss.nmi", "data.synthetic_exposure.crop_size", "loss.ssim"}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(20):
        trial = study.ask()
        values = {key: _suggest(trial, key, spec) for key, spec in parameters.items()}
        assert 1e-4 <= values["optim.lr"] <= 1e-2
        assert values["loss.nmi"] in (0.0, 0.5)
        assert isinstance(values["data.synthetic_exposure.crop_size"], int)
        assert values["loss.ssim"] in (0.0, 0.5, 1.0)
        study.tell(trial, 0.0)
    assert _grid_space({"a": {"distribution": "int_uniform", "min": 1, "max": 3}}) == {"a": [1, 2, 3]}


def test_sweep_runs_two_trials_and_records_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    folder = tmp_path / "sweep"
    assert main(["sweep", "experiments/sweeps/tiny.yaml", "--count", "2", "--dir", str(folder), "--seed", "0"]) == 0
    records = [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]
    assert [r["number"] for r in records] == [0, 1] and all(r["state"] == "COMPLETE" for r in records)
    for record in records:
        run = Path(record["run_dir"])
        config = (run / "config.yaml").read_text()
        for override in record["overrides"]:  # each trial's own values reached its resolved config
            key, value = override.split("=")
            assert f"{key.split('.')[-1]}: {value}" in config
        assert (run / "csv" / "metrics.csv").is_file() and (run / "checkpoints" / "last.ckpt").is_file()
        assert math.isfinite(record["value"])
    with sqlite3.connect(folder / "study.db") as db:
        assert db.execute("select count(*) from trials where state = 'COMPLETE'").fetchone()[0] == 2
    loaded = optuna.load_study(study_name="tiny", storage=f"sqlite:///{folder / 'study.db'}")
    assert loaded.direction == optuna.study.StudyDirection.MAXIMIZE
    assert {t.value for t in loaded.trials} == {r["value"] for r in records}


def test_load_sweep_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_sweep(tmp_path / "none.yaml")
