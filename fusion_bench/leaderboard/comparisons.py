"""Side-by-side tables: MGDN's reported values vs our run, MGDN's images under both storage protocols, our
scoring of a method vs its published scores or outputs (e.g. MEF-Net on MEFB), stored alike, and our scoring
of MEFB's published fused images vs MEFB's Matlab values of the same files. Inputs are data files in this
folder, the results table and the validation values kept beside it (`fusion_bench.results.validation`)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from fusion_bench.results.schema import RUN_HERE
from fusion_bench.leaderboard.tables import finite_rows, metric_order


def read_data_file(name: str) -> pd.DataFrame:
    """A CSV shipped in this package (`counterparts.csv`)."""
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


AGREEMENT_COLUMNS: tuple[str, ...] = ("method", "pairs", "values", "within_1e-4", "within_1e-3", "largest_rel",
                                      "largest_at", "inf_nan_mismatches", "failed")


def _kind_mismatch(values: pd.DataFrame) -> pd.Series:
    """Rows where a value is not finite and the two differ in kind (their relative difference is infinite)."""
    ours, matlab = values["ours"].astype(float), values["matlab"].astype(float)
    return (~np.isfinite(ours) | ~np.isfinite(matlab)) & (values["rel_diff"].astype(float) != 0)


def matlab_agreement(values: pd.DataFrame) -> pd.DataFrame:
    """Per published method (in the order of `values`): how our scoring of its published fused images agrees
    with the benchmark's Matlab values of the same files. Columns `AGREEMENT_COLUMNS`: pairs scored, values
    compared (pairs × metrics scored without error), the shares within 1e-4 and 1e-3 relative, the largest
    relative difference and where ("<metric> on <pair>"), values finite on one side only or non-finite of
    another kind, and values whose scoring failed.

    `values`: the validation table (`fusion_bench.results.validation.COLUMNS`), one row per image and metric.
    """
    rows = []
    for method, group in values.groupby("method", sort=False):
        scored = group[group["error"] == ""]
        diffs = scored["rel_diff"].to_numpy(dtype=np.float64)
        worst = scored.loc[scored["rel_diff"].astype(float).idxmax()] if len(scored) else None
        rows.append({
            "method": method, "pairs": int(group["image"].nunique()), "values": len(scored),
            "within_1e-4": float((diffs <= 1e-4).mean()) if len(diffs) else float("nan"),
            "within_1e-3": float((diffs <= 1e-3).mean()) if len(diffs) else float("nan"),
            "largest_rel": float(diffs.max()) if len(diffs) else float("nan"),
            "largest_at": f"{worst['metric']} on {worst['image']}" if worst is not None else "",
            "inf_nan_mismatches": int(_kind_mismatch(scored).sum()),
            "failed": int((group["error"] != "").sum()),
        })
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def matlab_agreement_by_metric(values: pd.DataFrame) -> pd.DataFrame:
    """The largest relative difference per published method (rows, in the order of `values`) and metric
    (columns, in the leaderboard's metric order) over the pairs scored; failed values left out."""
    scored = values[values["error"] == ""].assign(rel_diff=lambda frame: frame["rel_diff"].astype(float))
    table = scored.pivot_table(index="method", columns="metric", values="rel_diff", aggfunc="max", sort=False)
    methods = list(dict.fromkeys(values["method"]))
    return table.reindex(index=[m for m in methods if m in table.index], columns=metric_order(table.columns))
