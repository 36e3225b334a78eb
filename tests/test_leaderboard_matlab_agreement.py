"""Issue 16's acceptance row: the leaderboard's comparison section shows, per published MEFB method, how our
scoring of its published fused images agrees with MEFB's Matlab values, read from the validation values that
`fusion-bench validate` keeps in the results folder (the leaderboard scores nothing and imports no validation)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_bench.cli.main import main
from fusion_bench.leaderboard.build import build_leaderboard
from fusion_bench.leaderboard.comparisons import matlab_agreement, matlab_agreement_by_metric
from fusion_bench.results.store import atomic_write_text, rows_to_csv
from fusion_bench.results.validation import COLUMNS, load_validation, validation_path, write_validation

PACKAGE = Path(__file__).resolve().parent.parent / "fusion_bench"


def _values() -> pd.DataFrame:
    """Two published methods on two pairs and two metrics: DEM agrees except SD on Arno (2e-3 off); GFF has
    a failed value, a +inf against the .mat's NaN, and SD on Candle 5e-5 off."""
    rows = [
        ("Arno", "DEM", "EN", 7.0, 7.0, 0.0, ""), ("Arno", "DEM", "SD", 50.1, 50.0, 2e-3, ""),
        ("Candle", "DEM", "EN", 6.5, 6.5, 0.0, ""), ("Candle", "DEM", "SD", 40.0, 40.0, 0.0, ""),
        ("Arno", "GFF", "EN", np.nan, 7.2, np.nan, "ValueError: broken"), ("Arno", "GFF", "SD", np.inf, np.nan, np.inf, ""),
        ("Candle", "GFF", "EN", 6.6, 6.6, 0.0, ""), ("Candle", "GFF", "SD", 40.002, 40.0, 5e-5, ""),
    ]
    frame = pd.DataFrame(rows, columns=["image", "method", "metric", "ours", "matlab", "rel_diff", "error"])
    return frame.assign(seconds=0.1, code_version="0.1.0+gabc1234")


def _results(root: Path) -> Path:
    rows = [{"method": "average", "dataset": "MEFB", "image": f"pair_{index:02d}", "metric": "EN",
             "convention": "mefb", "storage": "imwrite", "value": 7.0, "config_hash": "abc", "code_version": "v",
             "provenance": "run here", "error": ""} for index in range(3)]
    atomic_write_text(root / "imported" / "rows.csv", rows_to_csv(rows))
    return root


def test_validation_values_round_trip_through_the_results_folder(tmp_path: Path):
    assert load_validation(tmp_path) is None
    path = write_validation(tmp_path, _values())
    assert path == validation_path(tmp_path) == tmp_path / "validation" / "mefb-published.csv"
    loaded = load_validation(tmp_path)
    assert list(loaded.columns) == list(COLUMNS)  # `seconds` is not kept
    assert loaded["error"].tolist()[4] == "ValueError: broken" and loaded["error"].tolist()[0] == ""
    assert np.isinf(loaded["ours"][5]) and np.isnan(loaded["matlab"][5]) and np.isnan(loaded["ours"][4])
    with pytest.raises(ValueError, match="code_version"):
        write_validation(tmp_path, _values().drop(columns="code_version"))


def test_agreement_per_published_method():
    table = matlab_agreement(_values()).set_index("method")
    assert table.index.tolist() == ["DEM", "GFF"]
    assert table.loc["DEM", ["pairs", "values", "inf_nan_mismatches", "failed"]].tolist() == [2, 4, 0, 0]
    assert table.loc["DEM", "within_1e-4"] == 0.75 and table.loc["DEM", "within_1e-3"] == 0.75
    assert table.loc["DEM", "largest_rel"] == 2e-3 and table.loc["DEM", "largest_at"] == "SD on Arno"
    assert table.loc["GFF", ["pairs", "values", "inf_nan_mismatches", "failed"]].tolist() == [2, 3, 1, 1]
    assert table.loc["GFF", "within_1e-4"] == pytest.approx(2 / 3) and np.isinf(table.loc["GFF", "largest_rel"])
    by_metric = matlab_agreement_by_metric(_values())
    assert by_metric.index.tolist() == ["DEM", "GFF"] and by_metric.columns.tolist() == ["EN", "SD"]
    assert by_metric.loc["DEM"].tolist() == [0.0, 2e-3] and by_metric.loc["GFF", "EN"] == 0.0


def test_the_comparison_section_shows_a_row_per_published_method(tmp_path: Path):
    root = _results(tmp_path / "results")
    write_validation(root, _values())
    out = tmp_path / "leaderboard"
    build_leaderboard(root, out)
    readme = (out / "README.md").read_text()
    section = readme[readme.index("### Our scoring of MEFB's published fused images vs MEFB's Matlab values"):]
    assert "of the 2 pairs present (Arno, Candle)" in section and "0.1.0+gabc1234" in section
    rows = {cells[0]: cells[1:] for cells in ([cell.strip() for cell in line.strip("|").split("|")]
                                              for line in section.splitlines() if line.startswith("| "))}
    assert rows["method"] == ["pairs", "values", "within 1e-4", "within 1e-3", "largest rel. diff.", "at",
                              "inf/NaN mismatches", "failed"]
    assert rows["DEM"] == ["2", "4", "75.0 %", "75.0 %", "0.002", "SD on Arno", "0", "0"]
    assert rows["GFF"] == ["2", "3", "66.7 %", "66.7 %", "inf", "SD on Arno", "1", "1"]
    assert pd.read_csv(out / "csv" / "matlab_agreement.csv")["method"].tolist() == ["DEM", "GFF"]
    assert (out / "csv" / "matlab_agreement_by_metric.csv").is_file()

    # Without validation values the section says how to get them, and the stale CSVs are pruned.
    validation_path(root).unlink()
    build_leaderboard(root, out)
    assert "No validation values in these results" in (out / "README.md").read_text()
    assert not (out / "csv" / "matlab_agreement.csv").exists()


def test_leaderboard_command_reads_the_results_folders_validation(tmp_path: Path):
    root = _results(tmp_path / "results")
    write_validation(root, _values())
    assert main(["leaderboard", "--results", str(root), "--out", str(tmp_path / "lb"), "--force"]) == 0
    assert "| DEM " in (tmp_path / "lb" / "README.md").read_text()


def test_the_leaderboard_imports_no_validation_code():
    imported = set()
    for path in (PACKAGE / "leaderboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert not [name for name in imported if name.startswith("fusion_bench.validation")]


@pytest.mark.realdata
def test_validate_keeps_its_values_where_the_leaderboard_reads_them(local_data: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture):
    root = _results(tmp_path / "results")
    assert main(["validate", "mefb-published", "--pairs", "Candle", "--methods", "DEM,MEFNet", "--metrics", "EN,SD",
                 "--accelerator", "cpu", "--devices", "1", "--results", str(root)]) == 0
    assert "kept for the leaderboard: " + str(validation_path(root)) in capsys.readouterr().out
    kept = load_validation(root)
    assert sorted(set(zip(kept["method"], kept["metric"]))) == [("DEM", "EN"), ("DEM", "SD"), ("MEFNet", "EN"),
                                                               ("MEFNet", "SD")]
    assert (kept["image"] == "Candle").all() and (kept["error"] == "").all() and (kept["code_version"] != "").all()
    build_leaderboard(root, tmp_path / "lb")
    agreement = pd.read_csv(tmp_path / "lb" / "csv" / "matlab_agreement.csv").set_index("method")
    assert agreement["values"].tolist() == [2, 2] and (agreement["largest_rel"] <= 1e-4).all()


@pytest.mark.realdata
def test_reproduce_keeps_the_validation_and_scores_it_again_only_when_needed(local_data: Path, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    """`fusion-bench reproduce`'s validation: its jobs (only the .mat's metrics) run in the evaluation loop,
    their rows are stored per image under the results folder's validation/, the comparison is kept for the
    leaderboard, and an image is scored again only by another scoring code version."""
    from dataclasses import replace

    from fusion_bench.evaluation.runner import Devices, pending, run_jobs
    from fusion_bench.validation.kept import keep_mefb_validation, plan_kept_validation
    from fusion_bench.validation.mefb_published import mefb_root, published_images

    root = tmp_path / "results"
    plan = plan_kept_validation(root, ["EN", "SD", "SSIM"])  # SSIM is not in the .mat
    assert plan.metrics == ("EN", "SD") and len(plan.jobs) == len(published_images(mefb_root()))
    assert all(Path(job.part_path).is_relative_to(root / "validation") for job in plan.jobs)
    plan = replace(plan, images=plan.images[:2], jobs=plan.jobs[:2])  # two images keep the test short
    assert len(pending(plan.jobs)) == 2
    run_jobs(plan.jobs, Devices("cpu", 1), progress=False)
    line = keep_mefb_validation(plan, root, scored=2)
    assert "2 published images" in line and "2 scored in this run" in line
    kept = load_validation(root)
    assert len(kept) == 4 and (kept["rel_diff"] <= 1e-4).all() and (kept["error"] == "").all()
    assert pending(plan.jobs) == []  # kept: a re-run scores nothing
    assert "kept from an earlier run" in keep_mefb_validation(plan, root, scored=0)
    monkeypatch.setattr("fusion_bench.evaluation.plan.scoring_code_version", lambda: "0.1.0+gbbbbbbb")
    again = plan_kept_validation(root, ["EN", "SD"])
    assert len(pending(again.jobs)) == len(again.jobs)  # other scoring code: scored again
    assert "none of the metrics" in plan_kept_validation(root, ["SSIM"])
