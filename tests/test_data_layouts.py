"""Generated copies of the layouts without a shared copy (SICE official release, RealMFF, user folders),
the train/val DataModule, and every kind of bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fusion_bench.data import FusionDataset, PairRecord, collate_single, get_dataset
from fusion_bench.data.datamodules import FusionDataModule
from fusion_bench.errors import ConfigError, DatasetError, ImageFormatError, ImageReadError, UnknownNameError

RNG = np.random.default_rng(1)


def _save(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def _scene(height: int = 40, width: int = 48) -> np.ndarray:
    return RNG.integers(40, 200, size=(height, width, 3)).astype(np.float64)


def _exposed(scene: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(scene * gain, 0, 255).astype(np.uint8)


def make_sice_official(root: Path) -> dict[str, list[str]]:
    """Part1 with 3 sequences, Part2 with 1; frame file names deliberately not in exposure order.
    Returns {sequence: frame names darkest first}."""
    layout = {("Dataset_Part1", "1"): {"3.JPG": 1.0, "1.JPG": 0.3, "2.JPG": 1.8},
              ("Dataset_Part1", "2"): {"1.JPG": 1.5, "2.JPG": 0.2, "3.JPG": 0.6, "4.JPG": 2.5},
              ("Dataset_Part1", "10"): {"a.JPG": 0.5, "b.JPG": 2.0},
              ("Dataset_Part2", "1"): {"1.JPG": 0.4, "2.JPG": 1.9}}
    order = {}
    for (part, sequence), frames in layout.items():
        scene = _scene()
        for name, gain in frames.items():
            _save(root / part / sequence / name, _exposed(scene, gain))
        label = "Label" if part == "Dataset_Part1" else "label"  # both spellings are distributed
        _save(root / part / label / f"{sequence}.JPG", _exposed(scene, 1.0))
        order[f"{part.replace('Dataset_', '')}/{sequence}"] = sorted(frames, key=frames.get)
    return order


def make_realmff(root: Path, count: int = 6, size: tuple[int, int] = (36, 44)) -> None:
    for index in range(1, count + 1):
        target = RNG.integers(0, 256, size=(*size, 3), dtype=np.uint8)
        _save(root / "Fusion" / f"{index}.png", target)
        _save(root / "imageA" / f"{index}.png", target)
        _save(root / "imageB" / f"{index}.png", 255 - target)


def test_sice_official_layout_picks_darkest_and_brightest_and_keeps_the_sequence(tmp_path: Path) -> None:
    order = make_sice_official(tmp_path)
    dataset = get_dataset("SICE", tmp_path)
    assert dataset.names == ["Part1/1", "Part1/2", "Part1/10", "Part2/1"]
    for record in dataset.records:
        frames = [p.name for p in record.sequence_paths]
        assert frames == order[record.name]
        assert [p.name for p in record.source_paths] == [frames[0], frames[-1]]
        assert record.target_path.parent.name.casefold() == "label"
    sample = dataset[1]
    assert sample.target is not None and sample.target.shape == sample.sources[0].shape
    assert get_dataset("SICE", tmp_path, parts=("Dataset_Part2",)).names == ["Part2/1"]
    (tmp_path / "Dataset_Part1" / "Label" / "2.JPG").unlink()
    with pytest.raises(DatasetError, match=r"Dataset_Part1/2: no reference 2\.\* in .*Label"):
        get_dataset("SICE", tmp_path)


def test_realmff_layout_with_ground_truth(tmp_path: Path) -> None:
    make_realmff(tmp_path, count=11)
    dataset = get_dataset("RealMFF", tmp_path)
    assert dataset.names == [str(i) for i in range(1, 12)]  # numeric order: 2 before 10
    sample = dataset[0]
    assert torch.equal(sample.sources[0], sample.target)
    assert torch.allclose(sample.sources[1], 1.0 - sample.target, atol=1e-6)
    batch = collate_single([sample])
    assert batch["sources"][0].shape == (1, 3, 36, 44) and batch["target"].shape == (1, 3, 36, 44)
    assert batch["name"] == ["1"]


def test_train_val_split_is_seeded_stored_and_crops_are_identical_on_all_images(tmp_path: Path) -> None:
    make_realmff(tmp_path / "RealMFF", count=10)
    split = tmp_path / "split.json"
    module = FusionDataModule("RealMFF", root=tmp_path / "RealMFF", crop_size=16, batch_size=4, val_fraction=0.2,
                              seed=3, split_file=split)
    module.setup("fit")
    stored = json.loads(split.read_text())
    assert len(stored["val"]) == 2 and sorted(stored["train"] + stored["val"], key=int) == [str(i) for i in range(1, 11)]
    again = FusionDataModule("RealMFF", root=tmp_path / "RealMFF", seed=3, val_fraction=0.2,
                             split_file=tmp_path / "other.json")
    again.setup("fit")
    assert json.loads((tmp_path / "other.json").read_text())["val"] == stored["val"]  # same seed, same split
    torch.manual_seed(0)
    batch = next(iter(module.train_dataloader()))
    a, b = batch["sources"]
    assert a.shape == (4, 3, 16, 16) and batch["target"].shape == (4, 3, 16, 16)
    assert torch.equal(a, batch["target"])  # A is the ground truth, so equal crops mean equal parameters
    assert torch.allclose(b, 1.0 - batch["target"], atol=1e-6)
    crops = {tuple(x.flatten()[:5].tolist()) for x in a}
    assert len(crops) == 4
    val = list(module.val_dataloader())
    assert [v["name"][0] for v in val] == stored["val"] and val[0]["sources"][0].shape == (1, 3, 36, 44)
    split.write_text(json.dumps({"train": ["1", "99"], "val": []}))
    with pytest.raises(DatasetError, match=r"split\.json: names 99 are not in dataset RealMFF"):
        FusionDataModule("RealMFF", root=tmp_path / "RealMFF", split_file=split).setup("fit")


def test_sice_training_uses_part1_and_benchmarks_have_no_training_split(tmp_path: Path) -> None:
    make_sice_official(tmp_path / "SICE")
    module = FusionDataModule("SICE", root=tmp_path / "SICE", crop_size=8, batch_size=1, val_fraction=0.34,
                              seed=0, split_file=tmp_path / "s.json")
    module.setup("fit")
    names = module.train_set.names + module.val_set.names
    assert sorted(names) == ["Part1/1", "Part1/10", "Part1/2"]
    with pytest.raises(ConfigError, match="MEFB has no training data"):
        FusionDataModule("MEFB", root=tmp_path).setup("fit")


def test_user_folder_layout_and_ground_truth(tmp_path: Path) -> None:
    for name in ("x", "y10", "y2"):
        _save(tmp_path / "A" / f"{name}.png", _exposed(_scene(), 1.0))
        _save(tmp_path / "B" / f"{name}.jpg", _exposed(_scene(), 1.0))
    dataset = get_dataset("folder", tmp_path)
    assert dataset.names == ["x", "y2", "y10"] and dataset.records[0].target_path is None
    for name in ("x", "y10", "y2"):
        _save(tmp_path / "GT" / f"{name}.png", _exposed(_scene(), 1.0))
    assert get_dataset("folder", tmp_path)[0].target is not None
    with pytest.raises(DatasetError, match="pass the folder"):
        get_dataset("folder")


# Bad input: each case gives one clear message naming the file or value.

def test_missing_partner_file(tmp_path: Path) -> None:
    make_realmff(tmp_path, count=3)
    (tmp_path / "imageB" / "2.png").unlink()
    with pytest.raises(DatasetError, match=r"imageA/2\.png: no partner named 2\.\* in .*imageB"):
        get_dataset("RealMFF", tmp_path)


def test_size_mismatch_names_both_files(tmp_path: Path) -> None:
    a = _save(tmp_path / "A" / "p.png", _exposed(_scene(40, 48), 1.0))
    b = _save(tmp_path / "B" / "p.png", _exposed(_scene(40, 50), 1.0))
    dataset = get_dataset("folder", tmp_path)
    with pytest.raises(DatasetError, match=rf"{a} is 40x48 but {b} is 40x50"):
        dataset[0]


def test_unreadable_and_truncated_images(tmp_path: Path) -> None:
    _save(tmp_path / "A" / "p.jpg", _exposed(_scene(), 1.0))
    full = _save(tmp_path / "B" / "p.jpg", _exposed(_scene(), 1.0))
    full.write_bytes(full.read_bytes()[:300])
    with pytest.raises(ImageReadError, match=r"B/p\.jpg: unreadable or truncated"):
        get_dataset("folder", tmp_path)[0]


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    with pytest.raises(DatasetError, match=r"/A: no image files"):
        get_dataset("folder", tmp_path)
    with pytest.raises(DatasetError, match="no such folder"):
        get_dataset("MEFB", tmp_path / "nowhere")


def test_grey_where_rgb_is_required(tmp_path: Path) -> None:
    _save(tmp_path / "A" / "p.png", _exposed(_scene(), 1.0))
    _save(tmp_path / "B" / "p.png", _exposed(_scene(), 1.0)[..., 0])
    with pytest.raises(ImageFormatError, match=r"B/p\.png: a gray image where rgb is required"):
        get_dataset("folder", tmp_path, channels="rgb")[0]
    with pytest.raises(DatasetError, match=r"A/p\.png is rgb but .*B/p\.png is gray"):
        get_dataset("folder", tmp_path)[0]


def test_16bit_file_scaled_by_65535_and_rejected_where_8bit_is_required(tmp_path: Path) -> None:
    deep = RNG.integers(0, 65536, size=(20, 24), dtype=np.uint16)
    _save(tmp_path / "A" / "p.png", deep)
    _save(tmp_path / "B" / "p.png", (deep >> 8).astype(np.uint8))
    sample = get_dataset("folder", tmp_path)[0]
    assert sample.bit_depth == 16
    assert torch.equal(sample.sources[0][0], torch.from_numpy(deep.astype(np.float32) / 65535.0))
    with pytest.raises(ImageFormatError, match=r"A/p\.png: a 16-bit image where 8-bit is required"):
        get_dataset("folder", tmp_path, bit_depth=8)[0]
    mefb_like = FusionDataset([PairRecord("p", (tmp_path / "A" / "p.png", tmp_path / "B" / "p.png"))], bit_depth=8)
    with pytest.raises(ImageFormatError, match="16-bit"):
        mefb_like[0]


def test_unknown_dataset_name() -> None:
    with pytest.raises(UnknownNameError, match="unknown dataset 'MEFX'; known datasets: MEFB"):
        get_dataset("MEFX")
    with pytest.raises(UnknownNameError):
        FusionDataModule("MEFX")


def test_mefb_missing_partner_and_ambiguous_copies(data_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "MEFB"
    shutil.copytree(data_root / "MEFB" / "output", root / "output")
    for folder in (data_root / "MEFB" / "input").iterdir():
        (root / "input" / folder.name).mkdir(parents=True)
        for side in folder.iterdir():
            (root / "input" / folder.name / side.name).symlink_to(side)
    (root / "input" / "Arno" / "Arno_B.png").unlink()
    with pytest.raises(DatasetError, match=r"input/Arno: no file Arno_B\.\* \(ignoring case\)"):
        get_dataset("MEFB", root)
    (root / "input" / "Arno" / "Arno_B.png").symlink_to(data_root / "MEFB" / "input" / "Arno" / "Arno_B.png")
    (root / "input" / "Arno" / "arno_b.PNG").symlink_to(data_root / "MEFB" / "input" / "Arno" / "Arno_B.png")
    with pytest.raises(DatasetError, match=r"several files match Arno_B"):
        get_dataset("MEFB", root)


def test_datamodule_in_a_lightning_trainer_with_workers(tmp_path: Path) -> None:
    """fit (train + val) and test through a real Trainer; a worker process yields what the main process does."""
    import lightning as L

    make_realmff(tmp_path / "RealMFF", count=6)

    class Mean(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(0.5))
            self.seen: list[tuple[str, tuple[int, ...]]] = []

        def _loss(self, batch: dict) -> torch.Tensor:
            fused = self.scale * (batch["sources"][0] + batch["sources"][1])
            return torch.nn.functional.l1_loss(fused, batch["target"])

        def training_step(self, batch: dict, index: int) -> torch.Tensor:
            self.seen.append(("train", tuple(batch["sources"][0].shape)))
            return self._loss(batch)

        def validation_step(self, batch: dict, index: int) -> None:
            self.seen.append(("val", tuple(batch["sources"][0].shape)))

        def test_step(self, batch: dict, index: int) -> None:
            self.seen.append(("test", tuple(batch["sources"][0].shape)))

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    module = FusionDataModule("RealMFF", root=tmp_path / "RealMFF", crop_size=12, batch_size=2, val_fraction=0.34,
                              split_file=tmp_path / "split.json", num_workers=1, pin_memory=True)
    model = Mean()
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        default_root_dir=tmp_path)
    trainer.fit(model, datamodule=module)
    trainer.test(model, datamodule=module, verbose=False)
    assert model.seen.count(("train", (2, 3, 12, 12))) == 2
    assert model.seen.count(("val", (1, 3, 36, 44))) == 2 and model.seen.count(("test", (1, 3, 36, 44))) == 6
    serial = FusionDataModule("RealMFF", root=tmp_path / "RealMFF", num_workers=0)
    for a, b in zip(module.test_dataloader(), serial.test_dataloader()):
        assert a["name"] == b["name"] and all(torch.equal(x, y) for x, y in zip(a["sources"], b["sources"]))


def test_verify_without_known_checksums_checks_structure_and_counts(tmp_path: Path) -> None:
    from fusion_bench.data.fetch import verify_dataset

    make_sice_official(tmp_path / "SICE")
    report = verify_dataset("SICE", tmp_path / "SICE")
    assert report.pairs == 4 and report.checksummed == 0
    assert report.problems == [f"{tmp_path / 'SICE'}: 4 pairs found, expected 589"]
    assert report.notes == ["checksums not known for this copy: pair structure, readability and sizes checked"]
    make_realmff(tmp_path / "RealMFF", count=3)
    _save(tmp_path / "RealMFF" / "Fusion" / "2.png", RNG.integers(0, 256, size=(36, 40, 3), dtype=np.uint8))
    problems = verify_dataset("RealMFF", tmp_path / "RealMFF").problems
    assert problems[0].endswith("3 pairs found, expected 710")
    assert "imageA/2.png is 36x44 but" in problems[1] and "Fusion/2.png is 36x40" in problems[1]


def test_flips_and_rotations_are_exact_symmetries_covering_all_eight() -> None:
    from fusion_bench.data.augment import PairedAugmentation

    torch.manual_seed(0)
    image = torch.rand(1, 3, 9, 9)
    symmetries = [torch.rot90(x, k, (-2, -1)) for x in (image, image.flip(-1)) for k in range(4)]
    augment = PairedAugmentation(crop_size=9)
    seen = set()
    for _ in range(60):
        out, grey = augment(image, image[:, :1])
        matches = [i for i, s in enumerate(symmetries) if torch.equal(out, s)]
        assert len(matches) == 1 and torch.equal(grey, out[:, :1])
        seen.add(matches[0])
    assert seen == set(range(8))


def test_sice_frame_luminance_is_cached_and_refreshed_when_a_frame_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fusion_bench.data import sice
    from fusion_bench.paths import home_dir

    order = make_sice_official(tmp_path / "SICE")
    first = get_dataset("SICE", tmp_path / "SICE").records
    cache = json.loads((home_dir() / "cache" / "sice-luminance.json").read_text())
    assert len(cache) == sum(len(frames) for frames in order.values())

    def refuse(path: Path) -> float:
        raise AssertionError(f"{path} decoded again although cached")

    with monkeypatch.context() as patched:
        patched.setattr(sice, "mean_luminance", refuse)
        assert get_dataset("SICE", tmp_path / "SICE").records == first
    darkest = tmp_path / "SICE" / "Dataset_Part1" / "1" / "1.JPG"  # gain 0.3 → now the brightest
    _save(darkest, np.full((40, 48, 3), 250, dtype=np.uint8))
    record = get_dataset("SICE", tmp_path / "SICE").records[0]
    assert [p.name for p in record.sequence_paths] == ["3.JPG", "2.JPG", "1.JPG"]
