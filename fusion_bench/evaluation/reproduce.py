"""The evaluation of `fusion-bench reproduce` (`make reproduce-table`): every registered method on every
available dataset of its task, its fused images stored as each dataset's benchmark stores them (or all
`lossless`), MFIFB's published outputs scored, MEFB's published scores imported. The command then prints
the timing breakdown and writes the leaderboard (`fusion_bench.cli.reproduce`).

MGDN's images are also scored in the other convention on the metrics the paper reports, and under the
other storage protocol on EN, SD and SF (`evidence_jobs`): the paper says neither how it scored nor how it
stored its fused images. Both reuse the fused images; neither fuses again.

Prints what it skipped and why (a dataset not present, weights that cannot be obtained, a method whose
task does not match). Re-running resumes: finished images are not recomputed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fusion_bench.errors import FusionBenchError
from fusion_bench.evaluation.evaluate import DatasetView, open_dataset, plan_jobs
from fusion_bench.evaluation.jobs import Job
from fusion_bench.evaluation.locks import inter_process_lock
from fusion_bench.evaluation.plan import rescoring_jobs
from fusion_bench.evaluation.published import import_mefb_scores
from fusion_bench.evaluation.runner import Devices, RunSummary, run_jobs
from fusion_bench.io.storage import STORAGE_PROTOCOLS
from fusion_bench.metrics.registry import CONVENTIONS
from fusion_bench.models.registry import list_methods
from fusion_bench.models.weights import resolve_weight_file
from fusion_bench.results.reported import reported_values
from fusion_bench.results.store import export_results

# The benchmarks of the table, in the order they are run: cheapest first, so that a run stopped early has
# finished whole datasets (a leaderboard shows a method's newest run only once it covers as many images as
# the run it replaces). RealMFF only when a copy is present. Pages are ordered by the generator.
DATASETS: tuple[str, ...] = ("SICE", "MFFW", "Lytro", "RealMFF", "MEFB")


@dataclass
class Plan:
    views: list[DatasetView] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(datasets: Sequence[str] = DATASETS, methods: Sequence[str] | None = None) -> Plan:
    """Find the datasets and obtain the weights of `methods` (default: every registered method); whatever
    is unavailable is skipped with the reason. One process at a time (`locks`): the ranks of a run started
    by `torchrun` or `srun` all prepare, and only the first fetches what is missing."""
    with inter_process_lock("prepare"):
        return _prepare(datasets, methods)


def _prepare(datasets: Sequence[str], methods: Sequence[str] | None) -> Plan:
    plan = Plan()
    for name in datasets:
        try:
            view = open_dataset(name)
        except (FusionBenchError, KeyError) as missing:
            try:  # no local or cached copy: fetch a verified one (refused for datasets without checksums)
                from fusion_bench.data.fetch import download_dataset

                _say(f"{name}: no local or cached copy; trying a verified download")
                view = open_dataset(name, download_dataset(name))
            except (FusionBenchError, KeyError, OSError) as exc:
                plan.skipped.append(f"dataset {name}: {exc}")
                continue
        plan.views.append(view)
    for info in list_methods():
        if methods is not None and info.name not in methods:
            continue
        try:
            for weight in info.weights:
                resolve_weight_file(weight)
        except FusionBenchError as exc:
            plan.skipped.append(f"method {info.name}: weights unavailable: {exc}")
            continue
        plan.methods.append(info.name)
    return plan


# Metrics MGDN's images are also scored on under the other storage protocol (cheap ones; the paper reports
# EN, SD and SF).
PROTOCOL_EVIDENCE_METRICS: tuple[str, ...] = ("EN", "SD", "SF")


def evidence_jobs(jobs: list[Job], results_root: Path) -> list[Job]:
    """For each value MGDN reports, its method's images re-scored on that metric in the other convention;
    and MGDN's images on every dataset scored on EN, SD and SF under the other storage protocol (in the
    dataset's convention)."""
    reported = reported_values()
    extra = []
    for item in reported.itertuples(index=False):
        matching = [job for job in jobs if job.method == item.our_method and job.dataset == item.dataset]
        for convention in sorted(set(CONVENTIONS) - {job.convention for job in matching}):
            extra += rescoring_jobs(matching, convention, [item.metric], results_root)
    mgdn = set(reported["our_method"])
    for (method, dataset), matching in _by_method_and_dataset(jobs).items():
        if method not in mgdn:
            continue
        for storage in sorted(set(STORAGE_PROTOCOLS) - {job.storage for job in matching}):
            extra += rescoring_jobs(matching, matching[0].convention, list(PROTOCOL_EVIDENCE_METRICS),
                                    results_root, storage=storage)
    return extra


def _by_method_and_dataset(jobs: list[Job]) -> dict[tuple[str, str], list[Job]]:
    groups: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        if job.fuse:
            groups.setdefault((job.method, job.dataset), []).append(job)
    return groups


def reproduce(results_root: Path, where: Devices = Devices(), datasets: Sequence[str] = DATASETS,
              methods: Sequence[str] | None = None, metrics: Sequence[str] | None = None,
              storage: str | None = None, plan: Plan | None = None, extra_jobs: Sequence[Job] = ()) -> RunSummary:
    """Run everything that is available (or the given datasets / methods / metrics; default MEFB's 20) and
    export `results.csv`; say on stderr what was skipped or failed. `storage` stores every dataset's fused
    images that way (default: as each dataset's benchmark stores them, `results/storage.csv`). `where`: the
    devices and nodes (default: a process per CPU core, or every GPU). `plan`: what `prepare` found, when the
    caller has prepared already (then `datasets` and `methods` are not used). `extra_jobs` run in the same loop,
    each in its pair's item (the command's MEFB validation). On ranks other than 0 the summary says
    `main_process=False` and nothing else is done."""
    start = time.perf_counter()
    plan = plan if plan is not None else prepare(datasets, methods)
    from fusion_bench.metrics.registry import mefb_metric_names

    jobs, not_planned = plan_jobs(plan.methods, plan.views, list(metrics or mefb_metric_names()), results_root,
                                  published=True, storage=storage)
    protocols = ", ".join(f"{view.name} {storage or view.storage}" for view in plan.views)
    _say(f"reproduce: {len(plan.views)} datasets ({protocols}), "
         f"{len(plan.methods)} methods, {len(jobs)} images to have scored (and MGDN's reported cells in the other "
         f"convention, its images' EN, SD, SF under the other storage protocol: evidence for the convention and "
         f"protocol used); results in {results_root}")
    # Published scores first: a few seconds, and a run stopped during the long evaluation keeps them.
    for view in plan.views:
        if view.name == "MEFB":
            import_mefb_scores(view.root, results_root)
    # MGDN's extra scorings follow each pair's main jobs in the same item: they read the images those wrote.
    summary = run_jobs(jobs + evidence_jobs(jobs, results_root) + list(extra_jobs), where)
    if not summary.main_process:
        return summary
    export_results(results_root)
    _say(f"\nthis run: {summary.done} images computed, {summary.skipped} already present, "
         f"{time.perf_counter() - start:.0f} s for evaluation")
    for line in plan.skipped:
        _say(f"skipped: {line}")
    grouped: dict[tuple[str, str], list[str]] = {}
    for method, dataset, reason in not_planned:
        grouped.setdefault((dataset, reason), []).append(method)
    for (dataset, reason), names in grouped.items():
        _say(f"skipped on {dataset}: {', '.join(sorted(names))}: {reason}")
    failures: dict[tuple[str, str, str], list[str]] = {}
    for method, dataset, image, error in summary.failed_images:
        failures.setdefault((method, dataset, error), []).append(image)
    for (method, dataset, error), images in failures.items():
        shown = ", ".join(images[:3]) + (f" and {len(images) - 3} more" if len(images) > 3 else "")
        _say(f"failed: {method} on {dataset} ({shown}): {error}")
    return summary
