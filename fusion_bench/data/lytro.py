"""Lytro multi-focus set: `A/lytro_NN.jpg` + `B/lytro_NN.jpg` (MGDN's test layout) or the original release's
single folder of `lytro-NN-A.jpg` / `lytro-NN-B.jpg` (as IFCNN ships it). Names are "lytro_NN" either way."""

from __future__ import annotations

import re
from pathlib import Path

from fusion_bench.data import folder
from fusion_bench.data.layout import image_files, natural_key, raise_problems, require_dir
from fusion_bench.data.sample import PairRecord
from fusion_bench.errors import DatasetError

_RELEASE_NAME = re.compile(r"^lytro-(\d+)-([ab])$", re.IGNORECASE)


def discover(root: Path) -> list[PairRecord]:
    root = require_dir(Path(root), "Lytro root")
    if (root / "A").is_dir() or (root / "B").is_dir():
        return folder.discover(root, target=None)
    return _discover_release(root)


def _discover_release(root: Path) -> list[PairRecord]:
    found: dict[str, dict[str, Path]] = {}
    for path in image_files(root):
        match = _RELEASE_NAME.match(path.stem)
        if match is None:
            continue
        name = f"lytro_{int(match.group(1)):02d}"
        found.setdefault(name, {})[match.group(2).upper()] = path
    if not found:
        raise DatasetError(f"{root}: neither A/ and B/ folders nor files named lytro-NN-A.jpg / lytro-NN-B.jpg")
    records, problems, unpaired = [], [], []
    for name in sorted(found, key=natural_key):
        sides = found[name]
        if len(sides) == 2:
            records.append(PairRecord(name, (sides["A"], sides["B"])))
            continue
        (have, path), = sides.items()
        partner = path.stem[:-1] + ("B" if have == "A" else "A")
        problems.append(f"{path}: no partner {partner}.* in {root}; add the partner or remove the file")
        unpaired.append(path)
    raise_problems(problems, records, unpaired)
    return records
