"""Write `leaderboard/`: README.md, one page per dataset, a CSV beside every table, and the figures.

    generate(results, out, conventions={"MEFB": "mefb", ...}, storages={"MEFB": "imwrite", ...}, notes={...})

A ranking holds rows of one convention and one storage protocol only: each dataset's page has one section
per (convention, storage) present, its benchmark's first, and ranks the rows that share a metric set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fusion_bench.io.atomic import atomic_write_text
from fusion_bench.results.reported import reported_values
from fusion_bench.results.schema import PROVENANCES, PUBLISHED_OUTPUTS, PUBLISHED_SCORES, RUN_HERE
from fusion_bench.results.store import safe_name
from fusion_bench.leaderboard import figures
from fusion_bench.leaderboard.comparisons import (counterpart_tables, matlab_agreement, matlab_agreement_by_metric,
                                                  protocol_table, read_data_file, reproduction_table)
from fusion_bench.leaderboard.tables import (UNIT_RANGE_METRICS, aggregate, by_mean_rank, finite_rows,
                                             leaderboard_frame, non_finite_counts, out_of_range_table, rank_basis,
                                             rank_frame, ranked_rows, ranks, select_runs, timing_table, to_markdown,
                                             unranked_frame)

PROVENANCE_MEANING = {
    RUN_HERE: "fused and scored by fusion_bench on this machine (a registered method; where the method has a "
              "label, the tables show it after a colon: \"authors' network and weights\", \"third-party PyTorch "
              "port\", \"trained here (not the authors' weights)\"; see `fusion-bench methods`)",
    PUBLISHED_OUTPUTS: "fused images published by a benchmark (MFIFB), scored here with our metrics",
    "published scores": "metric values published by a benchmark (MEFB's evaluationMetrics.mat), imported as is",
    "reported": "values printed in a paper (MGDN), see the reproduction table",
}
# How the published-score rows were named, where that needed more than the benchmark's own labels.
PUBLISHED_COLUMNS_NOTE = {
    "MEFB": ("MEFB's published-score rows are named by the method whose fused images each column of "
             "evaluationMetrics.mat was computed on, identified by scoring MEFB's published fused images (SD and "
             "EN match one column each): for nine methods this is not the name information.txt gives the column "
             "(e.g. the column labelled IFCNN holds MEFCNN's scores; docs/datasets.md)."),
}

# What each storage protocol (fusion_bench.io.storage) means, for the captions.
STORAGE_MEANING = {
    "imwrite": "as the benchmark stored its own fused images, in the source pair's format: JPEG for JPEG "
               "sources, written as the benchmark's published JPEGs were (MATLAB imwrite's defaults, quality 75 "
               "with 4:2:0 chroma subsampling, for MEFB and Lytro; the first source's own quantisation tables "
               "and chroma sampling for MFFW: see each dataset's caption), lossless otherwise; published fused "
               "images and scores are as their benchmark stored them",
    "lossless": "PNG, the method's 8-bit output exactly",
}
# Why a protocol that is not the benchmark's gets a table of its own.
OTHER_STORAGE_REASON = ("The file format moves the scores (JPEG's quantisation lowers Qabf, QP, NMI, QW, VIF and "
                        "others, and raises TE), so these rows are ranked only with rows stored alike; published "
                        "rows are never in a `lossless` table.")
GRID_IMAGES = 3
GRID_BASELINES = 3
DISTRIBUTION_METRICS = 4


@dataclass(frozen=True)
class Section:
    """One dataset × convention × storage block of a page, with what the README links to."""

    dataset: str
    convention: str
    storage: str
    images: int
    methods: int
    best: str
    page: str


def _directions(metrics: Sequence[str], higher_is_better: Mapping[str, bool] | None) -> dict[str, bool]:
    if higher_is_better is not None:
        return {name: higher_is_better[name] for name in metrics}
    from fusion_bench.metrics.registry import get_metric

    return {name: get_metric(name).higher_is_better for name in metrics}


def _write_csv(frame: pd.DataFrame, path: Path, written: list[Path]) -> str:
    written.append(atomic_write_text(path, frame.to_csv()))
    return path.name


def _grid_methods(ranked: pd.DataFrame, rows: pd.DataFrame, mgdn: Sequence[str]) -> list[str]:
    """MGDN first, then the best-ranked methods whose fused images exist."""
    with_images = set(rows.loc[rows["fused_path"] != "", "method"])
    order = [method for method, _ in by_mean_rank(ranked) if method in with_images]
    first = [method for method in order if method in mgdn]
    return first + [method for method in order if method not in mgdn][:GRID_BASELINES]


def _grid_inputs(rows: pd.DataFrame, methods: Sequence[str], sources: Mapping[str, Sequence[str]]):
    images = sorted(sources)
    step = max(1, len(images) // GRID_IMAGES)
    chosen = images[::step][:GRID_IMAGES]
    fused = {
        method: dict(rows[(rows["method"] == method) & rows["image"].isin(chosen)][["image", "fused_path"]]
                     .drop_duplicates().itertuples(index=False, name=None))
        for method in methods
    }
    return {image: sources[image] for image in chosen}, fused


def storage_caption(storage: str, benchmark_storage: str, evidence: str) -> str:
    """The caption's sentence on how the fused images were stored, and why."""
    meaning = STORAGE_MEANING.get(storage, storage)
    if storage == benchmark_storage:
        why = evidence or ("The dataset has no published fused images or scores to match, so fused images are "
                           "stored as computed.")
        return f"Fused images stored `{storage}` ({meaning}): the benchmark's protocol. {why}"
    return (f"Fused images stored `{storage}` ({meaning}), not as the benchmark stores them (`{benchmark_storage}`). "
            + OTHER_STORAGE_REASON)


def dataset_section(rows: pd.DataFrame, dataset: str, convention: str, out: Path,
                    higher_is_better: Mapping[str, bool] | None, sources: Mapping[str, Sequence[str]],
                    mgdn: Sequence[str], note: str, written: list[Path], storage_note: str = "") -> tuple[str, Section]:
    """Markdown for one dataset in one convention and one storage protocol (`rows` hold no other), writing
    its CSVs and figures under `out` (their paths are appended to `written`). `storage_note` is the
    caption's sentence on the protocol (`storage_caption`)."""
    storage = str(rows["storage"].iloc[0]) if len(rows) else ""
    every_mean, every_std, every_images = aggregate(rows)
    ranked_index = ranked_rows(every_mean)
    mean = every_mean.loc[ranked_index].dropna(axis=1, how="all")
    std, images = every_std.loc[ranked_index, mean.columns], every_images.loc[ranked_index]
    directions = _directions(list(mean.columns), higher_is_better)
    ranked = ranks(mean, directions)
    stem = f"{safe_name(dataset)}_{convention}_{storage}"
    csv_dir, figure_dir = out / "csv", out / "figures"
    n_images = rows.loc[rows["error"] == "", "image"].nunique()
    main = leaderboard_frame(mean, None, images, ranked, directions)
    spread = leaderboard_frame(mean, std, images, ranked, directions)
    rank_table = rank_frame(ranked, directions)
    export = every_mean.copy()
    export.insert(0, "images", every_images)
    export["mean rank"] = ranked["mean rank"].reindex(export.index)
    order = list(by_mean_rank(ranked)) + [row for row in export.index if row not in ranked.index]
    mean_csv = _write_csv(export.loc[order], csv_dir / f"{stem}_mean.csv", written)
    std_csv = _write_csv(every_std, csv_dir / f"{stem}_std.csv", written)
    rank_csv = _write_csv(ranked.loc[by_mean_rank(ranked)], csv_dir / f"{stem}_ranks.csv", written)
    basis = rank_basis(mean)
    over = (f"all {len(basis)} metrics shown" if len(basis) == len(mean.columns)
            else f"the {len(basis)} metrics every row has ({', '.join(basis)})")
    caption = (f"Mean over the {n_images} images of {dataset}; metrics in the `{convention}` convention. "
               + (f"{storage_note} " if storage_note else "")
               + f"↑ higher is better, ↓ lower is better; **bold** is the best value of a column; rows sorted by "
               f"mean rank over {over}; `images` is the number of images a row was scored on.")
    unranked = every_mean.index.difference(ranked_index, sort=False)
    if len(unranked):
        caption += (f" Methods are ranked only on metrics all ranked rows share: {len(unranked)} row(s) scored on "
                    f"fewer of these metrics are not ranked and are listed below the table with what they lack.")
    non_finite = non_finite_counts(rows)
    if len(non_finite):
        scored = rows[rows["error"] == ""].groupby("metric").size()
        counts = ", ".join(f"{metric} {count} of {scored[metric]}" for metric, count in non_finite.items())
        caption += (f" Values that are not finite are left out of the means and ranks ({counts} image results): "
                    "MEFB's code returns ±inf or NaN there (QC and QY divide by variances guarded only by 2e-16, "
                    "see docs/metrics_structure.md), and one such image would make a method's mean inf or NaN.")
    if dataset in PUBLISHED_COLUMNS_NOTE and (rows["provenance"] == PUBLISHED_SCORES).any():
        caption += " " + PUBLISHED_COLUMNS_NOTE[dataset]
    lines = [f"## {dataset}, `{convention}` convention, `{storage}` storage", "", f"Table: {caption}", ""]
    if note:
        lines += [note, ""]
    lines += [to_markdown(main), "", f"CSV: [csv/{mean_csv}](csv/{mean_csv})", ""]
    if len(unranked):
        lines += [f"### {dataset}: not ranked (scored on fewer metrics)", "",
                  to_markdown(unranked_frame(every_mean, every_images, ranked_index, basis)), ""]
    lines += [
              f"### {dataset}: mean ± std over images", "", to_markdown(spread), "",
              f"CSV: [csv/{std_csv}](csv/{std_csv})", "",
              f"### {dataset}: rank per metric", "", to_markdown(rank_table), "",
              f"CSV: [csv/{rank_csv}](csv/{rank_csv})", ""]
    grid_methods = _grid_methods(ranked, rows, mgdn)
    if grid_methods and sources:
        grid_sources, grid_fused = _grid_inputs(rows, grid_methods, sources)
        grid = figures.qualitative_grid(grid_sources, grid_fused, grid_methods, figure_dir / f"{stem}_qualitative.png",
                                        f"{dataset}: sources and fused results (yellow box zoomed in the inset)")
        written.append(grid)
        lines += [f"### {dataset}: qualitative comparison", "",
                  f"![{dataset} qualitative grid](figures/{grid.name})", ""]
    method_order = [method for method, _ in by_mean_rank(ranked)]
    shown = list(mean.columns[:DISTRIBUTION_METRICS])
    dist = figures.distributions(finite_rows(rows), list(dict.fromkeys(method_order)), shown,
                                 figure_dir / f"{stem}_distributions.png",
                                 f"{dataset}: per-image values ({convention} convention, {storage} storage)")
    written.append(dist)
    lines += [f"### {dataset}: per-image distributions", "", f"![{dataset} distributions](figures/{dist.name})", ""]
    best = main.index[0] if len(main) else "–"
    section = Section(dataset, convention, storage, n_images, len(main), best, f"{safe_name(dataset)}.md")
    return "\n".join(lines), section


def _cost_lines(timing: pd.DataFrame) -> list[str]:
    """README section: CPU seconds per dataset of the runs shown (details in timing.md)."""
    lines = ["", "## What these results cost", ""]
    if timing.empty:
        return lines + ["No image was fused or scored here."]
    totals = timing.groupby(level="dataset")[["images", "fuse_s", "score_s"]].sum()
    totals.loc["all"] = totals.sum()
    totals["total_s"] = totals["fuse_s"] + totals["score_s"]
    totals = totals.round(0).astype({"images": int})
    lines += ["CPU seconds recorded when each image was fused and scored (one torch thread per worker process, "
              "so a run with N workers takes roughly the total / N of wall-clock time); imported published "
              "scores cost nothing here. Per method: [timing.md](timing.md).", "",
              to_markdown(totals.rename(columns={"fuse_s": "fusing s", "score_s": "scoring s", "total_s": "total s"}))]
    return lines


def _range_lines(outside: pd.DataFrame, present: Sequence[str]) -> list[str]:
    """README section: per-image values outside [0, 1] of the metrics bounded by definition (`present`: those
    of them in the results; no section without any)."""
    if not present:
        return []
    lines = ["", "## Values outside their metric's range", ""]
    checked = ", ".join(present)
    if outside.empty:
        return lines + [f"Every finite per-image value of {checked} lies in [0, 1]."]
    lines += [f"{checked} lie in [0, 1] by definition. Finite per-image values outside that range, among the "
              "results shown (outside / values):", "", to_markdown(outside.set_index("dataset")), ""]
    if {"QC", "QY"} & set(outside["metric"]):
        lines += ["QC and QY follow MEFB's code and the structure of Matlab's filter2 (two 1-D passes with the "
                  "window's SVD factors), but that code guards its SSIM divisions only with 2e-16: on windows that "
                  "are flat in the sources and the fused image (saturated skies, black borders) both parts of the "
                  "ratio are rounding noise, decided by the last bits of those factors, so a value can be anything. "
                  "MEFB's published Matlab scores never leave [0, 1]; ours agree with them within 1e-3 on only "
                  "about a fifth (QC) and two fifths (QY) of its published images. Means of QC and QY here can be "
                  "dominated by such images: read them with caution. Details: docs/metrics_structure.md."]
    return lines


def _timing_page(timing: pd.DataFrame) -> str:
    if timing.empty:
        return "# What each run cost\n\n[← leaderboard](README.md)\n\nNothing was fused or scored here.\n"
    table = timing.reset_index().sort_values(["dataset", "convention", "storage", "method"])
    return ("# What each run cost\n\n[← leaderboard](README.md)\n\nPer dataset, method, convention and storage "
            "protocol: images, seconds of fusing and of scoring (all metrics), in total and per image, as recorded "
            "when each image was computed (one torch thread per worker; images scored again under another "
            "convention or protocol record no fusing). CSV: [csv/timing.csv](csv/timing.csv)\n\n"
            + to_markdown(table.set_index("dataset")) + "\n")


def _reproduction_lines(reproduction: pd.DataFrame, protocols: pd.DataFrame) -> list[str]:
    lines = ["", "## Reproduction: MGDN's reported values vs our run", ""]
    if len(reproduction):
        lines += ["Our run in each dataset's leaderboard convention and storage first; the same images scored in "
                  "the other convention, and stored the other way, where computed. The MGDN paper says neither "
                  "which convention its values use nor how its fused images were stored.", "",
                  to_markdown(reproduction.set_index("dataset")), "",
                  "CSV: [csv/reproduction.csv](csv/reproduction.csv)"]
    if len(protocols):
        lines += ["", "### MGDN's images under both storage protocols", "",
                  "EN, SD and SF of our MGDN runs with the fused images stored `imwrite` (as the benchmark stores "
                  "them: JPEG for JPEG sources, in the benchmark's tables, lossless otherwise) and `lossless` (PNG), in "
                  "the dataset's convention, on the images scored both ways. The paper does not say how its fused "
                  "images were stored. Where the sources are PNG or TIFF both protocols store the same lossless "
                  "image, so only JPEG-source pairs can differ.", "",
                  to_markdown(protocols.set_index("dataset")), "", "CSV: [csv/protocols.csv](csv/protocols.csv)"]
    return lines


def _matlab_lines(validation: pd.DataFrame | None) -> list[str]:
    """The comparison of our scoring of MEFB's published fused images with MEFB's Matlab values, per published
    method, from the validation values kept in the results folder (none: a line saying how to get them)."""
    lines = ["", "### Our scoring of MEFB's published fused images vs MEFB's Matlab values", ""]
    if validation is None or validation.empty:
        return lines + ["No validation values in these results: `fusion-bench validate mefb-published` scores MEFB's "
                        "published fused images present and keeps every value in the results folder."]
    pairs = list(dict.fromkeys(validation["image"]))
    versions = ", ".join(sorted(set(validation["code_version"]) - {""})) or "unknown"
    agreement = matlab_agreement(validation)
    shown = agreement.assign(**{column: agreement[column].map(lambda v: "–" if pd.isna(v) else f"{100 * v:.1f} %")
                                for column in ("within_1e-4", "within_1e-3")},
                             largest_rel=agreement["largest_rel"].map(lambda v: "–" if pd.isna(v) else f"{v:.2g}"))
    shown = shown.rename(columns={"within_1e-4": "within 1e-4", "within_1e-3": "within 1e-3",
                                  "largest_rel": "largest rel. diff.", "largest_at": "at",
                                  "inf_nan_mismatches": "inf/NaN mismatches"})
    return lines + [
        f"MEFB's published fused images of the {len(pairs)} pairs present ({', '.join(pairs)}), each scored here "
        "as published (`mefb` convention, the file as MEFB stored it) and compared with the value MEFB's Matlab "
        "code computed on the same file (`evaluationMetrics.mat`, its columns named by the method whose images "
        "they hold). Per published method: values compared (pairs × metrics), the share within 1e-4 and 1e-3 "
        "relative (|ours − Matlab| / |Matlab|), the largest relative difference and where, non-finite values "
        "that differ in kind, and values that could not be scored. The .mat keeps about five significant "
        "digits, so about 1e-5 is agreement to its precision. From `fusion-bench validate mefb-published` "
        f"(scoring code version {versions}).", "",
        to_markdown(shown.set_index("method")), "",
        "CSV: [csv/matlab_agreement.csv](csv/matlab_agreement.csv); the largest relative difference per method and "
        "metric: [csv/matlab_agreement_by_metric.csv](csv/matlab_agreement_by_metric.csv)"]


def _readme(sections: Sequence[Section], reproduction: pd.DataFrame, protocols: pd.DataFrame, counterparts,
            header: str, timing: pd.DataFrame, outside: pd.DataFrame, bounded: Sequence[str],
            validation: pd.DataFrame | None = None) -> str:
    lines = ["# fusion_bench leaderboard", "", header, "",
             "Every ranking holds rows of one convention and one storage protocol (how the fused images were "
             "stored before they were scored: `imwrite`, as the benchmark stores them, or `lossless`), because "
             "the file format moves the scores; published rows are ranked with rows run here and stored as their "
             "benchmark stores its own.", "",
             "| dataset | convention | storage | images | rows | best mean rank | page |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {s.dataset} | `{s.convention}` | `{s.storage}` | {s.images} | {s.methods} | {s.best} | "
              f"[{s.page}]({s.page}) |" for s in sections]
    lines += ["", "## Provenance labels", ""]
    lines += [f"- **{label}**: {PROVENANCE_MEANING[label]}" for label in PROVENANCES]
    lines += ["", "## Storage protocols", ""]
    lines += [f"- **`{name}`**: {meaning}" for name, meaning in STORAGE_MEANING.items()]
    lines += _reproduction_lines(reproduction, protocols)
    lines += ["", "## Our scoring vs published scores of the same method", ""]
    if not counterparts:
        lines.append("No method has both a run here and published scores or outputs, stored alike, in these results.")
    else:
        lines.append("Both sides in the dataset's convention and stored alike (our images stored as the benchmark "
                     "stored the published ones), on the images both have.")
        lines.append("")
    for title, table, gap in counterparts:
        lines += [f"### {title}", "", to_markdown(table.set_index("metric")), ""]
        if gap:
            lines += [f"Remaining gap: {gap}", ""]
    lines += ["", "CSV: [csv/counterparts.csv](csv/counterparts.csv)" if counterparts else ""]
    lines += _matlab_lines(validation)
    lines += _range_lines(outside, bounded)
    lines += _cost_lines(timing)
    return "\n".join(lines).rstrip() + "\n"


def _blocks(rows: pd.DataFrame, main: tuple[str, str]) -> list[tuple[str, str]]:
    """The (convention, storage) sections of one dataset's page: `main` first (when present), then the
    others with at least two methods (one method scored again another way is evidence for the reproduction
    tables, shown there, not a ranking)."""
    present = sorted(set(zip(rows["convention"], rows["storage"])))
    blocks = [main] if main in present else []
    for pair in present:
        if pair != main and rows[(rows["convention"] == pair[0]) & (rows["storage"] == pair[1])]["method"].nunique() >= 2:
            blocks.append(pair)
    return blocks


def generate(results: pd.DataFrame, out: Path, conventions: Mapping[str, str],
             sources: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
             notes: Mapping[str, str] | None = None, header: str = "",
             higher_is_better: Mapping[str, bool] | None = None, storages: Mapping[str, str] | None = None,
             storage_notes: Mapping[str, str] | None = None, validation: pd.DataFrame | None = None) -> list[Path]:
    """Write the leaderboard for `results` (the results table) into `out`; returns the pages written.

    Args:
        conventions: dataset → the convention of its main table.
        sources: dataset → {image → source paths}, for the qualitative grids (no grid without it).
        notes: dataset → text placed under the main table's caption (e.g. the convention's evidence).
        header: text under the README title (how and when it was produced).
        higher_is_better: metric → direction; default: the metrics registry.
        storages: dataset → its benchmark's storage protocol, that of its main table (default: the protocol
            most of its rows have). Other (convention, storage) combinations with at least two methods get
            their own section; a single method scored another way appears only in the reproduction tables.
        storage_notes: dataset → why its benchmark's protocol is what it is (in the caption).
        validation: our values of MEFB's published fused images beside its Matlab values
            (`fusion_bench.results.validation.load_validation`), for the comparison section; None: none.
    """
    out = Path(out)
    results = select_runs(results)
    reported = reported_values()
    mgdn = sorted(set(reported["our_method"]))
    pages: list[Path] = []
    files: list[Path] = []  # everything written, for MANIFEST
    sections = []
    main_conventions, main_storages = {}, {}
    for dataset in sorted(results["dataset"].unique(), key=str.lower):
        rows = results[results["dataset"] == dataset]
        main = (conventions.get(dataset, rows["convention"].mode().iloc[0]),
                (storages or {}).get(dataset, rows["storage"].mode().iloc[0]))
        main_conventions[dataset], main_storages[dataset] = main
        blocks = []
        for convention, storage in _blocks(rows, main):
            subset = rows[(rows["convention"] == convention) & (rows["storage"] == storage)]
            caption = storage_caption(storage, main[1], (storage_notes or {}).get(dataset, ""))
            text, section = dataset_section(subset, dataset, convention, out, higher_is_better,
                                            (sources or {}).get(dataset, {}), mgdn,
                                            (notes or {}).get(dataset, "") if convention == main[0] else "", files,
                                            storage_note=caption)
            blocks.append(text)
            sections.append(section)
        page = out / f"{safe_name(dataset)}.md"
        atomic_write_text(page, f"# {dataset}\n\n[← leaderboard](README.md)\n\n" + "\n".join(blocks))
        pages.append(page)
    reproduction = reproduction_table(results, reported, main_conventions, main_storages)
    files.append(atomic_write_text(out / "csv" / "reproduction.csv", reproduction.to_csv(index=False)))
    protocols = protocol_table(results, mgdn, main_conventions)
    if len(protocols):
        files.append(atomic_write_text(out / "csv" / "protocols.csv", protocols.to_csv(index=False)))
    counterparts = counterpart_tables(results, read_data_file("counterparts.csv"), main_conventions)
    if counterparts:
        merged = pd.concat([table.assign(comparison=title) for title, table, _ in counterparts])
        files.append(atomic_write_text(out / "csv" / "counterparts.csv", merged.to_csv(index=False)))
    if validation is not None and not validation.empty:
        files.append(atomic_write_text(out / "csv" / "matlab_agreement.csv",
                                       matlab_agreement(validation).to_csv(index=False)))
        files.append(atomic_write_text(out / "csv" / "matlab_agreement_by_metric.csv",
                                       matlab_agreement_by_metric(validation).to_csv()))
    timing = timing_table(results)
    files.append(atomic_write_text(out / "csv" / "timing.csv", timing.reset_index().to_csv(index=False)))
    files.append(atomic_write_text(out / "timing.md", _timing_page(timing)))
    readme = out / "README.md"
    outside = out_of_range_table(results)
    files.append(atomic_write_text(out / "csv" / "out_of_range.csv", outside.to_csv(index=False)))
    bounded = [name for name in UNIT_RANGE_METRICS if name in set(results["metric"])]
    atomic_write_text(readme, _readme(sections, reproduction, protocols, counterparts, header, timing, outside,
                                      bounded, validation))
    _prune_previous(out, files + pages + [readme])
    return [readme] + pages


# The files the last generation wrote, relative to the output folder, one per line. A file listed there
# that this generation does not write (a dataset, convention or comparison that is gone) is deleted; files
# the generator never wrote are never touched.
MANIFEST = ".generated"


def _prune_previous(out: Path, written: Sequence[Path]) -> None:
    manifest = out / MANIFEST
    previous = set(manifest.read_text().splitlines()) if manifest.is_file() else set()
    now = sorted({path.relative_to(out).as_posix() for path in written})
    for stale in previous - set(now):
        (out / stale).unlink(missing_ok=True)
    atomic_write_text(manifest, "\n".join(now) + "\n")
