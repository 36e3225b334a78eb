"""Pinned outputs of every registered method: which crop each case fuses, and how a pin is stored.

A case is (method, task, number of sources). Its sources are a small crop of a real shared image pair
(Lytro for mff, MEFB Arno for mef, three IFCNN-ME chair exposures for a three-source mef case; a
three-source mff case repeats the first source, as no multi-focus triple exists here); a tiled case fuses
the crop in overlapping tiles (`tile`). A pin is
`tests/pinned/<case>.npz` holding `fused` ((1, C, H, W) float32, what `Fuser.fuse` returns) and
`meta` (a JSON string: crop, source files, the pin's source label, the tolerance and how it was set).

`tests/test_all_methods.py` compares every case with its pin; `tests/pinned/update.py` rewrites pins on
purpose. Fusing runs on CPU with one torch thread and one OpenCV thread (`fixed_threads`): MEF-Net's
guided filter, for one, moves by up to 3e-3 with another torch thread count (tests/test_ports_mefnet.py),
and OpenCV's `MergeMertens` (mertens) is not bit-reproducible with more than one OpenCV thread.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from fusion_bench.io.images import read_image
from fusion_bench.models import list_methods

PIN_DIR = Path(__file__).resolve().parent
CROP = 64

# The one case whose pin is the authors' own output: shared/reference/mgdn_mff/mgdn_mff_crops.npz has
# MGDN's output (the authors' code and weights) for this crop of Lytro 12.
AUTHORS_CROPS = {("mgdn-mff", "mff", 2): ("lytro_12_y0_x0_h40_w40", "12", (0, 0, 40, 40))}


@dataclass(frozen=True)
class Case:
    method: str
    task: str
    sources: int
    tile: int | None = None  # fused in tiles of this size (methods with a `tile` setting)

    @property
    def name(self) -> str:
        return (f"{self.method}-{self.task}" + ("" if self.sources == 2 else f"-{self.sources}src")
                + ("" if self.tile is None else f"-tile{self.tile}"))

    @property
    def overrides(self) -> dict[str, int]:
        """Config overrides for `create_method` (the CLI's `--tile`)."""
        return {} if self.tile is None else {"tile": self.tile}

    @property
    def path(self) -> Path:
        return PIN_DIR / f"{self.name}.npz"

    @property
    def authors_crop(self) -> tuple[str, str, tuple[int, int, int, int]] | None:
        return AUTHORS_CROPS.get((self.method, self.task, self.sources)) if self.tile is None else None


TILE = 40  # smaller than the crop: a tiled case fuses four overlapping tiles


def all_cases() -> list[Case]:
    """Every registered (method, task) with two sources, each multi-source method with three, and each
    method that can fuse in tiles in TILE-sized tiles."""
    infos = list_methods()
    cases = [Case(info.name, task, 2) for info in infos for task in info.tasks]
    cases += [Case(info.name, info.tasks[0], 3) for info in infos if info.multi_source]
    cases += [Case(info.name, info.tasks[0], 2, tile=TILE) for info in infos if "tile" in info.default_config]
    return cases


@contextmanager
def fixed_threads(threads: int = 1) -> Iterator[None]:
    """torch's intra-op threads and OpenCV's threads set to `threads` for the block, then put back."""
    before = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        cv2.setNumThreads(before[1])


def _crop(image: torch.Tensor, box: tuple[int, int, int, int]) -> torch.Tensor:
    top, left, height, width = box
    return image[..., top:top + height, left:left + width].contiguous()


def source_files(data_root: Path, case: Case) -> tuple[list[Path], tuple[int, int, int, int]]:
    """The shared files a case reads (in order) and its crop box (top, left, height, width)."""
    if case.authors_crop is not None:
        _, index, box = case.authors_crop
        return [data_root / "Lytro" / side / f"lytro_{index}.jpg" for side in "AB"], box
    if case.task == "mff":
        a, b = (data_root / "Lytro" / side / "lytro_01.jpg" for side in "AB")
        return [a, b, a][:case.sources], (196, 196, CROP, CROP)
    if case.sources == 2:
        folder = data_root / "MEFB" / "input" / "Arno"
        return [next(folder.glob(f"Arno_{side}.*")) for side in "AB"], (100, 190, CROP, CROP)
    return sorted((data_root / "IFCNN-ME" / "chair").glob("chairs*.jpg"))[:case.sources], (50, 100, CROP, CROP)


def read_sources(data_root: Path, case: Case) -> list[torch.Tensor]:
    """The case's cropped sources, (1, 3, h, w) each in [0, 1]."""
    paths, box = source_files(data_root, case)
    return [_crop(read_image(path).tensor, box) for path in paths]


def read_pin(case: Case) -> tuple[np.ndarray, dict]:
    """(fused (1, C, H, W) float32, meta) of a case; a missing pin names its file and the script."""
    if not case.path.is_file():
        raise FileNotFoundError(f"{case.path}: no pinned output for {case.name}; run tests/pinned/update.py")
    with np.load(case.path) as stored:
        return stored["fused"], json.loads(str(stored["meta"]))


def write_pin(case: Case, fused: np.ndarray, meta: dict) -> Path:
    np.savez_compressed(case.path, fused=fused.astype(np.float32), meta=np.array(json.dumps(meta, sort_keys=True)))
    return case.path


def differs_from_pin(fused: np.ndarray, pinned: np.ndarray, tolerance: float) -> str | None:
    """None when `fused` equals the pin (within `tolerance`, absolute), else what differs."""
    if fused.shape != pinned.shape:
        return f"shape {fused.shape}, pinned {pinned.shape}"
    difference = np.abs(fused.astype(np.float64) - pinned.astype(np.float64))
    worst = float(difference.max())
    if worst <= tolerance:
        return None
    return (f"max |difference| {worst:.3g} > tolerance {tolerance:.3g} at {np.unravel_index(difference.argmax(), difference.shape)}, "
            f"{int((difference > tolerance).sum())} of {difference.size} values off")
