"""Regenerate a dataset's manifest (`<manifest>.csv`: path, upstream, size, sha256) from a local copy.

    python -m fusion_bench.data.catalogue.build NAME ROOT

The files recorded are those the loaders use: every source / target of every record, plus the
benchmark's published outputs (MEFB's `output/`, MFIFB's `fused_images/`). Other files of the upstream
folders (camera-name duplicates, `ev.txt`) are not needed and not recorded.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from fusion_bench.data.catalogue import DatasetInfo, get_info
from fusion_bench.data.download import sha256_file

# Published outputs read by `mefb.read_published_scores` / `mfifb.iter_published_fused`.
EXTRA_FOLDERS = {"MEFB": ("output",), "MFIFB": ("fused_images",)}


def manifest_files(info: DatasetInfo, root: Path) -> list[Path]:
    files: set[Path] = set()
    for record in info.discover(root):
        files.update(record.source_paths)
        files.update(record.sequence_paths)
        if record.target_path is not None:
            files.add(record.target_path)
    for folder in EXTRA_FOLDERS.get(info.name, ()):
        files.update(p for p in (root / folder).rglob("*") if p.is_file())
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


def main(argv: list[str]) -> int:
    name, root = argv
    info = get_info(name)
    if info.manifest is None:
        raise SystemExit(f"{name} has no manifest (checksums not known)")
    out = Path(__file__).with_name(f"{info.manifest}.csv")
    print(f"{out}: {write_manifest(info, Path(root), out)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
