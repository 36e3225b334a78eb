"""Published results as rows of the results table: MEFB's published scores (imported as they are) and
the published fused images of MFIFB (scored here, through `plan.published_output_jobs`)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from fusion_bench.results.schema import COLUMNS, PUBLISHED_SCORES, PUBLISHED_STORAGE
from fusion_bench.io.atomic import atomic_write_text
from fusion_bench.metrics.registry import get_metric

MEFB_SCORES_SOURCE = ("MEFB output/evaluation_metrics/evaluationMetrics.mat (xingchenzhang/MEFB @ 9e185bf), "
                      "computed by MEFB's Matlab code on the authors' fused images; each column named by the method "
                      "whose images it holds, identified from the images (nine differ from information.txt)")
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


_SAME_IMPORT = ("method", "image", "metric", "value", "source")


def import_mefb_scores(mefb_root: Path, results_root: Path, force: bool = False) -> Path:
    """Write MEFB's published scores (21 methods × 20 metrics × 100 images) to `imported/MEFB_published.csv`,
    each row named by the method whose images produced it (`fusion_bench.data.mefb.column_methods`).

    A file already imported with the same methods, images, metrics, values and source is kept as it is
    (unless `force`); one that differs, e.g. written before the columns were identified, is rewritten.
    """
    from fusion_bench.data.mefb import read_published_scores

    target = Path(results_root) / "imported" / "MEFB_published.csv"
    rows = published_score_rows(read_published_scores(Path(mefb_root)), "MEFB", MEFB_SCORES_SOURCE)
    if target.is_file() and not force and _same_rows(pd.read_csv(target, keep_default_na=False), rows):
        return target
    return atomic_write_text(target, rows.to_csv(index=False))


def _same_rows(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    if len(old) != len(new) or not set(_SAME_IMPORT) <= set(old.columns):
        return False
    key = ["method", "image", "metric"]
    left = old[list(_SAME_IMPORT)].astype({"method": str, "image": str, "metric": str, "source": str})
    left = left.assign(value=pd.to_numeric(left["value"], errors="coerce")).sort_values(key).reset_index(drop=True)
    right = new[list(_SAME_IMPORT)].sort_values(key).reset_index(drop=True)
    return left.equals(right)
