"""Which copy of a catalogue dataset a run uses: the first copy that verifies, never one that does not.

`verified_root(info)` looks where `find_root` looks (`FUSION_BENCH_DATA/<folder>`, then the download cache
`FUSION_BENCH_HOME/data/<folder>`) and takes the first copy that holds the dataset's layout *and* whose
checksummed files all match the catalogue: present, of the recorded size, of the recorded sha256. The size
is checked on every run, the sha256 once per version of a file (`checksums.Sha256Cache`), so checking
MEFB's 204 files costs a few milliseconds once they are known. A local copy that fails is not used: the run
goes on with a verified download in the cache if there is one (saying so on stderr), and otherwise stops
with a `DatasetError` whose first line sums up and whose next lines are the verifier's problem list
(`fusion_bench.data.fetch.verify_dataset(name, root)`, the same report as `fusion-bench data verify`).

Datasets without recorded checksums (RealMFF, SICE's official release, user folders) can only be checked
for their layout, as `find_root` does.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fusion_bench.data.catalogue import DatasetInfo, FileEntry, candidate_roots, find_root, holds_dataset
from fusion_bench.data.checksums import Sha256Cache
from fusion_bench.errors import DatasetError
from fusion_bench.paths import cache_data_dir

log = logging.getLogger(__name__)


def checksummed(info: DatasetInfo, root: Path) -> list[FileEntry]:
    """The catalogue files a copy at `root` must have (none for SICE's official release: its manifest
    describes the pinned test copy, a different set of files)."""
    from fusion_bench.data import sice

    if info.layout == "sice" and sice.is_official(root):
        return []
    return info.files()


def file_problems(root: Path, entries: list[FileEntry], digests: Sha256Cache) -> list[str]:
    """Each recorded file that is missing, of another size or of another sha256 under `root`."""
    problems = []
    for entry in entries:
        path = root / entry.path
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(f"{path}: missing (recorded in the catalogue)")
            continue
        if size != entry.size:
            problems.append(f"{path}: size {size} bytes, expected {entry.size}")
            continue
        try:
            digest = digests.sha256(path)
        except OSError as exc:
            problems.append(f"{path}: unreadable ({exc.strerror or exc})")
            continue
        if digest != entry.sha256:
            problems.append(f"{path}: sha256 {digest} does not match the recorded {entry.sha256}")
    return problems


def _verifier_problems(info: DatasetInfo, root: Path, found: list[str]) -> list[str]:
    """The full report of `verify_dataset` for the copy (every problem, as `data verify` lists them)."""
    from fusion_bench.data.fetch import verify_dataset

    return verify_dataset(info.name, root).problems or found


def verified_root(info: DatasetInfo) -> Path:
    """The folder of the first copy of `info` that verifies (module docstring). Raises `DatasetError`: no
    copy at all (as `find_root`), or none that verifies (summary line, then the problem list)."""
    roots = [root for root in candidate_roots(info) if holds_dataset(info, root)]
    if not roots:
        return find_root(info)  # raises, saying where it looked and how to obtain the dataset
    digests = Sha256Cache()
    failed: list[tuple[Path, list[str]]] = []
    try:
        for root in roots:
            problems = file_problems(root, checksummed(info, root), digests)
            if not problems:
                for bad, bad_problems in failed:
                    log.warning("%s: the copy in %s fails verification (%d problem(s), first: %s); using the "
                                "verified copy in %s", info.name, bad, len(bad_problems), bad_problems[0], root)
                return root
            failed.append((root, problems))
    finally:
        digests.save()
    root, problems = failed[0]
    problems = _verifier_problems(info, root, problems)
    cache = cache_data_dir() / info.folder
    listing = "".join(f"\n  {problem}" for problem in problems)
    raise DatasetError(
        f"{info.name}: the copy in {root} fails verification ({len(problems)} problem(s)) and is not used; "
        f"repair or remove it, or run `fusion-bench data download {info.name}` for a verified copy in {cache}:"
        f"{listing}")
