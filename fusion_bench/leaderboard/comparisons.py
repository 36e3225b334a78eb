"""Side-by-side tables: MGDN's reported values vs our run, and our scoring of a method vs its published
scores or outputs (e.g. MEF-Net on MEFB). Inputs are data files in this folder plus the results table."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from fusion_bench.evaluation.schema import RUN_HERE
from fusion_bench.leaderboard.tables import finite_rows, metric_order


def read_data_file(name: str) -> pd.DataFrame:
    """A CSV shipped in this package (`reported.csv`, `counterparts.csv`)."""
    with resources.files("fusion_bench.leaderboard").joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def _mean_of(results: pd.DataFrame, method: str, dataset: str, metric: str, convention: str,
             provenance: str) -> tuple[float, int]:
    """Mean and image count of one cell; `results` holds only rows with a finite value and no error."""
    rows = results[(results["method"] == method) & (results["dataset"] == dataset)
                   & (results["metric"] == metric) & (results["convention"] == convention)
                   & (results["provenance"] == provenance)]
    return (float(rows["value"].mean()), int(rows["image"].nunique())) if len(rows) else (float("nan"), 0)


def reproduction_table(results: pd.DataFrame, reported: pd.DataFrame, conventions: dict[str, str]) -> pd.DataFrame:
    """One row per reported value and convention scored here: reported, ours (mean over the images we
    scored), difference. The dataset's leaderboard convention (`conventions`) comes first; a value also
    scored in the other convention is shown too, as the evidence for the choice."""
    finite = finite_rows(results)  # as the leaderboard's means: no errored or non-finite values
    rows = []
    for item in reported.itertuples(index=False):
        main = conventions.get(item.dataset, "")
        scored = results[(results["method"] == item.our_method) & (results["dataset"] == item.dataset)
                         & (results["metric"] == item.metric) & (results["provenance"] == RUN_HERE)]
        present = sorted(set(scored["convention"]), key=lambda c: (c != main, c)) or [main]
        for convention in present:
            ours, images = _mean_of(finite, item.our_method, item.dataset, item.metric, convention, RUN_HERE)
            note = ("not run here (dataset or method not available)" if not images
                    else "leaderboard convention" if convention == main else "other convention, for comparison")
            rows.append({
                "dataset": item.dataset, "metric": item.metric, "method": f"{item.method} ({item.our_method})",
                "convention": convention or "–", "reported": item.value, "ours": ours,
                "difference": ours - item.value, "images": images, "note": note, "source": item.source,
            })
    return pd.DataFrame(rows)


def counterpart_tables(results: pd.DataFrame, counterparts: pd.DataFrame,
                       conventions: dict[str, str]) -> list[tuple[str, pd.DataFrame]]:
    """For each (our method, dataset, published method) with both sides present: per metric, ours,
    published, difference. Returns (title, table) pairs; pairs with a side missing are left out."""
    tables = []
    for item in counterparts.itertuples(index=False):
        convention = conventions.get(item.dataset)
        if convention is None:
            continue
        here = finite_rows(results)
        here = here[(here["dataset"] == item.dataset) & (here["convention"] == convention)]
        ours = here[(here["method"] == item.our_method) & (here["provenance"] == RUN_HERE)]
        theirs = here[(here["method"] == item.published_method) & (here["provenance"] != RUN_HERE)]
        if ours.empty or theirs.empty:
            continue
        # Compare on the images both sides have, so the difference is not a difference of image sets.
        common = sorted(set(ours["image"]) & set(theirs["image"]))
        ours_mean = ours[ours["image"].isin(common)].groupby("metric")["value"].mean()
        theirs_mean = theirs[theirs["image"].isin(common)].groupby("metric")["value"].mean()
        metrics = metric_order(set(ours_mean.index) & set(theirs_mean.index))
        label = theirs["provenance"].iloc[0]
        table = pd.DataFrame({
            "metric": metrics,
            f"{item.our_method} (run here)": [ours_mean[m] for m in metrics],
            f"{item.published_method} ({label})": [theirs_mean[m] for m in metrics],
        })
        table["difference"] = table.iloc[:, 1] - table.iloc[:, 2]
        table["relative"] = table["difference"] / table.iloc[:, 2].abs().replace(0, np.nan)
        title = f"{item.our_method} vs {item.published_method} on {item.dataset} ({len(common)} images): {item.note}"
        tables.append((title, table))
    return tables
