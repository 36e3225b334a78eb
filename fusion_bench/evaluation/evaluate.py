"""`fusion-bench evaluate` as a function: build the jobs for (methods × datasets) and for the published
outputs, run them on Lightning's devices and nodes (`runner.run_jobs`), import published scores, export the
merged table.

Datasets come from `fusion_bench.data` (catalogue name → `FusionDataset` of `PairRecord`s); the task of a
dataset decides which methods apply to it; its convention and its benchmark's storage protocol
(`conventions.py`) are the defaults of the scoring convention and of how fused images are stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fusion_bench.errors import DatasetError, UsageProblem
from fusion_bench.results.conventions import dataset_convention, dataset_storage
from fusion_bench.evaluation.jobs import Job
from fusion_bench.evaluation.plan import Pair, method_jobs, published_output_jobs
from fusion_bench.evaluation.published import MFIFB_OUTPUTS_SOURCE, import_mefb_scores
from fusion_bench.evaluation.runner import Devices, RunSummary, run_jobs
from fusion_bench.results.store import export_results
from fusion_bench.models.registry import get_method_info

# Datasets whose benchmark publishes fused images of other methods: catalogue name → (benchmark, MFIFB set).
MFIFB_SETS = {"Lytro": "lytro", "MFFW": "mffw"}


@dataclass(frozen=True)
class DatasetView:
    """What evaluation needs from a catalogue dataset."""

    name: str
    task: str
    convention: str
    storage: str
    root: Path
    pairs: tuple[Pair, ...]


@dataclass
class EvaluationReport:
    summary: RunSummary
    planned: int
    skipped_methods: list[tuple[str, str, str]] = field(default_factory=list)  # method, dataset, why
    imported: list[Path] = field(default_factory=list)


def open_dataset(name: str, root: Path | None = None) -> DatasetView:
    """The catalogue dataset `name` (local copy or cache) as pairs of source paths."""
    from fusion_bench.data import get_dataset, get_info

    dataset = get_dataset(name, root)
    info = get_info(name)
    pairs = tuple(Pair(record.name, tuple(Path(p) for p in record.source_paths)) for record in dataset.records)
    return DatasetView(name=name, task=info.task, convention=dataset_convention(name), storage=dataset_storage(name),
                       root=Path(dataset.root), pairs=pairs)


def _published_outputs(view: DatasetView) -> list[tuple[str, str, Path]]:
    from fusion_bench.data import get_dataset
    from fusion_bench.data.mfifb import iter_published_fused

    mfifb_root = Path(get_dataset("MFIFB").root)
    wanted = {pair.name for pair in view.pairs}
    return [(pair, method, Path(path)) for pair, method, path in iter_published_fused(mfifb_root, (MFIFB_SETS[view.name],))
            if pair in wanted]


def plan_jobs(methods: Sequence[str], views: Sequence[DatasetView], metrics: Sequence[str], out: Path,
              convention: str | None = None, published: bool = False,
              storage: str | None = None) -> tuple[list[Job], list[tuple[str, str, str]]]:
    """Jobs for every (method, dataset) whose tasks match, plus published outputs if asked; and what was
    left out and why. `convention` and `storage` override each dataset's own (published outputs are
    scored as published whatever `storage` says)."""
    jobs: list[Job] = []
    skipped: list[tuple[str, str, str]] = []
    for view in views:
        scoring = convention or view.convention
        view_jobs: list[Job] = []
        for method in methods:
            info = get_method_info(method)
            if view.task not in info.tasks:
                skipped.append((method, view.name, f"method is for {'/'.join(info.tasks)}, dataset is {view.task}"))
                continue
            view_jobs += method_jobs(method, view.name, view.pairs, scoring, metrics, out,
                                     storage=storage or view.storage)
        if published and view.name in MFIFB_SETS:
            try:
                outputs = _published_outputs(view)
            except DatasetError as exc:
                skipped.append(("published outputs (MFIFB)", view.name, str(exc)))
            else:
                view_jobs += published_output_jobs(view.name, view.pairs, outputs, scoring, metrics, out,
                                                   MFIFB_OUTPUTS_SOURCE)
        jobs += pair_major(view_jobs, view.pairs)
    return jobs, skipped


def pair_major(jobs: Sequence[Job], pairs: Sequence[Pair]) -> list[Job]:
    """The jobs ordered pair by pair (every method of the first pair, then of the second, ...), methods in
    their given order. Scoring one pair's fused images one after another lets the metrics reuse what they
    computed from its sources (QP's phase congruency of the sources is the largest part of QP); a worker
    keeps only a few pairs' source features, so method by method they would be recomputed every time."""
    position = {pair.name: index for index, pair in enumerate(pairs)}
    return sorted(jobs, key=lambda job: position.get(job.image, len(position)))


def evaluate(methods: Sequence[str], datasets: Sequence[str], out: Path, metrics: Sequence[str] | None = None,
             convention: str | None = None, force: bool = False, where: Devices = Devices(devices=1),
             published: bool = False, progress: bool = True, storage: str | None = None) -> EvaluationReport:
    """Run and score on `where`'s devices and nodes; rows go to `out` (see `fusion_bench.results.store`).
    `storage` (default: each dataset's benchmark protocol) says how fused images are stored before they are
    scored. Returns what was done (on ranks other than 0, only that they are not the main process:
    `report.summary.main_process`)."""
    from fusion_bench.metrics.registry import get_metric, mefb_metric_names

    names = [get_metric(name).name for name in metrics] if metrics else mefb_metric_names()
    if not names:
        raise UsageProblem("no metrics to compute: none are registered (fusion_bench.metrics)")
    views = [open_dataset(name) for name in datasets]
    jobs, skipped = plan_jobs(methods, views, names, out, convention, published, storage)
    summary = run_jobs(jobs, where, force=force, progress=progress)
    report = EvaluationReport(summary=summary, planned=len(jobs), skipped_methods=skipped)
    if not summary.main_process:
        return report
    if published:
        report.imported += [import_mefb_scores(view.root, out, force) for view in views if view.name == "MEFB"]
    export_results(out)
    return report
