"""One size-mismatch error for training and validation (`FusionDataset`), evaluation and `fusion-bench fuse`:
`check_same_size`'s message, naming both files and both sizes, wherever a pair's images differ in size."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.data.sample import FusionDataset, PairRecord
from fusion_bench.errors import DatasetError
from fusion_bench.evaluation.plan import Pair, method_jobs
from fusion_bench.evaluation.runner import run_jobs
from fusion_bench.evaluation.worker import run_job
from fusion_bench.results.store import read_rows
from fusion_bench.io.images import write_png


@pytest.fixture
def mismatched(tmp_path: Path) -> tuple[Path, Path, str]:
    """Two sources of a pair, 24x32 and 20x32, and the message's text after its "<name>: " prefix."""
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    write_png(torch.rand(1, 3, 24, 32, generator=torch.Generator().manual_seed(0)), a)
    write_png(torch.rand(1, 3, 20, 32, generator=torch.Generator().manual_seed(1)), b)
    return a, b, f"{a} is 24x32 but {b} is 20x32 (H x W); the images of a pair must have the same size"


def test_training_data_evaluation_and_fuse_give_the_same_error(mismatched, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture):
    a, b, message = mismatched
    with pytest.raises(DatasetError) as raised:
        FusionDataset([PairRecord("p1", (a, b))])[0]
    assert str(raised.value) == f"p1: {message}"

    [job] = method_jobs("average", "toy", [Pair("p1", (a, b))], "mefb", ["EN"], tmp_path / "results",
                        storage="lossless")
    [row] = run_job(job)
    assert row["error"] == f"DatasetError: toy/p1: {message}"
    run_jobs([job], progress=False)  # the evaluation loop loads the pair through FusionDataset: the same error
    [row] = read_rows(Path(job.part_path))
    assert row["error"] == f"DatasetError: toy/p1: {message}"

    assert main(["fuse", "--method", "average", "--a", str(a), "--b", str(b), "--out", str(tmp_path / "f.png")]) == 1
    assert capsys.readouterr().err == f"error: fuse: {message}\n"
