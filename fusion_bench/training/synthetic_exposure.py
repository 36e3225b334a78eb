"""Multi-exposure training pairs synthesised from well-exposed images (no SICE training data here).

Exposure model, per sample (sRGB curve from kornia, `rgb_to_linear_rgb` / `linear_rgb_to_rgb`):

1. Linearise the well-exposed sRGB crop x: L = srgb⁻¹(x).
2. Scale by an exposure change drawn uniformly in stops: L_u = L · 2^e_u with e_u ~ U(ev_under),
   L_o = L · 2^e_o with e_o ~ U(ev_over) (defaults [−3, −1] and [1, 3] EV).
3. Add sensor noise, heteroscedastic Gaussian: L' = L_s + n, n ~ N(0, shot · L_s + read²) (per pixel and
   channel, so shot noise grows with the signal).
4. Clip to [0, 1] (the over-exposed shot saturates), re-apply the curve, quantise to 8 bits.

The sources are (under, over); the well-exposed crop is kept as `target` (a reference for validation
metrics, never used by the unsupervised loss).

Sources of well-exposed images: MFIFB pairs of the sets that are not test sets here (both images of each
pair; their defocus blur is local) and a few photographs shipped with scikit-image. Lytro and MFFW (MFF
test sets) are refused. Grey images are replicated to three channels (the MEF network takes RGB).

Determinism and resume: every random draw of training sample k comes from a generator seeded with
(seed, k); the sampler hands out k = start, start + 1, ... with start = samples already consumed, so a
resumed run sees exactly the data it would have seen without the interruption. Validation samples are
fixed (centre crop, EVs and noise drawn from (seed, image index)).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import lightning as L
import torch
from kornia.color import linear_rgb_to_rgb, rgb_to_linear_rgb
from torch.utils.data import DataLoader, Dataset, Sampler

from fusion_bench.data.catalogue import get_info
from fusion_bench.data.mfifb import discover as discover_mfifb
from fusion_bench.data.sample import FusionSample, collate_single, collate_stack
from fusion_bench.data.verified import verified_root
from fusion_bench.errors import ConfigError, DatasetError
from fusion_bench.io.images import read_image

# MFF benchmarks scored here: never training data.
TEST_SETS: frozenset[str] = frozenset({"lytro", "mffw"})
SKIMAGE_PHOTOS: tuple[str, ...] = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "camera")


@dataclass(frozen=True)
class ExposureModel:
    """Ranges (in stops) of the two exposures and the noise parameters (linear units)."""

    ev_under: tuple[float, float] = (-3.0, -1.0)
    ev_over: tuple[float, float] = (1.0, 3.0)
    shot: float = 1e-3
    read: float = 2e-3

    def __post_init__(self) -> None:
        for name in ("ev_under", "ev_over"):
            low, high = getattr(self, name)
            if low > high:
                raise ConfigError(f"data.{name}: range [{low}, {high}] is empty")
        if self.ev_under[1] > 0 or self.ev_over[0] < 0:
            raise ConfigError(f"data.ev_under must be <= 0 and data.ev_over >= 0 stops, got {self.ev_under}, "
                              f"{self.ev_over}")
        if self.shot < 0 or self.read < 0:
            raise ConfigError(f"data.shot and data.read noise must be >= 0, got {self.shot}, {self.read}")


def expose(image: torch.Tensor, stops: float, model: ExposureModel, generator: torch.Generator) -> torch.Tensor:
    """(3, H, W) sRGB in [0, 1] → the same scene shot `stops` EV brighter (steps 1–4 of the module docstring)."""
    linear = rgb_to_linear_rgb(image.unsqueeze(0))[0] * (2.0**stops)
    sigma = torch.sqrt(model.shot * linear.clamp_min(0) + model.read**2)
    noisy = linear + sigma * torch.randn(linear.shape, generator=generator)
    shot = linear_rgb_to_rgb(noisy.clamp(0.0, 1.0).unsqueeze(0))[0]
    return torch.round(shot.clamp(0.0, 1.0) * 255.0) / 255.0


def _uniform(low_high: tuple[float, float], generator: torch.Generator) -> float:
    low, high = low_high
    return low + (high - low) * torch.rand((), generator=generator).item()


def synthesise_pair(image: torch.Tensor, model: ExposureModel, generator: torch.Generator) -> list[torch.Tensor]:
    """(3, H, W) well-exposed → [under, over], each (3, H, W) in [0, 1], 8-bit quantised."""
    under = expose(image, _uniform(model.ev_under, generator), model, generator)
    over = expose(image, _uniform(model.ev_over, generator), model, generator)
    return [under, over]


@dataclass(frozen=True)
class WellExposedImage:
    name: str
    group: str  # images of one scene (both shots of an MFIFB pair) stay in one split
    path: Path


def collect_images(mfifb_root: Path | None, sets: Sequence[str], skimage: Sequence[str]) -> list[WellExposedImage]:
    """The well-exposed images of the MFIFB `sets` (both sources of each pair) and scikit-image `skimage`."""
    forbidden = sorted(set(sets) & TEST_SETS)
    if forbidden:
        raise ConfigError(f"data.mfifb_sets: {forbidden} are MFF test sets here and cannot be training data")
    images: list[WellExposedImage] = []
    if sets:
        # The catalogue's copy only if it verifies (FUSION_BENCH_DATA, else a download in FUSION_BENCH_HOME).
        root = mfifb_root or verified_root(get_info("MFIFB"))
        for record in discover_mfifb(Path(root), sets=list(sets)):
            for side, path in zip("AB", record.source_paths):
                images.append(WellExposedImage(f"{record.name}_{side}", record.name, path))
    if skimage:
        from skimage import data as skimage_data

        folder = Path(skimage_data.__file__).parent
        for name in skimage:
            matches = sorted(folder.glob(f"{name}.*"))
            if not matches:
                raise ConfigError(f"data.skimage: no image {name!r} ships with scikit-image in {folder}")
            images.append(WellExposedImage(f"skimage_{name}", f"skimage_{name}", matches[0]))
    if not images:
        raise ConfigError("data: no training images; give data.mfifb_sets and/or data.skimage")
    return images


def load_rgb(path: Path) -> torch.Tensor:
    """(3, H, W) float in [0, 1]; grey files replicated to three channels."""
    tensor = read_image(path).tensor[0]
    return tensor.expand(3, -1, -1).contiguous() if tensor.shape[0] == 1 else tensor


def split_groups(images: Sequence[WellExposedImage], val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices (train, val): whole groups drawn for validation by a seeded permutation."""
    groups = sorted({image.group for image in images})
    count = max(1, round(len(groups) * val_fraction)) if val_fraction > 0 else 0
    if count >= len(groups):
        raise ConfigError(f"data.val_fraction={val_fraction} leaves no training scene out of {len(groups)}")
    order = torch.randperm(len(groups), generator=torch.Generator().manual_seed(seed)).tolist()
    val_groups = {groups[i] for i in order[:count]}
    train = [i for i, image in enumerate(images) if image.group not in val_groups]
    val = [i for i, image in enumerate(images) if image.group in val_groups]
    return train, val


def _generator(seed: int, index: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + index)


class SyntheticExposureTrain(Dataset):
    """Item k: a random `crop_size` crop (random flips) of a random training image, as an exposure pair."""

    def __init__(self, images: Sequence[torch.Tensor], names: Sequence[str], crop_size: int, model: ExposureModel,
                 seed: int) -> None:
        small = [name for name, image in zip(names, images) if min(image.shape[-2:]) < crop_size]
        if small:
            raise DatasetError(f"images {small} are smaller than data.crop_size={crop_size}; lower the crop size")
        self.images, self.names, self.crop_size, self.model, self.seed = list(images), list(names), crop_size, model, seed

    def __len__(self) -> int:
        return 2**62  # indices come from `ResumableSampler`; the stream is as long as training

    def __getitem__(self, k: int) -> FusionSample:
        generator = _generator(self.seed, k)
        index = int(torch.randint(len(self.images), (), generator=generator))
        image = self.images[index]
        height, width = image.shape[-2:]
        top = int(torch.randint(height - self.crop_size + 1, (), generator=generator))
        left = int(torch.randint(width - self.crop_size + 1, (), generator=generator))
        crop = image[:, top:top + self.crop_size, left:left + self.crop_size]
        flips = torch.rand(2, generator=generator)
        if flips[0] < 0.5:
            crop = crop.flip(-1)
        if flips[1] < 0.5:
            crop = crop.flip(-2)
        return FusionSample(sources=synthesise_pair(crop, self.model, generator), target=crop,
                            name=f"{self.names[index]}#{k}", paths=[], bit_depth=8)


class SyntheticExposureVal(Dataset):
    """Item i: the centre `size` crop (or the whole image if smaller) of validation image i, fixed pair."""

    def __init__(self, images: Sequence[torch.Tensor], names: Sequence[str], size: int, model: ExposureModel,
                 seed: int) -> None:
        self.images, self.names, self.size, self.model, self.seed = list(images), list(names), size, model, seed

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> FusionSample:
        image = self.images[i]
        height, width = image.shape[-2:]
        h, w = min(self.size, height), min(self.size, width)
        top, left = (height - h) // 2, (width - w) // 2
        crop = image[:, top:top + h, left:left + w]
        generator = _generator(self.seed + 7919, i)
        return FusionSample(sources=synthesise_pair(crop, self.model, generator), target=crop,
                            name=self.names[i], paths=[], bit_depth=8)


class ResumableSampler(Sampler[int]):
    """Yields sample indices start + rank, start + rank + world, ... without end (training stops at
    `max_steps`). Each DDP process takes its own interleaved share, so no `DistributedSampler` is needed."""

    def __init__(self, start: int, rank: int = 0, world: int = 1) -> None:
        self.start, self.rank, self.world = start, rank, world

    def __iter__(self) -> Iterator[int]:
        k = self.start + self.rank
        while True:
            yield k
            k += self.world

    def __len__(self) -> int:
        return 2**62 // self.world


@dataclass
class SyntheticExposureConfig:
    """The `data:` group for `kind: synthetic_exposure`."""

    mfifb_root: str | None = None
    mfifb_sets: list[str] = field(default_factory=lambda: ["savic", "tsai", "books", "flower", "newspaper",
                                                           "temple", "stand"])
    skimage: list[str] = field(default_factory=lambda: list(SKIMAGE_PHOTOS))
    crop_size: int = 64
    batch_size: int = 2
    val_fraction: float = 0.15
    val_size: int = 128
    ev_under: list[float] = field(default_factory=lambda: [-3.0, -1.0])
    ev_over: list[float] = field(default_factory=lambda: [1.0, 3.0])
    shot: float = 1e-3
    read: float = 2e-3
    seed: int = 0
    num_workers: int = 0


class SyntheticExposureDataModule(L.LightningDataModule):
    """Train: an endless seeded stream of random crops as exposure pairs, stacked in batches; the stream
    position is `trainer.global_step × batch_size × world_size` so resuming continues it. Val: fixed
    held-out scenes at `val_size`, batch size 1."""

    def __init__(self, config: SyntheticExposureConfig) -> None:
        super().__init__()
        if config.crop_size < 8 or config.batch_size < 1 or config.val_size < 8:
            raise ConfigError(f"data.crop_size/val_size must be >= 8 and data.batch_size >= 1, got "
                              f"{config.crop_size}, {config.val_size}, {config.batch_size}")
        self.config = config
        self.model = ExposureModel(tuple(config.ev_under), tuple(config.ev_over), config.shot, config.read)
        self.train_set: SyntheticExposureTrain | None = None
        self.val_set: SyntheticExposureVal | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        cfg = self.config
        root = Path(cfg.mfifb_root) if cfg.mfifb_root else None
        images = collect_images(root, cfg.mfifb_sets, cfg.skimage)
        train, val = split_groups(images, cfg.val_fraction, cfg.seed)
        loaded = [load_rgb(image.path) for image in images]
        self.train_names = [images[i].name for i in train]
        self.val_names = [images[i].name for i in val]
        self.train_set = SyntheticExposureTrain([loaded[i] for i in train], self.train_names, cfg.crop_size,
                                                self.model, cfg.seed)
        self.val_set = SyntheticExposureVal([loaded[i] for i in val], self.val_names, cfg.val_size, self.model,
                                            cfg.seed)

    def samples_consumed(self) -> int:
        trainer = self.trainer
        step = trainer.global_step if trainer is not None else 0
        world = trainer.world_size if trainer is not None else 1
        return step * self.config.batch_size * world

    def train_dataloader(self) -> DataLoader:
        self.setup("fit")
        trainer = self.trainer
        rank, world = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
        sampler = ResumableSampler(self.samples_consumed(), rank, world)
        # Its own generator: worker seeds then do not draw from torch's global one (kept for drop path).
        generator = torch.Generator().manual_seed(self.config.seed)
        return DataLoader(self.train_set, batch_size=self.config.batch_size, sampler=sampler,
                          collate_fn=collate_stack, num_workers=self.config.num_workers, generator=generator)

    def val_dataloader(self) -> DataLoader:
        self.setup("validate")
        if not len(self.val_set):
            raise ConfigError("data.val_fraction=0 leaves no validation scene; set it > 0")
        # Its own generator too: an iterator over a loader without one draws its base seed from torch's
        # global generator, which validation would then move between a step checkpoint and the next
        # step's drop path, so a run resumed from that checkpoint would drop other paths.
        return DataLoader(self.val_set, batch_size=1, collate_fn=collate_single, num_workers=0,
                          generator=torch.Generator().manual_seed(self.config.seed))
