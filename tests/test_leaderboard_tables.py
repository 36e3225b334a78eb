"""Leaderboard generator on a small hand-made results table: means, ranks, bold, arrows, labels, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fusion_bench.results.schema import COLUMNS, PUBLISHED_OUTPUTS, PUBLISHED_SCORES, RUN_HERE
from fusion_bench.io.images import write_png
from fusion_bench.leaderboard.pages import generate
from fusion_bench.leaderboard.tables import aggregate, leaderboard_frame, rank_frame, ranks, select_runs, to_markdown

DIRECTIONS = {"EN": True, "SF": True, "SD": True, "CE": False}
# method → provenance, per-image values (2 images) for EN, SF, SD, CE
VALUES = {
    "mgdn-mff": (RUN_HERE, {"EN": (7.5, 7.7), "SF": (15.0, 16.0), "SD": (50.0, 52.0), "CE": (0.03, 0.05)}),
    "gff": (RUN_HERE, {"EN": (7.0, 7.2), "SF": (16.0, 18.0), "SD": (45.0, 47.0), "CE": (0.02, 0.02)}),
    "ASR": (PUBLISHED_OUTPUTS, {"EN": (6.0, 6.2), "SF": (10.0, 12.0), "SD": (40.0, 40.0), "CE": (0.1, 0.1)}),
}


def make_results(tmp_path: Path | None = None, dataset: str = "Lytro") -> pd.DataFrame:
    rows = []
    for method, (provenance, metrics) in VALUES.items():
        for index, image in enumerate(("lytro_01", "lytro_02")):
            fused = ""
            if tmp_path is not None:
                fused = str(write_png(torch.full((1, 3, 16, 16), 0.1 * (index + 1)), tmp_path / f"{method}_{image}.png"))
            for metric, values in metrics.items():
                rows.append({"method": method, "dataset": dataset, "image": image, "metric": metric,
                             "convention": "mefb", "storage": "imwrite", "value": values[index], "config_hash": "abc",
                             "code_version": "0.1.0", "fuse_seconds": 0.1, "score_seconds": 0.01,
                             "fused_path": fused, "provenance": provenance, "source": "",
                             "error": "", "timestamp": "2026-01-01T00:00:00+00:00"})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def test_means_ranks_and_order():
    mean, std, images = aggregate(make_results())
    assert list(mean.columns) == ["EN", "SF", "SD", "CE"]  # EN, SF, SD first, then PREFERRED_ORDER
    assert mean.loc[("mgdn-mff", RUN_HERE), "EN"] == pytest.approx(7.6)
    assert std.loc[("gff", RUN_HERE), "SF"] == pytest.approx(1.0)  # population std of (16, 18)
    ranked = ranks(mean, DIRECTIONS)
    assert ranked.loc[("gff", RUN_HERE), "SF"] == 1 and ranked.loc[("mgdn-mff", RUN_HERE), "SF"] == 2
    assert ranked.loc[("gff", RUN_HERE), "CE"] == 1  # lower is better
    assert ranked.loc[("mgdn-mff", RUN_HERE), "mean rank"] == pytest.approx((1 + 2 + 1 + 2) / 4)
    assert ranked.loc[("gff", RUN_HERE), "mean rank"] == pytest.approx((2 + 1 + 2 + 1) / 4)
    assert ranked.loc[("ASR", PUBLISHED_OUTPUTS), "mean rank"] == 3
    assert list(images) == [2, 2, 2]


def test_markdown_bold_arrows_labels():
    mean, std, images = aggregate(make_results())
    ranked = ranks(mean, DIRECTIONS)
    markdown = to_markdown(leaderboard_frame(mean, None, images, ranked, DIRECTIONS))
    lines = markdown.splitlines()
    assert "EN ↑" in lines[0] and "CE ↓" in lines[0] and "provenance" in lines[0] and "mean rank" in lines[0]
    body = {line.split("|")[1].strip(): line for line in lines[2:]}
    assert list(body) == ["gff", "mgdn-mff", "ASR"]  # a tie in mean rank is ordered by name
    assert "**7.6**" in body["mgdn-mff"] and "**17**" in body["gff"] and "**0.02**" in body["gff"]
    assert "**" not in body["ASR"]
    assert PUBLISHED_OUTPUTS in body["ASR"] and RUN_HERE in body["gff"]
    spread = to_markdown(leaderboard_frame(mean, std, images, ranked, DIRECTIONS))
    assert "**7.6 ± 0.1**" in spread


def test_run_selection():
    old = make_results()
    new = old[old["method"] == "gff"].assign(config_hash="def", timestamp="2026-02-01T00:00:00+00:00",
                                              value=lambda frame: frame["value"] + 100)
    kept = select_runs(pd.concat([old, new], ignore_index=True))
    assert set(kept[kept["method"] == "gff"]["config_hash"]) == {"def"}  # same coverage: the newest
    assert len(kept) == len(old)
    partial = new[new["image"] == "lytro_01"].assign(config_hash="ghi", timestamp="2026-03-01T00:00:00+00:00")
    kept = select_runs(pd.concat([old, new, partial], ignore_index=True))
    assert set(kept[kept["method"] == "gff"]["config_hash"]) == {"def"}  # a newer partial run does not hide it


def test_generate_writes_pages_csv_and_figures(tmp_path: Path):
    results = make_results(tmp_path / "fused")
    results = pd.concat([results, make_results(dataset="MEFB").assign(
        method=lambda f: f["method"].replace({"ASR": "MEFNet"}),
        provenance=lambda f: f["provenance"].replace({PUBLISHED_OUTPUTS: PUBLISHED_SCORES}))], ignore_index=True)
    sources = {"Lytro": {"lytro_01": [results["fused_path"].iloc[0]] * 2, "lytro_02": [results["fused_path"].iloc[0]] * 2}}
    out = tmp_path / "leaderboard"
    pages = generate(results, out, conventions={"Lytro": "mefb"}, sources=sources,
                     notes={"Lytro": "Lytro note"}, header="test header", higher_is_better=DIRECTIONS)
    assert [page.name for page in pages] == ["README.md", "Lytro.md", "MEFB.md"]
    lytro = (out / "Lytro.md").read_text()
    assert "Mean over the 2 images of Lytro" in lytro and "`mefb` convention" in lytro and "Lytro note" in lytro
    assert "figures/Lytro_mefb_imwrite_qualitative.png" in lytro and "figures/Lytro_mefb_imwrite_distributions.png" in lytro
    for name in ("Lytro_mefb_imwrite_qualitative.png", "Lytro_mefb_imwrite_distributions.png",
                 "MEFB_mefb_imwrite_distributions.png"):
        assert (out / "figures" / name).stat().st_size > 1000
    mean_csv = pd.read_csv(out / "csv" / "Lytro_mefb_imwrite_mean.csv")
    assert mean_csv["EN"].tolist() == pytest.approx([7.1, 7.6, 6.1])
    readme = (out / "README.md").read_text()
    assert "test header" in readme and "[Lytro.md](Lytro.md)" in readme
    reproduction = pd.read_csv(out / "csv" / "reproduction.csv")
    lytro_en = reproduction[(reproduction["dataset"] == "Lytro") & (reproduction["metric"] == "EN")].iloc[0]
    assert lytro_en["ours"] == pytest.approx(7.6) and lytro_en["difference"] == pytest.approx(7.6 - 7.54)
    assert np.isnan(reproduction[reproduction["dataset"] == "SICE"]["ours"].iloc[0])
    assert "gff vs GFF" not in readme  # no published GFF in the fixture


def test_mean_rank_uses_the_metrics_every_row_has():
    results = make_results()
    partial = results[~((results["method"] == "ASR") & results["metric"].isin(["SF", "SD"]))]
    mean, _, images = aggregate(partial)
    ranked = ranks(mean, DIRECTIONS)
    # EN and CE only: mgdn-mff (1, 2), gff (2, 1), ASR (3, 3)
    assert ranked.loc[("mgdn-mff", RUN_HERE), "mean rank"] == pytest.approx(1.5)
    assert ranked.loc[("ASR", PUBLISHED_OUTPUTS), "mean rank"] == 3
    markdown = to_markdown(leaderboard_frame(mean, None, images, ranked, DIRECTIONS))
    assert "–" in markdown.splitlines()[-1]  # ASR's missing SF/SD


def test_run_here_rows_show_the_method_label():
    import pandas as pd

    from fusion_bench.leaderboard.tables import aggregate

    rows = pd.DataFrame({
        "method": ["mgdn-mef", "average", "DSIFT"], "provenance": ["run here", "run here", "published outputs, scored here"],
        "source": ["trained here (not the authors' weights)", "classical", "MFIFB"], "metric": ["EN"] * 3,
        "value": [7.0, 6.0, 6.5], "image": ["a"] * 3, "error": [""] * 3,
    })
    mean, _, _ = aggregate(rows)
    assert set(mean.index) == {("mgdn-mef", "run here: trained here (not the authors' weights)"),
                               ("average", "run here"), ("DSIFT", "published outputs, scored here")}


def test_cost_of_the_runs_shown(tmp_path: Path):
    from fusion_bench.leaderboard.tables import timing_table

    results = make_results()
    old = results[results["method"] == "gff"].assign(code_version="0.0.9", fuse_seconds=50.0,
                                                      timestamp="2025-01-01T00:00:00+00:00")
    imported = results[results["method"] == "ASR"].assign(method="MEFB-X", provenance=PUBLISHED_SCORES)
    timing = timing_table(select_runs(pd.concat([results, old, imported], ignore_index=True)))
    assert sorted(timing.index.get_level_values("method")) == ["ASR", "gff", "mgdn-mff"]  # no imported scores
    gff = timing.loc[("Lytro", "gff", "mefb", "imwrite")]
    assert gff["images"] == 2 and gff["fuse_s"] == pytest.approx(0.2)  # the newer run, fused once per image
    assert gff["score_s/img"] == pytest.approx(0.04)  # 4 metrics × 0.01 s
    generate(results, tmp_path / "lb", conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS)
    readme = (tmp_path / "lb" / "README.md").read_text()
    assert "## What these results cost" in readme and "[timing.md](timing.md)" in readme
    totals = [line for line in readme.splitlines() if line.startswith("| all")]
    assert totals and "| 6 " in totals[0]  # 3 methods × 2 images
    assert "gff" in (tmp_path / "lb" / "timing.md").read_text()
    assert (tmp_path / "lb" / "csv" / "timing.csv").is_file()


def test_non_finite_values_are_left_out_and_counted(tmp_path: Path):
    from fusion_bench.leaderboard.tables import non_finite_counts

    results = make_results()
    broken = (results["method"] == "gff") & (results["metric"] == "SF") & (results["image"] == "lytro_01")
    results.loc[broken, "value"] = np.inf
    results.loc[(results["method"] == "ASR") & (results["metric"] == "SD") & (results["image"] == "lytro_02"),
                "value"] = np.nan
    mean, std, images = aggregate(results)
    assert mean.loc[("gff", RUN_HERE), "SF"] == pytest.approx(18.0)  # the finite image only
    assert mean.loc[("ASR", PUBLISHED_OUTPUTS), "SD"] == pytest.approx(40.0)
    assert list(images) == [2, 2, 2]
    assert non_finite_counts(results).to_dict() == {"SF": 1, "SD": 1}
    generate(results, tmp_path / "lb", conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS)
    page = (tmp_path / "lb" / "Lytro.md").read_text()
    assert "Values that are not finite are left out" in page and "SF 1 of 6, SD 1 of 6" in page
    table = [line for line in page.split("CSV:")[0].splitlines() if line.startswith("| gff")]
    assert table and "inf" not in table[0] and "nan" not in table[0].lower()


def test_cost_section_when_nothing_was_computed_here(tmp_path: Path):
    imported = make_results().assign(provenance=PUBLISHED_SCORES)
    generate(imported, tmp_path / "lb", conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS)
    assert "No image was fused or scored here." in (tmp_path / "lb" / "README.md").read_text()
    assert "Nothing was fused or scored here." in (tmp_path / "lb" / "timing.md").read_text()
    assert (tmp_path / "lb" / "csv" / "timing.csv").read_text().startswith("dataset,method,convention,")


def test_values_outside_the_unit_range_are_counted(tmp_path: Path):
    from fusion_bench.leaderboard.tables import out_of_range_table

    base = make_results()
    qc = base[base["metric"] == "EN"].assign(metric="QC", value=0.5)
    qc.loc[(qc["method"] == "gff") & (qc["image"] == "lytro_01"), "value"] = 2.5
    qc.loc[(qc["method"] == "ASR") & (qc["image"] == "lytro_02"), "value"] = -np.inf  # not finite: not counted
    published = qc[qc["method"] == "ASR"].assign(method="FMMEF", provenance=PUBLISHED_SCORES, value=0.9)
    qabf = base[base["metric"] == "EN"].assign(metric="Qabf", value=0.4)  # all inside: not listed
    results = pd.concat([base, qc, published, qabf], ignore_index=True)
    table = out_of_range_table(results)
    assert table.to_dict("records") == [{"dataset": "Lytro", "metric": "QC", "scored here": "1 / 5 (20.0 %)",
                                         PUBLISHED_SCORES: "0 / 2 (0.0 %)"}]
    generate(results, tmp_path / "lb", conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS | {"QC": True,
                                                                                                  "Qabf": True})
    readme = (tmp_path / "lb" / "README.md").read_text()
    assert "## Values outside their metric's range" in readme and "| Lytro     | QC       | 1 / 5 (20.0 %)" in readme
    assert "read them with caution" in readme
    generate(pd.concat([base, qabf], ignore_index=True), tmp_path / "lb2", conventions={"Lytro": "mefb"},
             higher_is_better=DIRECTIONS | {"Qabf": True})
    assert "Every finite per-image value of Qabf lies in [0, 1]." in (tmp_path / "lb2" / "README.md").read_text()
    generate(base, tmp_path / "lb3", conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS)
    assert "outside their metric's range" not in (tmp_path / "lb3" / "README.md").read_text()


def test_a_single_method_in_another_convention_is_no_ranking(tmp_path: Path):
    results = make_results()
    evidence = results[(results["method"] == "mgdn-mff") & (results["metric"] == "EN")].assign(
        convention="gray", value=lambda f: f["value"] + 0.01)
    other = results[results["method"].isin(["gff", "ASR"])].assign(convention="gray")
    generate(pd.concat([results, evidence], ignore_index=True), tmp_path / "one", conventions={"Lytro": "mefb"},
             higher_is_better=DIRECTIONS)
    assert "`gray` convention" not in (tmp_path / "one" / "Lytro.md").read_text()
    assert "| Lytro | `gray`" not in (tmp_path / "one" / "README.md").read_text()
    generate(pd.concat([results, evidence, other], ignore_index=True), tmp_path / "three",
             conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS)
    assert "## Lytro, `gray` convention" in (tmp_path / "three" / "Lytro.md").read_text()


def test_regenerating_removes_what_the_previous_generation_wrote_and_this_one_does_not(tmp_path: Path):
    out = tmp_path / "lb"
    both = pd.concat([make_results(), make_results(dataset="MEFB")], ignore_index=True)
    generate(both, out, conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS)
    assert (out / "MEFB.md").is_file() and (out / "csv" / "MEFB_mefb_imwrite_mean.csv").is_file()
    assert (out / "figures" / "MEFB_mefb_imwrite_distributions.png").is_file()
    (out / "NOTES.md").write_text("mine")
    (out / "csv" / "extra.csv").write_text("mine")
    generate(make_results(), out, conventions={"Lytro": "mefb"}, higher_is_better=DIRECTIONS)
    assert not (out / "MEFB.md").exists() and not (out / "csv" / "MEFB_mefb_imwrite_mean.csv").exists()
    assert not (out / "figures" / "MEFB_mefb_imwrite_distributions.png").exists()
    assert (out / "Lytro.md").is_file() and (out / "csv" / "Lytro_mefb_imwrite_mean.csv").is_file()
    assert (out / "NOTES.md").read_text() == "mine" and (out / "csv" / "extra.csv").read_text() == "mine"
    assert "MEFB.md" not in (out / ".generated").read_text().split()


def test_a_missing_dataset_means_no_grid_and_says_why(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    from fusion_bench.errors import DatasetError
    from fusion_bench.leaderboard import build

    def missing(name: str):
        raise DatasetError(f"{name}: no copy found\nmore detail")

    monkeypatch.setattr("fusion_bench.data.get_dataset", missing)
    assert build._sources("Lytro") == {}
    assert "no qualitative grid for Lytro, its source images are not available: Lytro: no copy found" in \
        capsys.readouterr().err


def test_a_ranking_of_two_storage_protocols_is_refused_and_the_pages_split_them(tmp_path: Path):
    """Issue 16: a table ranks rows stored alike only; published rows rank with the benchmark's protocol."""
    imwrite = make_results().assign(storage="imwrite")
    lossless = imwrite[imwrite["provenance"] == RUN_HERE].assign(storage="lossless", value=lambda f: f["value"] + 1)
    mixed = pd.concat([imwrite, lossless], ignore_index=True)
    with pytest.raises(ValueError, match="storage"):
        aggregate(mixed)
    out = tmp_path / "lb"
    generate(mixed, out, conventions={"Lytro": "mefb"}, storages={"Lytro": "imwrite"},
             storage_notes={"Lytro": "MFIFB stored its outputs so."}, higher_is_better=DIRECTIONS)
    page = (out / "Lytro.md").read_text()
    first, second = page.split("## Lytro, `mefb` convention, `lossless` storage")
    assert "## Lytro, `mefb` convention, `imwrite` storage" in first and "the benchmark's protocol" in first
    assert "MFIFB stored its outputs so." in first and "ASR" in first
    assert "not as the benchmark stores them" in second and "ASR" not in second.split("### Lytro: mean ± std")[0]
    imwrite_csv = pd.read_csv(out / "csv" / "Lytro_mefb_imwrite_mean.csv")
    lossless_csv = pd.read_csv(out / "csv" / "Lytro_mefb_lossless_mean.csv")
    assert len(imwrite_csv) == 3 and len(lossless_csv) == 2
    assert lossless_csv["EN"].tolist() == pytest.approx([8.1, 8.6])  # lossless rows only, not averaged with imwrite
    readme = (out / "README.md").read_text()
    assert "| Lytro | `mefb` | `imwrite` |" in readme and "| Lytro | `mefb` | `lossless` |" in readme


def test_rows_scored_on_fewer_metrics_are_not_ranked_above_the_others(tmp_path: Path):
    """Issue 18 item 8: SICE's `mertens` scored on EN alone was shown as best mean rank above methods scored on
    every metric. Rankings compare the metrics all ranked rows share; a row lacking some is listed apart."""
    results = make_results(dataset="SICE")
    mertens = results[(results["method"] == "gff") & (results["metric"] == "EN")].assign(method="mertens", value=9.0)
    out = tmp_path / "lb"
    generate(pd.concat([results, mertens], ignore_index=True), out, conventions={"SICE": "mefb"},
             higher_is_better=DIRECTIONS)
    page = (out / "SICE.md").read_text()
    ranking, rest = page.split("### SICE: not ranked")
    table = [line for line in ranking.splitlines() if line.startswith("| ")]
    assert [line.split("|")[1].strip() for line in table[1:]] == ["gff", "mgdn-mff", "ASR"]  # [0]: header
    assert "all 4 metrics shown" in ranking and "not ranked" in ranking
    unranked = [line for line in rest.split("###")[0].splitlines() if line.startswith("| mertens")]
    assert unranked and "SF, SD, CE" in unranked[0]
    readme = (out / "README.md").read_text()
    assert "| mertens |" not in readme and "| gff |" in readme  # best mean rank of SICE: gff, not mertens


def _rows(method: str, provenance: str, values: dict[str, tuple[float, ...]], dataset: str = "Lytro",
          convention: str = "mefb", storage: str = "imwrite", images: tuple[str, ...] = ("i1", "i2")) -> list[dict]:
    """Result rows of one method: `values[metric][k]` is image `images[k]`'s value (NaN/inf kept as given)."""
    return [{"method": method, "dataset": dataset, "image": image, "metric": metric, "convention": convention,
             "storage": storage, "value": value, "config_hash": "abc", "code_version": "0.1.0", "fuse_seconds": 0.1,
             "score_seconds": 0.01, "fused_path": "", "provenance": provenance, "source": "", "error": "",
             "timestamp": "2026-01-01T00:00:00+00:00"}
            for metric, per_image in values.items() for image, value in zip(images, per_image)]


def test_tied_means_share_the_best_rank_both_are_bold_and_ties_are_ordered_by_name():
    # EN (higher better): a and b tie at 7.0 (from different images), c 6.0; CE (lower better): a and c tie.
    rows = (_rows("c", RUN_HERE, {"EN": (6.0, 6.0), "CE": (0.1, 0.1)})
            + _rows("b", RUN_HERE, {"EN": (7.0, 7.0), "CE": (0.2, 0.2)})
            + _rows("a", RUN_HERE, {"EN": (6.5, 7.5), "CE": (0.1, 0.1)}))
    mean, _, images = aggregate(pd.DataFrame(rows, columns=list(COLUMNS)))
    ranked = ranks(mean, DIRECTIONS)
    by_method = {method: ranked.loc[(method, RUN_HERE)] for method in "abc"}
    assert [by_method[m]["EN"] for m in "abc"] == [1, 1, 3]  # a shared first place, then third
    assert [by_method[m]["CE"] for m in "abc"] == [1, 3, 1]
    assert [by_method[m]["mean rank"] for m in "abc"] == [1.0, 2.0, 2.0]
    table = to_markdown(leaderboard_frame(mean, None, images, ranked, DIRECTIONS)).splitlines()
    body = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]] for line in table[2:]}
    assert list(body) == ["a", "b", "c"]  # b and c tie at mean rank 2: by name, whatever the input order
    # columns: provenance, images, EN, CE, mean rank
    assert [body[m][2] for m in "abc"] == ["**7**", "**7**", "6"]
    assert [body[m][3] for m in "abc"] == ["**0.1**", "0.2", "**0.1**"]
    assert [body[m][4] for m in "abc"] == ["1.00", "2.00", "2.00"]
    rank_table = to_markdown(rank_frame(ranked, DIRECTIONS)).splitlines()
    assert [[cell.strip() for cell in line.split("|")[1:-1]] for line in rank_table[2:]] == [
        ["a", "1", "1", "1.00"], ["b", "1", "3", "2.00"], ["c", "3", "1", "2.00"]]


def test_our_scoring_vs_published_scores_on_the_images_both_have_stored_alike(tmp_path: Path):
    from fusion_bench.leaderboard.comparisons import counterpart_tables, read_data_file

    ours = _rows("gff", RUN_HERE, {"EN": (7.0, 7.2, 9.9), "SF": (20.0, 22.0, 99.0)}, dataset="MEFB",
                 images=("i1", "i2", "i3"))  # i3: not published, left out of both means
    ours_lossless = _rows("gff", RUN_HERE, {"EN": (1.0, 1.0), "SF": (1.0, 1.0)}, dataset="MEFB", storage="lossless")
    published = _rows("GFF", PUBLISHED_SCORES, {"EN": (6.8, 7.0), "SF": (25.0, 25.0), "SD": (50.0, 50.0)},
                      dataset="MEFB")
    gray = _rows("GFF", PUBLISHED_SCORES, {"EN": (0.0, 0.0)}, dataset="MEFB", convention="gray")
    results = pd.DataFrame(ours + ours_lossless + published + gray, columns=list(COLUMNS))
    [(title, table, gap)] = counterpart_tables(results, read_data_file("counterparts.csv"), {"MEFB": "mefb"})
    assert title.startswith("gff vs GFF on MEFB (2 images, both `imwrite`): MEFB's scores of GFF")
    assert gap.startswith("Our GFF is our own implementation")
    assert list(table.columns) == ["metric", "gff (run here)", f"GFF ({PUBLISHED_SCORES})", "difference", "relative"]
    assert table["metric"].tolist() == ["EN", "SF"]  # SD: published only
    expected = [[7.1, 6.9, 0.2, 0.2 / 6.9], [21.0, 25.0, -4.0, -4.0 / 25.0]]
    assert table.iloc[:, 1:].to_numpy() == pytest.approx(np.array(expected), rel=1e-12)

    generate(results, tmp_path / "lb", conventions={"MEFB": "mefb"}, storages={"MEFB": "imwrite"},
             higher_is_better=DIRECTIONS)
    readme = (tmp_path / "lb" / "README.md").read_text()
    section = readme.split("## Our scoring vs published scores of the same method")[1]
    assert "### gff vs GFF on MEFB (2 images, both `imwrite`)" in section
    en_line = [line for line in section.splitlines() if line.startswith("| EN ")][0]
    assert [cell.strip() for cell in en_line.split("|")[1:-1]] == ["EN", "7.1", "6.9", "0.2", "0.02899"]
    merged = pd.read_csv(tmp_path / "lb" / "csv" / "counterparts.csv")
    assert merged["gff (run here)"].tolist() == pytest.approx([7.1, 21.0])


def test_mgdns_reported_cells_are_scored_again_from_our_rows():
    from fusion_bench.leaderboard.comparisons import reproduction_table
    from fusion_bench.results.reported import reported_values

    main = _rows("mgdn-mff", RUN_HERE, {"EN": (7.5, 7.7, 7.0)}, images=("i1", "i2", "i3"))
    main[2]["value"] = float("inf")  # not finite: left out, as in the leaderboard's means
    failed = _rows("mgdn-mff", RUN_HERE, {"EN": (float("nan"),)}, images=("i4",))
    failed[0]["error"] = "ImageFormatError: EN cannot be computed"
    gray = _rows("mgdn-mff", RUN_HERE, {"EN": (7.3, 7.5)}, convention="gray")
    lossless = _rows("mgdn-mff", RUN_HERE, {"EN": (7.4, 7.4)}, storage="lossless")
    other_method = _rows("gff", RUN_HERE, {"EN": (1.0, 1.0)})
    sice = _rows("mgdn-mef", RUN_HERE, {"EN": (6.5, 6.9)}, dataset="SICE", storage="lossless")
    results = pd.DataFrame(main + failed + gray + lossless + other_method + sice, columns=list(COLUMNS))
    table = reproduction_table(results, reported_values(), {"Lytro": "mefb", "SICE": "mefb"},
                               {"Lytro": "imwrite", "SICE": "lossless"})
    lytro = table[table["dataset"] == "Lytro"]
    # The leaderboard's convention and storage first, then its storage in the other convention.
    assert lytro[["convention", "storage"]].values.tolist() == [["mefb", "imwrite"], ["gray", "imwrite"],
                                                                ["mefb", "lossless"]]
    assert lytro["ours"].tolist() == pytest.approx([7.6, 7.4, 7.4], rel=1e-12)
    assert lytro["difference"].tolist() == pytest.approx([7.6 - 7.54, 7.4 - 7.54, 7.4 - 7.54], rel=1e-12)
    assert lytro["images"].tolist() == [2, 2, 2]
    assert lytro["note"].tolist() == ["leaderboard convention and storage", "other convention, for comparison",
                                      "other storage (lossless), for comparison"]
    assert set(lytro["method"]) == {"MGDN (mgdn-mff)"} and (lytro["reported"] == 7.54).all()
    sice_row = table[table["dataset"] == "SICE"].iloc[0]
    assert (sice_row["ours"], sice_row["reported"], sice_row["images"]) == (pytest.approx(6.7), 6.94, 2)
    for dataset in ("MEFB", "RealMFF"):  # not run here: said so, with the reported value kept
        row = table[table["dataset"] == dataset].iloc[0]
        assert row["images"] == 0 and np.isnan(row["ours"]) and row["note"].startswith("not run here")
