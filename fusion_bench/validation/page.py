"""The report page "Our metrics vs MEFB's Matlab values" (Markdown) from a `ValidationReport`."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from fusion_bench.io.atomic import atomic_write_text
from fusion_bench.validation.mefb_published import ValidationReport

TITLE = "Our metrics vs MEFB's Matlab values"
HEADERS = {"metric": "metric", "images": "images", "median_rel": "median rel. diff.", "max_rel": "largest rel. diff.",
           "within_1e-4": "within 1e-4", "within_1e-3": "within 1e-3", "kind_mismatches": "inf/NaN mismatches",
           "errors": "errors", "worst": "worst images (rel. diff.)"}


def _number(value: float) -> str:
    return "-" if isinstance(value, float) and math.isnan(value) else f"{value:.2g}"


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with readable headers and numbers (shares in per cent)."""
    table = summary.copy()
    for column in ("median_rel", "max_rel"):
        table[column] = table[column].map(_number)
    for column in ("within_1e-4", "within_1e-3"):
        table[column] = table[column].map(lambda v: "-" if math.isnan(v) else f"{100 * v:.1f} %")
    return table.rename(columns=HEADERS)


def render_page(report: ValidationReport, command: str = "fusion-bench validate mefb-published") -> str:
    """The page's Markdown: what was compared, how, the per-metric table, and how to reproduce it."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# {TITLE}", "",
        f"MEFB's `evaluationMetrics.mat` holds the value MEFB's Matlab code computed for each of its 20 metrics on "
        f"each of its published fused images. Here {report.images} of those images (pairs: "
        f"{', '.join(report.pair_names)}) were scored with our metrics in the `mefb` convention, through the evaluation's own scoring path, and each "
        f"value was compared with the .mat's (whose method axis is named by the identified columns: "
        f"`fusion_bench/data/mefb_columns.csv`). The .mat keeps about five significant digits, so agreement "
        f"within about 1e-5 relative is agreement to its precision.", "",
        "Relative difference: |ours − Matlab| / |Matlab|. Non-finite values must match in kind (NaN with NaN, "
        "+inf with +inf); any other pairing counts as an infinite difference and as an inf/NaN mismatch. "
        "`errors` counts images a metric could not be computed on.", "",
        to_markdown(summary_table(report.summary)), "",
        f"Generated {when} by `{command}` ({report.seconds:.0f} s), scoring code version "
        f"`{report.code_version}`.", "",
    ]
    return "\n".join(lines)


def to_markdown(table: pd.DataFrame) -> str:
    return table.to_markdown(index=False)


def write_page(report: ValidationReport, out: Path, command: str = "fusion-bench validate mefb-published") -> Path:
    """Write the page to `out` (atomically)."""
    return atomic_write_text(Path(out), render_page(report, command))
