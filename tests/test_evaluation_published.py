"""Published results as rows: MEFB's evaluationMetrics.mat imported reproduces MEFB's published averages
and appears in the leaderboard labelled "published scores"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io

from fusion_bench.data.mefb import column_methods
from fusion_bench.evaluation.published import import_mefb_scores
from fusion_bench.results.schema import PUBLISHED_SCORES
from fusion_bench.results.store import load_results
from fusion_bench.leaderboard.pages import generate
from fusion_bench.metrics.registry import get_metric

pytestmark = pytest.mark.realdata


def _information(mefb: Path) -> tuple[list[str], list[str]]:
    """Method and metric names in the order of MEFB's arrays (output/information.txt)."""
    blocks, current = {}, None
    for line in (mefb / "output" / "information.txt").read_text().splitlines():
        text = line.strip()
        if text.startswith("The "):
            current = text
            blocks[current] = []
        elif text and current:
            blocks[current].append(text)
    return blocks["The methods are:"], blocks["The metrics are:"]


def test_mefb_import_reproduces_published_averages(data_root: Path, tmp_path: Path):
    mefb = data_root / "MEFB"
    path = import_mefb_scores(mefb, tmp_path)
    assert path == tmp_path / "imported" / "MEFB_published.csv"
    rows = load_results(tmp_path)
    assert len(rows) == 100 * 21 * 20 and rows["image"].nunique() == 100
    assert set(rows["provenance"]) == {PUBLISHED_SCORES} and set(rows["convention"]) == {"mefb"}
    means = rows.groupby(["method", "metric"])["value"].mean()
    assert means["MEFNet", "SD"] == pytest.approx(55.752, abs=5e-4)  # MEFB's published averages
    assert means["FMMEF", "EN"] == pytest.approx(7.372, abs=5e-4)
    # Every one of the 21 × 20 averages equals MEFB's own average file.
    published = scipy.io.loadmat(mefb / "output" / "evaluation_metrics" / "evaluationMetricsAverageImg.mat")
    average = published["resultsMetricsAverageImg"][0]
    labels, metrics = _information(mefb)
    for i, method in enumerate(column_methods(labels)):  # the .mat's columns by the images they hold
        for j, metric in enumerate(metrics):
            assert means[method, get_metric(metric).name] == pytest.approx(average[i, j], rel=1e-9, abs=1e-12)
    # Imported once: a second call does not rewrite the file; one imported under information.txt's labels is.
    stamp = path.stat().st_mtime_ns
    import_mefb_scores(mefb, tmp_path)
    assert path.stat().st_mtime_ns == stamp
    old = pd.read_csv(path, keep_default_na=False)
    old["method"] = old["method"].map(dict(zip(column_methods(labels), labels)))
    path.write_text(old.to_csv(index=False))
    import_mefb_scores(mefb, tmp_path)
    assert pd.read_csv(path, keep_default_na=False)["method"].tolist() == rows["method"].tolist()

    generate(rows, tmp_path / "lb", conventions={"MEFB": "mefb"})
    page = (tmp_path / "lb" / "MEFB.md").read_text()
    table = page.split("\n\n")[4]  # caption, table
    assert sum(PUBLISHED_SCORES in line for line in table.splitlines()) == 21
    assert "Mean over the 100 images of MEFB" in page
    assert "the column labelled IFCNN holds MEFCNN's scores" in page  # how the columns were named
    mean_csv = pd.read_csv(tmp_path / "lb" / "csv" / "MEFB_mefb_imwrite_mean.csv", index_col=[0, 1])
    assert np.isclose(mean_csv.loc[("MEFNet", PUBLISHED_SCORES), "SD"], 55.7523, atol=1e-4)
