"""`fusion-bench train` end to end on CPU with a tiny MGDN: checkpoints, exact resume, offline W&B + CSV
logs, config errors before training, DDP with two processes, and classical methods in test / predict."""

from __future__ import annotations

import csv
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

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "experiments" / "tiny.yaml"


def _losses(run_dir: Path, version: str = "") -> dict[int, float]:
    with open(run_dir / "csv" / version / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {int(row["step"]): float(row["train/loss"]) for row in rows if row.get("train/loss")}


def test_train_checkpoints_resumes_with_identical_next_step_and_logs(tmp_path: Path) -> None:
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert main(["train", str(TINY), f"run_dir={full}", "trainer.max_steps=3", "trainer.keep_checkpoints=-1"]) == 0
    checkpoint = full / "checkpoints" / "step000002.ckpt"
    assert checkpoint.is_file() and (full / "checkpoints" / "last.ckpt").is_file()
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    assert saved["global_step"] == 2 and saved["data_state"]["samples_consumed"] == 4
    assert any(key.startswith("ema_network.") for key in saved["state_dict"]) and saved["optimizer_states"]

    assert main(["train", str(TINY), f"run_dir={resumed}", "trainer.max_steps=3", f"resume={checkpoint}"]) == 0
    full_losses, resumed_losses = _losses(full), _losses(resumed, "resume000002")
    assert sorted(resumed_losses) == [2]  # only the step after the checkpoint was run
    assert resumed_losses[2] == pytest.approx(full_losses[2], rel=1e-6, abs=1e-7)

    # Resolved config beside the run; offline W&B run files; CSV with validation metrics; fused images.
    assert "max_steps: 3" in (full / "config.yaml").read_text()
    assert list((full / "wandb").glob("offline-run-*/run-*.wandb"))
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
    reference.load_state_dict(torch.load(full / "ema_weights.pth", weights_only=True), strict=True)
    a, b = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(network.eval()([a, b]), reference.eval()([a, b]), atol=2e-3)


@pytest.mark.parametrize(("override", "named"), [
    ("trainer.max_stepz=3", "max_stepz"),
    ("trainer.max_steps=many", "max_steps"),
    ("loss.nmi=-1", "loss.nmi"),
    ("model.config.chanels=4", "chanels"),
    ("data.synthetic_exposure.mfifb_sets=[lytro]", "mfifb_sets"),
    ("metrics=[NOPE]", "NOPE"),
])
def test_invalid_config_fails_before_training_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                             override: str, named: str) -> None:
    run_dir = tmp_path / "run"
    code = main(["train", str(TINY), f"run_dir={run_dir}", override])
    assert code == 1
    assert named in capsys.readouterr().err
    assert not run_dir.exists()


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path: Path) -> None:
    run_dir = tmp_path / "ddp"
    env = {**os.environ, "WANDB_MODE": "offline"}
    result = subprocess.run(
        [sys.executable, "-m", "fusion_bench.cli.main", "train", str(TINY), f"run_dir={run_dir}",
         "trainer.strategy=ddp", "trainer.devices=2", "trainer.accelerator=cpu", "trainer.max_steps=2",
         "logger.wandb=false", "trainer.threads=1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    saved = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert saved["global_step"] == 2
    assert saved["data_state"]["samples_consumed"] == 2 * 2 * 2  # steps × batch × processes


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
