"""SICE (Cai et al., TIP 2018) in two layouts, detected from the folder:

- the official release: `Dataset_Part1/<seq>/*.JPG` (360 sequences) and `Dataset_Part2/<seq>/*.JPG` (229),
  one folder per multi-exposure sequence, the reference image of sequence `<seq>` at `<part>/Label/<seq>.*`
  (`label/` accepted too).
  The two sources of a record are the frames with the lowest and the highest mean luminance (BT.601 luma
  of the 8-bit frame, JPEGs decoded at 1/8 scale by Pillow's draft mode: the ordering between frames of
  different exposure is what matters, and decoding 6000×4000 frames in full only to rank them is slow;
  values are kept in `FUSION_BENCH_HOME/cache/sice-luminance.json`);
  the whole sequence stays available as `PairRecord.sequence_paths`, darkest first. Names: "Part1/<seq>".
- the flat test layout shipped by HoLoCo: `under/NNN.png` + `over/NNN.png` (5 pairs, no reference);
  names are the file stems ("001").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from fusion_bench.data import folder
from fusion_bench.data.file_cache import FileValueCache
from fusion_bench.data.layout import LayoutError, image_files, natural_key, raise_problems, require_dir
from fusion_bench.data.sample import PairRecord
from fusion_bench.errors import DatasetError, ImageReadError
from fusion_bench.paths import home_dir

PARTS = ("Dataset_Part1", "Dataset_Part2")
OFFICIAL_SEQUENCES = {"Dataset_Part1": 360, "Dataset_Part2": 229}
LABEL = "Label"


def is_official(root: Path) -> bool:
    return any((Path(root) / part).is_dir() for part in PARTS)


def discover(root: Path, parts: Sequence[str] | None = None) -> list[PairRecord]:
    """SICE records from either layout; `parts` selects official parts (default: every part present)."""
    root = require_dir(Path(root), "SICE root")
    if not is_official(root):
        if parts is not None:
            raise DatasetError(f"{root}: parts={list(parts)} given but this is not the official layout "
                               f"({' / '.join(PARTS)} folders)")
        return folder.discover(root, sources=("under", "over"), target=None)
    chosen = [part for part in PARTS if (root / part).is_dir()] if parts is None else list(parts)
    luminance = FileValueCache(home_dir() / "cache" / "sice-luminance.json", mean_luminance)
    records, problems, unpaired = [], [], []
    try:
        for part in chosen:
            try:
                records += _discover_part(require_dir(root / part, f"SICE {part}"), luminance)
            except LayoutError as exc:
                records, problems, unpaired = records + exc.records, problems + exc.problems, unpaired + exc.unpaired
    finally:
        luminance.save()
    raise_problems(problems, records, unpaired)
    return records


def _label_dir(part_dir: Path) -> Path:
    """`Label/` (the release) or `label/` (as some re-distributions name it)."""
    matches = [p for p in part_dir.iterdir() if p.is_dir() and p.name.casefold() == LABEL.casefold()]
    if len(matches) != 1:
        raise DatasetError(f"{part_dir}: {'no' if not matches else 'more than one'} {LABEL}/ folder of reference "
                           f"images; restore it from the SICE release")
    return matches[0]


def _discover_part(part_dir: Path, luminance: FileValueCache) -> list[PairRecord]:
    label_dir = _label_dir(part_dir)
    labels = {p.stem: p for p in image_files(label_dir)}
    sequences = sorted((p for p in part_dir.iterdir() if p.is_dir() and p != label_dir
                        and not p.name.startswith(".")), key=lambda p: natural_key(p.name))
    if not sequences:
        raise DatasetError(f"{part_dir}: no sequence folders")
    short = part_dir.name.replace("Dataset_", "")
    records, problems, unpaired = [], [], []
    for sequence in sequences:
        try:
            frames = image_files(sequence)
        except DatasetError as exc:
            problems.append(str(exc))
            continue
        if len(frames) < 2:
            problems.append(f"{sequence}: {len(frames)} frame(s); a SICE sequence needs at least two")
        elif sequence.name not in labels:
            problems.append(f"{sequence}: no reference {sequence.name}.* in {label_dir}; restore it from the SICE "
                            f"release")
        if len(frames) < 2 or sequence.name not in labels:
            unpaired += frames
            continue
        try:
            ordered = tuple(sorted(frames, key=lambda p: (luminance.get(p), natural_key(p.name))))
        except ImageReadError as exc:
            problems.append(str(exc))
            continue
        records.append(PairRecord(f"{short}/{sequence.name}", (ordered[0], ordered[-1]), labels[sequence.name],
                                  ordered))
    raise_problems(problems, records, unpaired)
    return records


def mean_luminance(path: Path) -> float:
    """Mean BT.601 luma in [0, 255] of an 8-bit frame (JPEG decoded at reduced scale)."""
    try:
        with Image.open(path) as image:
            image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
            grey = ImageOps.exif_transpose(image).convert("L")
            return float(np.asarray(grey, dtype=np.float64).mean())
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"{path}: unreadable or truncated image ({exc})") from exc
