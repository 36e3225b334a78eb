"""Evaluation runner: resume after a crash, failing images, sharding, worker pool. Small generated images;
the scoring function is a stand-in so that these tests exercise the runner, not the metrics."""

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
from fusion_bench.evaluation.jobs import parse_shard, select_shard, shard_of
from fusion_bench.evaluation.plan import Pair, method_jobs, published_output_jobs
from fusion_bench.evaluation.runner import PairScheduler, run_jobs
from fusion_bench.results.schema import COLUMNS, PUBLISHED_OUTPUTS, RUN_HERE
from fusion_bench.results.store import load_results
from fusion_bench.io.images import write_png

METRICS = ("MEAN", "MAX")


def fake_metrics(sources, fused, names, convention):
    """Stand-in for `compute_metrics`: {name: (N,) tensor}."""
    values = {"MEAN": fused.mean(dim=(1, 2, 3)), "MAX": fused.amax(dim=(1, 2, 3))}
    return {name: values[name] for name in names}


@pytest.fixture(autouse=True)
def _fake_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "compute_metrics", fake_metrics)


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

    def crash_after_two(job):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(job.image)
        return worker.run_job(job)

    with pytest.raises(KeyboardInterrupt):
        run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, root), execute=crash_after_two, progress=False)
    first = {path: path.read_bytes() for path in (root / "parts").rglob("*.csv")}
    assert len(first) == 2
    calls.clear()

    def count(job):
        calls.append(job.image)
        return worker.run_job(job)

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

    def slow_metrics(sources, fused, names, convention):
        time.sleep(float(sys.argv[3]))
        return {name: fused.mean(dim=(1, 2, 3)) for name in names}

    worker.compute_metrics = slow_metrics
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


def test_shards_cover_every_job_exactly_once(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 7)
    jobs = method_jobs("average", "Toy", pairs, "mefb", METRICS, tmp_path / "r") + \
        method_jobs("average", "Toy2", pairs, "gray", METRICS, tmp_path / "r")
    keys = [job.key for job in jobs]
    for count in (1, 2, 3, 5):
        shards = [select_shard(jobs, index, count) for index in range(1, count + 1)]
        covered = [job.key for shard in shards for job in shard]
        assert sorted(covered) == sorted(keys)  # every job once, none twice
    assert [shard_of(job, 3) for job in jobs] == [shard_of(job, 3) for job in reversed(jobs)][::-1]
    assert {shard_of(job, 3) for job in jobs} == {1, 2, 3}
    root = tmp_path / "sharded"
    for index in (1, 2):
        run_jobs(select_shard(method_jobs("average", "Toy", pairs, "mefb", METRICS, root), index, 2), progress=False)
    results = load_results(root)
    assert results.groupby(["image", "metric"]).size().eq(1).all() and results["image"].nunique() == 7
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_worker_pool_and_published_outputs(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 4)
    root = tmp_path / "results"
    outputs = [(pair.name, "PUB", pair.sources[0]) for pair in pairs]  # "published" fused = source A
    jobs = method_jobs("average", "Toy", pairs, "mefb", METRICS, root) + \
        published_output_jobs("Toy", pairs, outputs, "mefb", METRICS, root, origin="a benchmark's fused_images/")
    summary = run_jobs(jobs, workers=2, progress=False)
    assert summary.done == 8 and not summary.failed_images
    results = load_results(root)
    published = results[results["method"] == "PUB"]
    assert set(published["provenance"]) == {PUBLISHED_OUTPUTS} and (published["fuse_seconds"] == 0).all()
    assert len(results) == 8 * len(METRICS)
    single = tmp_path / "single"
    run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, single), progress=False)
    pooled = results[results["method"] == "average"].sort_values(["image", "metric"])["value"].to_numpy()
    assert np.array_equal(pooled, load_results(single).sort_values(["image", "metric"])["value"].to_numpy())


def test_added_metrics_and_conventions_are_computed_alone(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 2)
    root = tmp_path / "results"
    run_jobs(method_jobs("average", "Toy", pairs, "mefb", ("MEAN",), root), progress=False)
    before = load_results(root).set_index(["image", "metric"])
    calls: list[tuple[str, ...]] = []

    def record(job):
        calls.append((job.image, job.metrics, job.fuse))
        return worker.run_job(job)

    run_jobs(method_jobs("average", "Toy", pairs, "mefb", METRICS, root), execute=record, progress=False)
    assert sorted(calls) == sorted((p.name, ("MAX",), False) for p in pairs)  # only the new metric, on the saved image
    after = load_results(root).set_index(["image", "metric"])
    assert len(after) == 2 * len(METRICS)
    assert after.loc[before.index, "value"].equals(before["value"])
    calls.clear()
    run_jobs(method_jobs("average", "Toy", pairs, "gray", ("MEAN",), root), execute=record, progress=False)
    assert len(calls) == 2  # another convention is another result
    assert load_results(root).groupby("convention").size().to_dict() == {"gray": 2, "mefb": 4}


def test_each_worker_takes_whole_pairs_and_helps_at_the_end(tmp_path: Path):
    pairs = make_pairs(tmp_path / "data", 3)
    root = tmp_path / "results"
    jobs = [job for pair in pairs for method in ("average", "max-abs", "gff")
            for job in method_jobs(method, "Toy", [pair], "mefb", METRICS, root)]
    scheduler = PairScheduler(jobs, workers=2)
    taken = [scheduler.next_for(0), scheduler.next_for(1), scheduler.next_for(0), scheduler.next_for(0)]
    assert [job.image for job in taken] == [pairs[0].name, pairs[1].name, pairs[0].name, pairs[0].name]
    assert [job.method for job in taken] == ["average", "average", "max-abs", "gff"]
    last_pair = scheduler.next_for(0)  # pair 0 done: worker 0 starts the last untouched pair
    assert last_pair.image == pairs[2].name
    assert scheduler.next_for(1).image == pairs[1].name  # worker 1 goes on with its own pair
    # no untouched pair left: idle worker 1 finishes its pair, then takes from the end of worker 0's
    assert scheduler.next_for(1).image == pairs[1].name
    stolen = scheduler.next_for(1)
    assert (stolen.image, stolen.method) == (pairs[2].name, "gff")
    assert (scheduler.next_for(0).image, scheduler.next_for(0)) == (pairs[2].name, None)
    assert scheduler.next_for(1) is None
