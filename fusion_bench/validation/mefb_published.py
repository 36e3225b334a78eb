"""Our metrics against MEFB's Matlab values: score MEFB's published fused images in the `mefb` convention and
compare each value with `evaluationMetrics.mat`, whose columns are named by the method whose images they hold
(`fusion_bench.data.mefb.column_methods`, identified by `validation.columns`).

The images are those of the dataset's optional part `published-fused` that are present and verify
(`FUSION_BENCH_DATA/MEFB/output/fused_images/` or the download cache: `fetch.part_files`). They are scored
exactly as an evaluation scores published outputs: `evaluation.plan.published_output_jobs` builds the jobs and
the evaluation loop runs them (`evaluation.runner.run_jobs`: any devices, each rank taking whole pairs so
that a pair's images share the metrics' source caches), their rows stored under the results folder's
`validation/` (`validation_store`), apart from the rows the leaderboard ranks. `fusion-bench validate` scores
every image again; `fusion-bench reproduce` runs these jobs among its own and keeps rows of the same scoring
code version (`validation.kept`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_bench.data.mefb import column_methods, published_fused_name, read_information, read_score_array
from fusion_bench.errors import DatasetError, UsageProblem
from fusion_bench.evaluation.jobs import Job
from fusion_bench.evaluation.runner import Devices
from fusion_bench.validation.compare import relative_difference, summarise

SOURCE = "MEFB output/fused_images (xingchenzhang/MEFB @ 92688fc), scored here"
COMPARISON_COLUMNS: tuple[str, ...] = ("image", "method", "metric", "ours", "matlab", "rel_diff", "error", "seconds")


@dataclass(frozen=True)
class PublishedImage:
    """One published fused image: its pair and method (information.txt's names) and its verified file."""

    pair: str
    method: str
    path: Path


@dataclass
class ValidationReport:
    """A run's result (`as_dict`: JSON-ready, a non-finite difference as null): one row per image and metric (`comparison`, columns `COMPARISON_COLUMNS`), the
    per-metric `summary` (`compare.SUMMARY_COLUMNS`), the images scored, their pairs, the code version of the
    scoring (`evaluation.versions.scoring_code_version`) and the wall-clock seconds."""

    comparison: pd.DataFrame
    summary: pd.DataFrame
    images: int
    pair_names: list[str]
    code_version: str
    seconds: float

    @property
    def pairs(self) -> int:
        return len(self.pair_names)

    def as_dict(self) -> dict:
        return {"images": self.images, "pairs": self.pairs, "pair_names": self.pair_names,
                "code_version": self.code_version, "seconds": round(self.seconds, 1),
                "metrics": [{key: _json_value(value) for key, value in row.items()}
                            for row in self.summary.to_dict(orient="records")]}


def _json_value(value: object) -> object:
    """A non-finite number as null (JSON has none), numpy scalars as Python ones."""
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value.item() if isinstance(value, np.generic) else value


def mefb_root() -> Path:
    """The verified MEFB copy (sources, information.txt, the .mat)."""
    from fusion_bench.data.catalogue import get_info
    from fusion_bench.data.verified import verified_root

    return verified_root(get_info("MEFB"))


def published_images(root: Path, pairs: Sequence[str] | None = None,
                     methods: Sequence[str] | None = None) -> list[PublishedImage]:
    """The published fused images present and verified, in information.txt's pair then method order,
    optionally only those of `pairs` / `methods` (information.txt's names; unknown ones are a `UsageProblem`)."""
    from fusion_bench.data.fetch import part_files

    names, labels, _ = read_information(root)
    for given, known, what in ((pairs, names, "pair"), (methods, labels, "method")):
        unknown = [name for name in given or () if name not in known]
        if unknown:
            raise UsageProblem(f"unknown MEFB {what}(s) {', '.join(unknown)}; information.txt lists "
                               f"{', '.join(known[:8])}, ...")
    found = []
    for file, path in part_files("MEFB", "published-fused").items():
        pair, method = published_fused_name(file, names, labels)
        if (pairs is None or pair in pairs) and (methods is None or method in methods):
            found.append(PublishedImage(pair, method, path))
    if not found:
        raise DatasetError("no published MEFB fused images present that verify (looked in FUSION_BENCH_DATA/MEFB/"
                           "output/fused_images and the download cache); `fusion-bench data download MEFB --part "
                           "published-fused` fetches them")
    return sorted(found, key=lambda image: (names.index(image.pair), labels.index(image.method)))


def scoring_jobs(root: Path, images: Sequence[PublishedImage], metrics: Sequence[str], store: Path) -> list[Job]:
    """The evaluation's score-only jobs for `images` in the `mefb` convention, their rows stored under
    `store` (`validation_store`), each image's file keyed on the scoring code version."""
    from fusion_bench.data.mefb import discover
    from fusion_bench.evaluation.plan import Pair, published_output_jobs

    records = {record.name: record for record in discover(root)}
    pairs = [Pair(name, records[name].source_paths) for name in dict.fromkeys(image.pair for image in images)]
    outputs = [(image.pair, image.method, image.path) for image in images]
    return published_output_jobs("MEFB", pairs, outputs, "mefb", list(metrics), store, SOURCE)


def validation_store(results_root: Path) -> Path:
    """Where the scored rows of the published images are stored: beside the kept comparison
    (`results.validation.validation_path`), apart from the evaluation's rows, which the leaderboard ranks."""
    return Path(results_root) / "validation"


@dataclass(frozen=True)
class ValidationPlan:
    """What a validation scores: the MEFB copy, the images, our metric names and the evaluation jobs that
    score them (run by `evaluation.runner.run_jobs`, on their own or among a whole-table run's jobs)."""

    root: Path
    images: tuple[PublishedImage, ...]
    metrics: tuple[str, ...]
    jobs: tuple[Job, ...]

    @property
    def pair_names(self) -> list[str]:
        return list(dict.fromkeys(image.pair for image in self.images))


def plan_validation(results_root: Path, metrics: Sequence[str] | None = None, pairs: Sequence[str] | None = None,
                    methods: Sequence[str] | None = None) -> ValidationPlan:
    """The published images present (optionally only `pairs` / `methods`) to score on `metrics` (default:
    MEFB's 20; our or MEFB's names), their rows stored under `validation_store(results_root)`.

    Raises:
        UsageProblem: a metric that is not in MEFB's .mat, an unknown pair or method.
        DatasetError: MEFB or its published images are not available.
    """
    from fusion_bench.metrics.registry import get_metric, mefb_metric_names

    specs = [get_metric(name) for name in metrics] if metrics else [get_metric(n) for n in mefb_metric_names()]
    outside = [spec.name for spec in specs if not spec.mefb_name]
    if outside:
        raise UsageProblem(f"metric(s) {', '.join(outside)} are not in MEFB's .mat; it holds "
                           f"{', '.join(mefb_metric_names())}")
    names = tuple(spec.name for spec in specs)
    root = mefb_root()
    images = tuple(published_images(root, pairs, methods))
    jobs = tuple(scoring_jobs(root, images, names, validation_store(results_root)))
    return ValidationPlan(root, images, names, jobs)


def scored_rows(jobs: Sequence[Job]) -> pd.DataFrame:
    """The stored rows of `jobs` (results-table columns), each job's metrics only.

    Raises:
        DatasetError: a job has no stored rows (its run did not finish).
    """
    from fusion_bench.evaluation.runner import stored_rows

    rows = []
    for job in jobs:
        found = stored_rows(job)
        if not found:
            raise DatasetError(f"{job.part_path}: no rows stored for {job.method} on {job.image}; run the "
                               "validation again")
        rows += found
    return pd.DataFrame(rows)


def compare(root: Path, rows: pd.DataFrame) -> pd.DataFrame:
    """Each scored row beside the `.mat`'s value for the same image, method (by the identified columns) and
    metric, with their relative difference (`compare.relative_difference`)."""
    from fusion_bench.metrics.registry import get_metric

    names, labels, metric_names = read_information(root)
    mat = read_score_array(root)
    column = {method: index for index, method in enumerate(column_methods(labels))}
    metric_index = {get_metric(name).name: index for index, name in enumerate(metric_names)}
    image_index = {name: index for index, name in enumerate(names)}
    matlab = mat[rows["image"].map(image_index).to_numpy(), rows["method"].map(column).to_numpy(),
                 rows["metric"].map(metric_index).to_numpy()]
    ours = rows["value"].to_numpy(dtype=np.float64)
    failed = rows["error"].astype(str) != ""
    comparison = pd.DataFrame({
        "image": rows["image"], "method": rows["method"], "metric": rows["metric"], "ours": ours, "matlab": matlab,
        "rel_diff": np.where(failed, np.nan, relative_difference(ours, matlab)), "error": rows["error"].astype(str),
        "seconds": rows["score_seconds"],
    })
    return comparison[list(COMPARISON_COLUMNS)]


def report(plan: ValidationPlan, seconds: float) -> ValidationReport:
    """The comparison of `plan`'s stored rows with the .mat, and its per-metric summary."""
    comparison = compare(plan.root, scored_rows(plan.jobs))
    order = {name: index for index, name in enumerate(plan.metrics)}
    summary = summarise(comparison.sort_values("metric", key=lambda s: s.map(order), kind="stable"))
    return ValidationReport(comparison, summary, images=len(plan.images), pair_names=plan.pair_names,
                            code_version=plan.jobs[0].code_version, seconds=seconds)


def validate_mefb_published(results_root: Path, metrics: Sequence[str] | None = None,
                            pairs: Sequence[str] | None = None, methods: Sequence[str] | None = None,
                            where: Devices = Devices(devices=1), progress: bool = False) -> ValidationReport | None:
    """Score the published images present (optionally only `pairs` / `methods`) on `metrics` (default: MEFB's
    20, our or MEFB's names) in the `mefb` convention, every one again (the point is to check the metric code
    as it is now, committed or not), on `where`'s devices as an evaluation runs (`run_jobs`: each rank takes
    whole pairs, so a pair's images share the metrics' source caches), and compare them with MEFB's Matlab
    values. None on ranks other than 0, which only score their share."""
    from fusion_bench.evaluation.runner import run_jobs

    start = time.perf_counter()
    plan = plan_validation(results_root, metrics, pairs, methods)
    if not run_jobs(plan.jobs, where, force=True, progress=progress).main_process:
        return None
    return report(plan, time.perf_counter() - start)
