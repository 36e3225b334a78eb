"""DDP reduction: two CPU processes (gloo on 127.0.0.1) each score half of the images; the metric states are
summed across processes by torchmetrics and compute() equals the single-process mean over all images."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from fusion_bench.metrics.classes import build_metric_collection

NAMES = ["EN", "SF", "CE", "NMI", "FMI"]
WORLD_SIZE = 2


def _images() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Five different (1, 3, 24, 24) triples on the 8-bit grid (odd count: the ranks see 3 and 2 images)."""
    generator = torch.Generator().manual_seed(0)
    triples = []
    for _ in range(5):
        a, b = (torch.round(torch.rand(1, 3, 24, 24, generator=generator) * 255) / 255 for _ in range(2))
        triples.append((a, b, torch.round((a + b) * 127.5) / 255))
    return triples


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD_SIZE)
    try:
        collection = build_metric_collection(NAMES)
        for a, b, f in _images()[rank::WORLD_SIZE]:
            collection.update([a, b], f)
        values = {name: float(value) for name, value in collection.compute().items()}
        # compute() all-reduces the states for the result, then restores this rank's own states.
        local = {name: float(metric.total / metric.count) for name, metric in collection.items()}
        counts = {name: int(metric.count) for name, metric in collection.items()}
        Path(out, f"rank{rank}.json").write_text(json.dumps({"values": values, "local": local, "counts": counts}))
    finally:
        dist.destroy_process_group()


def test_ddp_reduction_equals_single_process(tmp_path: Path) -> None:
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD_SIZE, join=True)
    single = build_metric_collection(NAMES)
    for a, b, f in _images():
        single.update([a, b], f)
    expected = {name: float(value) for name, value in single.compute().items()}
    for rank in range(WORLD_SIZE):
        result = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert result["counts"] == {name: 3 - rank for name in NAMES}
        for name in NAMES:
            assert result["values"][name] == pytest.approx(expected[name], rel=1e-12), (rank, name)
            assert result["local"][name] != pytest.approx(expected[name], rel=1e-9), (rank, name)
