"""Our metrics against MEFB's Matlab values: score MEFB's published fused images in the `mefb` convention and
compare each value with `evaluationMetrics.mat`, whose columns are named by the method whose images they hold
(`fusion_bench.data.mefb.column_methods`, identified by `validation.columns`).

The images are those of the dataset's optional part `published-fused` that are present and verify
(`FUSION_BENCH_DATA/MEFB/output/fused_images/` or the download cache: `fetch.part_files`). They are scored
exactly as an evaluation scores published outputs: `evaluation.plan.published_output_jobs` builds the jobs and
`evaluation.worker.run_job` (the evaluation's scoring path: `read_image`, `metrics.registry.compute_metrics`)
computes them, each worker taking whole pairs so that the metrics' source caches are shared by a pair's
images. Nothing is cached between runs: the point of a run is to check the metric code as it is now,
committed or not.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_bench.data.mefb import column_methods, published_fused_name, read_information, read_score_array
from fusion_bench.errors import DatasetError, UsageProblem
from fusion_bench.evaluation.jobs import Job
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


def scoring_jobs(root: Path, images: Sequence[PublishedImage], metrics: Sequence[str], scratch: Path) -> list[Job]:
    """The evaluation's score-only jobs for `images` in the `mefb` convention (their result files, under
    `scratch`, are never written: nothing is kept between runs)."""
    from fusion_bench.data.mefb import discover
    from fusion_bench.evaluation.plan import Pair, published_output_jobs

    records = {record.name: record for record in discover(root)}
    pairs = [Pair(name, records[name].source_paths) for name in dict.fromkeys(image.pair for image in images)]
    outputs = [(image.pair, image.method, image.path) for image in images]
    return published_output_jobs("MEFB", pairs, outputs, "mefb", list(metrics), scratch, SOURCE)


def _score_pair(jobs: list[Job]) -> list[dict]:
    from fusion_bench.evaluation.worker import run_job

    return [row for job in jobs for row in run_job(job)]


def _init_worker() -> None:
    from fusion_bench.evaluation.allocator import keep_freed_memory
    from fusion_bench.evaluation.worker import limit_threads

    limit_threads(1)
    keep_freed_memory()


def score(jobs: Sequence[Job], workers: int = 1) -> pd.DataFrame:
    """Result rows of `jobs` (the results-table columns), each worker process scoring whole pairs."""
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(job.image, []).append(job)
    if workers <= 1 or len(groups) == 1:
        from fusion_bench.evaluation.allocator import keep_freed_memory

        keep_freed_memory()
        rows = [row for group in groups.values() for row in _score_pair(group)]
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(groups)), initializer=_init_worker) as pool:
            rows = [row for result in pool.map(_score_pair, list(groups.values())) for row in result]
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


def validate_mefb_published(metrics: Sequence[str] | None = None, pairs: Sequence[str] | None = None,
                            methods: Sequence[str] | None = None, workers: int = 1) -> ValidationReport:
    """Score the published images present (optionally only `pairs` / `methods`) on `metrics` (default: MEFB's
    20, our or MEFB's names) in the `mefb` convention and compare them with MEFB's Matlab values."""
    from fusion_bench.metrics.registry import get_metric, mefb_metric_names

    specs = [get_metric(name) for name in metrics] if metrics else [get_metric(n) for n in mefb_metric_names()]
    outside = [spec.name for spec in specs if not spec.mefb_name]
    if outside:
        raise UsageProblem(f"metric(s) {', '.join(outside)} are not in MEFB's .mat; it holds "
                           f"{', '.join(mefb_metric_names())}")
    names = [spec.name for spec in specs]
    start = time.perf_counter()
    root = mefb_root()
    images = published_images(root, pairs, methods)
    with tempfile.TemporaryDirectory(prefix="fusion-bench-validate-") as scratch:
        jobs = scoring_jobs(root, images, names, Path(scratch))
        rows = score(jobs, workers)
    comparison = compare(root, rows)
    order = {name: index for index, name in enumerate(names)}
    summary = summarise(comparison.sort_values("metric", key=lambda s: s.map(order), kind="stable"))
    return ValidationReport(comparison, summary, images=len(images),
                            pair_names=list(dict.fromkeys(image.pair for image in images)),
                            code_version=jobs[0].code_version, seconds=time.perf_counter() - start)
