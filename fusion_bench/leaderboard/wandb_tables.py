"""Results and leaderboards as W&B runs (offline unless `WANDB_MODE` says otherwise).

`fusion-bench evaluate` and `reproduce` log, after their rows are stored, one run with a Table per dataset
(one row per method, provenance, convention, storage protocol and image: every metric and a thumbnail of the
scored fused image) and the leaderboard's mean table; `fusion-bench leaderboard --wandb` logs the CSV tables
and figures it wrote. Runs are written under `WANDB_DIR` (default `FUSION_BENCH_HOME`), in `wandb/`;
`wandb sync <that folder>/wandb/offline-run-*` uploads offline runs.

Logging never fails a command: any error (wandb missing, a full disk, a refused login) becomes one
`warning:` line, and the results and pages are already written by then.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from fusion_bench.leaderboard.tables import aggregate, metric_order, select_runs
from fusion_bench.paths import home_dir

PROJECT = "fusion_bench"
ROW_KEYS: list[str] = ["method", "provenance", "convention", "storage", "image"]
THUMBNAIL_SIDE = 96  # pixels, the longer side: enough to tell methods apart in W&B's table view


def image_rows(results: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows of one dataset (the runs `select_runs` shows) → one row per `ROW_KEYS` with one column per
    metric (NaN where a value errored) and `fused_path`; and the metric columns in the leaderboard's order."""
    metrics = metric_order(results["metric"].unique())
    keyed = results.set_index(ROW_KEYS)
    values = keyed.groupby(ROW_KEYS + ["metric"])["value"].first().unstack("metric").reindex(columns=metrics)
    paths = keyed.groupby(ROW_KEYS)["fused_path"].first()
    table = values.join(paths).reset_index().sort_values(ROW_KEYS, kind="stable")
    return table.reset_index(drop=True), metrics


def mean_rows(results: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard's mean table for every dataset, convention and storage protocol of `results` (as
    `select_runs` keeps them): dataset, convention, storage, method, provenance, images, then the metrics."""
    runs = select_runs(results)
    parts = []
    for (dataset, convention, storage), rows in runs.groupby(["dataset", "convention", "storage"], sort=True):
        mean, _, images = aggregate(rows)
        frame = mean.assign(images=images).reset_index()
        parts.append(frame.assign(dataset=dataset, convention=convention, storage=storage))
    if not parts:
        return pd.DataFrame(columns=["dataset", "convention", "storage", "method", "provenance", "images"])
    table = pd.concat(parts, ignore_index=True)
    metrics = metric_order([column for column in table.columns if column not in
                            ("dataset", "convention", "storage", "method", "provenance", "images")])
    return table[["dataset", "convention", "storage", "method", "provenance", "images", *metrics]]


def _thumbnail(path: str) -> Any:
    """A small `wandb.Image` of the fused file, or None when there is none (imported scores) or it is gone."""
    import wandb
    from PIL import Image

    if not path or not Path(path).is_file():
        return None
    with Image.open(path) as image:
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        return wandb.Image(image.convert("RGB") if image.mode not in ("L", "RGB") else image.copy())


def _cell(value: Any) -> Any:
    """A table cell W&B can store: numbers as floats (NaN becomes None), the rest as is."""
    if isinstance(value, float) and value != value:
        return None
    return value.item() if hasattr(value, "item") else value


def _table(frame: pd.DataFrame) -> Any:
    import wandb

    return wandb.Table(columns=[str(column) for column in frame.columns],
                       data=[[_cell(value) for value in row] for row in frame.itertuples(index=False)])


@contextmanager
def _run(job: str, config: Mapping[str, Any]) -> Iterator[Any]:
    import wandb

    os.environ.setdefault("WANDB_MODE", "offline")
    root = Path(os.environ.get("WANDB_DIR") or home_dir())
    root.mkdir(parents=True, exist_ok=True)
    run = wandb.init(project=PROJECT, job_type=job, dir=str(root), config=dict(config),
                     settings=wandb.Settings(silent=True))
    try:
        yield run
    finally:
        run.finish()


def _warn(exc: BaseException) -> None:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    print(f"warning: W&B logging failed ({reason}); the results and pages are written", file=sys.stderr)


def log_results(results: pd.DataFrame, datasets: Sequence[str], job: str, config: Mapping[str, Any]) -> None:
    """Log a W&B Table per dataset of `datasets` present in `results` (key `<dataset>/images`) and the mean
    table (`leaderboard/mean`) as one run of type `job`; a failure is a warning."""
    try:
        runs = select_runs(results[results["dataset"].isin(list(datasets))])
        with _run(job, config) as run:
            for dataset, rows in runs.groupby("dataset", sort=True):
                table, _ = image_rows(rows)
                frame = table.drop(columns="fused_path")
                frame["thumbnail"] = [_thumbnail(path) for path in table["fused_path"]]
                run.log({f"{dataset}/images": _table(frame)})
            run.log({"leaderboard/mean": _table(mean_rows(runs))})
    except Exception as exc:  # noqa: BLE001 - W&B must never fail a run whose results are stored
        _warn(exc)


def log_leaderboard(out: Path, config: Mapping[str, Any]) -> None:
    """Log the leaderboard written in `out` as one run: each `csv/<name>.csv` as a Table `csv/<name>` and
    each `figures/<name>.png` as an image `figures/<name>`; a failure is a warning."""
    try:
        import wandb

        with _run("leaderboard", config) as run:
            logged: dict[str, Any] = {}
            for path in sorted((Path(out) / "csv").glob("*.csv")):
                logged[f"csv/{path.stem}"] = _table(pd.read_csv(path, keep_default_na=False, na_values=[""]))
            for path in sorted((Path(out) / "figures").glob("*.png")):
                logged[f"figures/{path.stem}"] = wandb.Image(str(path))
            run.log(logged)
    except Exception as exc:  # noqa: BLE001 - the pages are written; W&B must not fail the command
        _warn(exc)
