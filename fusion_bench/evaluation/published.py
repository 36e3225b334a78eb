"""Published results as rows of the results table: MEFB's published scores (imported as they are) and
the published fused images of MFIFB (scored here, through `plan.published_output_jobs`)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from fusion_bench.evaluation.schema import COLUMNS, PUBLISHED_SCORES, PUBLISHED_STORAGE
from fusion_bench.evaluation.store import atomic_write_text
from fusion_bench.metrics.registry import get_metric

MEFB_SCORES_SOURCE = ("MEFB output/evaluation_metrics/evaluationMetrics.mat (xingchenzhang/MEFB @ 9e185bf), "
                      "computed by MEFB's Matlab code on the authors' fused images")
MFIFB_OUTPUTS_SOURCE = "MFIFB fused_images/ (xingchenzhang/MFIFB @ a3cc510), scored here"


def published_score_rows(scores: pd.DataFrame, dataset: str, source: str) -> pd.DataFrame:
    """(image, method, metric, value) with MEFB metric names → results-table rows in our metric names."""
    names = {name: get_metric(name).name for name in scores["metric"].unique()}
    rows = pd.DataFrame({
        "method": scores["method"].astype(str), "dataset": dataset, "image": scores["image"].astype(str),
        "metric": scores["metric"].map(names), "convention": "mefb",
        "storage": PUBLISHED_STORAGE, "value": scores["value"].astype(float),
        "config_hash": "", "code_version": "", "fuse_seconds": 0.0, "score_seconds": 0.0, "fused_path": "",
        "provenance": PUBLISHED_SCORES, "source": source, "error": "",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    return rows[list(COLUMNS)]


def import_mefb_scores(mefb_root: Path, results_root: Path, force: bool = False) -> Path:
    """Write MEFB's published scores (21 methods × 20 metrics × 100 images) to `imported/MEFB_published.csv`.

    Already imported → nothing is redone unless `force`.
    """
    from fusion_bench.data.mefb import read_published_scores

    target = Path(results_root) / "imported" / "MEFB_published.csv"
    if target.is_file() and not force:
        return target
    rows = published_score_rows(read_published_scores(Path(mefb_root)), "MEFB", MEFB_SCORES_SOURCE)
    return atomic_write_text(target, rows.to_csv(index=False))
