"""Execute one `Job`: fuse (if asked) and keep the fused image as a PNG, store it under the job's storage
protocol (`fusion_bench.io.storage`), read the stored file back, score it, return its result rows.

Runs inside the evaluation loop's `predict_step` (`fusion_bench.evaluation.loop`) on the sources its
`FusionDataset` loaded; fusers are built once per process and device and reused. A failure of the method or
of a metric on this image becomes an `error` on its rows instead of an exception, so one bad image does not
stop an evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import torch

from fusion_bench.data.sample import check_same_size
from fusion_bench.evaluation.jobs import Job
from fusion_bench.io.images import read_image, write_png
from fusion_bench.io.storage import store_fused
from fusion_bench.metrics.registry import compute_metric
from fusion_bench.models.base import Fuser
from fusion_bench.models.registry import create_method, get_method_info

_FUSERS: dict[tuple[str, str, str], Fuser] = {}


def limit_threads(threads: int) -> None:
    """Each process of a run gets its share of the cores instead of all of them."""
    torch.set_num_threads(max(1, threads))


def _fuser(job: Job, device: torch.device) -> Fuser:
    key = (job.method, job.config_hash, str(device))
    if key not in _FUSERS:
        _FUSERS[key] = create_method(job.method, **dict(job.config)).to(device)
    return _FUSERS[key]


def one_line(exc: BaseException) -> str:
    """An exception as the one-line `error` of a result row."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace("\r", " ")
    return text[:500]


def read_sources(job: Job, channels: str | None) -> list[torch.Tensor]:
    """The job's sources as (1, C, H, W) tensors, read as `channels` (None: as stored)."""
    images = [read_image(path, channels=channels) for path in job.sources]
    check_same_size(f"{job.dataset}/{job.image}", images)
    return [image.tensor for image in images]


def fuse_job(job: Job, sources: Sequence[torch.Tensor] | None = None,
             device: torch.device = torch.device("cpu")) -> float:
    """Fuse the job's sources (as loaded, (1, C, H, W); read again when the method wants other channels) with
    its method in float32 on `device` (networks; classical methods, several of which run OpenCV or PyWavelets
    on arrays, on the CPU), keep the lossless PNG and store the image under the job's protocol; returns the
    fusing seconds."""
    if get_method_info(job.method).kind != "deep":
        device = torch.device("cpu")
    fuser = _fuser(job, device)
    wanted = None if fuser.info.channels == "any" else fuser.info.channels
    if sources is None or wanted is not None:
        sources = read_sources(job, wanted)
    inputs = [source.to(device=device, dtype=torch.float32) for source in sources]
    start = time.perf_counter()
    fused = fuser.fuse(inputs)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    fused = fused.cpu()
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


def run_job(job: Job, sources: Sequence[torch.Tensor] | None = None,
            device: torch.device = torch.device("cpu"), error: str = "") -> list[dict]:
    """All result rows of one job (one per metric); errors are recorded in the rows, never raised.

    `sources`: the pair as loaded ((1, C, H, W) each; read from `job.sources` when None); `error`: why they
    could not be loaded (every row carries it). The stored file is scored on the CPU (`score_image`).
    """
    base = {
        "method": job.method, "dataset": job.dataset, "image": job.image, "convention": job.convention,
        "storage": job.storage, "config_hash": job.config_hash, "code_version": job.code_version, "fused_path": job.fused_path,
        "provenance": job.provenance, "source": job.source,
    }
    fuse_seconds = 0.0
    fatal = error
    fused = None
    if not fatal:
        try:
            if sources is None:
                sources = read_sources(job, None)
            if job.fuse:
                fuse_seconds = fuse_job(job, sources, device)
            fused = read_image(stored_file(job)).tensor
        except Exception as exc:  # noqa: BLE001 - any failure of one method on one image is that image's result
            fatal = one_line(exc)
    scores = score_image(sources, fused, job.metrics, job.convention) if not fatal else {}
    rows = []
    for name in job.metrics:
        value, why, seconds = scores.get(name, (float("nan"), fatal, 0.0))
        rows.append({**base, "metric": name, "value": value, "fuse_seconds": round(fuse_seconds, 4),
                     "score_seconds": round(seconds, 4), "error": why,
                     "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return rows


def score_image(sources: Sequence[torch.Tensor], fused: torch.Tensor, metrics: Sequence[str],
                convention: str) -> dict[str, tuple[float, str, float]]:
    """Score one fused image: metric → (value, error, seconds), each metric through
    `metrics.registry.compute_metric` (the function `FusionModule`'s validation and test metrics call), its
    failure that metric's `error`. sources: K tensors (1, C, H, W); fused: (1, C, H, W), in [0, 1]."""
    scores = {}
    for name in metrics:
        start = time.perf_counter()
        try:
            value, error = float(compute_metric(sources, fused, name, convention).reshape(-1)[0]), ""
        except Exception as exc:  # noqa: BLE001 - one metric failing on one image is that row's result
            value, error = float("nan"), one_line(exc)
        scores[name] = (value, error, time.perf_counter() - start)
    return scores
