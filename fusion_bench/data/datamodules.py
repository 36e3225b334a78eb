"""Lightning DataModules over the catalogue datasets (one class; a dataset family is a catalogue name).

- test (and predict): the whole benchmark at full resolution, in the dataset's fixed order, batch size 1
  (`collate_single`: sizes differ between pairs).
- fit / validate, for datasets with training data (SICE Part1, RealMFF, user folders): a seeded train/val
  split stored as a JSON file (`splits.py`); training samples are random `crop_size` crops with random
  flips and 90° rotations, identical for all sources and the ground truth (`augment.py`), stacked into
  batches; validation
  samples are full resolution, batch size 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from torch.utils.data import DataLoader

from fusion_bench.data.augment import AugmentedDataset
from fusion_bench.data.catalogue import get_dataset, get_info
from fusion_bench.data.sample import FusionDataset, collate_single, collate_stack
from fusion_bench.data.splits import load_or_create_split
from fusion_bench.errors import ConfigError
from fusion_bench.io.images import Channels
from fusion_bench.paths import home_dir


class FusionDataModule(L.LightningDataModule):
    """DataModule for catalogue dataset `dataset`.

    Args:
        dataset: catalogue name ("MEFB", "Lytro", "MFIFB", "MFFW", "SICE", "RealMFF", "IFCNN-ME", "folder").
        root: the dataset folder (default: as `get_dataset` finds it; required for "folder").
        channels: "rgb" / "gray" / None, passed to the dataset (files of another kind are an error).
        options: discovery options for the test split (e.g. {"sets": ["lytro"]} for MFIFB).
        crop_size, flips, rotations, batch_size: training crops, their random flips and 90° rotations (as
            MGDN's training code), batch size.
        val_fraction, seed, split_file: the train/val split (default file:
            `FUSION_BENCH_HOME/splits/<dataset>-seed<seed>.json`, reused when it exists).
        num_workers, pin_memory: passed to every DataLoader.
    """

    def __init__(self, dataset: str, root: str | Path | None = None, channels: Channels | None = None,
                 options: dict[str, Any] | None = None, crop_size: int = 128, flips: bool = True,
                 rotations: bool = True, batch_size: int = 8, val_fraction: float = 0.1, seed: int = 0,
                 split_file: str | Path | None = None, num_workers: int = 0, pin_memory: bool = False) -> None:
        super().__init__()
        self.info = get_info(dataset)
        if batch_size < 1 or num_workers < 0:
            raise ConfigError(f"batch_size must be >= 1 and num_workers >= 0, got {batch_size}, {num_workers}")
        self.root = Path(root) if root is not None else None
        self.channels = channels
        self.options = dict(options or {})
        self.crop_size = crop_size
        self.flips = flips
        self.rotations = rotations
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.seed = seed
        self.split_file = Path(split_file) if split_file is not None else None
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.test_set: FusionDataset | None = None
        self.train_set: FusionDataset | None = None
        self.val_set: FusionDataset | None = None

    def _open(self, **options: Any) -> FusionDataset:
        return get_dataset(self.info.name, self.root, channels=self.channels, **options)

    def split_path(self) -> Path:
        return self.split_file or home_dir() / "splits" / f"{self.info.name}-seed{self.seed}.json"

    def setup(self, stage: str | None = None) -> None:
        if stage in (None, "test", "predict") and self.test_set is None:
            self.test_set = self._open(**self.options)
        if stage in (None, "fit", "validate") and self.train_set is None:
            if not self.info.trainable:
                if stage is None:
                    return
                raise ConfigError(f"dataset {self.info.name} has no training data; train on SICE, RealMFF or "
                                  f"your own folder (dataset 'folder')")
            full = self._open(**{**self.info.train_options, **self.options})
            train, val = load_or_create_split(self.split_path(), self.info.name, full.names, self.val_fraction,
                                              self.seed)
            by_name = {record.name: record for record in full.records}
            self.train_set = FusionDataset([by_name[n] for n in train], full.root, full.channels, full.bit_depth)
            self.val_set = FusionDataset([by_name[n] for n in val], full.root, full.channels, full.bit_depth)

    def _loader(self, dataset: Any, batch_size: int, shuffle: bool, collate: Any) -> DataLoader:
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate,
                          num_workers=self.num_workers, pin_memory=self.pin_memory,
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> DataLoader:
        self.setup("fit")
        augmented = AugmentedDataset(self.train_set, self.crop_size, self.flips, self.rotations)
        return self._loader(augmented, self.batch_size, True, collate_stack)

    def val_dataloader(self) -> DataLoader:
        self.setup("validate")
        return self._loader(self.val_set, 1, False, collate_single)

    def test_dataloader(self) -> DataLoader:
        self.setup("test")
        return self._loader(self.test_set, 1, False, collate_single)

    def predict_dataloader(self) -> DataLoader:
        return self.test_dataloader()
