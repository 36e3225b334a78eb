"""MEFB (xingchenzhang/MEFB): `input/<Name>/<Name>_A.*` (under-exposed) and `<Name>_B.*` (over-exposed), in
the order of `output/information.txt`, plus MEFB's published scores and the names of its published fused
images (`output/fused_images/<Name>_<METHOD>.<ext>`, an optional part of the dataset: `catalogue/parts.py`).

The published scores' method axis does not follow `information.txt` for nine methods: which method's images
each column of `evaluationMetrics.mat` holds was identified from the images themselves
(`fusion_bench.validation.columns`) and is shipped as `mefb_columns.csv` (.mat column, information.txt's
label, the method whose images it holds, how that was found); `read_published_scores` names rows by it.

Upstream quirks handled (shared/data/README.md): folder and file names differ in case from the names in
`information.txt` ("Tower" is `tower/`, `Farmhouse_A.png` pairs with `FarmHouse_B.png`, `Lighthouse_a.png`,
`sKY_a.png`), extensions vary (`.tif .png .jpg .JPG`), and folders hold other files (byte-identical copies
under camera names such as `_MDF0003.tif`, `under.png`, `Lighthouse_under - 副本.png`, `ev.txt`) that are
never taken as the pair: only a file whose stem equals `<Name>_A` / `<Name>_B` ignoring case is.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_bench.data.layout import discover_pairs, require_dir
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
    return discover_pairs(names, lambda name, side: _find_side(_find_folder(input_dir, name), name, side))


def published_fused_name(file: str, pairs: Iterable[str], methods: Iterable[str]) -> tuple[str, str]:
    """(pair, method) of a published fused image's file name `<pair>_<METHOD>.<ext>`, the names as in
    `information.txt` (the files spell some methods differently: `ArtistPalette_MEFnet.tif`). Pair and method
    names may hold underscores (`hongkong_01_SPD_MEF.jpg`); `DatasetError` if the name fits no pair and method."""
    stem = Path(file).stem
    by_case = {method.casefold(): method for method in methods}
    for pair in sorted(pairs, key=len, reverse=True):
        if stem.startswith(pair + "_") and stem[len(pair) + 1:].casefold() in by_case:
            return pair, by_case[stem[len(pair) + 1:].casefold()]
    raise DatasetError(f"{file}: not <pair>_<method>.<ext> for any MEFB pair and method of information.txt")


def read_score_array(root: Path) -> np.ndarray:
    """`resultsMetrics` of `evaluationMetrics.mat`: (images, columns, metrics) = (100, 21, 20) float64, axes in
    the order of `information.txt`'s pairs and metrics; its columns are named by `column_methods()`."""
    import scipy.io

    path = Path(root) / SCORES
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
    return values


COLUMNS_FILE = "mefb_columns.csv"
COLUMN_FIELDS = ("mat_column", "information_label", "method", "identified_by")


@dataclass(frozen=True)
class ScoreColumn:
    """One column of `resultsMetrics`' method axis.

    Attributes:
        mat_column: its index, 1-based as in Matlab.
        information_label: the method information.txt names at that position.
        method: the method whose fused images the column's values were computed on.
        identified_by: how that was established (the images and metrics compared, and how closely).
    """

    mat_column: int
    information_label: str
    method: str
    identified_by: str


def check_columns(columns: list[ScoreColumn], labels: list[str]) -> list[ScoreColumn]:
    """`columns` if they name every column of `labels` (information.txt's methods) once, in order, and each
    method once; `DatasetError` naming the offending columns otherwise."""
    if [c.mat_column for c in columns] != list(range(1, len(labels) + 1)):
        raise DatasetError(f"the column mapping lists columns {[c.mat_column for c in columns]}, expected 1 to "
                           f"{len(labels)} in order")
    wrong = [f"column {c.mat_column} is labelled {c.information_label!r}, information.txt says {label!r}"
             for c, label in zip(columns, labels) if c.information_label != label]
    if wrong:
        raise DatasetError(f"the column mapping does not follow information.txt: {'; '.join(wrong)}")
    seen: dict[str, list[int]] = {}
    for column in columns:
        seen.setdefault(column.method, []).append(column.mat_column)
    doubled = {method: cols for method, cols in seen.items() if len(cols) > 1}
    missing = sorted(set(labels) - set(seen))
    if doubled or missing:
        parts = [f"{method} is named for columns {', '.join(map(str, cols))}" for method, cols in doubled.items()]
        parts += [f"no column holds {', '.join(missing)}"] if missing else []
        raise DatasetError(f"the column mapping is not one-to-one: {'; '.join(parts)}")
    return columns


def read_columns(text: str | None = None) -> list[ScoreColumn]:
    """The shipped column mapping (`mefb_columns.csv`, or CSV `text` in its format), unchecked."""
    if text is None:
        text = resources.files(__package__).joinpath(COLUMNS_FILE).read_text(encoding="utf-8")
    return [ScoreColumn(int(row["mat_column"]), row["information_label"], row["method"], row["identified_by"])
            for row in csv.DictReader(text.splitlines())]


def column_methods(labels: list[str], columns: list[ScoreColumn] | None = None) -> list[str]:
    """The method whose images each column holds, in column order (checked one-to-one against `labels`)."""
    return [column.method for column in check_columns(read_columns() if columns is None else columns, labels)]


def read_published_scores(root: Path) -> pd.DataFrame:
    """MEFB's published scores as a tidy table with columns image, method, metric, value.

    `evaluationMetrics.mat` holds `resultsMetrics` (images × methods × metrics = 100 × 21 × 20), computed by
    MEFB's Matlab code on the authors' fused images. Images and metrics are named from `information.txt`;
    each column is named by the method whose images it was computed on (`column_methods`), which for nine
    columns is not the method information.txt lists there. Rows are in image, column, metric order; NaN
    values (if any) are kept.
    """
    root = Path(root)
    values = read_score_array(root)
    images, labels, metrics = read_information(root)
    index = pd.MultiIndex.from_product([images, column_methods(labels), metrics], names=["image", "method", "metric"])
    return pd.DataFrame({"value": values.reshape(-1)}, index=index).reset_index()
