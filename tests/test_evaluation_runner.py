"""Evaluation runner: resume after a crash, failing images, items of whole pairs split between ranks.
Small generated images; the scoring function is a stand-in so that these tests exercise the runner, not the
metrics. Several processes: tests/test_evaluation_ddp.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from fusion_bench.evaluation import worker
from fusion_bench.evaluation.items import EvaluationItem, RankSampler, balanced_shares, group_items, item_cost
from fusion_bench.evaluation.plan import Pair, method_jobs, published_output_jobs
from fusion_bench.evaluation.runner import run_jobs
from fusion_bench.results.schema import COLUMNS, PUBLISHED_OUTPUTS, RUN_HERE
from fusion_bench.results.store import load_results
from fusion_bench.io.images import write_png

METRICS = ("MEAN", "MAX")


def fake_metric(sources, fused, name, convention):
    """Stand-in for `compute_metric`: (N,) tensor."""
    return {"MEAN": fused.mean(dim=(1, 2, 3)), "MAX": fused.amax(dim=(1, 2, 3))}[name]


@pytest.fixture(autouse=True)
def _fake_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "compute_metric", fake_metric)


def make_pairs(folder: Path, count: int, bad: int | None = None) -> list[Pair]:
    """`count` pairs of 12×16 RGB PNGs; pair `bad` gets sources of different sizes (the average fuser fails)."""
    generator = torch.Generator().manual_seed(0)
    pairs = []
    for index in range(count):
        a = torch.rand(1, 3, 12, 16, generator=generator)
        b = torch.rand(1, 3, 12 if index != bad else 10, 16, generator=generator)
        name = f"pair {index:02d}é" if index == 1 else f"pair_{index:02d}"  # one name needing a safe file name
        pairs.append(Pair(name, (write_png(a, folder / f"{index}_A.png"), write_png(b, folder / f"{index}_B.png"))))
    return pairs


def test_results_rows_and_fused_images(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 3)
    jobs = method_jobs("average", "Toy", pairs, "mefb", METRICS, tmp_path / "results")
    summary = run_jobs(jobs, progress=False)
    assert summary.done == 3 and summary.skipped == 0 and not summary.failed_images
    results = load_results(tmp_path / "results")
    assert list(results.columns) == list(COLUMNS)
    assert len(results) == 3 * len(METRICS)
    assert set(results["provenance"]) == {RUN_HERE} and set(results["image"]) == {p.name for p in pairs}
    row = results[(results["image"] == "pair_00") & (results["metric"] == "MEAN")].iloc[0]
    fused = np.asarray(Image.open(row["fused_path"]), dtype=np.float64)
    assert row["value"] == pytest.approx(fused.mean() / 255, abs=1e-6)  # the saved 8-bit image is what is scored
    assert row["code_version"].startswith("0.1.0") and len(row["config_hash"]) == 12


def test_failing_image_is_recorded_and_skipped(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 4, bad=2)
    summary = run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, tmp_path / "results"), progress=False)
    assert summary.done == 4
    assert [(m, i) for m, _, i, _ in summary.failed_images] == [("average", "pair_02")]
    results = load_results(tmp_path / "results")
    bad = results[results["image"] == "pair_02"]
    assert len(bad) == len(METRICS) and bad["value"].isna().all()
    assert bad["error"].str.contains("size").all()
    good = results[results["image"] != "pair_02"]
    assert len(good) == 3 * len(METRICS) and (good["error"] == "").all() and good["value"].notna().all()
    # A re-run does not retry it (same code, same failure); --force does.
    assert run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, tmp_path / "results"), progress=False).done == 0


def test_resume_and_force(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 5)
    root = tmp_path / "results"
    calls: list[str] = []

    def crash_after_two(job, *loaded):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(job.image)
        return worker.run_job(job, *loaded)

    with pytest.raises(KeyboardInterrupt):
        run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, root), execute=crash_after_two, progress=False)
    first = {path: path.read_bytes() for path in (root / "parts").rglob("*.csv")}
    assert len(first) == 2
    calls.clear()

    def count(job, *loaded):
        calls.append(job.image)
        return worker.run_job(job, *loaded)

    summary = run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, root), execute=count, progress=False)
    assert summary.skipped == 2 and sorted(calls) == sorted(p.name for p in pairs[2:])
    assert all(path.read_bytes() == data for path, data in first.items())  # nothing rewritten
    assert len(load_results(root)) == 5 * len(METRICS)
    calls.clear()
    run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, root), execute=count, force=True, progress=False)
    assert len(calls) == 5
    # A different config is a different run: computed anew, the old one kept.
    calls.clear()
    jobs = method_jobs("average", "Toy", pairs, "mefb", METRICS, root)
    changed = [replace(job, config_hash="other", part_path=job.part_path.replace(job.config_hash, "other"))
               for job in jobs]
    run_jobs(changed, execute=count, progress=False)
    assert len(calls) == 5 and len(load_results(root)) == 10 * len(METRICS)


CRASH_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import torch
    from fusion_bench.evaluation import worker
    from fusion_bench.evaluation.plan import Pair, method_jobs
    from fusion_bench.evaluation.runner import run_jobs

    def slow_metric(sources, fused, name, convention):
        time.sleep(float(sys.argv[3]))
        return fused.mean(dim=(1, 2, 3))

    worker.compute_metric = slow_metric
    data, root = Path(sys.argv[1]), Path(sys.argv[2])
    pairs = [Pair(f"p{i}", (data / f"{i}_A.png", data / f"{i}_B.png")) for i in range(8)]
    summary = run_jobs(method_jobs("average", "Toy", pairs, "mefb", ("MEAN",), root), progress=False)
    print(summary.done, summary.skipped)
""")


def test_resume_after_killed_process(tmp_path: Path):
    """SIGKILL mid-dataset (no clean-up at all): finished images stay, the re-run computes only the rest."""
    data, root = tmp_path / "data", tmp_path / "results"
    for index in range(8):
        for side in "AB":
            write_png(torch.rand(1, 3, 8, 8), data / f"{index}_{side}.png")
    script = tmp_path / "crash.py"
    script.write_text(CRASH_SCRIPT)
    process = subprocess.Popen([sys.executable, str(script), str(data), str(root), "0.4"], env=os.environ.copy())
    deadline = time.monotonic() + 300  # generous: a loaded machine takes long to import torch
    while time.monotonic() < deadline and len(list((root / "parts").rglob("*.csv"))) < 3:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    survived = {path: path.read_bytes() for path in (root / "parts").rglob("*.csv")}
    assert 3 <= len(survived) < 8
    assert not [p for p in root.rglob("*") if p.is_file() and p.suffix not in (".csv", ".png", ".tmp")]
    rerun = subprocess.run([sys.executable, str(script), str(data), str(root), "0"], capture_output=True, text=True,
                           env=os.environ.copy(), check=True)
    done, skipped = map(int, rerun.stdout.split())
    assert (done, skipped) == (8 - len(survived), len(survived))
    assert all(path.read_bytes() == content for path, content in survived.items())
    results = load_results(root)
    assert sorted(results["image"]) == [f"p{i}" for i in range(8)] and results["value"].notna().all()


def test_ranks_take_whole_pairs_once_without_padding(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 7)
    root = tmp_path / "r"
    jobs = [job for pair in pairs for method in ("average", "max-abs")
            for job in method_jobs(method, "Toy", [pair], "mefb", METRICS, root)]
    jobs += method_jobs("average", "Toy2", pairs, "gray", METRICS, root)
    items = group_items(jobs)
    assert [(item.dataset, item.image) for item in items] == \
        [("Toy", p.name) for p in pairs] + [("Toy2", p.name) for p in pairs]
    assert all(isinstance(item, EvaluationItem) and {job.image for job in item.jobs} == {item.image} for item in items)
    assert [job.method for job in items[0].jobs] == ["average", "max-abs"]  # a pair's jobs in planned order
    assert sorted(job.key for item in items for job in item.jobs) == sorted(job.key for job in jobs)
    for world in (1, 2, 3, 5, 20):
        shares = [list(RankSampler(len(items), rank, world)) for rank in range(world)]
        assert sorted(index for share in shares for index in share) == list(range(len(items)))  # once each
        assert [len(share) for share in shares] == [len(RankSampler(len(items), r, world)) for r in range(world)]
        assert shares == [list(range(r, len(items), world)) for r in range(world)]  # equal costs: round robin
    with pytest.raises(ValueError):
        RankSampler(3, 2, 2)
    assert item_cost(items[0]) == 2 * 12 * 16 and item_cost(items[-1]) == 1 * 12 * 16  # jobs × pixels


def test_ranks_share_items_by_their_cost() -> None:
    """One large item and nine small ones: the large one alone on a rank, not five items each."""
    assert balanced_shares([10.0] + [1.0] * 9, 2) == [[0], list(range(1, 10))]
    # costliest first to the least loaded rank: 5 → 0, 4 → 1, 3 → 1, 3 → 0, 3 → 1 (loads 8 and 10)
    assert balanced_shares([5.0, 4.0, 3.0, 3.0, 3.0], 2) == [[0, 3], [1, 2, 4]]
    assert list(RankSampler(3, 0, 2, [1.0, 5.0, 1.0])) == [1] and list(RankSampler(3, 1, 2, [1.0, 5.0, 1.0])) == [0, 2]
    with pytest.raises(ValueError):
        RankSampler(3, 0, 2, [1.0])


def test_published_outputs_share_their_pairs_items(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 4)
    root = tmp_path / "results"
    outputs = [(pair.name, "PUB", pair.sources[0]) for pair in pairs]  # "published" fused = source A
    jobs = method_jobs("average", "Toy", pairs, "mefb", METRICS, root) + \
        published_output_jobs("Toy", pairs, outputs, "mefb", METRICS, root, origin="a benchmark's fused_images/")
    assert [len(item.jobs) for item in group_items(jobs)] == [2, 2, 2, 2]
    summary = run_jobs(jobs, progress=False)
    assert summary.done == 8 and not summary.failed_images
    results = load_results(root)
    published = results[results["method"] == "PUB"]
    assert set(published["provenance"]) == {PUBLISHED_OUTPUTS} and (published["fuse_seconds"] == 0).all()
    assert len(results) == 8 * len(METRICS)


def test_added_metrics_and_conventions_are_computed_alone(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 2)
    root = tmp_path / "results"
    run_jobs(method_jobs("average", "Toy", pairs, "mefb", ("MEAN",), root), progress=False)
    before = load_results(root).set_index(["image", "metric"])
    calls: list[tuple[str, ...]] = []

    def record(job, *loaded):
        calls.append((job.image, job.metrics, job.fuse))
        return worker.run_job(job, *loaded)

    run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, root), execute=record, progress=False)
    assert sorted(calls) == sorted((p.name, ("MAX",), False) for p in pairs)  # only the new metric, on the saved image
    after = load_results(root).set_index(["image", "metric"])
    assert len(after) == 2 * len(METRICS)
    assert after.loc[before.index, "value"].equals(before["value"])
    calls.clear()
    run_jobs(method_jobs("average", "Toy", pairs, "gray", ("MEAN",), root), execute=record, progress=False)
    assert len(calls) == 2  # another convention is another result
    assert load_results(root).groupby("convention").size().to_dict() == {"gray": 2, "mefb": 4}
