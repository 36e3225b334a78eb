"""Regenerate a dataset's manifest (`<manifest>.csv`: path, upstream, size, sha256) from a local copy, or an
optional part's manifest from an upstream listing of its files.

    python -m fusion_bench.data.catalogue.build NAME ROOT
    python -m fusion_bench.data.catalogue.build NAME --part PART LISTING.csv

The files recorded are those the loaders use: every source / target of every record, plus the
benchmark's published outputs (MEFB's `output/` scores, MFIFB's `fused_images/`). Other files of the upstream
folders (camera-name duplicates, `ev.txt`) are not needed and not recorded, nor are an optional part's
files (`parts.py`), which have their own manifest: a part's listing has one row per file with its `file`
name inside the part's folder, `bytes` and `sha256` (MEFB: shared/data/MEFB/output/fused_images.csv, all
2,100 files although only some are copied there).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from fusion_bench.data.catalogue import DatasetInfo, get_info
from fusion_bench.data.catalogue.parts import DatasetPart, get_part
from fusion_bench.data.download import sha256_file

# Published outputs read by `mefb.read_published_scores` / `mfifb.iter_published_fused` (files or folders).
EXTRA_PATHS = {"MEFB": ("output/information.txt", "output/evaluation_metrics"), "MFIFB": ("fused_images",)}


def manifest_files(info: DatasetInfo, root: Path) -> list[Path]:
    files: set[Path] = set()
    for record in info.discover(root):
        files.update(record.source_paths)
        files.update(record.sequence_paths)
        if record.target_path is not None:
            files.add(record.target_path)
    for extra in EXTRA_PATHS.get(info.name, ()):
        path = root / extra
        files.update([path] if path.is_file() else (p for p in path.rglob("*") if p.is_file()))
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def write_manifest(info: DatasetInfo, root: Path, out: Path) -> int:
    rows = []
    for path in manifest_files(info, root):
        relative = path.relative_to(root).as_posix()
        upstream = f"{info.upstream_prefix}/{relative}" if info.upstream_prefix else relative
        rows.append({"path": relative, "upstream": upstream, "size": path.stat().st_size,
                     "sha256": sha256_file(path)})
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "upstream", "size", "sha256"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def write_part_manifest(part: DatasetPart, listing: Path, out: Path) -> int:
    """The part's manifest from `listing` (columns file, bytes, sha256), paths inside the dataset folder."""
    with open(listing, newline="", encoding="utf-8") as handle:
        rows = [{"path": f"{part.folder}/{row['file']}", "upstream": f"{part.folder}/{row['file']}",
                 "size": int(row["bytes"]), "sha256": row["sha256"]} for row in csv.DictReader(handle)]
    rows.sort(key=lambda row: row["path"])
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "upstream", "size", "sha256"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "--part":
        part = get_part(argv[0], argv[2])
        out = Path(__file__).with_name(f"{part.manifest}.csv")
        print(f"{out}: {write_part_manifest(part, Path(argv[3]), out)} files")
        return 0
    name, root = argv
    info = get_info(name)
    if info.manifest is None:
        raise SystemExit(f"{name} has no manifest (checksums not known)")
    out = Path(__file__).with_name(f"{info.manifest}.csv")
    print(f"{out}: {write_manifest(info, Path(root), out)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
