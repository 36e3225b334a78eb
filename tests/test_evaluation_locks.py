"""Ranks that prepare at once (`torchrun`, `srun`): the inter-process locks around fetching datasets and
weights, and the weights fetched before the loop's ranks start."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from pathlib import Path

import pytest

from fusion_bench.evaluation.locks import fetch_weights, inter_process_lock
from fusion_bench.evaluation.plan import Pair, method_jobs


def test_one_holder_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))
    inside: list[int] = []
    overlaps: list[int] = []

    def hold() -> None:
        with inter_process_lock("prepare"):  # a lock object per caller, as in separate processes
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(len(inside))
            time.sleep(0.2)
            inside.pop()

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [] and (tmp_path / "home" / "locks" / "prepare.lock").is_file()


def test_no_lock_where_the_home_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "home").write_text("a file, not a folder")
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))
    assert isinstance(inter_process_lock("prepare"), nullcontext)


def test_weights_are_fetched_once_per_method_before_the_ranks_start(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))
    fetched: list[str] = []
    monkeypatch.setattr("fusion_bench.models.weights.resolve_weight_file",
                        lambda weight, progress=True: fetched.append(weight.relpath) or Path(weight.relpath))
    pairs = [Pair(name, (tmp_path / f"{name}_a.png", tmp_path / f"{name}_b.png")) for name in ("p1", "p2")]
    jobs = [job for method in ("mefnet", "average", "mgdn-mff")
            for job in method_jobs(method, "Toy", pairs, "mefb", ("EN",), tmp_path / "r")]
    assert fetch_weights(jobs) == []
    assert fetched == ["MEFNet/MEFNet_release.pt", "MGDN/MFF/62000_E.pth"]  # per method, not per image


def test_methods_whose_weights_cannot_be_had_are_left_to_their_rows(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from fusion_bench.errors import DownloadError

    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))

    def unavailable(weight, progress=True):
        raise DownloadError(f"{weight.relpath}: no network")

    monkeypatch.setattr("fusion_bench.models.weights.resolve_weight_file", unavailable)
    pairs = [Pair("p1", (tmp_path / "a.png", tmp_path / "b.png"))]
    jobs = method_jobs("mefnet", "Toy", pairs, "mefb", ("EN",), tmp_path / "r")
    assert fetch_weights(jobs) == ["mefnet"]


def test_run_jobs_fetches_weights_before_the_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    from fusion_bench.evaluation import runner

    order: list[str] = []
    monkeypatch.setattr(runner, "pending", lambda jobs, force=False: list(jobs))
    monkeypatch.setattr(runner, "fetch_weights", lambda jobs: order.append("weights") or [])

    class Stop(Exception):
        pass

    def predict(*args, **kwargs):
        order.append("trainer")
        raise Stop

    monkeypatch.setattr(runner, "_predict", predict)
    with pytest.raises(Stop):
        runner.run_jobs([object()])  # type: ignore[list-item]
    assert order == ["weights", "trainer"]
