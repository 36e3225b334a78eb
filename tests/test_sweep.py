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
    with pytest.raises(ConfigError, match=f"sweep file {tmp_path / 'none.yaml'}: no such file"):
        load_sweep(tmp_path / "none.yaml")


def test_sweep_and_train_say_a_directory_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from fusion_bench.cli.main import main

    with pytest.raises(ConfigError, match=f"sweep file {tmp_path}: is a directory, not a file"):
        load_sweep(tmp_path)
    assert main(["train", str(tmp_path)]) == 1
    line = capsys.readouterr().err.strip()
    assert line.startswith("error:") and f"{tmp_path}: is a directory, not a file" in line
    assert "no such file" not in line


def _sweep_file(tmp_path: Path, **changes: object) -> Path:
    """experiments/sweeps/tiny.yaml with `changes` applied, its experiment given as an absolute path."""
    sweep = yaml.safe_load((REPO / "experiments" / "sweeps" / "tiny.yaml").read_text())
    sweep["command"] = [str(REPO / "experiments" / "tiny.yaml") if item == "experiments/tiny.yaml" else item
                        for item in sweep["command"]]
    sweep.update(changes)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    return path


@pytest.mark.parametrize(("changes", "named"), [
    ({"parameters": {"optim.lrr": {"values": [0.001]}}}, "parameters.optim.lrr"),
    ({"parameters": {"loss.nmi": {"min": -1.0, "max": 1.0}}}, "parameters.loss.nmi"),
    ({"metric": {"name": "val/psnr", "goal": "maximize"}}, "metric.name"),
    # Logged at validation only, and a 1-step trial never validates (val_check_interval 2).
    ({"command": ["${env}", "fusion-bench", "train", str(REPO / "experiments" / "tiny.yaml"), "trainer.max_steps=1",
                  "${args_no_hyphens}"]}, "metric.name"),
])
def test_check_refuses_parameters_and_metrics_the_experiment_does_not_have(
        tmp_path: Path, changes: dict, named: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = _sweep_file(tmp_path, **changes)
    assert main(["sweep", str(path), "--check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: sweep {named}") and err.count("\n") == 1, err
    # The run refuses the same, before any trial.
    assert main(["sweep", str(path), "--count", "1", "--dir", str(tmp_path / "sweep")]) == 1
    assert not list((tmp_path / "sweep").glob("trial-*"))


def test_failed_trials_record_and_print_their_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trial that fails (here: its network has no such feature module) is recorded with the reason, in a
    folder that exists; when every trial failed the exit code is 1."""
    path = _sweep_file(tmp_path, parameters={"model.feature_module": {"values": ["nosuch"]}})
    folder = tmp_path / "sweep"
    assert main(["sweep", str(path), "--count", "2", "--dir", str(folder), "--seed", "0"]) == 1
    err = capsys.readouterr().err
    records = [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]
    assert [r["state"] for r in records] == ["FAIL", "FAIL"]
    for record in records:
        assert "model.feature_module" in record["reason"] and "nosuch" in record["reason"]
        assert Path(record["run_dir"]).is_dir()
        assert json.loads((Path(record["run_dir"]) / "trial.json").read_text()) == record
        assert f"trial {record['number']}: FAIL {record['reason']} ({record['run_dir']})" in err
    assert err.strip().splitlines()[-1].startswith("error: all 2 trial(s) failed")
    with sqlite3.connect(folder / "study.db") as db:
        assert db.execute("select count(*) from trials where state = 'FAIL'").fetchone()[0] == 2
