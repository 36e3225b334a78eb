"""Turn (methods, datasets) into `Job`s: the work list that the runner executes and shards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from fusion_bench.errors import DatasetError
from fusion_bench.results import store
from fusion_bench.evaluation.jobs import Job
from fusion_bench.results.schema import PUBLISHED_OUTPUTS, PUBLISHED_STORAGE, RUN_HERE
from fusion_bench.evaluation.versions import method_code_version, scoring_code_version
from fusion_bench.io.storage import IMWRITE, IMWRITE_DEFAULTS, LOSSLESS, SOURCE_TABLES, check_storage, storage_key
from fusion_bench.results.conventions import dataset_jpeg_style
from fusion_bench.models.registry import config_hash, get_method_info, resolve_config


@dataclass(frozen=True)
class Pair:
    """One item of a dataset as the runner needs it: its name and its source files, in order."""

    name: str
    sources: tuple[Path, ...]


def _jpeg_style(dataset: str, storage: str) -> str:
    """How JPEGs of `dataset` are written under `storage`: as its benchmark wrote its own (`storage.csv`) under
    `imwrite`; `lossless` writes none."""
    return dataset_jpeg_style(dataset) if storage == IMWRITE else IMWRITE_DEFAULTS


def _stored(root: Path, dataset: str, method: str, digest: str, version: str, image: str, sources: Sequence,
            convention: str, storage: str) -> dict[str, str]:
    """The `Job` fields saying where a run-here image is stored under `storage` and how: the scored file, its
    results file (filed under the protocol and JPEG style, `storage_key`) and the JPEG whose tables it takes."""
    style = _jpeg_style(dataset, storage)
    fused = store.stored_path(root, dataset, method, digest, version, image, storage, sources[0], style)
    return {"fused_path": str(fused),
            "part_path": str(store.part_path(root, dataset, method, convention, storage_key(storage, style), digest,
                                             version, image)),
            "jpeg_tables": str(sources[0]) if style == SOURCE_TABLES and fused.suffix == ".jpg" else ""}


def method_jobs(method: str, dataset: str, pairs: Sequence[Pair], convention: str, metrics: Sequence[str],
                root: Path, overrides: dict | None = None, storage: str = LOSSLESS) -> list[Job]:
    """One job per pair: fuse with the registered `method` (its default config updated by `overrides`),
    store the fused image under the `storage` protocol (JPEGs as `dataset`'s benchmark wrote them), score the
    stored file."""
    check_storage(storage)
    info = get_method_info(method)
    config = resolve_config(method, overrides)
    digest = config_hash(method, config)
    version = method_code_version(method)
    source = info.label or info.kind
    return [
        Job(method=method, dataset=dataset, image=pair.name, sources=tuple(str(p) for p in pair.sources),
            convention=convention, storage=storage, metrics=tuple(metrics), config=tuple(sorted(config.items())),
            config_hash=digest, code_version=version,
            output_path=str(store.output_path(root, dataset, method, digest, version, pair.name)),
            fuse=True, provenance=RUN_HERE, source=source,
            **_stored(root, dataset, method, digest, version, pair.name, pair.sources, convention, storage))
        for pair in pairs
    ]


def published_output_jobs(dataset: str, pairs: Sequence[Pair], outputs: Iterable[tuple[str, str, Path]],
                          convention: str, metrics: Sequence[str], root: Path, origin: str) -> list[Job]:
    """Score-only jobs for published fused images `(pair name, method, path)` of this dataset's pairs, scored
    as published: their storage is their benchmark's (`PUBLISHED_STORAGE`), whatever protocol the run here uses.

    Raises:
        DatasetError: a published output names a pair that the dataset does not have.
    """
    by_name = {pair.name: pair for pair in pairs}
    version = scoring_code_version()
    jobs = []
    for image, method, path in outputs:
        if image not in by_name:
            raise DatasetError(f"{path}: published output for pair {image!r}, which {dataset} does not have")
        digest = config_hash(method, {"published_outputs": origin})
        jobs.append(Job(method=method, dataset=dataset, image=image,
                        sources=tuple(str(p) for p in by_name[image].sources), convention=convention,
                        storage=PUBLISHED_STORAGE, metrics=tuple(metrics), config=(), config_hash=digest,
                        code_version=version, fused_path=str(path), output_path="",
                        part_path=str(store.part_path(root, dataset, method, convention, PUBLISHED_STORAGE, digest,
                                                      version, image)),
                        fuse=False, provenance=PUBLISHED_OUTPUTS, source=origin))
    return jobs


def rescoring_jobs(jobs: Sequence[Job], convention: str, metrics: Sequence[str], root: Path,
                   storage: str | None = None) -> list[Job]:
    """Score-only copies of the run-here `jobs` in another convention and/or storage protocol (default:
    theirs) and on other metrics, reading the lossless images those jobs wrote and storing them under
    `storage` where that needs another file (run them after those jobs). Used to show a reported value in
    both conventions and both protocols."""
    copies = []
    for job in jobs:
        if not job.output_path:
            raise ValueError(f"{job.method} on {job.dataset}/{job.image}: only a method's own images can be "
                             "re-scored (published fused images have no lossless copy here)")
        protocol = storage or job.storage
        copies.append(replace(job, convention=convention, storage=protocol, metrics=tuple(metrics), fuse=False,
                              **_stored(root, job.dataset, job.method, job.config_hash, job.code_version, job.image,
                                        job.sources, convention, protocol)))
    return copies
