"""What `fusion-bench train` says and writes around the training itself: config errors on one line, unknown
group choices refused before training, a console without third-party noise, the last step of a short run in
`csv/metrics.csv`, a finished run not trained again, and checkpoints read with `weights_only=True`."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.errors import CheckpointError, ConfigError
from fusion_bench.training.config import compose
from fusion_bench.training.export import read_checkpoint
from fusion_bench.training.module import logged_keys

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "experiments" / "tiny.yaml"


@pytest.mark.parametrize("override", ["trainer.max_stepz=3", "trainer.max_steps=many", "loss.nmi=-1"])
def test_config_errors_are_one_line(override: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(TINY), override]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert override.split("=")[0] in err


def test_unknown_group_choice_is_refused_before_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match=r"defaults\.model=nosuch: .*choices for model: mgdn_mef, mgdn_tiny"):
        compose(TINY, ["defaults.model=nosuch"])
    with pytest.raises(ConfigError, match=r"defaults\.modle: unknown group"):
        compose(TINY, ["defaults.modle=mgdn_tiny"])
    assert main(["train", str(TINY), "defaults.model=nosuch", f"run_dir={tmp_path / 'run'}"]) == 1
    assert not (tmp_path / "run").exists() and "defaults.model" in capsys.readouterr().err
    # A valid choice is applied before the groups are merged, and recorded.
    config = compose(TINY, ["defaults.model=mgdn_mef"])
    assert config.defaults.model == "mgdn_mef" and config.model.config.channels == 60


NOISE = ("💡 Tip", "litlogger", "anonymous setting", "module(s) in eval mode", "`weights_only` was not set",
         "Epoch 0/-2", "LeafSpec")


def test_short_run_console_csv_and_finished_resume(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Three steps with `log_every_n_steps=10`, W&B (offline) and CSV on, Rich's bar: the console has our
    progress and none of the third-party lines; the CSV ends with step 3's losses; running the finished run
    again trains nothing and says so."""
    run_dir = tmp_path / "run"
    args = ["train", str(TINY), f"run_dir={run_dir}", "trainer.max_steps=3", "trainer.log_every_n_steps=10",
            "logger.progress_bar=rich", "logger.wandb=true"]
    assert main(["--threads", "1", *args]) == 0
    out, err = capfd.readouterr()
    console = out + err
    for noise in NOISE:
        assert noise not in console, noise
    assert "steps 1-3 of 3" in console and "trained 3 steps to step 3" in console

    with open(run_dir / "csv" / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    last = [row for row in rows if row.get("train/loss")]
    assert [row["step"] for row in last] == ["2"] and float(last[0]["train/loss"]) > 0

    # What the sweep checks rely on: the keys a run logs are the ones `logged_keys` predicts.
    checkpoint = read_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    logged = {key for row in rows for key, value in row.items() if value and "/" in key}
    predicted = logged_keys(checkpoint["hyper_parameters"]["loss"], checkpoint["hyper_parameters"]["metrics"])
    assert logged == set(predicted)

    before = (run_dir / "checkpoints" / "last.ckpt").stat().st_mtime_ns
    assert main(["--threads", "1", *args]) == 0
    out, err = capfd.readouterr()
    assert "already finished at step 3" in err and "trained 3 steps" not in err
    assert (run_dir / "checkpoints" / "last.ckpt").stat().st_mtime_ns == before
    assert not (run_dir / "csv" / "resume000003").exists()


class _Payload:
    """Not a tensor or a plain container: `weights_only=True` refuses to unpickle it."""


def test_checkpoints_are_read_with_weights_only(tmp_path: Path) -> None:
    plain = tmp_path / "plain.ckpt"
    torch.save({"global_step": 3, "state_dict": {"w": torch.zeros(2)}, "hyper_parameters": {"seed": 0}}, plain)
    assert read_checkpoint(plain)["global_step"] == 3
    unsafe = tmp_path / "unsafe.ckpt"
    torch.save({"global_step": 3, "payload": _Payload()}, unsafe)
    with pytest.raises(CheckpointError, match="weights_only=True"):
        read_checkpoint(unsafe)


def test_a_yaml_syntax_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ntrainer: {max_steps: 3\n")
    assert main(["train", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {broken}: not a valid YAML config (") and err.count("\n") == 1, err
