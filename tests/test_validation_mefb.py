"""MEFB's published fused images against its Matlab values: the .mat's method axis identified from the images
(refused unless one-to-one; re-derived from the shared images and equal to the shipped mapping), the shipped
mapping checked on load, cheap metrics within 1e-4 of the .mat on Candle, and the report's columns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_bench.cli.main import main
from fusion_bench.data.mefb import check_columns, column_methods, read_columns, read_published_scores, read_score_array
from fusion_bench.errors import DatasetError
from fusion_bench.validation.columns import MethodValues, columns_csv, identify_columns, match_columns
from fusion_bench.validation.compare import SUMMARY_COLUMNS, relative_difference

LABELS = ["M0", "M1", "M2", "M3"]


def _synthetic() -> tuple[dict[str, MethodValues], np.ndarray]:
    """Four methods' values on five images and a .mat whose columns hold them in the order M2, M0, M3, M1."""
    rng = np.random.default_rng(7)
    values = {m: rng.uniform(20.0, 80.0, size=(5, 2)) for m in LABELS}
    mat = np.stack([values[m] for m in ("M2", "M0", "M3", "M1")], axis=1) * (1 + 3e-6)  # .mat rounding
    return {m: MethodValues(tuple(range(5)), v) for m, v in values.items()}, mat


def test_columns_are_matched_by_the_images_they_hold() -> None:
    ours, mat = _synthetic()
    matches = match_columns(ours, mat, LABELS)
    assert {m.method: m.column for m in matches} == {"M2": 0, "M0": 1, "M3": 2, "M1": 3}
    assert all(m.worst < 1e-5 and m.runner_up > 1e-2 for m in matches)


def test_a_duplicated_column_is_refused_naming_the_columns() -> None:
    ours, mat = _synthetic()
    mat[:, 3] = mat[:, 1]  # column 4 duplicates column 2 (M0's): M1 has no column, M0 has two
    with pytest.raises(DatasetError) as caught:
        match_columns(ours, mat, LABELS)
    message = str(caught.value)
    assert message.startswith("the .mat's method axis cannot be identified one-to-one: ")
    assert "M0's images match columns 2 (M1), 4 (M3) alike (duplicated columns)" in message
    assert "M1's images match no column within 0.001 (closest: column" in message


def test_a_permuted_column_is_refused() -> None:
    ours, mat = _synthetic()
    mat[:, 2] = mat[[1, 2, 3, 4, 0], 2]  # column 3's values moved to other images
    with pytest.raises(DatasetError, match=r"M3's images match no column within 0\.001 \(closest: column \d"):
        match_columns(ours, mat, LABELS)


def test_two_methods_on_one_column_are_refused() -> None:
    ours, mat = _synthetic()
    ours["M1"] = MethodValues(ours["M0"].images, ours["M0"].values.copy())
    with pytest.raises(DatasetError, match=r"column 2 \(M1\) matches the images of M0 and M1"):
        match_columns(ours, mat, LABELS)


def test_the_shipped_mapping_is_checked_one_to_one() -> None:
    columns = read_columns()
    labels = [c.information_label for c in columns]
    assert check_columns(columns, labels) == columns
    doubled = columns_csv(columns).replace("14,SPD_MEF,IFCNN,", "14,SPD_MEF,MEFCNN,")
    with pytest.raises(DatasetError, match=r"not one-to-one: MEFCNN is named for columns 14, 15; no column holds "
                                           r"IFCNN"):
        column_methods(labels, read_columns(doubled))
    with pytest.raises(DatasetError, match=r"column 1 is labelled 'DEM', information.txt says 'GD'"):
        column_methods(["GD", *labels[1:]])


def test_relative_difference_matches_non_finite_values_in_kind() -> None:
    ours = np.array([1.0, np.inf, np.nan, np.inf, 2.0, 0.0, np.nan])
    theirs = np.array([1.0 + 1e-6, np.inf, np.nan, -np.inf, np.nan, 0.0, 1.0])
    diff = relative_difference(ours, theirs)
    assert diff[0] == pytest.approx(1e-6 / (1 + 1e-6)) and diff[1] == 0 and diff[2] == 0 and diff[5] == 0
    assert np.isinf(diff[3]) and np.isinf(diff[4]) and np.isinf(diff[6])


@pytest.mark.realdata
@pytest.mark.slow
def test_mapping_rederived_from_the_shared_images_equals_the_shipped_one(local_data: Path) -> None:
    from fusion_bench.data.fetch import part_files

    files = part_files("MEFB", "published-fused")
    assert len(files) == 107
    columns = identify_columns(local_data / "MEFB", files)
    assert columns == read_columns()
    moved = {c.information_label: c.method for c in columns if c.information_label != c.method}
    assert moved == {"IFCNN": "MEFCNN", "MEFOpt": "MGFF", "MGFF": "MTI", "MTI": "PMEF", "PMEF": "PWA",
                     "PWA": "SPD_MEF", "SPD_MEF": "IFCNN", "MEFCNN": "MEFAW", "MEFAW": "MEFOpt"}


@pytest.mark.realdata
def test_published_rows_carry_the_method_whose_images_produced_them(data_root: Path) -> None:
    root = data_root / "MEFB"
    scores = read_published_scores(root).set_index(["image", "method", "metric"])["value"]
    mat = read_score_array(root)
    # information.txt: column 15 is labelled IFCNN, and holds MEFCNN's scores; image 36 is Candle, metric 12 SD
    assert scores["Candle", "MEFCNN", "SD"] == mat[35, 14, 11]
    assert scores["Candle", "IFCNN", "SD"] == mat[35, 13, 11]


@pytest.mark.realdata
def test_cheap_metrics_agree_with_matlab_on_candle(local_data: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    page = tmp_path / "report.md"
    argv = ["validate", "mefb-published", "--pairs", "Candle", "--methods", "DEM,IFCNN,MEFCNN,SPD_MEF,MEFNet",
            "--metrics", "EN,SD,SF,AG,EI", "--json", "--out", str(page), "--csv", str(tmp_path / "values.csv"),
            "--accelerator", "cpu", "--devices", "1"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["images"], report["pairs"]) == (5, 1)
    summary = pd.DataFrame(report["metrics"])
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["metric"].tolist() == ["EN", "SD", "SF", "AG", "EI"]
    assert (summary["images"] == 5).all() and (summary["errors"] == 0).all()
    assert (summary["max_rel"] <= 1e-4).all() and (summary["within_1e-4"] == 1.0).all()
    assert (summary["kind_mismatches"] == 0).all()
    assert summary["worst"].str.count("Candle ").eq(3).all()
    values = pd.read_csv(tmp_path / "values.csv", keep_default_na=False)
    assert list(values.columns) == ["image", "method", "metric", "ours", "matlab", "rel_diff", "error", "seconds"]
    assert len(values) == 25 and set(values["method"]) == {"DEM", "IFCNN", "MEFCNN", "SPD_MEF", "MEFNet"}
    text = page.read_text()
    assert text.startswith("# Our metrics vs MEFB's Matlab values")
    header = next(line for line in text.splitlines() if line.startswith("| metric"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "metric", "images", "median rel. diff.", "largest rel. diff.", "within 1e-4", "within 1e-3",
        "inf/NaN mismatches", "errors", "worst images (rel. diff.)"]


@pytest.mark.realdata
def test_unknown_pair_is_a_usage_error(local_data: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate", "mefb-published", "--pairs", "NoSuchPair"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown MEFB pair(s) NoSuchPair") and err.count("\n") == 1
    assert main(["validate", "mefb-published", "--metrics", "EN,SSIM"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: metric(s) SSIM are not in MEFB's .mat") and err.count("\n") == 1


def test_summary_counts_shares_kind_mismatches_errors_and_worst_images() -> None:
    from fusion_bench.validation.compare import summarise

    ours = [1.0, 2.0, np.inf, 4.0, np.nan]
    matlab = [1.0, 2.0 * (1 + 5e-4), 3.0, 4.0 * (1 + 5e-5), 1.0]
    comparison = pd.DataFrame({
        "image": ["a", "b", "c", "d", "e"], "method": "M", "metric": "QC", "ours": ours, "matlab": matlab,
        "rel_diff": relative_difference(np.array(ours), np.array(matlab)), "error": ["", "", "", "", "ValueError: x"],
    })
    row = summarise(comparison, worst=2).iloc[0]
    assert (row["images"], row["errors"], row["kind_mismatches"]) == (4, 1, 1)
    assert row["within_1e-4"] == 0.5 and row["within_1e-3"] == 0.75 and np.isinf(row["max_rel"])
    assert row["worst"] == "c M (inf); b M (0.0005)"
