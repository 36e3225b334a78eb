"""The generic layout for users' own data: `A/` and `B/` with matching file names, optional `GT/`.

Sample names are the file stems; order is natural ("2" before "10").
"""

from __future__ import annotations

from pathlib import Path

from fusion_bench.data.layout import pair_folders, raise_problems, require_dir
from fusion_bench.data.sample import PairRecord


def discover(root: Path, sources: tuple[str, ...] = ("A", "B"), target: str | None = "GT") -> list[PairRecord]:
    """Pairs of `root/A/x.*` and `root/B/x.*` (and `root/GT/x.*` when that folder exists).

    Args:
        root: the folder holding the source folders.
        sources: names of the source folders, in fusion order.
        target: name of the ground-truth folder, used if present; None to ignore it.

    Raises:
        LayoutError: files without their partner (every one named; the complete pairs attached).
    """
    root = require_dir(Path(root), "dataset root")
    folders = [require_dir(root / name, f"source folder {name}/") for name in sources]
    target_folder = root / target if target is not None and (root / target).is_dir() else None
    matched, problems, unpaired = pair_folders(*folders, *([target_folder] if target_folder is not None else []))
    count = len(sources)
    records = [PairRecord(stem, paths[:count], paths[count] if target_folder is not None else None)
               for stem, paths in matched]
    raise_problems(problems, records, unpaired)
    return records
