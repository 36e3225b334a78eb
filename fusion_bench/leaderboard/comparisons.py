"""Side-by-side tables: MGDN's reported values vs our run, MGDN's images under both storage protocols, and
our scoring of a method vs its published scores or outputs (e.g. MEF-Net on MEFB), stored alike. Inputs are
data files in this folder plus the results table."""

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


def _mean_of(results: pd.DataFrame, method: str, dataset: str, metric: str, convention: str, storage: str,
             provenance: str) -> tuple[float, int]:
    """Mean and image count of one cell; `results` holds only rows with a finite value and no error."""
    rows = results[(results["method"] == method) & (results["dataset"] == dataset)
                   & (results["metric"] == metric) & (results["convention"] == convention)
                   & (results["storage"] == storage) & (results["provenance"] == provenance)]
    return (float(rows["value"].mean()), int(rows["image"].nunique())) if len(rows) else (float("nan"), 0)


def _scoring_note(convention: str, storage: str, main: tuple[str, str]) -> str:
    if (convention, storage) == main:
        return "leaderboard convention and storage"
    if storage == main[1]:
        return "other convention, for comparison"
    if convention == main[0]:
        return f"other storage ({storage}), for comparison"
    return f"other convention and storage ({storage}), for comparison"


def reproduction_table(results: pd.DataFrame, reported: pd.DataFrame, conventions: dict[str, str],
                       storages: dict[str, str]) -> pd.DataFrame:
    """One row per reported value and (convention, storage protocol) scored here: reported, ours (mean over
    the images we scored), difference. The dataset's leaderboard convention and storage (`conventions`,
    `storages`) come first; a value also scored in the other convention or stored the other way is shown
    too (the paper says neither how it scored nor how it stored its fused images)."""
    finite = finite_rows(results)  # as the leaderboard's means: no errored or non-finite values
    rows = []
    for item in reported.itertuples(index=False):
        main = (conventions.get(item.dataset, ""), storages.get(item.dataset, ""))
        scored = results[(results["method"] == item.our_method) & (results["dataset"] == item.dataset)
                         & (results["metric"] == item.metric) & (results["provenance"] == RUN_HERE)]
        present = sorted(set(zip(scored["convention"], scored["storage"])),
                         key=lambda pair: (pair != main, pair[1] != main[1], pair)) or [main]
        for convention, storage in present:
            ours, images = _mean_of(finite, item.our_method, item.dataset, item.metric, convention, storage,
                                    RUN_HERE)
            note = ("not run here (dataset or method not available)" if not images
                    else _scoring_note(convention, storage, main))
            rows.append({
                "dataset": item.dataset, "metric": item.metric, "method": f"{item.method} ({item.our_method})",
                "convention": convention or "–", "storage": storage or "–", "reported": item.value, "ours": ours,
                "difference": ours - item.value, "images": images, "note": note, "source": item.source,
            })
    return pd.DataFrame(rows)


PROTOCOL_METRICS: tuple[str, ...] = ("EN", "SD", "SF")


def protocol_table(results: pd.DataFrame, methods: list[str], conventions: dict[str, str],
                   metrics: tuple[str, ...] = PROTOCOL_METRICS) -> pd.DataFrame:
    """`methods`' run-here means of `metrics` under each storage protocol, per dataset, in the dataset's
    convention, on the images scored under both (so a difference is the storage's alone). Columns: dataset,
    method, metric, imwrite, lossless, difference (imwrite − lossless), images. Datasets where a method
    was stored one way only are left out."""
    finite = finite_rows(results)
    here = finite[(finite["provenance"] == RUN_HERE) & finite["method"].isin(methods) & finite["metric"].isin(metrics)]
    rows = []
    for (dataset, method), group in here.groupby(["dataset", "method"], sort=True):
        group = group[group["convention"] == conventions.get(dataset, group["convention"].iloc[0])]
        by_storage = {storage: part for storage, part in group.groupby("storage")}
        if not {"imwrite", "lossless"} <= set(by_storage):
            continue
        for metric in metric_order(set(group["metric"])):
            sides = {storage: by_storage[storage][by_storage[storage]["metric"] == metric] for storage in by_storage}
            common = set(sides["imwrite"]["image"]) & set(sides["lossless"]["image"])
            if not common:
                continue
            means = {storage: float(side[side["image"].isin(common)]["value"].mean()) for storage, side in sides.items()}
            rows.append({"dataset": dataset, "method": method, "metric": metric, "imwrite": means["imwrite"],
                         "lossless": means["lossless"], "difference": means["imwrite"] - means["lossless"],
                         "images": len(common)})
    return pd.DataFrame(rows, columns=["dataset", "method", "metric", "imwrite", "lossless", "difference", "images"])


def counterpart_tables(results: pd.DataFrame, counterparts: pd.DataFrame,
                       conventions: dict[str, str]) -> list[tuple[str, pd.DataFrame, str]]:
    """For each (our method, dataset, published method) with both sides present: per metric, ours,
    published, difference, both sides in the dataset's convention and stored alike (our rows of the
    published side's storage protocol, as the benchmark stored them). Returns (title, table, remaining gap)
    triples, the gap being `counterparts.csv`'s explanation of what still differs; comparisons with a side
    missing are left out."""
    tables = []
    for item in counterparts.itertuples(index=False):
        convention = conventions.get(item.dataset)
        if convention is None:
            continue
        here = finite_rows(results)
        here = here[(here["dataset"] == item.dataset) & (here["convention"] == convention)]
        theirs = here[(here["method"] == item.published_method) & (here["provenance"] != RUN_HERE)]
        if theirs.empty:
            continue
        storage = theirs["storage"].iloc[0]
        ours = here[(here["method"] == item.our_method) & (here["provenance"] == RUN_HERE)
                    & (here["storage"] == storage)]
        if ours.empty:
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
        title = (f"{item.our_method} vs {item.published_method} on {item.dataset} ({len(common)} images, both "
                 f"`{storage}`): {item.note}")
        tables.append((title, table, item.gap))
    return tables
