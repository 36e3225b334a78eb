"""Fusion samples: a record of files per pair, a lazy `Dataset` over records, and the batch-size-1 collate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import Dataset

from fusion_bench.errors import DatasetError, ImageFormatError
from fusion_bench.io.images import Channels, LoadedImage, read_image


@dataclass(frozen=True)
class PairRecord:
    """The files of one fusion sample, as found by a layout's discovery function.

    Attributes:
        name: stable sample name ("Arno", "lytro_01", "mffw_03", "Part1/12").
        source_paths: two or more source images in fusion order (under-exposed first for MEF; A then B).
        target_path: the ground truth / reference image, if the dataset has one.
        sequence_paths: for exposure sequences whose two sources were chosen from more frames (SICE), every
            frame in exposure order; empty when the sources are the whole sequence.
    """

    name: str
    source_paths: tuple[Path, ...]
    target_path: Path | None = None
    sequence_paths: tuple[Path, ...] = ()


@dataclass
class FusionSample:
    """One loaded sample.

    Attributes:
        sources: two or more tensors, each (C, H, W) float32 in [0, 1]; all the same size.
        target: (C, H, W) float32 in [0, 1] or None.
        name: the record's stable name.
        paths: the source files, in the order of `sources`.
        bit_depth: the largest sample depth among the sources (8 or 16).
    """

    sources: list[torch.Tensor]
    target: torch.Tensor | None
    name: str
    paths: list[Path]
    bit_depth: int


class FusionDataset(Dataset):
    """A map-style dataset of fusion samples, read lazily (one item = one `FusionSample`).

    Args:
        records: the pairs, in the dataset's fixed order.
        root: the folder the records were discovered in (reported by `fusion-bench data`, used by evaluation).
        channels: "rgb" / "gray" to require that kind of file for every source and target (a mismatch is an
            `ImageFormatError` naming the file); None to accept what is stored.
        bit_depth: 8 to require 8-bit files (benchmarks scored in MEFB's uint8 convention); None for any.

    A pair whose images differ in size, or whose sources differ in channel count, raises `DatasetError`
    naming both files.
    """

    def __init__(self, records: Sequence[PairRecord], root: Path | None = None, channels: Channels | None = None,
                 bit_depth: int | None = None) -> None:
        if channels not in (None, "rgb", "gray"):
            raise ImageFormatError(f"channels must be 'rgb', 'gray' or None, got {channels!r}")
        if bit_depth not in (None, 8, 16):
            raise ImageFormatError(f"bit_depth must be 8, 16 or None, got {bit_depth!r}")
        self.records = list(records)
        self.root = Path(root) if root is not None else None
        self.channels = channels
        self.bit_depth = bit_depth

    def __len__(self) -> int:
        return len(self.records)

    @property
    def names(self) -> list[str]:
        return [record.name for record in self.records]

    def read_file(self, path: Path) -> LoadedImage:
        """One file of a record, read as the dataset requires (`channels`, `bit_depth`)."""
        image = read_image(path, self.channels)
        if self.bit_depth is not None and image.bit_depth != self.bit_depth:
            raise ImageFormatError(
                f"{path}: a {image.bit_depth}-bit image where {self.bit_depth}-bit is required (this dataset is "
                f"scored in an {self.bit_depth}-bit convention); convert the file or load it with bit_depth=None"
            )
        return image

    def __getitem__(self, index: int) -> FusionSample:
        record = self.records[index]
        sources = [self.read_file(path) for path in record.source_paths]
        target = self.read_file(record.target_path) if record.target_path is not None else None
        check_pair(record.name, sources, target)
        return FusionSample(
            sources=[image.tensor[0] for image in sources],
            target=target.tensor[0] if target is not None else None,
            name=record.name,
            paths=[image.path for image in sources],
            bit_depth=max(image.bit_depth for image in sources),
        )


def check_same_size(name: str, images: Sequence[LoadedImage]) -> None:
    """Raise `DatasetError` naming both files and both sizes if `images` (of pair `name`) differ in size.
    The one size check of training and validation (`FusionDataset`), evaluation and `fusion-bench fuse`."""
    first = images[0]
    for other in images[1:]:
        if other.size != first.size:
            raise DatasetError(
                f"{name}: {first.path} is {first.size[0]}x{first.size[1]} but {other.path} is "
                f"{other.size[0]}x{other.size[1]} (H x W); the images of a pair must have the same size"
            )


def check_pair(name: str, sources: Sequence[LoadedImage], target: LoadedImage | None = None) -> None:
    """Raise `DatasetError` naming both files if the images of sample `name` differ in size
    (`check_same_size`), or its sources in channel count."""
    check_same_size(name, list(sources) + ([target] if target is not None else []))
    first = sources[0]
    for other in sources[1:]:
        if other.channels != first.channels:
            raise DatasetError(
                f"{name}: {first.path} is {first.channels} but {other.path} is {other.channels}; "
                f"load with channels='rgb' or 'gray' after converting the files, or fix the pair"
            )


def collate_single(samples: list[FusionSample]) -> dict:
    """Collate for batch size 1 (full-resolution test data: sizes differ between pairs).

    Returns a dict with `sources`: list of (1, C, H, W) tensors; `target`: (1, C, H, W) or None;
    `name`: [str]; `paths`: [[Path, ...]]; `bit_depth`: [int].
    """
    if len(samples) != 1:
        raise DatasetError(f"collate_single takes batches of one sample, got {len(samples)}; use batch_size=1")
    sample = samples[0]
    return {
        "sources": [source.unsqueeze(0) for source in sample.sources],
        "target": sample.target.unsqueeze(0) if sample.target is not None else None,
        "name": [sample.name],
        "paths": [sample.paths],
        "bit_depth": [sample.bit_depth],
    }


def collate_stack(samples: list[FusionSample]) -> dict:
    """Collate same-size samples (training crops): `sources` as a list of (B, C, H, W), `target` (B, C, H, W)."""
    count = len(samples[0].sources)
    if any(len(sample.sources) != count for sample in samples):
        raise DatasetError("samples in one batch have different numbers of sources; use batch_size=1")
    targets = [sample.target for sample in samples]
    return {
        "sources": [torch.stack([sample.sources[i] for sample in samples]) for i in range(count)],
        "target": torch.stack(targets) if all(t is not None for t in targets) else None,
        "name": [sample.name for sample in samples],
        "paths": [sample.paths for sample in samples],
        "bit_depth": [sample.bit_depth for sample in samples],
    }
