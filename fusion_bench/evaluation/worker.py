"""Execute one `Job`: fuse (if asked) and keep the fused image as a PNG, store it under the job's storage
protocol (`fusion_bench.io.storage`), read the stored file back, score it, return its result rows.

Runs in worker processes; fusers are built once per process and reused. A failure of the method or of a
metric on this image becomes an `error` on its rows instead of an exception, so one bad image does not
stop an evaluation.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from fusion_bench.data.sample import check_same_size
from fusion_bench.evaluation.jobs import Job
from fusion_bench.io.images import read_image, write_png
from fusion_bench.io.storage import store_fused
from fusion_bench.metrics.registry import compute_metrics
from fusion_bench.models.base import Fuser
from fusion_bench.models.registry import create_method

_FUSERS: dict[tuple[str, str], Fuser] = {}


def limit_threads(threads: int) -> None:
    """Pool initializer: each worker gets its share of the cores instead of all of them."""
    torch.set_num_threads(max(1, threads))


def _fuser(job: Job) -> Fuser:
    key = (job.method, job.config_hash)
    if key not in _FUSERS:
        _FUSERS[key] = create_method(job.method, **dict(job.config))
    return _FUSERS[key]


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace("\r", " ")
    return text[:500]


def _read_sources(job: Job, channels: str | None) -> list[torch.Tensor]:
    images = [read_image(path, channels=channels) for path in job.sources]
    check_same_size(f"{job.dataset}/{job.image}", images)
    return [image.tensor for image in images]


def fuse_job(job: Job) -> float:
    """Fuse the job's sources with its method, keep the lossless PNG and store the image under the job's
    protocol; returns the fusing seconds."""
    fuser = _fuser(job)
    wanted = None if fuser.info.channels == "any" else fuser.info.channels
    sources = _read_sources(job, wanted)
    start = time.perf_counter()
    fused = fuser.fuse(sources)
    seconds = time.perf_counter() - start
    write_png(fused, job.output_path)
    if job.fused_path != job.output_path:
        store_fused(fused, job.fused_path, job.storage, job.jpeg_tables or None)
    return seconds


def stored_file(job: Job) -> str:
    """The job's file to score, written from its lossless PNG under its protocol if it is not there yet
    (a method's images scored again under another protocol)."""
    if job.output_path and not Path(job.fused_path).is_file() and Path(job.output_path).is_file():
        store_fused(read_image(job.output_path).tensor, job.fused_path, job.storage, job.jpeg_tables or None)
    return job.fused_path


def run_job(job: Job) -> list[dict]:
    """All result rows of one job (one per metric); errors are recorded in the rows, never raised."""
    base = {
        "method": job.method, "dataset": job.dataset, "image": job.image, "convention": job.convention,
        "storage": job.storage, "config_hash": job.config_hash, "code_version": job.code_version, "fused_path": job.fused_path,
        "provenance": job.provenance, "source": job.source,
    }
    fuse_seconds = 0.0
    fatal = ""
    try:
        if job.fuse:
            fuse_seconds = fuse_job(job)
        sources = _read_sources(job, None)
        fused = read_image(stored_file(job)).tensor
    except Exception as exc:  # noqa: BLE001 - any failure of one method on one image is that image's result
        fatal = _one_line(exc)
    rows = []
    for name in job.metrics:
        value, error, seconds = float("nan"), fatal, 0.0
        if not fatal:
            start = time.perf_counter()
            try:
                value = float(compute_metrics(sources, fused, [name], job.convention)[name].reshape(-1)[0])
            except Exception as exc:  # noqa: BLE001 - likewise for one metric
                error = _one_line(exc)
            seconds = time.perf_counter() - start
        rows.append({**base, "metric": name, "value": value, "fuse_seconds": round(fuse_seconds, 4),
                     "score_seconds": round(seconds, 4), "error": error,
                     "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return rows

