"""`fusion-bench reproduce` (`make reproduce-table`) end to end on tiny copies of the Lytro and SICE layouts:
runs the methods of each task, scores MGDN's reported cells in both conventions, prints timing and skips,
writes the leaderboard, and a second run computes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.evaluation.reproduce import reproduce
from fusion_bench.evaluation.runner import Devices
from fusion_bench.io.images import write_png
from toy_catalogue import without_checksums


def _tiny_data(root: Path) -> None:
    """The catalogue's layouts and pair counts (Lytro 20, SICE 5), with 48×48 images."""
    generator = torch.Generator().manual_seed(2)
    for index in range(1, 21):
        base = torch.rand(1, 3, 48, 48, generator=generator)
        write_png(base, root / "Lytro" / "A" / f"lytro_{index:02d}.png")
        write_png(base.flip(-1), root / "Lytro" / "B" / f"lytro_{index:02d}.png")
        if index <= 5:
            write_png(base * 0.4, root / "SICE" / "under" / f"{index:03d}.png")
            write_png(0.6 + base * 0.4, root / "SICE" / "over" / f"{index:03d}.png")


def test_reproduce_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    data = tmp_path / "data"
    _tiny_data(data)
    monkeypatch.setenv("FUSION_BENCH_DATA", str(data))
    without_checksums(monkeypatch, "Lytro", "SICE")  # random images in the layouts, not the datasets' files
    results, out = tmp_path / "results", tmp_path / "leaderboard"
    argv = ["reproduce", "--results", str(results), "--out", str(out), "--devices", "1", "--methods",
            "average,max-abs", "--metrics", "Qabf", "--no-wandb"]
    assert main(argv + ["--datasets", "Lytro,SICE,RealMFF"]) == 0
    log = capsys.readouterr().err
    assert "skipped: dataset RealMFF" in log and "timing per dataset and method" in log and "failed" not in log
    assert (out / "Lytro.md").is_file() and (out / "SICE.md").is_file() and (out / "README.md").is_file()
    reproduction = pd.read_csv(out / "csv" / "reproduction.csv")
    # mgdn-* is not among the methods run: the reported cells say so rather than vanish.
    assert set(reproduction["dataset"]) == {"MEFB", "SICE", "Lytro", "RealMFF"}
    assert (reproduction["images"] == 0).all()
    rows = pd.read_csv(results / "results.csv")
    assert set(rows["dataset"]) == {"Lytro", "SICE"} and set(rows["method"]) == {"average", "max-abs"}
    assert rows.groupby(["dataset", "method"])["image"].nunique().to_dict() == {
        ("Lytro", "average"): 20, ("Lytro", "max-abs"): 20, ("SICE", "average"): 5, ("SICE", "max-abs"): 5}
    again = reproduce(results, Devices("cpu", 1), datasets=("Lytro", "SICE"), methods=("average", "max-abs"),
                      metrics=("Qabf",))
    assert again.done == 0 and again.skipped == 50


def test_reproduce_usage_errors_are_one_line(capsys: pytest.CaptureFixture):
    for argv, text in ((["--devices", "0"], "--devices"), (["--storage", "jpeg"], "jpeg")):
        assert main(["reproduce", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and text in err and len(err.strip().splitlines()) == 1


def test_prepare_downloads_a_missing_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No local or cached copy: `prepare` asks the downloader (here a stand-in that 'fetches' the tiny copy);
    a dataset it cannot fetch is skipped with the downloader's reason."""
    from fusion_bench.data import fetch
    from fusion_bench.errors import DatasetError
    from fusion_bench.evaluation.reproduce import prepare

    data = tmp_path / "fetched"
    _tiny_data(data)
    monkeypatch.setenv("FUSION_BENCH_DATA", str(tmp_path / "empty"))
    asked = []

    def fake_download(name: str, progress: bool = True) -> Path:
        asked.append(name)
        if name == "SICE":
            raise DatasetError("SICE: connection refused")
        return data / name

    monkeypatch.setattr(fetch, "download_dataset", fake_download)
    plan = prepare(("Lytro", "SICE"), methods=("average",))
    assert asked == ["Lytro", "SICE"]
    assert [view.name for view in plan.views] == ["Lytro"] and len(plan.views[0].pairs) == 20
    assert any(line.startswith("dataset SICE:") and "connection refused" in line for line in plan.skipped)


def test_published_scores_are_imported_before_the_evaluation(data_root: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FUSION_BENCH_DATA", str(data_root))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C during the long evaluation

    monkeypatch.setattr("fusion_bench.evaluation.reproduce.run_jobs", interrupted)
    results = tmp_path / "results"
    with pytest.raises(KeyboardInterrupt):
        reproduce(results, Devices("cpu", 1), datasets=("MEFB",), methods=("average",), metrics=("EN",))
    imported = pd.read_csv(results / "imported" / "MEFB_published.csv")
    assert imported["method"].nunique() == 21 and imported["image"].nunique() == 100


@pytest.mark.realdata
def test_reproduce_scores_mefbs_published_images_in_its_own_loop(local_data: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture):
    """With MEFB in the run, its published fused images are scored in the same loop as the run's jobs (each
    with its pair's item), compared with the .mat and kept for the leaderboard; a re-run keeps them."""
    from dataclasses import replace

    from fusion_bench.evaluation import reproduce as reproduce_module
    from fusion_bench.results.validation import load_validation
    from fusion_bench.validation import mefb_published

    real_prepare, real_images = reproduce_module.prepare, mefb_published.published_images

    def two_pairs(datasets, methods=None):  # MEFB's Candle and Arno only: a short run
        plan = real_prepare(datasets, methods)
        plan.views = [replace(view, pairs=tuple(p for p in view.pairs if p.name in ("Candle", "Arno")))
                      for view in plan.views]
        return plan

    monkeypatch.setattr("fusion_bench.cli.reproduce.prepare", two_pairs)
    monkeypatch.setattr(mefb_published, "published_images",
                        lambda root, pairs=None, methods=None: real_images(root, ["Candle"], ["DEM", "MEFNet"]))
    seen: list[tuple[str, ...]] = []
    from fusion_bench.evaluation.items import group_items as real_group

    def spy(jobs):
        items = real_group(jobs)
        seen.extend(tuple(job.method for job in item.jobs) for item in items if item.image == "Candle")
        return items

    monkeypatch.setattr("fusion_bench.evaluation.runner.group_items", spy)
    results = tmp_path / "results"
    argv = ["reproduce", "--datasets", "MEFB", "--methods", "average", "--metrics", "EN,SD", "--devices", "1",
            "--results", str(results), "--out", str(tmp_path / "lb"), "--no-wandb"]
    assert main(argv) == 0
    assert "MEFB validation: 2 published images (Candle) against MEFB's Matlab values: 2 scored in this run" \
        in capsys.readouterr().err
    assert seen == [("average", "DEM", "MEFNet")]  # one item: the pair's own job, then its published images
    kept = load_validation(results)
    assert len(kept) == 4 and (kept["rel_diff"] <= 1e-4).all()
    assert "matlab_agreement.csv" in {path.name for path in (tmp_path / "lb" / "csv").iterdir()}
    assert main(argv) == 0
    assert "0 scored in this run, 2 kept from an earlier run of this scoring code" in capsys.readouterr().err
