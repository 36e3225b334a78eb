"""The evaluation loop across processes and against training's scoring: a two-process CPU DDP run (Lightning's
own launcher, and `torchrun --nproc_per_node=2`) stores exactly the rows of a one-process run, value for value,
none twice; `FusionModule`'s validation and the evaluation loop give equal values on the same image. (A kill
in the middle of a two-process run: tests/test_evaluation_behaviour.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from fusion_bench.data.sample import FusionDataset, PairRecord, collate_single
from fusion_bench.evaluation.plan import Pair, published_output_jobs
from fusion_bench.evaluation.runner import run_jobs
from fusion_bench.io.images import read_image, write_png
from fusion_bench.metrics.classes import FusionMetric
from fusion_bench.results.store import load_results, read_rows

PAIRS = [f"pair_{index}" for index in range(1, 5)]
KEY = ["method", "dataset", "image", "metric", "convention", "storage"]


@pytest.fixture
def tiny_realmff(tmp_path: Path) -> Path:
    """Four random 24×24 pairs in RealMFF's layout (no checksums are recorded for RealMFF: any copy is used)."""
    generator = torch.Generator().manual_seed(5)
    for name in PAIRS:
        base = torch.rand(1, 3, 24, 24, generator=generator)
        for folder, image in (("imageA", base), ("imageB", base.flip(-1)), ("Fusion", base)):
            write_png(image, tmp_path / "data" / "RealMFF" / folder / f"{name}.png")
    return tmp_path / "data"


def _evaluate(data: Path, out: Path, *launch: str, devices: str = "1") -> str:
    command = [*launch, "-m", "fusion_bench.cli.main", "--threads", "1", "evaluate", "--methods", "average,max-abs",
               "--datasets", "RealMFF", "--metrics", "EN,SF,Qabf", "--out", str(out), "--accelerator", "cpu",
               "--devices", devices, "--no-progress", "--no-wandb"]
    done = subprocess.run(command, env={**os.environ, "FUSION_BENCH_DATA": str(data)}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stderr


def _rows(out: Path) -> pd.DataFrame:
    results = load_results(out)
    assert not results.duplicated(KEY).any()
    return results.sort_values(KEY).reset_index(drop=True)


@pytest.mark.slow
def test_two_processes_store_exactly_the_rows_of_one(tiny_realmff: Path, tmp_path: Path) -> None:
    _evaluate(tiny_realmff, tmp_path / "one", sys.executable)
    log = _evaluate(tiny_realmff, tmp_path / "two", sys.executable, devices="2")
    assert log.count("8 images computed, 0 already present, 0 failed") == 1  # rank 0 alone reports
    one, two = _rows(tmp_path / "one"), _rows(tmp_path / "two")
    assert len(one) == 2 * 4 * 3 and one[KEY].equals(two[KEY])
    assert np.array_equal(one["value"].to_numpy(), two["value"].to_numpy()) and one["value"].notna().all()
    again = _evaluate(tiny_realmff, tmp_path / "two", sys.executable, devices="2")
    assert "0 images computed, 8 already present" in again


@pytest.mark.slow
def test_torchrun_two_processes_on_cpu(tiny_realmff: Path, tmp_path: Path) -> None:
    _evaluate(tiny_realmff, tmp_path / "one", sys.executable)
    _evaluate(tiny_realmff, tmp_path / "torchrun", sys.executable, "-m", "torch.distributed.run", "--standalone",
              "--nproc_per_node=2", devices="2")
    one, ranks = _rows(tmp_path / "one"), _rows(tmp_path / "torchrun")
    assert one[KEY].equals(ranks[KEY]) and np.array_equal(one["value"].to_numpy(), ranks["value"].to_numpy())


class FirstSource(nn.Module):
    """A network whose fused image is its first source: an 8-bit image, stored losslessly as it is."""

    def forward(self, sources: list[torch.Tensor]) -> torch.Tensor:
        return sources[0]


def test_training_validation_and_evaluation_score_alike(tmp_path: Path) -> None:
    import lightning as L

    from fusion_bench.training.module import FusionModule

    metrics = ["EN", "SF", "SD", "Qabf", "MI", "QCB"]
    generator = torch.Generator().manual_seed(7)
    a = write_png(torch.rand(1, 3, 48, 48, generator=generator), tmp_path / "a.png")
    b = write_png(torch.rand(1, 3, 48, 48, generator=generator), tmp_path / "b.png")
    # Evaluation: `a` scored as a fused image of the pair (a published output), through the loop.
    [job] = published_output_jobs("Toy", [Pair("p", (a, b))], [("p", "first-source", a)], "mefb", metrics,
                                  tmp_path / "results", origin="test")
    run_jobs([job], progress=False)
    evaluated = {row["metric"]: float(row["value"]) for row in read_rows(Path(job.part_path))}
    # Training: validation of a module whose network fuses into `a`.
    module = FusionModule(FirstSource(), metrics=metrics, log_images=0)
    loader = DataLoader(FusionDataset([PairRecord("p", (a, b))]), batch_size=1, collate_fn=collate_single)
    trainer = L.Trainer(accelerator="cpu", devices=1, logger=False, default_root_dir=tmp_path,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        inference_mode=False)  # as training's run: the metrics read tensor versions
    [validated] = trainer.validate(module, dataloaders=loader, verbose=False)
    for name in metrics:  # training logs float32
        assert validated[f"val/{name}"] == np.float32(evaluated[name]), name
    sources = [read_image(path).tensor for path in (a, b)]
    for name in metrics:  # the metric classes' value itself, float64: the same number
        metric = FusionMetric(name)
        metric.update(sources, sources[0])
        assert float(metric.compute()) == evaluated[name], name
