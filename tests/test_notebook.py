"""notebooks/leaderboard.ipynb runs (nbclient) on a small results table made by the real runner and metrics, and
writes its figure into FUSION_BENCH_HOME/figures, not into the notebook's folder."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient

from fusion_bench.evaluation.plan import Pair, method_jobs
from fusion_bench.evaluation.runner import run_jobs
from fusion_bench.results.store import export_results
from fusion_bench.io.images import write_png

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "leaderboard.ipynb"


def test_leaderboard_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    generator = torch.Generator().manual_seed(1)
    pairs = []
    for index in range(3):
        a, b = torch.rand(1, 3, 24, 24, generator=generator), torch.rand(1, 3, 24, 24, generator=generator)
        pairs.append(Pair(f"p{index}", (write_png(a, tmp_path / f"{index}_A.png"), write_png(b, tmp_path / f"{index}_B.png"))))
    results = tmp_path / "results"
    for method in ("average", "max-abs"):
        run_jobs(method_jobs(method, "Toy", pairs, "mefb", ("EN", "SF", "SD"), results), progress=False)
    export_results(results)
    monkeypatch.setenv("FUSION_BENCH_RESULTS", str(results / "results.csv"))
    monkeypatch.delenv("FUSION_BENCH_FIGURES", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel runs in a folder standing for notebooks/: the figure must not land there (nor in the work tree).
    folder = tmp_path / "notebooks"
    folder.mkdir()
    # jupyter_client starts the "python3" kernel with this interpreter, so the notebook sees the package under test.
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    assert list(folder.iterdir()) == []
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    text = "".join(output.get("text", "") for output in outputs)
    assert "Toy: 3 images, 2 methods, convention mefb" in text
    markdown = "".join(output.get("data", {}).get("text/markdown", "") for output in outputs)
    assert "EN ↑" in markdown and "average" in markdown and "max-abs" in markdown and "**" in markdown
    assert any("image/png" in output.get("data", {}) for output in outputs)
    assert (Path(os.environ["FUSION_BENCH_HOME"]) / "figures" / "Toy_distributions.png").stat().st_size > 1000
