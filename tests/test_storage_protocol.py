"""The storage protocol (issue 16): `imwrite` writes JPEG exactly as the benchmark wrote its published JPEGs
(MEFB's and Lytro's with imwrite's defaults, MFFW's with the sources' own tables) and lossless files for
other sources; evaluation scores the stored file read back and records the protocol; another protocol or
JPEG style is filed apart and reuses the fused image; unknown names are usage errors; results written before
the `storage` column still load."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image, JpegImagePlugin

from fusion_bench.cli.main import main
from fusion_bench.errors import ImageFormatError, UnknownNameError
from fusion_bench.evaluation import worker
from fusion_bench.results.conventions import dataset_jpeg_style, dataset_storage
from fusion_bench.evaluation.evaluate import open_dataset, plan_jobs
from fusion_bench.evaluation.plan import Pair, method_jobs
from fusion_bench.evaluation.reproduce import evidence_jobs
from fusion_bench.evaluation.runner import run_jobs
from fusion_bench.results.schema import LEGACY_COLUMNS, PUBLISHED_OUTPUTS, RUN_HERE
from fusion_bench.results.store import load_results
from fusion_bench.io.images import read_image, to_uint8, write_png
from fusion_bench.io.storage import check_storage, store_fused, stored_suffix, write_image
from fusion_bench.metrics.registry import compute_metrics


def _jpeg_layout(path: Path) -> tuple[dict[int, list[int]], list[tuple[int, int, int, int]], int]:
    """(quantisation tables, per-component (id, h, v, table) sampling factors, Pillow's subsampling code)."""
    with Image.open(path) as image:
        return ({index: list(table) for index, table in image.quantization.items()}, list(image.layer),
                JpegImagePlugin.get_sampling(image))


def test_imwrite_jpeg_has_the_tables_and_sampling_of_mefb_published_jpegs(data_root: Path, tmp_path: Path):
    published = sorted((data_root / "MEFB" / "output" / "fused_images").glob("*_DEM.jpg"))
    assert len(published) >= 3  # building, flower, hongkong_01
    image = torch.rand(1, 3, 40, 56, generator=torch.Generator().manual_seed(0))
    ours = _jpeg_layout(store_fused(image, tmp_path / "fused.jpg", "imwrite"))
    for path in published:
        assert _jpeg_layout(path) == ours, path.name
    tables, layer, sampling = ours
    assert layer == [(1, 2, 2, 0), (2, 1, 1, 1), (3, 1, 1, 1)] and sampling == 2  # 4:2:0
    assert tables[0][:8] == [8, 6, 5, 8, 12, 20, 26, 31]  # the luminance table of quality 75


def test_stored_suffix_follows_the_first_source_under_imwrite_only():
    assert stored_suffix("imwrite", "x/flower_A.jpg") == ".jpg" and stored_suffix("imwrite", "h_A.JPG") == ".jpg"
    assert stored_suffix("imwrite", "Arno_A.png") == ".png" and stored_suffix("imwrite", "507_A.tif") == ".png"
    assert stored_suffix("lossless", "flower_A.jpg") == ".png"
    with pytest.raises(UnknownNameError, match="imwrite, lossless"):
        check_storage("mefb")
    with pytest.raises(ImageFormatError):
        store_fused(torch.rand(1, 3, 8, 8), "x.jpg", "lossless")


def test_dataset_defaults_are_the_benchmarks_protocols():
    assert [dataset_storage(name) for name in ("MEFB", "Lytro", "MFFW", "MFIFB")] == ["imwrite"] * 4
    assert [dataset_storage(name) for name in ("SICE", "RealMFF", "IFCNN-ME", "folder")] == ["lossless"] * 4


def test_mefb_jpg_pair_is_stored_and_scored_as_jpeg_png_and_tiff_pairs_losslessly(data_root: Path, tmp_path: Path,
                                                                                   one_thread: None):
    view = open_dataset("MEFB")
    assert view.storage == "imwrite"
    pairs = {pair.name: pair for pair in view.pairs}
    chosen = (pairs["Chair"], pairs["Arno"], pairs["507"])  # .jpg, .png, .tif sources, all small
    assert [p.sources[0].suffix for p in chosen] == [".jpg", ".png", ".tif"]
    root = tmp_path / "results"
    jobs, _ = plan_jobs(["average"], [replace(view, pairs=chosen)], ["EN", "SD"], root)
    assert {job.storage for job in jobs} == {"imwrite"}
    assert not run_jobs(jobs, progress=False).failed_images
    results = load_results(root)
    assert set(results["storage"]) == {"imwrite"} and len(results) == 6
    stored = results.drop_duplicates("image").set_index("image")["fused_path"].map(Path)
    assert stored["Chair"].suffix == ".jpg" and stored["Arno"].suffix == ".png" and stored["507"].suffix == ".png"
    assert stored["Chair"].read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG, written as imwrite writes one
    assert _jpeg_layout(stored["Chair"])[2] == 2
    assert stored["Arno"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The lossless output is kept beside the JPEG, and the row's value is the JPEG's, not the PNG's.
    png = stored["Chair"].with_suffix(".png")
    assert png.is_file()
    sources = [read_image(path).tensor for path in chosen[0].sources]
    chair = results[(results["image"] == "Chair") & (results["metric"] == "SD")]["value"].iloc[0]
    as_jpeg = float(compute_metrics(sources, read_image(stored["Chair"]).tensor, ["SD"], "mefb")["SD"][0])
    as_png = float(compute_metrics(sources, read_image(png).tensor, ["SD"], "mefb")["SD"][0])
    assert chair == pytest.approx(as_jpeg, rel=1e-12) and as_jpeg != pytest.approx(as_png, rel=1e-6)

    # The same pairs losslessly: new rows keyed on the protocol, scored on the kept PNGs without fusing again.
    fused_again = []

    def record(job, *loaded):
        fused_again.append(job.fuse)
        return worker.run_job(job, *loaded)

    lossless, _ = plan_jobs(["average"], [replace(view, pairs=chosen)], ["EN", "SD"], root, storage="lossless")
    run_jobs(lossless, progress=False, execute=record)
    assert fused_again == [False, False, False]
    results = load_results(root)
    assert sorted(results.groupby("storage").size().items()) == [("imwrite", 6), ("lossless", 6)]
    lossless_chair = results[(results["storage"] == "lossless") & (results["image"] == "Chair")]
    assert set(lossless_chair["fused_path"]) == {str(png)}
    assert lossless_chair[lossless_chair["metric"] == "SD"]["value"].iloc[0] == pytest.approx(as_png, rel=1e-12)
    same = results[results["image"] == "Arno"].pivot(index="metric", columns="storage", values="value")
    assert (same["imwrite"] == same["lossless"]).all()  # a PNG source: both protocols store the same file


def test_a_stored_jpeg_is_the_jpeg_of_the_kept_png(tmp_path: Path):
    fused = torch.rand(1, 3, 24, 32, generator=torch.Generator().manual_seed(1))
    direct = store_fused(fused, tmp_path / "direct.jpg", "imwrite")
    png = write_png(fused, tmp_path / "kept.png")
    derived = store_fused(read_image(png).tensor, tmp_path / "derived.jpg", "imwrite")
    assert direct.read_bytes() == derived.read_bytes()
    assert np.array_equal(to_uint8(read_image(png).tensor), to_uint8(fused))


def test_mgdn_images_are_also_scored_on_en_sd_sf_under_the_other_protocol(tmp_path: Path):
    pairs = [Pair("lytro_01", (tmp_path / "lytro_01_A.jpg", tmp_path / "lytro_01_B.jpg"))]
    jobs = method_jobs("mgdn-mff", "Lytro", pairs, "mefb", ["EN", "Qabf"], tmp_path, storage="imwrite") + \
        method_jobs("average", "Lytro", pairs, "mefb", ["EN", "Qabf"], tmp_path, storage="imwrite")
    extra = [job for job in evidence_jobs(jobs, tmp_path) if job.storage != "imwrite"]
    assert [(job.method, job.storage, job.metrics, job.fuse) for job in extra] == [
        ("mgdn-mff", "lossless", ("EN", "SD", "SF"), False)]
    assert extra[0].fused_path == jobs[0].output_path and jobs[0].fused_path.endswith(".jpg")
    assert extra[0].part_path != jobs[0].part_path and "/lossless/" in extra[0].part_path


def test_unknown_storage_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture):
    code = main(["evaluate", "--methods", "average", "--datasets", "MEFB", "--storage", "jpeg",
                 "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error:") and "jpeg" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_results_written_before_the_storage_column_load_as_lossless_and_published(tmp_path: Path):
    part = tmp_path / "parts" / "Lytro" / "gff" / "mefb" / "abc_0.1.0" / "lytro_01.csv"
    part.parent.mkdir(parents=True)
    values = {"method": "gff", "dataset": "Lytro", "image": "lytro_01", "metric": "EN", "convention": "mefb",
              "value": "7.1", "config_hash": "abc", "code_version": "0.1.0", "fuse_seconds": "0.1",
              "score_seconds": "0.01", "fused_path": "x.png", "provenance": RUN_HERE, "source": "classical",
              "error": "", "timestamp": "2026-01-01T00:00:00+00:00"}
    published = {**values, "method": "GFF", "provenance": PUBLISHED_OUTPUTS}
    pd.DataFrame([values, published], columns=list(LEGACY_COLUMNS)).to_csv(part, index=False)
    results = load_results(tmp_path)
    assert results.set_index("method")["storage"].to_dict() == {"gff": "lossless", "GFF": "imwrite"}
    shutil.copy(part, tmp_path / "results.csv")  # an exported table of the old schema as well
    assert list(load_results(tmp_path / "results.csv")["storage"]) == ["lossless", "imwrite"]


@pytest.mark.parametrize("suffix", [".bmp", ".webp", ""])
def test_write_image_refuses_formats_it_does_not_write(tmp_path: Path, suffix: str):
    with pytest.raises(ImageFormatError, match=r"\.png, \.jpg"):
        write_image(torch.rand(1, 3, 8, 8), tmp_path / f"out{suffix}")


def test_each_benchmark_says_how_it_wrote_its_jpegs():
    assert [dataset_jpeg_style(name) for name in ("MEFB", "Lytro", "MFFW", "MFIFB", "SICE")] == [
        "imwrite-defaults", "imwrite-defaults", "source-tables", "imwrite-defaults", "imwrite-defaults"]
    with pytest.raises(UnknownNameError, match="imwrite-defaults, source-tables"):
        stored_suffix("imwrite", "a.jpg", "quality-92")


def test_mffw_and_lytro_jpegs_have_the_tables_and_sampling_of_mfifbs_published_outputs(data_root: Path,
                                                                                     tmp_path: Path,
                                                                                     one_thread: None):
    """MFIFB's MFFW outputs carry their sources' tables (quality 92, 4:4:4) for most methods, its Lytro outputs
    imwrite's defaults: ours, run through an evaluation, carry exactly the tables of the majority's."""
    published = data_root / "MFIFB" / "fused_images"
    root = tmp_path / "results"
    stored = {}
    for dataset, pair in (("MFFW", "mffw_01"), ("Lytro", "lytro_01")):
        view = open_dataset(dataset)
        chosen = tuple(p for p in view.pairs if p.name == pair)
        jobs, _ = plan_jobs(["average"], [replace(view, pairs=chosen)], ["EN"], root)
        assert [job.storage for job in jobs] == ["imwrite"]
        assert not run_jobs(jobs, progress=False).failed_images
        stored[dataset] = Path(jobs[0].fused_path)
        source = _jpeg_layout(chosen[0].sources[0])
        carrying = sorted(path.name[len(pair) + 1:-4] for path in published.glob(f"{pair}_*.jpg")
                          if _jpeg_layout(path) == _jpeg_layout(stored[dataset]))
        if dataset == "MFFW":
            assert _jpeg_layout(stored[dataset]) == source  # the source's own tables and sampling
            assert _jpeg_layout(stored[dataset])[2] == 0 and len(carrying) == 26  # 4:4:4, 26 of 30 methods
            assert "GFF" in carrying and not {"ECNN", "IFCNN", "SFMD", "DPRL"} & set(carrying)
        else:
            assert _jpeg_layout(stored[dataset])[2] == 2 and len(carrying) == 29  # 4:2:0, all but DPRL
    assert stored["MFFW"].name == "mffw_01.source-tables.jpg" and stored["Lytro"].name == "lytro_01.jpg"
    results = load_results(root)
    assert set(results["storage"]) == {"imwrite"}  # both ranked with the published rows they match
    parts = sorted(path.relative_to(root).parts[3:5] for path in (root / "parts").rglob("*.csv"))
    assert parts == [("mefb", "imwrite"), ("mefb", "imwrite+source-tables")]  # filed by style: re-keyed alone


def test_source_tables_need_a_jpeg_source(tmp_path: Path):
    png = write_png(torch.rand(1, 3, 8, 8), tmp_path / "source.png")
    with pytest.raises(ImageFormatError, match="not JPEG"):
        store_fused(torch.rand(1, 3, 8, 8), tmp_path / "x.jpg", "imwrite", tables_of=png)
