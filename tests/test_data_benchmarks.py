"""The benchmark layouts on the shared copies (real data): pair counts, order, MEFB's quirks, published
scores and fused images, and the DataModules' test loaders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from fusion_bench.data import DATASETS, get_dataset
from fusion_bench.data.datamodules import FusionDataModule
from fusion_bench.data.mefb import read_information, read_published_scores
from fusion_bench.data.mfifb import iter_published_fused
from fusion_bench.errors import DatasetError
from fusion_bench.io.images import read_image

pytestmark = pytest.mark.realdata  # the shared copies (FUSION_BENCH_DATA)


def test_mefb_100_pairs_in_information_order_with_quirks(data_root: Path) -> None:
    dataset = get_dataset("MEFB", data_root / "MEFB")
    names, methods, metrics = read_information(data_root / "MEFB")
    assert dataset.names == names and len(names) == 100 and (len(methods), len(metrics)) == (21, 20)
    by_name = {record.name: record for record in dataset.records}
    chosen = {name: [p.relative_to(data_root / "MEFB" / "input").as_posix() for p in by_name[name].source_paths]
              for name in ("Farmhouse", "Lighthouse", "Sky", "Garage", "Tower", "507", "hongkong_02")}
    assert chosen == {
        "Farmhouse": ["Farmhouse/Farmhouse_A.png", "Farmhouse/FarmHouse_B.png"],
        "Lighthouse": ["Lighthouse/Lighthouse_a.png", "Lighthouse/Lighthouse_B.png"],
        "Sky": ["Sky/sKY_a.png", "Sky/Sky_B.png"],
        "Garage": ["garage/Garage_A.jpg", "garage/Garage_B.jpg"],
        "Tower": ["tower/tower_A.jpg", "tower/tower_B.jpg"],
        "507": ["507/507_A.tif", "507/507_B.tif"],
        "hongkong_02": ["hongkong_02/hongkong_02_A.JPG", "hongkong_02/hongkong_02_B.jpg"],
    }


def test_a_file_name_with_spaces_and_non_ascii_reads(data_root: Path) -> None:
    odd = data_root / "MEFB" / "input" / "Lighthouse" / "Lighthouse_under - 副本.png"
    same = data_root / "MEFB" / "input" / "Lighthouse" / "Lighthouse_a.png"
    assert torch.equal(read_image(odd).tensor, read_image(same).tensor)


def test_mefb_published_scores_reproduce_the_published_averages(data_root: Path) -> None:
    scores = read_published_scores(data_root / "MEFB")
    assert list(scores.columns) == ["image", "method", "metric", "value"]
    assert scores.shape == (100 * 21 * 20, 4)
    means = scores.groupby(["method", "metric"])["value"].mean()
    # MEFB paper / repository averages over the 100 images
    assert means["MEFNet", "SD"] == pytest.approx(55.752, abs=5e-4)
    assert means["FMMEF", "Entropy"] == pytest.approx(7.372, abs=5e-4)
    first = scores.iloc[0]
    assert (first["image"], first["method"], first["metric"]) == ("building", "DEM", "Cross_entropy")


def test_mefb_datamodule_yields_every_pair_at_its_own_size(data_root: Path) -> None:
    module = FusionDataModule("MEFB", root=data_root / "MEFB")
    sizes = set()
    count = 0
    for batch in module.test_dataloader():
        a, b = batch["sources"]
        assert a.shape[0] == 1 and a.shape == b.shape and a.dtype == torch.float32
        assert 0.0 <= float(a.min()) and float(b.max()) <= 1.0
        sizes.add(tuple(a.shape[-2:]))
        count += 1
    assert count == 100 and len(sizes) > 10
    assert batch["name"] == ["ArchSequence"]


def test_lytro_datamodule_yields_20_batches_of_520(local_data: Path) -> None:
    module = FusionDataModule("Lytro", num_workers=0, pin_memory=False)
    batches = list(module.test_dataloader())
    assert len(batches) == 20
    assert [b["name"][0] for b in batches] == [f"lytro_{i:02d}" for i in range(1, 21)]
    for batch in batches:
        assert len(batch["sources"]) == 2 and batch["target"] is None
        for source in batch["sources"]:
            assert source.shape == (1, 3, 520, 520)
            assert 0.0 <= float(source.min()) and float(source.max()) <= 1.0


def test_lytro_release_single_folder_layout_matches(data_root: Path, tmp_path: Path) -> None:
    for index in (1, 2, 10):
        for side in ("A", "B"):
            shutil.copy(data_root / "Lytro" / side / f"lytro_{index:02d}.jpg", tmp_path / f"lytro-{index:02d}-{side}.jpg")
    release = get_dataset("Lytro", tmp_path)
    folders = get_dataset("Lytro", data_root / "Lytro")
    assert release.names == ["lytro_01", "lytro_02", "lytro_10"]
    for sample in release:
        other = folders[folders.names.index(sample.name)]
        assert all(torch.equal(x, y) for x, y in zip(sample.sources, other.sources))
    (tmp_path / "lytro-10-B.jpg").unlink()
    with pytest.raises(DatasetError, match=r"lytro-10-A\.jpg: no partner lytro-10-B"):
        get_dataset("Lytro", tmp_path)


def test_mfifb_sets_and_published_fused_images(data_root: Path) -> None:
    root = data_root / "MFIFB"
    everything = get_dataset("MFIFB", root)
    assert len(everything) == 78
    assert len(get_dataset("MFIFB", root, sets=("lytro",))) == 20
    mffw = get_dataset("MFFW", root)
    assert mffw.names == [f"mffw_{i:02d}" for i in range(1, 14)]
    stand = get_dataset("MFIFB", root, sets=("stand",))
    assert len(stand) == 8
    with pytest.raises(DatasetError, match="no pairs of set"):
        get_dataset("MFIFB", root, sets=("nosuchset",))
    fused = list(iter_published_fused(root))
    assert len(fused) == 990 and len({(p, m) for p, m, _ in fused}) == 990
    methods = {method for _, method, _ in fused}
    assert len(methods) == 30 and {"DCT_Corr", "MST_SR", "NSCT_SR"} <= methods
    assert all(path.name == f"{pair}_{method}{path.suffix}" for pair, method, path in fused)
    assert {pair for pair, _, _ in fused} == set(get_dataset("MFIFB", root, sets=("lytro", "mffw")).names)


def test_sice_flat_and_ifcnn_sequences(data_root: Path) -> None:
    sice = get_dataset("SICE", data_root / "SICE")
    assert sice.names == ["001", "002", "003", "004", "005"]
    sample = sice[0]
    assert [p.parent.name for p in sample.paths] == ["under", "over"]
    assert sample.sources[0].mean() < sample.sources[1].mean()
    sequences = get_dataset("IFCNN-ME", data_root / "IFCNN-ME")
    assert [len(r.source_paths) for r in sequences.records] == [5, 5, 6, 4, 6, 5]
    assert len(sequences[3].sources) == 4


def test_root_defaults_to_fusion_bench_data_then_says_how_to_get_it(data_root: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSION_BENCH_DATA", str(data_root))
    assert get_dataset("SICE").root == data_root / "SICE"
    monkeypatch.delenv("FUSION_BENCH_DATA")
    with pytest.raises(DatasetError, match="fusion-bench data download SICE"):
        get_dataset("SICE")
    assert set(DATASETS) >= {"MEFB", "SICE", "Lytro", "MFFW", "MFIFB", "RealMFF", "IFCNN-ME", "folder"}
