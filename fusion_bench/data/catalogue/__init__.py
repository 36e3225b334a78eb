"""The dataset catalogue: what each benchmark is, where it comes from (repository @ commit), which files it
has (size and sha256, package data `<manifest>.csv`), and `get_dataset` to open a copy of it.

A copy is looked for, in order: an explicit `root`; `FUSION_BENCH_DATA/<folder>` if it holds the dataset
and verifies; the cache `FUSION_BENCH_HOME/data/<folder>` (filled by `fusion-bench data download NAME`) if
it verifies (`fusion_bench.data.verified`: every checksummed file present with its size and sha256).
"""

from __future__ import annotations

import csv
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fusion_bench.data.sample import FusionDataset, PairRecord
from fusion_bench.errors import DatasetError, FusionBenchError, UnknownNameError
from fusion_bench.paths import cache_data_dir, local_data_dir

UPSTREAM_URL = "https://github.com/{repository}/raw/{commit}/{path}"


@dataclass(frozen=True)
class FileEntry:
    """One checksummed file: `path` relative to the dataset folder, `upstream` relative to the repository."""

    path: str
    upstream: str
    size: int
    sha256: str


@dataclass(frozen=True)
class DatasetInfo:
    """A catalogue entry.

    Attributes:
        name: catalogue name ("MEFB", "Lytro", ...).
        task: "mef" (multi-exposure) or "mff" (multi-focus).
        pairs: pairs (or sequences) in the pinned copy; None for user folders.
        full_pairs: pairs of the complete upstream dataset when the pinned copy holds only part of it.
        repository: upstream GitHub repository "owner/name" (None for user folders).
        commit: the pinned upstream commit (None for user folders).
        upstream_prefix: the dataset folder's path inside the repository ("" for the repository root).
        folder: the sub-folder of FUSION_BENCH_DATA / the cache holding it.
        layout: module under `fusion_bench.data` whose `discover(root, **options)` lists its records.
        options: default discovery options (e.g. MFFW: the MFIFB layout with sets=("mffw",)).
        manifest: package-data CSV of per-file size and sha256 (None: checksums not known).
        manifest_prefixes: only manifest rows whose path starts with one of these belong to this dataset.
        convention: default scoring convention ("mefb": MEFB's uint8 Matlab conventions).
        bit_depth: required sample depth of the files (8 for benchmarks scored on uint8), None for any.
        trainable: whether it has training data (a train/val split is offered by the DataModule).
        train_options: discovery options selecting the training data (SICE: the official Part1).
        description: one line for `fusion-bench data list`.
        note: availability / checksum caveats.
    """

    name: str
    task: str
    pairs: int | None
    repository: str | None
    commit: str | None
    upstream_prefix: str
    folder: str
    layout: str
    description: str
    full_pairs: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    manifest: str | None = None
    manifest_prefixes: tuple[str, ...] = ()
    convention: str = "mefb"
    bit_depth: int | None = 8
    trainable: bool = False
    train_options: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def files(self) -> list[FileEntry]:
        """The checksummed files of this dataset (empty when checksums are not known)."""
        if self.manifest is None:
            return []
        rows = _read_manifest(self.manifest)
        if self.manifest_prefixes:
            rows = [row for row in rows if row.path.startswith(self.manifest_prefixes)]
        return rows

    def url(self, entry: FileEntry) -> str:
        if self.repository is None or self.commit is None:
            raise DatasetError(f"{self.name}: no pinned upstream commit, so files cannot be downloaded")
        return UPSTREAM_URL.format(repository=self.repository, commit=self.commit,
                                   path=urllib.parse.quote(entry.upstream, safe="/"))

    def discover(self, root: Path, **options: Any) -> list[PairRecord]:
        return _layout(self.layout)(Path(root), **{**self.options, **options})


@lru_cache(maxsize=None)
def _read_manifest(name: str) -> list[FileEntry]:
    text = resources.files(__package__).joinpath(f"{name}.csv").read_text(encoding="utf-8")
    return [FileEntry(row["path"], row["upstream"], int(row["size"]), row["sha256"])
            for row in csv.DictReader(text.splitlines())]


def _layout(module: str) -> Callable[..., list[PairRecord]]:
    import importlib

    return importlib.import_module(f"fusion_bench.data.{module}").discover


MEFB_COMMIT = "9e185bf88de280b12a2d9a2ff12d66e40bc1ff91"
MFIFB_COMMIT = "a3cc5104613c97c58e9c9f9da9fd075bd72c12f8"

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo(
        name="MEFB", task="mef", pairs=100, repository="xingchenzhang/MEFB", commit=MEFB_COMMIT,
        upstream_prefix="", folder="MEFB", layout="mefb", manifest="MEFB",
        description="MEFB multi-exposure benchmark (Zhang, Information Fusion 2021): 100 under/over pairs "
                    "and MEFB's published scores of 21 methods",
    ),
    DatasetInfo(
        name="SICE", task="mef", pairs=5, repository="JinyuanLiu-CV/HoLoCo",
        commit="65d1697e8a2df4027d76f0e93d11a7cda0249ecb", upstream_prefix="datasets/SICE", folder="SICE",
        layout="sice", manifest="SICE", trainable=True, train_options={"parts": ("Dataset_Part1",)},
        description="SICE (Cai et al., TIP 2018): the 5 under/over test pairs shipped by HoLoCo; the official "
                    "release (Dataset_Part1/2 sequences with Label/ references) is read from the same folder",
        note="the official release (360 + 229 sequences) has no pinned copy here: its checksums are not known "
             "and `verify` checks its pair structure only",
    ),
    DatasetInfo(
        name="Lytro", task="mff", pairs=20, repository="Guanys-dar/MGDN",
        commit="dd157ff608254e0bffd4687836d976760ca9b26e", upstream_prefix="Dataset/MFF/testsets", folder="Lytro",
        layout="lytro", manifest="Lytro",
        description="Lytro multi-focus set (Nejati et al., Information Fusion 2015): 20 pairs, 520x520 RGB",
    ),
    DatasetInfo(
        name="MFFW", task="mff", pairs=13, repository="xingchenzhang/MFIFB", commit=MFIFB_COMMIT,
        upstream_prefix="", folder="MFIFB", layout="mfifb", options={"sets": ("mffw",)}, manifest="MFIFB",
        manifest_prefixes=("input/mffw_", "fused_images/mffw_"),
        description="MFF in the wild (MFIFB's mffw set): 13 real multi-focus pairs",
    ),
    DatasetInfo(
        name="MFIFB", task="mff", pairs=78, repository="xingchenzhang/MFIFB", commit=MFIFB_COMMIT,
        upstream_prefix="", folder="MFIFB", layout="mfifb", manifest="MFIFB", full_pairs=105,
        description="MFIFB multi-focus benchmark (Zhang, arXiv 2005.01116): every set present, plus the "
                    "published fused images of 30 methods for lytro and mffw",
        note="the pinned copy leaves out the set aymaz (27 pairs): 78 of 105 pairs are checksummed; an aymaz "
             "folder, if present, is read but not checksummed",
    ),
    DatasetInfo(
        name="RealMFF", task="mff", pairs=710, repository="truth-zheng/RealMFF",
        commit="793b596b82e132295a210a2c8b0218018ff6bc13",
        upstream_prefix="", folder="RealMFF", layout="realmff", bit_depth=None, trainable=True,
        description="RealMFF (Zhang et al., PRL 2020): 710 multi-focus pairs with all-in-focus ground truth",
        note="no local copy was available: the commit is the one whose file list (710 imageA/imageB/Fusion PNGs) "
             "the layout follows, but no file could be checksummed; `verify` checks pairs, readability and sizes "
             "only and `download` refuses (clone the repository into FUSION_BENCH_DATA/RealMFF)",
    ),
    DatasetInfo(
        name="IFCNN-ME", task="mef", pairs=6, repository="uzeful/IFCNN",
        commit="8fe59c2b1553e52acc793986208ca479d134a8da", upstream_prefix="Code/datasets/MEDataset",
        folder="IFCNN-ME", layout="sequences", manifest="IFCNN-ME",
        description="six multi-exposure sequences (3 to 6 exposures) shipped with IFCNN, for fusers taking "
                    "more than two inputs",
    ),
    DatasetInfo(
        name="folder", task="mff", pairs=None, repository=None, commit=None, upstream_prefix="", folder="",
        layout="folder", bit_depth=None, trainable=True,
        description="your own data: folders A/ and B/ with matching file names (optional GT/); pass --root",
    ),
)}


def get_info(name: str) -> DatasetInfo:
    """The catalogue entry `name`; `UnknownNameError` listing the known names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)} (see `fusion-bench data list`)"
        ) from None


def candidate_roots(info: DatasetInfo) -> list[Path]:
    """Where a copy of `info` may be, in order of preference (local read-only folder, then the cache)."""
    if not info.folder:
        return []
    local = local_data_dir()
    return ([local / info.folder] if local is not None else []) + [cache_data_dir() / info.folder]


def holds_dataset(info: DatasetInfo, root: Path) -> bool:
    """Whether `root` holds the dataset: its layout is found, with at least the pinned pair count when the
    files are recorded (a partial download is not taken for a copy)."""
    if not root.is_dir():
        return False
    try:
        records = info.discover(root)
    except FusionBenchError:
        return False
    return bool(records) and (info.pairs is None or not info.files() or len(records) >= info.pairs)


def find_root(info: DatasetInfo) -> Path:
    """The first candidate folder holding the dataset's layout, verified or not (what `data verify` checks by
    default); `DatasetError` saying how to obtain it otherwise. Runs use `verified.verified_root`."""
    if not info.folder:
        raise DatasetError(f"{info.name}: pass the folder holding A/ and B/ as root (--root DIR)")
    roots = candidate_roots(info)
    for root in roots:
        if holds_dataset(info, root):
            return root
    if info.files():
        how = (f"run `fusion-bench data download {info.name}` or set FUSION_BENCH_DATA to a folder holding "
               f"{info.folder}/")
    else:
        how = (f"no checksums are recorded to download it with: clone {info.repository} @ {info.commit} into "
               f"<DIR>/{info.folder}/ and set FUSION_BENCH_DATA=<DIR>")
    raise DatasetError(f"{info.name}: no copy found (looked in {', '.join(map(str, roots))}); {how}")


def get_dataset(name: str, root: Path | str | None = None, **options: Any) -> FusionDataset:
    """Open the catalogue dataset `name` as a `FusionDataset`.

    Args:
        name: a catalogue name (see `DATASETS`).
        root: the dataset folder (used as given); default: the first of `FUSION_BENCH_DATA/<folder>` and
            the cache `FUSION_BENCH_HOME/data/<folder>` that holds the dataset and verifies
            (`fusion_bench.data.verified.verified_root`; a copy that fails is never used).
        options: discovery options of the layout (e.g. `sets=("lytro",)` for MFIFB, `parts` for SICE) and
            `channels` ("rgb"/"gray"/None) / `bit_depth` (8/16/None) for loading.
    """
    info = get_info(name)
    channels = options.pop("channels", None)
    bit_depth = options.pop("bit_depth", info.bit_depth)
    if root is not None:
        folder = Path(root)
    else:
        from fusion_bench.data.verified import verified_root

        folder = verified_root(info)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder for dataset {name}; check --root / FUSION_BENCH_DATA")
    records = info.discover(folder, **options)
    return FusionDataset(records, root=folder, channels=channels, bit_depth=bit_depth)
