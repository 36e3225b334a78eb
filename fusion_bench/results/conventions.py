"""How each dataset is scored by default, with the evidence for each choice: the metric convention
(`conventions.csv`) and the storage protocol of the fused images (`storage.csv`).

Datasets not listed in `conventions.csv` use their catalogue default
(`fusion_bench.data.DATASETS[name].convention`); datasets not listed in `storage.csv` (SICE, RealMFF,
IFCNN-ME, user folders: none has published fused images to match) are stored `lossless`.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

DEFAULT_STORAGE = "lossless"


def _table(name: str) -> pd.DataFrame:
    with resources.files("fusion_bench.results").joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def convention_table() -> pd.DataFrame:
    return _table("conventions.csv")


def storage_table() -> pd.DataFrame:
    return _table("storage.csv")


def dataset_convention(name: str) -> str:
    """The convention `name` is scored in: `conventions.csv`, else the catalogue default, else "mefb"."""
    table = convention_table().set_index("dataset")
    if name in table.index:
        return str(table.loc[name, "convention"])
    from fusion_bench.data import DATASETS

    return DATASETS[name].convention if name in DATASETS else "mefb"


def dataset_storage(name: str) -> str:
    """The storage protocol of `name`'s benchmark: `storage.csv`, else `DEFAULT_STORAGE`."""
    table = storage_table().set_index("dataset")
    return str(table.loc[name, "storage"]) if name in table.index else DEFAULT_STORAGE


def dataset_jpeg_style(name: str) -> str:
    """How `name`'s benchmark wrote its JPEGs (`fusion_bench.io.storage.JPEG_STYLES`): the `jpeg` column of
    `storage.csv`, else MATLAB imwrite's defaults."""
    table = storage_table().set_index("dataset")
    return str(table.loc[name, "jpeg"]) if name in table.index else "imwrite-defaults"


def convention_evidence() -> dict[str, str]:
    """dataset → one sentence saying why its convention was chosen (shown under the leaderboard caption)."""
    return {row.dataset: row.evidence for row in convention_table().itertuples(index=False)}


def storage_evidence() -> dict[str, str]:
    """dataset → why its fused images are stored as they are (shown in the leaderboard captions)."""
    return {row.dataset: row.evidence for row in storage_table().itertuples(index=False)}
