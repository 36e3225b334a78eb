"""Leaderboard tables as pandas frames: per-method means and stds over a dataset's images, ranks, and the
Markdown rendering (bold best value, ↑/↓ arrows). Pure functions of the results table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fusion_bench.results.schema import PUBLISHED_SCORES, RUN_HERE
from fusion_bench.metrics.registry import DOMAINS, PREFERRED_ORDER

ROW_KEYS = ["method", "provenance"]


def select_runs(results: pd.DataFrame) -> pd.DataFrame:
    """Keep, per (method, dataset, convention, storage), only the rows of one (config_hash, code_version)
    run: the one covering the most images, the newest among those.

    Older or partial runs stay on disk (resume keys on them), but a leaderboard shows one run per method;
    a newer run interrupted early does not hide a complete one (each row's code version is in the CSVs).
    """
    if results.empty:
        return results
    keys = ["method", "dataset", "convention", "storage"]
    run = ["config_hash", "code_version"]
    runs = results.groupby(keys + run, dropna=False).agg(images=("image", "nunique"), newest=("timestamp", "max"))
    chosen = runs.reset_index().sort_values(["images", "newest"]).groupby(keys, dropna=False).tail(1)
    return results.merge(chosen[keys + run], on=keys + run)


def timing_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, method, convention, storage) of `runs` (rows as `select_runs` keeps them): images,
    fusing and scoring seconds (total and per image), as recorded when each image was computed (one torch
    thread per worker; an image scored again under another convention or protocol records no fusing).
    Imported published scores cost nothing here and are left out."""
    keys = ["dataset", "method", "convention", "storage"]
    rows = runs[runs["provenance"] != PUBLISHED_SCORES]
    if rows.empty:
        index = pd.MultiIndex.from_tuples([], names=keys)
        return pd.DataFrame(columns=["images", "fuse_s", "score_s", "fuse_s/img", "score_s/img"], index=index)
    per_image = rows.groupby(keys + ["image"]).agg(fuse=("fuse_seconds", "first"), score=("score_seconds", "sum"))
    table = per_image.groupby(keys).agg(images=("fuse", "size"), fuse_s=("fuse", "sum"), score_s=("score", "sum"))
    table["fuse_s/img"] = table["fuse_s"] / table["images"]
    table["score_s/img"] = table["score_s"] / table["images"]
    return table.round(3)


def metric_order(names: Sequence[str]) -> list[str]:
    """EN, SF, SD first, then the rest of PREFERRED_ORDER, then anything else by name."""
    rank = {name: index for index, name in enumerate(PREFERRED_ORDER)}
    return sorted(set(names), key=lambda name: (rank.get(name, len(rank)), name))


def with_method_labels(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows whose provenance is "run here" get the method's label appended when it has one (its `source`,
    e.g. "run here: trained here (not the authors' weights)", "run here: third-party PyTorch port"), so a
    table says what a row's weights are; rows whose source is only the kind (classical, deep) keep it."""
    if "source" not in rows.columns or rows.empty:
        return rows
    labelled = (rows["provenance"] == RUN_HERE) & ~rows["source"].isin(["", "classical", "deep"]) & rows["source"].notna()
    rows = rows.copy()
    rows.loc[labelled, "provenance"] = RUN_HERE + ": " + rows.loc[labelled, "source"]
    return rows


def finite_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows without an error and with a finite value."""
    values = pd.to_numeric(rows["value"], errors="coerce")
    return rows[(rows["error"] == "") & np.isfinite(values)]


def non_finite_counts(rows: pd.DataFrame) -> pd.Series:
    """Per metric, how many rows without an error hold ±inf or NaN (left out of the means). (metric → count)"""
    values = pd.to_numeric(rows["value"], errors="coerce")
    bad = rows[(rows["error"] == "") & ~np.isfinite(values)]
    return bad.groupby("metric").size().reindex(metric_order(bad["metric"].unique()))


# Metrics whose per-image values lie in [0, 1] by definition (similarities and preservation ratios; the
# ranges are declared in the metrics registry); values outside show where an implementation (ours, or
# MEFB's Matlab code under other rounding) returns noise.
UNIT_RANGE_METRICS: tuple[str, ...] = tuple(name for name, domain in DOMAINS.items()
                                            if (domain.low, domain.high) == (0.0, 1.0))


def out_of_range_table(runs: pd.DataFrame, metrics: Sequence[str] = UNIT_RANGE_METRICS) -> pd.DataFrame:
    """Per dataset and metric of `metrics`: how many finite per-image values outside [0, 1] the rows scored
    here hold, and the imported published scores (MEFB's Matlab values). Columns: dataset, metric,
    "scored here" and "published scores" as "outside / values (share %)", "" where there are none.
    Only (dataset, metric) pairs with a value outside the range somewhere are listed."""
    rows = finite_rows(runs[runs["metric"].isin(metrics)])
    if rows.empty:
        return pd.DataFrame(columns=["dataset", "metric", "scored here", PUBLISHED_SCORES])
    values = pd.to_numeric(rows["value"])
    rows = rows.assign(kind=np.where(rows["provenance"] == PUBLISHED_SCORES, PUBLISHED_SCORES, "scored here"),
                       outside=(values < 0) | (values > 1))
    counts = rows.groupby(["dataset", "metric", "kind"])["outside"].agg(["sum", "size"])
    flagged = counts.groupby(level=["dataset", "metric"])["sum"].sum()
    records = []
    for dataset, metric in flagged[flagged > 0].index:
        record = {"dataset": dataset, "metric": metric, "scored here": "", PUBLISHED_SCORES: ""}
        for kind in ("scored here", PUBLISHED_SCORES):
            if (dataset, metric, kind) in counts.index:
                outside, size = counts.loc[(dataset, metric, kind)]
                record[kind] = f"{int(outside)} / {int(size)} ({100 * outside / size:.1f} %)"
        records.append(record)
    table = pd.DataFrame(records, columns=["dataset", "metric", "scored here", PUBLISHED_SCORES])
    order = {name: index for index, name in enumerate(metric_order(table["metric"].unique()))}
    return table.sort_values(["dataset", "metric"], key=lambda c: c.map(order) if c.name == "metric" else c)


def aggregate(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Rows of one dataset, one convention and one storage protocol → (mean, std, image count), indexed by
    (method, provenance).

    Errored rows carry no value and are left out of the means; so are values that are not finite (MEFB's QY
    and QC return ±inf or NaN on some images, see `non_finite_counts`). The image count is the number of
    images with at least one value, so a method that failed on some images shows it.

    Raises:
        ValueError: rows of more than one dataset, convention or storage protocol: a table ranks like with
            like (split them first, as `pages.generate` does).
    """
    for column in ("dataset", "convention", "storage"):
        kinds = sorted(set(rows[column])) if column in rows else []
        if len(kinds) > 1:
            raise ValueError(f"rows of {len(kinds)} {column} values ({', '.join(map(str, kinds))}): a table ranks "
                             f"rows of one dataset, convention and storage protocol only; split them first")
    scored = with_method_labels(finite_rows(rows))
    order = metric_order(scored["metric"].unique())
    grouped = scored.groupby(ROW_KEYS + ["metric"])["value"]
    mean = grouped.mean().unstack("metric").reindex(columns=order)
    std = grouped.std(ddof=0).unstack("metric").reindex(columns=order)
    images = scored.groupby(ROW_KEYS)["image"].nunique().reindex(mean.index)
    return mean, std, images


def rank_basis(mean: pd.DataFrame) -> list[str]:
    """The metrics the mean rank averages: those every row has; all if none is (`ranked_rows` keeps only
    rows that share a metric set, so the mean rank never compares a row on metrics another lacks)."""
    complete = [metric for metric in mean.columns if mean[metric].notna().all()]
    return complete or list(mean.columns)


def ranked_rows(mean: pd.DataFrame) -> pd.Index:
    """The rows a ranking compares: those with a value for every metric of the metric set that covers the
    most (row, metric) values, among the rows' own metric sets (ties: more metrics, then more rows).

    A row scored on fewer metrics is left out of the ranking rather than ranked on what it has: a method
    scored on EN alone would otherwise be ranked (on EN) beside methods scored on 20 metrics, or shrink
    everyone's ranking to EN. Rows scored on different sets that overlap (MEFB's 20 published scores and a
    run here on EN, SF and SD) are compared on the larger set's metrics if it covers more values.
    """
    present = mean.notna()
    best_key, best = None, pd.Index([])
    for metrics in {frozenset(mean.columns[row]) for row in present.to_numpy()}:
        if not metrics:
            continue
        covering = present[list(metrics)].all(axis=1)
        key = (int(covering.sum()) * len(metrics), len(metrics), int(covering.sum()), metric_order(metrics))
        if best_key is None or key > best_key:
            best_key, best = key, mean.index[covering.to_numpy()]
    return best


def unranked_frame(mean: pd.DataFrame, images: pd.Series, ranked: pd.Index, basis: Sequence[str]) -> pd.DataFrame:
    """The rows of `mean` outside `ranked`, as shown below a ranking: provenance, images, their means, and
    which of the ranking's metrics (`basis`) they lack."""
    rows = mean.index.difference(ranked, sort=False)
    table = pd.DataFrame(index=rows)
    table["provenance"] = [provenance for _, provenance in rows]
    table["images"] = images.reindex(rows).astype("Int64").astype(str).values
    for metric in mean.columns:
        if mean.loc[rows, metric].notna().any():
            table[metric] = mean.loc[rows, metric].map(format_value).values
    table["lacks"] = [", ".join(m for m in basis if pd.isna(mean.loc[row, m])) for row in rows]
    table.index = [method for method, _ in rows]
    table.index.name = "method"
    return table.sort_index(key=lambda names: names.str.lower())


def ranks(mean: pd.DataFrame, higher_is_better: Mapping[str, bool]) -> pd.DataFrame:
    """Rank (1 = best, ties share the best rank) of every row per metric, and "mean rank" over
    `rank_basis(mean)`."""
    ranked = pd.DataFrame(index=mean.index)
    for metric in mean.columns:
        ranked[metric] = mean[metric].rank(ascending=not higher_is_better[metric], method="min")
    ranked["mean rank"] = ranked[rank_basis(mean)].mean(axis=1, skipna=True)
    return ranked


def format_value(value: float) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def header(metric: str, higher_is_better: Mapping[str, bool]) -> str:
    return f"{metric} {'↑' if higher_is_better[metric] else '↓'}"


def _bold_best(column: pd.Series, texts: pd.Series, higher: bool) -> pd.Series:
    if column.notna().sum() == 0:
        return texts
    best = column.max() if higher else column.min()
    return texts.where(~np.isclose(column, best, rtol=0, atol=0) | column.isna(), "**" + texts + "**")


def by_mean_rank(ranked: pd.DataFrame) -> pd.Index:
    """Row order of every table: mean rank, ties by method name (so the order never depends on input order)."""
    keys = pd.DataFrame({"rank": ranked["mean rank"].to_numpy(),
                         "name": [method.lower() for method, _ in ranked.index]}, index=ranked.index)
    return keys.sort_values(["rank", "name"], kind="stable").index


def leaderboard_frame(mean: pd.DataFrame, std: pd.DataFrame | None, images: pd.Series, ranked: pd.DataFrame,
                      higher_is_better: Mapping[str, bool]) -> pd.DataFrame:
    """The displayed table: rows sorted by mean rank; cells formatted, best per column bold; with `std`,
    cells read "mean ± std" (the second table) and bold still marks the best mean."""
    order = by_mean_rank(ranked)
    mean, ranked, images = mean.loc[order], ranked.loc[order], images.loc[order]
    table = pd.DataFrame(index=order)
    table["provenance"] = [provenance for _, provenance in order]
    table["images"] = images.astype("Int64").astype(str).values
    for metric in mean.columns:
        texts = mean[metric].map(format_value)
        if std is not None:
            texts = texts + " ± " + std.loc[order, metric].map(format_value)
        table[header(metric, higher_is_better)] = _bold_best(mean[metric], texts, higher_is_better[metric])
    table["mean rank"] = ranked["mean rank"].map(lambda value: f"{value:.2f}")
    table.index = [method for method, _ in order]
    table.index.name = "method"
    return table


def rank_frame(ranked: pd.DataFrame, higher_is_better: Mapping[str, bool]) -> pd.DataFrame:
    """Ranks per metric as integers, sorted by mean rank, columns with arrows."""
    ranked = ranked.loc[by_mean_rank(ranked)]
    table = pd.DataFrame(index=[method for method, _ in ranked.index])
    table.index.name = "method"
    for metric in ranked.columns.drop("mean rank"):
        table[header(metric, higher_is_better)] = ranked[metric].map(lambda v: "–" if np.isnan(v) else f"{v:.0f}").values
    table["mean rank"] = ranked["mean rank"].map(lambda value: f"{value:.2f}").values
    return table


def to_markdown(table: pd.DataFrame) -> str:
    """GitHub Markdown via `DataFrame.to_markdown`, cells printed as formatted here (tabulate would
    otherwise re-parse "1.50" as a number and print 1.5)."""
    shown = table.map(lambda value: value if isinstance(value, str) else format_value(value))
    return shown.to_markdown(stralign="left", disable_numparse=True)

