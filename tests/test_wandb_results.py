"""W&B logging of evaluation and leaderboard runs, read back from the offline run's log
(`tests/wandb_records.py`): `evaluate` logs a Table per dataset (one row per method, provenance, convention,
storage and image: every metric and a thumbnail) and the leaderboard's mean table; `leaderboard --wandb`
logs its CSVs and figures; a W&B failure is a warning and the results stay."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from fusion_bench.cli.main import main
from toy_catalogue import without_checksums, write_toy_lytro
from wandb_records import finished_records, item_key


@pytest.fixture
def tiny_lytro(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_toy_lytro(tmp_path / "data", torch.Generator().manual_seed(5), width=32)
    monkeypatch.setenv("FUSION_BENCH_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WANDB_DATA_DIR", str(tmp_path / "wandb-data"))  # wandb's artifact staging
    without_checksums(monkeypatch, "Lytro")  # random images: a copy of the layout, not of Lytro's files
    return tmp_path


def logged(home: Path) -> tuple[str, dict[str, dict]]:
    """The job type of the one offline run under `home` and what it logged: key → the media's fields
    (wandb writes them flattened, `<key>/_type`, `<key>/path`, ...); a table's also with its "columns" and
    "data" as its artifact holds them (the run's own copy names its images only "Image")."""
    [run_dir] = list((home / "wandb").glob("offline-run-*"))
    [log] = list(run_dir.glob("run-*.wandb"))
    job, flat, staged = "", {}, {}
    for record in finished_records(log):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            job = record.run.job_type
        elif kind == "history":
            flat.update({item_key(item): json.loads(item.value_json) for item in record.history.item})
        elif kind == "artifact":
            staged.update({entry.path: entry.local_path for entry in record.artifact.manifest.contents})
    values = {}
    for key in flat:
        if key.endswith("/_type"):
            name = key.removesuffix("/_type")
            media = {field.removeprefix(name + "/"): value for field, value in flat.items()
                     if field.startswith(name + "/") and "/" not in field.removeprefix(name + "/")}
            if media["_type"] == "table-file":
                entry = media["artifact_path"].removeprefix("wandb-client-artifact://").split("/", 1)[1]
                media.update(json.loads(Path(staged[entry]).read_text()))
            values[name] = media
    return job, values


def test_evaluate_logs_a_table_per_dataset_and_the_mean_table(tiny_lytro: Path, capsys: pytest.CaptureFixture):
    out = tiny_lytro / "results"
    assert main(["evaluate", "--methods", "average,max-abs", "--datasets", "Lytro", "--metrics", "EN,SF",
                 "--out", str(out), "--devices", "1", "--no-progress"]) == 0
    assert "warning" not in capsys.readouterr().err
    job, values = logged(tiny_lytro / "home")
    assert job == "evaluate" and set(values) == {"Lytro/images", "leaderboard/mean"}
    images = values["Lytro/images"]
    assert images["columns"] == ["method", "provenance", "convention", "storage", "image", "EN", "SF", "thumbnail"]
    assert len(images["data"]) == 2 * 20
    rows = pd.DataFrame(images["data"], columns=images["columns"])
    assert sorted(set(rows["method"])) == ["average", "max-abs"] and set(rows["provenance"]) == {"run here"}
    assert set(rows["storage"]) == {"imwrite"} and rows["image"].nunique() == 20
    # the scored files as thumbnails (24x32 images are smaller than a thumbnail: kept at their size)
    assert all(cell["_type"] == "image-file" and (cell["height"], cell["width"]) == (24, 32)
               for cell in rows["thumbnail"])
    stored = pd.read_csv(out / "results.csv")
    en = stored[(stored["metric"] == "EN") & (stored["method"] == "average")].set_index("image")["value"]
    mine = rows[rows["method"] == "average"].set_index("image")["EN"]
    assert mine.sort_index().tolist() == pytest.approx(en.sort_index().tolist(), rel=1e-12)
    mean = values["leaderboard/mean"]
    assert mean["columns"] == ["dataset", "convention", "storage", "method", "provenance", "images", "EN", "SF"]
    assert len(mean["data"]) == 2 and {row[5] for row in mean["data"]} == {20}
    assert {row[3]: row[6] for row in mean["data"]}["average"] == pytest.approx(en.mean(), rel=1e-12)


def test_leaderboard_wandb_logs_its_tables_and_figures(tiny_lytro: Path, capsys: pytest.CaptureFixture):
    out = tiny_lytro / "results"
    assert main(["evaluate", "--methods", "average,max-abs", "--datasets", "Lytro", "--metrics", "EN,SF",
                 "--out", str(out), "--devices", "1", "--no-progress", "--no-wandb"]) == 0
    assert not (tiny_lytro / "home" / "wandb").exists()
    pages = tiny_lytro / "pages"
    assert main(["leaderboard", "--results", str(out), "--out", str(pages), "--wandb"]) == 0
    job, values = logged(tiny_lytro / "home")
    csvs = sorted((pages / "csv").glob("*.csv"))
    figures = sorted((pages / "figures").glob("*.png"))
    assert job == "leaderboard" and csvs and figures
    assert set(values) == {f"csv/{path.stem}" for path in csvs} | {f"figures/{path.stem}" for path in figures}
    for path in csvs:
        table = pd.read_csv(path)
        assert values[f"csv/{path.stem}"]["columns"] == list(table.columns)
        assert len(values[f"csv/{path.stem}"]["data"]) == len(table)
    assert all(values[f"figures/{path.stem}"]["_type"] == "image-file" for path in figures)


def test_a_wandb_failure_is_a_warning_and_the_results_stay(tiny_lytro: Path, capsys: pytest.CaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch):
    import wandb

    def refused(*args, **kwargs):
        raise wandb.errors.UsageError("api_key not configured (no-tty)\nsecond line")

    monkeypatch.setattr(wandb, "init", refused)
    out = tiny_lytro / "results"
    assert main(["evaluate", "--methods", "average", "--datasets", "Lytro", "--metrics", "EN", "--out", str(out),
                 "--devices", "1", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("warning:")] == [
        "warning: W&B logging failed (api_key not configured (no-tty)); the results and pages are written"]
    assert pd.read_csv(out / "results.csv")["image"].nunique() == 20
