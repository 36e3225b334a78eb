"""Training crops and flips applied identically to every source and the ground truth (kornia)."""

from __future__ import annotations

import kornia.augmentation as K
import torch
from torch.utils.data import Dataset

from fusion_bench.data.sample import FusionDataset, FusionSample
from fusion_bench.errors import ConfigError, DatasetError


class PairedAugmentation(torch.nn.Module):
    """Random crop to `crop_size`, then (optionally) random horizontal / vertical flips and a random multiple
    of 90° rotation, with one set of parameters drawn per call and applied to every tensor given (sources
    and target alike). Flips and rotations together draw uniformly from the 8 symmetries of the square, as
    the 8 `augment_img` modes of MGDN's training code (KAIR) do; nearest resampling keeps them exact.

    Input: tensors (1, C_i, H, W) of one size (channel counts may differ). Output: (1, C_i, S, S).
    """

    def __init__(self, crop_size: int, flips: bool = True, rotations: bool = True) -> None:
        super().__init__()
        if crop_size < 1:
            raise ConfigError(f"crop_size must be a positive number of pixels, got {crop_size}")
        self.crop_size = crop_size
        steps = [K.RandomCrop((crop_size, crop_size))]
        if flips:
            steps += [K.RandomHorizontalFlip(), K.RandomVerticalFlip()]
        if rotations:
            steps.append(K.RandomRotation90(times=(0, 3), p=1.0, resample="nearest"))
        self.steps = steps

    def forward(self, *images: torch.Tensor) -> list[torch.Tensor]:
        sequence = K.AugmentationSequential(*self.steps, data_keys=["input"] * len(images))
        out = sequence(*images)
        return list(out) if isinstance(out, (list, tuple)) else [out]


class AugmentedDataset(Dataset):
    """A `FusionDataset` whose samples are randomly cropped / flipped / rotated (same parameters for all images)."""

    def __init__(self, dataset: FusionDataset, crop_size: int, flips: bool = True, rotations: bool = True) -> None:
        self.dataset = dataset
        self.augment = PairedAugmentation(crop_size, flips, rotations)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> FusionSample:
        sample = self.dataset[index]
        height, width = sample.sources[0].shape[-2:]
        size = self.augment.crop_size
        if height < size or width < size:
            raise DatasetError(f"{sample.paths[0]}: {height}x{width} is smaller than the crop size {size}; lower "
                               f"crop_size or remove the pair from the training data")
        images = [source.unsqueeze(0) for source in sample.sources]
        if sample.target is not None:
            images.append(sample.target.unsqueeze(0))
        out = [image[0] for image in self.augment(*images)]
        count = len(sample.sources)
        return FusionSample(sources=out[:count], target=out[count] if sample.target is not None else None,
                            name=sample.name, paths=sample.paths, bit_depth=sample.bit_depth)
