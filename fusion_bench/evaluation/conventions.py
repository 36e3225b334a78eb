"""The metric convention each dataset is scored in, with the evidence for the choice (`conventions.csv`).

Datasets not listed use their catalogue default (`fusion_bench.data.DATASETS[name].convention`).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd


def convention_table() -> pd.DataFrame:
    with resources.files("fusion_bench.evaluation").joinpath("conventions.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def dataset_convention(name: str) -> str:
    """The convention `name` is scored in: `conventions.csv`, else the catalogue default, else "mefb"."""
    table = convention_table().set_index("dataset")
    if name in table.index:
        return str(table.loc[name, "convention"])
    from fusion_bench.data import DATASETS

    return DATASETS[name].convention if name in DATASETS else "mefb"


def convention_evidence() -> dict[str, str]:
    """dataset → one sentence saying why its convention was chosen (shown under the leaderboard caption)."""
    return {row.dataset: row.evidence for row in convention_table().itertuples(index=False)}
