"""On CUDA: every metric's value on the GPU equals its CPU value to 1e-6 relative, and the evaluation loop on
the GPU (fusing there in float32) stores the rows of a CPU run. Skipped without a CUDA device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fusion_bench.evaluation.plan import Pair, method_jobs
from fusion_bench.evaluation.runner import Devices, run_jobs
from fusion_bench.io.images import write_png
from fusion_bench.metrics.registry import compute_metric, mefb_metric_names
from fusion_bench.results.store import load_results

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _pair(folder: Path) -> Pair:
    generator = torch.Generator().manual_seed(11)
    images = [torch.round(torch.rand(1, 3, 64, 64, generator=generator) * 255) / 255 for _ in range(2)]
    return Pair("p", tuple(write_png(image, folder / f"{index}.png") for index, image in enumerate(images)))


@pytest.mark.parametrize("name", mefb_metric_names())
def test_metric_on_the_gpu_equals_the_cpu(name: str) -> None:
    generator = torch.Generator().manual_seed(12)
    a, b = (torch.round(torch.rand(1, 3, 64, 64, generator=generator) * 255) / 255 for _ in range(2))
    fused = torch.round((a + b) / 2 * 255) / 255
    cpu = float(compute_metric([a, b], fused, name))
    gpu = float(compute_metric([a.cuda(), b.cuda()], fused.cuda(), name))
    assert gpu == pytest.approx(cpu, rel=1e-6, abs=1e-12)


def test_the_loop_on_the_gpu_stores_the_rows_of_the_cpu(tmp_path: Path) -> None:
    pair = _pair(tmp_path / "data")
    for where, out in ((Devices("cpu", 1), tmp_path / "cpu"), (Devices("cuda", 1), tmp_path / "cuda")):
        run_jobs(method_jobs("average", "Toy", [pair], "mefb", ["EN", "SF", "Qabf"], out, storage="lossless"),
                 where, progress=False)
    cpu, gpu = (load_results(tmp_path / name).sort_values("metric")["value"].to_numpy() for name in ("cpu", "cuda"))
    assert np.allclose(gpu, cpu, rtol=1e-6, atol=0)
