"""Validation results in a results folder: what `fusion-bench validate` found, one row per image and metric,
kept beside the evaluation's rows so that the leaderboard reads it as it reads them (it never scores).

    <results>/validation/mefb-published.csv   our values of MEFB's published fused images beside the .mat's

A run replaces its target's file: the file is the last validation run, whose pairs, methods, metrics and
scoring code version are in its rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fusion_bench.io.atomic import atomic_write_text

MEFB_PUBLISHED = "mefb-published"
# image: the pair; method: the published method whose file was scored; ours / matlab: the two values;
# rel_diff: |ours - matlab| / |matlab| (0 for non-finite values of one kind, inf for a kind mismatch, empty
# when scoring failed); error: why scoring failed ("" otherwise); code_version: of the scoring code.
COLUMNS: tuple[str, ...] = ("image", "method", "metric", "ours", "matlab", "rel_diff", "error", "code_version")


def validation_path(root: Path, target: str = MEFB_PUBLISHED) -> Path:
    """Where the validation of `target` is kept under the results folder `root`."""
    return Path(root) / "validation" / f"{target}.csv"


def write_validation(root: Path, values: pd.DataFrame, target: str = MEFB_PUBLISHED) -> Path:
    """Write `values` (columns `COLUMNS`, others dropped) as the validation of `target` under `root`,
    replacing the previous run's. Atomic.

    Raises:
        ValueError: a column of `COLUMNS` is missing.
    """
    missing = [column for column in COLUMNS if column not in values.columns]
    if missing:
        raise ValueError(f"validation values lack the column(s) {', '.join(missing)}")
    return atomic_write_text(validation_path(root, target), values[list(COLUMNS)].to_csv(index=False))


def load_validation(root: Path, target: str = MEFB_PUBLISHED) -> pd.DataFrame | None:
    """The validation of `target` kept under the results folder `root` (columns `COLUMNS`; `error` "" where
    none), or None if there is none (no such file, or `root` is a results table rather than a folder).

    Raises:
        ValueError: the file is not a validation table (a column is missing).
    """
    path = validation_path(root, target)
    if not path.is_file():
        return None
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""],
                        dtype={"image": str, "method": str, "metric": str, "error": str, "code_version": str})
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a validation table (no {', '.join(missing)} column); delete it and re-run "
                         "`fusion-bench validate`")
    for column in ("error", "code_version"):
        frame[column] = frame[column].fillna("")
    return frame[list(COLUMNS)]
