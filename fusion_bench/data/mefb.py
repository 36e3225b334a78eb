"""MEFB (xingchenzhang/MEFB): `input/<Name>/<Name>_A.*` (under-exposed) and `<Name>_B.*` (over-exposed), in
the order of `output/information.txt`, plus MEFB's published scores.

Upstream quirks handled (shared/data/README.md): folder and file names differ in case from the names in
`information.txt` ("Tower" is `tower/`, `Farmhouse_A.png` pairs with `FarmHouse_B.png`, `Lighthouse_a.png`,
`sKY_a.png`), extensions vary (`.tif .png .jpg .JPG`), and folders hold other files (byte-identical copies
under camera names such as `_MDF0003.tif`, `under.png`, `Lighthouse_under - 副本.png`, `ev.txt`) that are
never taken as the pair: only a file whose stem equals `<Name>_A` / `<Name>_B` ignoring case is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fusion_bench.data.layout import raise_problems, require_dir
from fusion_bench.data.sample import PairRecord
from fusion_bench.errors import DatasetError
from fusion_bench.io.images import SUPPORTED_SUFFIXES

INFORMATION = Path("output") / "information.txt"
SCORES = Path("output") / "evaluation_metrics" / "evaluationMetrics.mat"
_SECTIONS = ("The image paris are:", "The methods are:", "The metrics are:")


def read_information(root: Path) -> tuple[list[str], list[str], list[str]]:
    """(pair names, method names, metric names) from `output/information.txt`, in the order of the `.mat`."""
    path = Path(root) / INFORMATION
    if not path.is_file():
        raise DatasetError(f"{path}: missing; MEFB's output/information.txt lists the 100 pairs in order")
    sections: list[list[str]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        text = line.strip()
        if text in _SECTIONS:
            sections.append([])
        elif text and sections:
            sections[-1].append(text)
    if len(sections) != 3:
        raise DatasetError(f"{path}: expected the three sections {', '.join(_SECTIONS)}; is this MEFB's file?")
    return sections[0], sections[1], sections[2]


def _find_folder(input_dir: Path, name: str) -> Path:
    exact = input_dir / name
    if exact.is_dir():
        return exact
    matches = [p for p in input_dir.iterdir() if p.is_dir() and p.name.casefold() == name.casefold()]
    if len(matches) != 1:
        raise DatasetError(f"{input_dir}: {'no folder' if not matches else 'several folders'} named {name} "
                           f"(ignoring case); the MEFB copy is incomplete")
    return matches[0]


def _find_side(folder: Path, name: str, side: str) -> Path:
    wanted = f"{name}_{side}".casefold()
    matches = sorted(p for p in folder.iterdir() if p.is_file() and p.stem.casefold() == wanted
                     and p.suffix.lower() in SUPPORTED_SUFFIXES)
    if not matches:
        raise DatasetError(f"{folder}: no file {name}_{side}.* (ignoring case); the partner of this MEFB pair is "
                           f"missing: restore it from the MEFB repository")
    if len(matches) > 1:
        raise DatasetError(f"{folder}: several files match {name}_{side}.* ({', '.join(p.name for p in matches)}); "
                           f"keep one")
    return matches[0]


def discover(root: Path) -> list[PairRecord]:
    """The 100 MEFB pairs in `information.txt` order; names as written there ("Arno", "Tower").

    Raises:
        LayoutError: pair folders or files missing (every one named; the complete pairs attached).
    """
    root = require_dir(Path(root), "MEFB root")
    input_dir = require_dir(root / "input", "MEFB input/")
    names, _, _ = read_information(root)
    records, problems, unpaired = [], [], []
    for name in names:
        try:
            folder = _find_folder(input_dir, name)
        except DatasetError as exc:
            problems.append(str(exc))
            continue
        sides = []
        for side in ("A", "B"):
            try:
                sides.append(_find_side(folder, name, side))
            except DatasetError as exc:
                problems.append(str(exc))
        if len(sides) == 2:
            records.append(PairRecord(name, tuple(sides)))
        else:
            unpaired += sides
    raise_problems(problems, records, unpaired)
    return records


def read_published_scores(root: Path) -> pd.DataFrame:
    """MEFB's published scores as a tidy table with columns image, method, metric, value.

    `evaluationMetrics.mat` holds `resultsMetrics` (images × methods × metrics = 100 × 21 × 20), computed by
    MEFB's Matlab code on the authors' fused images; the names come from `information.txt`. Rows are in
    image, method, metric order; NaN values (if any) are kept.
    """
    import numpy as np
    import scipy.io

    root = Path(root)
    path = root / SCORES
    if not path.is_file():
        raise DatasetError(f"{path}: missing; MEFB's published scores are in output/evaluation_metrics/")
    images, methods, metrics = read_information(root)
    try:
        values = np.asarray(scipy.io.loadmat(str(path))["resultsMetrics"], dtype=np.float64)
    except (KeyError, ValueError, OSError) as exc:
        raise DatasetError(f"{path}: not MEFB's scores file (no readable resultsMetrics array: {exc})") from exc
    expected = (len(images), len(methods), len(metrics))
    if values.shape != expected:
        raise DatasetError(f"{path}: resultsMetrics has shape {values.shape}, information.txt lists {expected}")
    index = pd.MultiIndex.from_product([images, methods, metrics], names=["image", "method", "metric"])
    return pd.DataFrame({"value": values.reshape(-1)}, index=index).reset_index()
