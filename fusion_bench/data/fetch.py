"""Check and obtain catalogue datasets: `verify_dataset` (pairs found, files readable, sizes match, checksums
where known) and `download_dataset` (every checksummed file into `FUSION_BENCH_HOME/data/<folder>`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fusion_bench.data import sice
from fusion_bench.data.catalogue import DatasetInfo, find_root, get_info
from fusion_bench.data.download import ensure_file, ensure_writable, verify_file
from fusion_bench.data.sample import FusionDataset
from fusion_bench.errors import ChecksumError, DatasetError, FusionBenchError
from fusion_bench.paths import cache_data_dir, local_data_dir


@dataclass
class VerifyReport:
    """What `verify_dataset` found. `ok` when there are no problems."""

    name: str
    root: Path
    pairs: int = 0
    checksummed: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"name": self.name, "root": str(self.root), "pairs": self.pairs, "ok": self.ok,
                "checksummed_files": self.checksummed, "problems": self.problems, "notes": self.notes}


def expected_pairs(info: DatasetInfo, root: Path) -> set[int]:
    """Pair counts a complete copy at `root` may have (empty: no fixed count, e.g. user folders)."""
    if info.layout == "sice" and sice.is_official(root):
        present = [part for part in sice.PARTS if (root / part).is_dir()]
        return {sum(sice.OFFICIAL_SEQUENCES[part] for part in present)}
    return {count for count in (info.pairs, info.full_pairs) if count is not None}


def _checksums_apply(info: DatasetInfo, root: Path) -> bool:
    """The manifest describes the pinned layout; SICE's official release is a different set of files."""
    return bool(info.files()) and not (info.layout == "sice" and sice.is_official(root))


def dataset_folder(info: DatasetInfo, root: Path) -> Path:
    """`root` as given: the dataset's own folder, or a data folder holding it as `<folder>/` (the layout of
    FUSION_BENCH_DATA, e.g. `--root ../shared/data` for MEFB means `../shared/data/MEFB`)."""
    nested = root / info.folder if info.folder else None
    if nested is not None and nested.is_dir() and root.name != info.folder:
        return nested
    return root


def verify_dataset(name: str, root: Path | None = None) -> VerifyReport:
    """Check a copy of dataset `name` (default: the one `get_dataset` would open) and report every problem."""
    info = get_info(name)
    root = dataset_folder(info, Path(root)) if root is not None else find_root(info)
    report = VerifyReport(name=info.name, root=root)
    if not root.is_dir():
        report.problems.append(f"{root}: no such folder")
        return report
    try:
        records = info.discover(root)
    except FusionBenchError as exc:
        report.problems.append(str(exc))
        return report
    report.pairs = len(records)
    wanted = expected_pairs(info, root)
    if wanted and report.pairs not in wanted:
        report.problems.append(f"{root}: {report.pairs} pairs found, expected {' or '.join(map(str, sorted(wanted)))}")
    if _checksums_apply(info, root):
        for entry in info.files():
            path = root / entry.path
            if not path.is_file():
                report.problems.append(f"{path}: missing (recorded in the {info.name} catalogue)")
                continue
            try:
                verify_file(path, entry.sha256, entry.size)
                report.checksummed += 1
            except ChecksumError as exc:
                report.problems.append(str(exc))
    else:
        report.notes.append("checksums not known for this copy: pair structure, readability and sizes checked")
    dataset = FusionDataset(records, root=root, bit_depth=info.bit_depth)
    for index in range(len(dataset)):
        try:
            dataset[index]
        except FusionBenchError as exc:
            report.problems.append(str(exc))
    return report


def download_dataset(name: str, progress: bool = True) -> Path:
    """Make a verified copy of dataset `name` available and return its folder.

    A valid copy under `FUSION_BENCH_DATA/<folder>` is used as it is (read only); otherwise every
    checksummed file is fetched from the pinned upstream commit into `FUSION_BENCH_HOME/data/<folder>`
    (resuming partial files, verifying sha256, moving each into place atomically).
    """
    info = get_info(name)
    entries = info.files()
    if not entries:
        how = info.note or ("pass your folder with --root" if not info.folder else
                            f"put a copy under FUSION_BENCH_DATA/{info.folder}")
        raise DatasetError(f"{info.name}: no checksummed files are recorded, so it cannot be downloaded and "
                           f"verified; {how}")
    local = local_data_dir()
    if local is not None and (local / info.folder).is_dir():
        try:
            for entry in entries:
                verify_file(local / info.folder / entry.path, entry.sha256, entry.size)
            return local / info.folder
        except (ChecksumError, OSError):
            pass  # not a complete valid copy: fetch into the cache, never write into FUSION_BENCH_DATA
    target = cache_data_dir() / info.folder
    ensure_writable(target)
    if progress:
        from tqdm import tqdm

        entries = tqdm(entries, desc=info.name, unit="file")
    for entry in entries:
        ensure_file(entry.path, info.url(entry), entry.sha256, entry.size, None, target, progress=progress)
    return target
