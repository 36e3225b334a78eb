"""Values a paper reports for a method (provenance `reported`): `reported.csv`, one row per value with
its source. Evaluation reads it to score MGDN's reported cells in both conventions and storage protocols;
the leaderboard's reproduction table sets our values beside these."""

from __future__ import annotations

from importlib import resources

import pandas as pd


def reported_values() -> pd.DataFrame:
    """Columns: method (as the paper names it), our_method (registry name), dataset, metric, value, source."""
    with resources.files("fusion_bench.results").joinpath("reported.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)
