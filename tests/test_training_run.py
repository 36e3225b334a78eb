"""`fusion-bench train` end to end on CPU with a tiny MGDN: a resumed run's full state against the
uninterrupted run's, what W&B logged (read from its offline log) against the CSV, the exported EMA, config
errors before training, DDP with two processes (data split, gradient all-reduce), and classical methods in
test / predict."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from PIL import Image

from fusion_bench.cli.main import main
from fusion_bench.errors import ConfigError
from fusion_bench.models.registry import create_method
from fusion_bench.training.module import FusionModule
from wandb_records import finished_records, item_key

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "experiments" / "tiny.yaml"


def _losses(run_dir: Path, version: str = "") -> dict[int, float]:
    return {step: float(row["train/loss"]) for step, row in _csv_rows(run_dir, version) if row.get("train/loss")}


def _csv_rows(run_dir: Path, version: str = "") -> list[tuple[int, dict[str, str]]]:
    with open(run_dir / "csv" / version / "metrics.csv", newline="") as handle:
        return [(int(row["step"]), row) for row in csv.DictReader(handle)]


def _train(run_dir: Path, *overrides: str) -> list[tuple[int, list[int]]]:
    """Train TINY for 3 steps on one thread, with a cosine LR (it changes every step) and two blocks (the
    second one drops paths, drawing from torch's global generator); returns, per training step, (global
    step, indices of the samples in its batch), read from the batch names ("<image>#<k>")."""
    seen: list[tuple[int, list[int]]] = []
    original = FusionModule.training_step

    def recording(self: FusionModule, batch: dict, batch_idx: int) -> torch.Tensor:
        seen.append((self.global_step, [int(name.rsplit("#", 1)[1]) for name in batch["name"]]))
        return original(self, batch, batch_idx)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FusionModule, "training_step", recording)
        code = main(["--threads", "1", "train", str(TINY), f"run_dir={run_dir}", "trainer.max_steps=3",
                     "optim.scheduler=cosine", "model.config.depths=[2]", *overrides])
    assert code == 0
    return seen


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An uninterrupted 3-step run keeping every checkpoint, and a run resumed from its step-2 checkpoint."""
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUSION_BENCH_HOME", str(root / "home"))
        patch.setenv("WANDB_MODE", "offline")
        full_seen = _train(root / "full", "trainer.keep_checkpoints=-1")
        resumed_seen = _train(root / "resumed", f"resume={root / 'full' / 'checkpoints' / 'step000002.ckpt'}")
    return {"full": root / "full", "resumed": root / "resumed", "full_seen": full_seen,
            "resumed_seen": resumed_seen}


def _checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def _state_differences(expected: dict, actual: dict) -> list[str]:
    """Every entry of the training state in which two Lightning checkpoints differ (bit for bit): weights and
    EMA weights, Adam's moments and step per parameter, optimiser hyper-parameters (the current LR), the LR
    scheduler, the step, the data position, the random generator and the loops' progress."""
    differences = []
    weights, other = expected["state_dict"], actual["state_dict"]
    differences += [f"state_dict: {key} missing or extra" for key in sorted(set(weights) ^ set(other))]
    differences += [f"state_dict[{key}]" for key in sorted(set(weights) & set(other))
                    if not torch.equal(weights[key], other[key])]
    for index, (mine, theirs) in enumerate(zip(expected["optimizer_states"], actual["optimizer_states"],
                                               strict=True)):
        if mine["param_groups"] != theirs["param_groups"]:
            differences.append(f"optimizer {index} param_groups: {mine['param_groups']} != {theirs['param_groups']}")
        if sorted(mine["state"]) != sorted(theirs["state"]):
            differences.append(f"optimizer {index}: state of parameters {sorted(mine['state'])} != "
                               f"{sorted(theirs['state'])}")
            continue
        for parameter, moments in mine["state"].items():
            for name in ("step", "exp_avg", "exp_avg_sq"):
                if not torch.equal(moments[name], theirs["state"][parameter][name]):
                    differences.append(f"optimizer {index} parameter {parameter} {name}")
    for key in ("lr_schedulers", "global_step", "data_state", "loops"):
        if expected[key] != actual[key]:
            differences.append(f"{key}: {expected[key]} != {actual[key]}")
    if not torch.equal(expected["rng_state"], actual["rng_state"]):
        differences.append("rng_state")
    return differences


def test_resumed_run_has_the_full_state_of_the_uninterrupted_run(runs: dict) -> None:
    checkpoint = _checkpoint(runs["full"] / "checkpoints" / "step000002.ckpt")
    assert checkpoint["global_step"] == 2 and checkpoint["data_state"]["samples_consumed"] == 4
    assert any(key.startswith("ema_network.") for key in checkpoint["state_dict"])
    full, resumed = (_checkpoint(runs[name] / "checkpoints" / "last.ckpt") for name in ("full", "resumed"))
    assert full["global_step"] == resumed["global_step"] == 3
    assert full["optimizer_states"][0]["state"] and full["lr_schedulers"][0]["last_epoch"] == 3
    assert _state_differences(full, resumed) == []
    # The data position: the resumed run trained only step 2, on the samples the uninterrupted run used there.
    assert runs["full_seen"] == [(0, [0, 1]), (1, [2, 3]), (2, [4, 5])]
    assert runs["resumed_seen"] == runs["full_seen"][2:]
    full_losses, resumed_losses = _losses(runs["full"]), _losses(runs["resumed"], "resume000002")
    assert sorted(resumed_losses) == [2] and resumed_losses[2] == full_losses[2]


def test_state_comparison_sees_a_lost_optimiser_state_and_a_lost_ema_update(runs: dict) -> None:
    full = _checkpoint(runs["full"] / "checkpoints" / "last.ckpt")
    lost = _checkpoint(runs["full"] / "checkpoints" / "last.ckpt")
    lost["optimizer_states"][0]["state"][5]["exp_avg"].zero_()
    lost["state_dict"]["ema_network.inconv1.weight"] += 1e-7
    lost["lr_schedulers"][0]["last_epoch"] = 2
    found = _state_differences(full, lost)
    assert found[0] == "state_dict[ema_network.inconv1.weight]"
    assert found[1] == "optimizer 0 parameter 5 exp_avg" and found[2].startswith("lr_schedulers:")


def test_train_writes_config_logs_images_and_an_exportable_ema(runs: dict, tmp_path: Path) -> None:
    full = runs["full"]
    assert "max_steps: 3" in (full / "config.yaml").read_text()
    header = (full / "csv" / "metrics.csv").read_text().splitlines()[0]
    for column in ("train/loss", "train/nmi", "val/EN", "val/PSNR_ref"):
        assert column in header
    assert list((full / "csv" / "images").glob("step*_*.png"))
    assert (full / "ema_weights.pth").is_file()

    # Export: the EMA copy, float16, loads strictly into the plain network and fuses like the module's.
    from fusion_bench.models.mgdn import MGDNConfig, build_mgdn
    from fusion_bench.training.export import checkpoint_summary, export_ema, read_checkpoint

    exported = export_ema(full / "checkpoints" / "last.ckpt", tmp_path / "ema16.pth", float16=True)
    state = torch.load(exported, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    summary = checkpoint_summary(read_checkpoint(full / "checkpoints" / "last.ckpt"))
    assert summary["global_step"] == 3 and summary["loss"]["nmi"] == 1.0 and summary["seed"] == 0
    network = build_mgdn(MGDNConfig.from_dict(summary["model"]["config"]))
    network.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    reference = build_mgdn(MGDNConfig.from_dict(summary["model"]["config"]))
    ema = torch.load(full / "ema_weights.pth", weights_only=True)
    reference.load_state_dict(ema, strict=True)
    last = _checkpoint(full / "checkpoints" / "last.ckpt")["state_dict"]
    assert all(torch.equal(value, last[f"ema_network.{key}"]) for key, value in ema.items())
    a, b = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(network.eval()([a, b]), reference.eval()([a, b]), atol=2e-3)


def _wandb_log(run_dir: Path) -> tuple[dict, list[dict], list]:
    """(config, history rows, run records) of the run's offline W&B transaction log."""
    logs = list((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(logs) == 1, logs
    config: dict = {}
    history: list[dict] = []
    run_records = []
    for record in finished_records(logs[0]):
        kind = record.WhichOneof("record_type")
        if kind == "config":
            config.update({item_key(item): json.loads(item.value_json) for item in record.config.update})
        elif kind == "history":
            history.append({item_key(item): json.loads(item.value_json)
                            for item in record.history.item})
        elif kind == "run":  # holds the config given to `wandb.init`, later config records update it
            run_records.append(record.run)
            config.update({item_key(item): json.loads(item.value_json) for item in record.run.config.update})
    return config, history, run_records


def test_wandb_logged_the_config_losses_learning_rates_and_validation(runs: dict) -> None:
    config, history, run_records = _wandb_log(runs["full"])
    assert [(run.display_name, run.project) for run in run_records] == [("tiny", "fusion_bench")]
    assert config["name"] == "tiny" and config["seed"] == 0 and config["metrics"] == ["EN", "SF"]
    assert config["trainer"]["max_steps"] == 3 and config["model"]["config"]["depths"] == [2]
    assert config["optim"]["scheduler"] == "cosine" and config["optim"]["lr"] == 2e-4
    assert [row["_step"] for row in history] == list(range(len(history)))

    def logged(key: str) -> dict[int, float]:
        rows = [row for row in history if key in row]
        steps = [row["trainer/global_step"] for row in rows]
        assert len(set(steps)) == len(steps), f"{key} logged twice at a step: {steps}"
        return {row["trainer/global_step"]: row[key] for row in rows}

    # Every loss term at every step, the values the CSV log has.
    csv_rows = _csv_rows(runs["full"])
    for key in ("train/loss", "train/ssim", "train/intensity", "train/gradient", "train/nmi"):
        assert logged(key) == {step: float(row[key]) for step, row in csv_rows if row[key]}, key
        assert sorted(logged(key)) == [0, 1, 2]
    # The learning rate of each step follows the cosine schedule from 2e-4 to 1e-6 over 3 steps.
    expected_lr = {t: 1e-6 + (2e-4 - 1e-6) * (1 + math.cos(math.pi * t / 3)) / 2 for t in range(3)}
    assert logged("lr-Adam") == pytest.approx(expected_lr, rel=1e-12)
    # One validation (after step 2): the metrics and the reference scores, as in the CSV, and one image.
    for key in ("val/EN", "val/SF", "val/PSNR_ref", "val/SSIM_ref"):
        values = logged(key)
        assert list(values.values()) == [float(row[key]) for _, row in csv_rows if row[key]], key
    images = [key for row in history for key in row if key.startswith("val/fused/") and key.endswith("/_type")]
    assert len(images) == 1 and [row[images[0]] for row in history if images[0] in row] == ["images/separated"]


@pytest.mark.parametrize(("override", "named", "problem"), [
    ("trainer.max_stepz=3", "trainer.max_stepz", "not in 'TrainerConfig'"),
    ("trainer.max_steps=many", "trainer.max_steps", "could not be converted to Integer"),
    ("loss.nmi=-1", "loss.nmi", "must be >= 0"),
    ("model.config.chanels=4", "chanels", "unknown config key"),
    ("data.synthetic_exposure.mfifb_sets=[lytro]", "mfifb_sets", "MFF test sets"),
    ("metrics=[NOPE]", "NOPE", "unknown metric"),
])
def test_invalid_config_fails_before_training_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                             override: str, named: str, problem: str) -> None:
    run_dir = tmp_path / "run"
    code = main(["train", str(TINY), f"run_dir={run_dir}", override])
    assert code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and named in errors[0] and problem in errors[0]
    assert not run_dir.exists()


@pytest.mark.slow
def test_ddp_two_cpu_processes_split_the_data_and_synchronise_gradients(tmp_path: Path) -> None:
    """Two gloo processes, 2 steps of batch 2, probed by tests/ddp_probe.py: the ranks draw disjoint samples
    that together are the stream's first 8; their local gradients differ; after backward both hold their
    mean; after each step their parameters are equal."""
    run_dir = tmp_path / "ddp"
    env = {**os.environ, "WANDB_MODE": "offline"}
    result = subprocess.run(
        [sys.executable, str(REPO / "tests" / "ddp_probe.py"), "--threads", "1", "train", str(TINY),
         f"run_dir={run_dir}", "trainer.strategy=ddp", "trainer.devices=2", "trainer.accelerator=cpu",
         "trainer.max_steps=2", "logger.wandb=false", "trainer.threads=1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    saved = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert saved["global_step"] == 2
    assert saved["data_state"]["samples_consumed"] == 2 * 2 * 2  # steps × batch × processes

    ranks = [torch.load(run_dir / "probe" / f"rank{rank}.pt", weights_only=False) for rank in (0, 1)]
    assert [probe["samples"] for probe in ranks] == [[[0, 2], [4, 6]], [[1, 3], [5, 7]]]
    for step in range(2):
        local = [probe["local_gradient"][step] for probe in ranks]
        assert not torch.allclose(local[0], local[1], rtol=1e-3, atol=0), f"step {step}: same local gradients"
        synced = [probe["gradient"][step] for probe in ranks]
        assert torch.equal(synced[0], synced[1]), f"step {step}: gradients differ after backward"
        assert torch.allclose(synced[0], (local[0] + local[1]) / 2, rtol=1e-5, atol=1e-8), step
        assert torch.equal(ranks[0]["parameters"][step], ranks[1]["parameters"][step]), step
    assert not torch.equal(ranks[0]["parameters"][0], ranks[0]["parameters"][1])


def _folder_dataset(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for side in ("A", "B"):
        (root / side).mkdir(parents=True)
        for name in ("p1", "p2"):
            Image.fromarray(rng.integers(0, 256, (24, 20, 3), dtype=np.uint8)).save(root / side / f"{name}.png")
    return root


def test_classical_method_is_test_and_predict_only(tmp_path: Path) -> None:
    from fusion_bench.data.datamodules import FusionDataModule

    module = FusionModule(create_method("average"), metrics=["EN", "SF"], predict_dir=tmp_path / "fused")
    datamodule = FusionDataModule("folder", root=_folder_dataset(tmp_path / "data"))
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_checkpointing=False,
                        inference_mode=False)
    scores = trainer.test(module, datamodule=datamodule, verbose=False)[0]
    sources = [datamodule.test_set[0].sources, datamodule.test_set[1].sources]
    from fusion_bench.metrics import get_metric
    expected = np.mean([get_metric("EN").function([s.unsqueeze(0) for s in pair],
                                                  ((pair[0] + pair[1]) / 2).unsqueeze(0)).item() for pair in sources])
    assert scores["test/EN"] == pytest.approx(expected, rel=1e-5)

    trainer.predict(module, datamodule=datamodule)
    assert sorted(p.name for p in (tmp_path / "fused").iterdir()) == ["p1.png", "p2.png"]

    with pytest.raises(ConfigError, match="classical methods can only be tested"):
        L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, max_steps=1).fit(
            module, datamodule=datamodule)
