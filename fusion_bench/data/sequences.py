"""Exposure sequences, one folder per scene holding all its frames (IFCNN's `MEDataset/<scene>/<scene>N.jpg`).

A record's sources are every frame of the folder in natural file-name order (the order IFCNN numbers
them); its name is the folder name.
"""

from __future__ import annotations

from pathlib import Path

from fusion_bench.data.layout import image_files, natural_key, raise_problems, require_dir
from fusion_bench.data.sample import PairRecord
from fusion_bench.errors import DatasetError


def discover(root: Path, min_frames: int = 2) -> list[PairRecord]:
    root = require_dir(Path(root), "sequence root")
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: natural_key(p.name))
    if not folders:
        raise DatasetError(f"{root}: no sequence folders; expected one sub-folder of frames per scene")
    records, problems, unpaired = [], [], []
    for folder in folders:
        try:
            frames = tuple(image_files(folder))
        except DatasetError as exc:
            problems.append(str(exc))
            continue
        if len(frames) < min_frames:
            problems.append(f"{folder}: {len(frames)} frame(s), a sequence needs at least {min_frames}")
            unpaired += frames
            continue
        records.append(PairRecord(folder.name, frames))
    raise_problems(problems, records, unpaired)
    return records
