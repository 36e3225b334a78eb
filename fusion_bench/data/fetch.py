"""Check and obtain catalogue datasets: `verify_dataset` (every problem of a copy in one pass: files without
their partner, unreadable or truncated files, wrong sizes and checksums; the complete pairs counted; the
present files of optional parts checked, the absent ones counted), `download_dataset` (every checksummed
file into `FUSION_BENCH_HOME/data/<folder>`), and for an optional part (`catalogue/parts.py`, e.g. MEFB's
published fused images) `download_part` and `part_files`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fusion_bench.data import sice
from fusion_bench.data.catalogue import DatasetInfo, FileEntry, candidate_roots, find_root, get_info
from fusion_bench.data.catalogue.parts import DatasetPart, get_part, parts_of
from fusion_bench.data.checksums import Sha256Cache
from fusion_bench.data.download import ensure_file, ensure_writable, verify_file
from fusion_bench.data.layout import LayoutError
from fusion_bench.data.sample import FusionDataset, check_pair
from fusion_bench.data.verified import checksummed, file_problems
from fusion_bench.errors import ChecksumError, DatasetError, FusionBenchError
from fusion_bench.paths import cache_data_dir, local_data_dir


@dataclass
class PartReport:
    """What `verify_dataset` found of an optional part: `present` of its `files` were found (in `folders`),
    `verified` of them have the recorded size and sha256 (each other one is a problem of the report)."""

    name: str
    files: int
    present: int = 0
    verified: int = 0
    folders: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "files": self.files, "present": self.present, "verified": self.verified,
                "absent": self.files - self.present, "folders": self.folders}

    def line(self) -> str:
        where = f" in {', '.join(self.folders)}" if self.folders else ""
        return f"{self.name}: {self.present} of {self.files} files present{where}, {self.verified} verified"


@dataclass
class VerifyReport:
    """What `verify_dataset` found. `ok` when there are no problems; `pairs` counts the complete pairs."""

    name: str
    root: Path
    pairs: int = 0
    checksummed: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parts: list[PartReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"name": self.name, "root": str(self.root), "pairs": self.pairs, "ok": self.ok,
                "checksummed_files": self.checksummed, "problems": self.problems, "notes": self.notes,
                "parts": [part.as_dict() for part in self.parts]}


def expected_pairs(info: DatasetInfo, root: Path) -> set[int]:
    """Pair counts a complete copy at `root` may have (empty: no fixed count, e.g. user folders)."""
    if info.layout == "sice" and sice.is_official(root):
        present = [part for part in sice.PARTS if (root / part).is_dir()]
        return {sum(sice.OFFICIAL_SEQUENCES[part] for part in present)}
    return {count for count in (info.pairs, info.full_pairs) if count is not None}


def dataset_folder(info: DatasetInfo, root: Path) -> Path:
    """`root` as given: the dataset's own folder, or a data folder holding it as `<folder>/` (the layout of
    FUSION_BENCH_DATA, e.g. `--root ../shared/data` for MEFB means `../shared/data/MEFB`)."""
    nested = root / info.folder if info.folder else None
    if nested is not None and nested.is_dir() and root.name != info.folder:
        return nested
    return root


def verify_dataset(name: str, root: Path | None = None) -> VerifyReport:
    """Check a copy of dataset `name` (default: the one `get_dataset` would open) and report every problem.

    One pass names every file with a problem: files without their partner (from the layout's discovery),
    catalogue files that are missing, of another size or of another sha256, files that cannot be read
    (truncated, wrong depth) and pairs whose images differ in size; `pairs` counts the complete pairs.
    The present files of the dataset's optional parts are checked for size and sha256 in `root` (and, for
    the default copy, in the download cache too); absent ones are counted, not problems.
    """
    info = get_info(name)
    explicit = root is not None
    root = dataset_folder(info, Path(root)) if root is not None else find_root(info)
    report = VerifyReport(name=info.name, root=root)
    if not root.is_dir():
        report.problems.append(f"{root}: no such folder")
        return report
    unpaired: list[Path] = []
    try:
        records = info.discover(root)
    except LayoutError as exc:
        records, unpaired = exc.records, exc.unpaired
        report.problems += exc.problems
    except FusionBenchError as exc:  # not the layout at all (e.g. no A/ folder): nothing else to check
        report.problems.append(str(exc))
        return report
    report.pairs = len(records)
    wanted = expected_pairs(info, root)
    if wanted and report.pairs not in wanted:
        report.problems.append(f"{root}: {report.pairs} pairs found, expected "
                               f"{' or '.join(map(str, sorted(wanted)))}")
    digests = Sha256Cache()
    try:
        entries = checksummed(info, root)
        if entries:
            found = file_problems(root, entries, digests)
            report.checksummed = len(entries) - len(found)
            report.problems += found
        else:
            report.notes.append("checksums not known for this copy: pair structure, readability and sizes checked")
        report.problems += _readability_problems(FusionDataset(records, root=root, bit_depth=info.bit_depth),
                                                 unpaired)
        folders = [root] if explicit else list(dict.fromkeys([root, *candidate_roots(info)]))
        for part in parts_of(info.name):
            part_report, part_problems = _verify_part(part, folders, digests)
            report.parts.append(part_report)
            report.problems += part_problems
    finally:
        digests.save()
    return report


def _readability_problems(dataset: FusionDataset, unpaired: list[Path]) -> list[str]:
    """Each file (of the complete pairs, and each file left without its partner) that cannot be read as the
    dataset requires, then each complete pair whose images differ in size or channels."""
    problems = []
    for path in unpaired:
        try:
            dataset.read_file(path)
        except FusionBenchError as exc:
            problems.append(str(exc))
    for record in dataset.records:
        targets = [record.target_path] if record.target_path is not None else []
        images = []
        for path in (*record.source_paths, *targets):
            try:
                images.append(dataset.read_file(path))
            except FusionBenchError as exc:
                problems.append(str(exc))
        if len(images) == len(record.source_paths) + len(targets):
            count = len(record.source_paths)
            try:
                check_pair(record.name, images[:count], images[count] if targets else None)
            except FusionBenchError as exc:
                problems.append(str(exc))
    return problems


def _verify_part(part: DatasetPart, folders: list[Path], digests: Sha256Cache) -> tuple[PartReport, list[str]]:
    """The part's files present in `folders` (the first folder holding each), checked for size and sha256."""
    report = PartReport(name=part.name, files=len(part.files()))
    problems: list[str] = []
    for entry in part.files():
        folder = next((folder for folder in folders if (folder / entry.path).is_file()), None)
        if folder is None:
            continue
        report.present += 1
        if str(folder) not in report.folders:
            report.folders.append(str(folder))
        found = file_problems(folder, [entry], digests)
        problems += found
        report.verified += not found
    return report, problems


def part_files(dataset: str, part: str) -> dict[str, Path]:
    """{file name inside the part's folder: path} of each file of the part that is present and verifies, in
    `FUSION_BENCH_DATA/<folder>` or else in the download cache (a local file that fails is passed over)."""
    info = get_info(dataset)
    chosen = get_part(dataset, part)
    folders = [folder for folder in candidate_roots(info) if (folder / chosen.folder).is_dir()]
    found: dict[str, Path] = {}
    digests = Sha256Cache()
    try:
        for entry in chosen.files():
            for folder in folders:
                if (folder / entry.path).is_file() and not file_problems(folder, [entry], digests):
                    found[entry.path.removeprefix(chosen.folder + "/")] = folder / entry.path
                    break
    finally:
        digests.save()
    return found


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


def download_part(dataset: str, part: str, progress: bool = True) -> dict[Path, int]:
    """Make every file of an optional part of `dataset` available, verified: the files under
    `FUSION_BENCH_DATA/<folder>` that verify are used as they are (never written to), the rest are fetched
    from the part's pinned upstream commit into `FUSION_BENCH_HOME/data/<folder>` (resuming partial files,
    verifying sha256, moving each into place atomically). Returns {dataset folder: files of the part in it}."""
    info = get_info(dataset)
    chosen = get_part(dataset, part)
    local = local_data_dir()
    local_folder = local / info.folder if local is not None else None
    counts: dict[Path, int] = {}
    todo: list[FileEntry] = []
    digests = Sha256Cache()
    try:
        for entry in chosen.files():
            if local_folder is not None and (local_folder / entry.path).is_file() \
                    and not file_problems(local_folder, [entry], digests):
                counts[local_folder] = counts.get(local_folder, 0) + 1
            else:
                todo.append(entry)
    finally:
        digests.save()
    if not todo:
        return counts
    target = cache_data_dir() / info.folder
    ensure_writable(target)
    if progress:
        from tqdm import tqdm

        todo = tqdm(todo, desc=f"{info.name} {chosen.name}", unit="file")
    for entry in todo:
        ensure_file(entry.path, chosen.url(entry), entry.sha256, entry.size, None, target, progress=False)
        counts[target] = counts.get(target, 0) + 1
    return counts
