"""Which method's published fused images each column of MEFB's `evaluationMetrics.mat` holds, identified from the
images rather than read from `information.txt` (whose method order the `.mat` does not follow for nine methods).

Every published image is scored with SD and EN in the `mefb` convention (per RGB channel, then averaged, as
MEFB's Matlab code does: cheap, and distinct enough between methods) through the scoring entry point
(`metrics.registry.compute_metrics`). A method's images match a column when all their values are within
`TOLERANCE` relative of that column's (the `.mat` keeps about five significant digits); the mapping is
accepted only if it is one-to-one: each method matches exactly one column and no column matches two methods.
The result is shipped as package data (`fusion_bench/data/mefb_columns.csv`), so importing the published scores
needs no images; regenerate it from a copy holding the published images with

    python -m fusion_bench.validation.columns
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fusion_bench.data.mefb import (COLUMN_FIELDS, COLUMNS_FILE, ScoreColumn, check_columns, discover,
                                    published_fused_name, read_information, read_score_array)
from fusion_bench.errors import DatasetError
from fusion_bench.validation.compare import relative_difference

IDENTIFYING_METRICS: tuple[str, ...] = ("SD", "EN")
TOLERANCE = 1e-3


@dataclass(frozen=True)
class MethodValues:
    """Our values of `IDENTIFYING_METRICS` on one method's published images.

    Attributes:
        images: indices of the images (pairs) in information.txt's order.
        values: (len(images), len(IDENTIFYING_METRICS)) float64.
    """

    images: tuple[int, ...]
    values: np.ndarray


@dataclass(frozen=True)
class ColumnMatch:
    """The column a method's images match: `column` (0-based), the largest relative difference there
    (`worst`) and the smallest largest difference in any other column (`runner_up`)."""

    method: str
    column: int
    worst: float
    runner_up: float


def match_columns(ours: Mapping[str, MethodValues], mat: np.ndarray, labels: Sequence[str],
                  tolerance: float = TOLERANCE) -> list[ColumnMatch]:
    """Match each method's values to the `.mat` column holding them.

    Args:
        ours: method → its values (images and identifying metrics).
        mat: (images, columns, len(IDENTIFYING_METRICS)) published values of the identifying metrics.
        labels: information.txt's method name of each column (for messages).
        tolerance: largest relative difference of a match.

    Raises:
        DatasetError: the matching is not one-to-one; the message names each method that matches no column
            (with the closest one) or several columns, and each column that matches several methods.
    """
    problems: list[str] = []
    matches: list[ColumnMatch] = []
    claimed: dict[int, list[str]] = {}
    for method, found in ours.items():
        theirs = mat[list(found.images)]  # (n, columns, k)
        worst = relative_difference(found.values[:, None, :], theirs).max(axis=(0, 2))  # (columns,)
        within = np.flatnonzero(worst <= tolerance)
        if len(within) == 0:
            best = int(np.argmin(worst))
            problems.append(f"{method}'s images match no column within {tolerance:g} (closest: column {best + 1}, "
                            f"labelled {labels[best]}, off by {worst[best]:.2g})")
            continue
        if len(within) > 1:
            listed = ", ".join(f"{c + 1} ({labels[c]})" for c in within)
            problems.append(f"{method}'s images match columns {listed} alike (duplicated columns)")
            continue
        column = int(within[0])
        others = np.delete(worst, column)
        matches.append(ColumnMatch(method, column, float(worst[column]), float(others.min()) if len(others) else
                                   float("inf")))
        claimed.setdefault(column, []).append(method)
    for column, methods in sorted(claimed.items()):
        if len(methods) > 1:
            problems.append(f"column {column + 1} ({labels[column]}) matches the images of {' and '.join(methods)}")
    if problems:
        raise DatasetError(f"the .mat's method axis cannot be identified one-to-one: {'; '.join(problems)}")
    return matches


def score_images(root: Path, files: Mapping[str, Path]) -> dict[str, MethodValues]:
    """Our `IDENTIFYING_METRICS` (mefb convention) of each published image `files` ({file name: path}),
    grouped by method; `root` is the MEFB copy holding information.txt and the sources."""
    import torch

    from fusion_bench.io.images import read_image
    from fusion_bench.metrics.registry import compute_metrics

    pairs, methods, _ = read_information(root)
    records = {record.name: record for record in discover(root)}
    found: dict[str, list[tuple[int, list[float]]]] = {}
    torch_sources: dict[str, list[torch.Tensor]] = {}
    for file, path in sorted(files.items()):
        pair, method = published_fused_name(file, pairs, methods)
        if pair not in torch_sources:
            torch_sources = {pair: [read_image(p).tensor for p in records[pair].source_paths]}
        values = compute_metrics(torch_sources[pair], read_image(path).tensor, list(IDENTIFYING_METRICS), "mefb")
        found.setdefault(method, []).append((pairs.index(pair), [float(values[m][0]) for m in IDENTIFYING_METRICS]))
    return {method: MethodValues(tuple(i for i, _ in rows), np.array([v for _, v in rows], dtype=np.float64))
            for method, rows in found.items()}


def identify_columns(root: Path, files: Mapping[str, Path]) -> list[ScoreColumn]:
    """The column mapping from the published images `files` of the MEFB copy `root` (every method needs at
    least one image); `DatasetError` if a method has none or the matching is not one-to-one."""
    from fusion_bench.metrics.registry import get_metric

    pairs, labels, metric_names = read_information(root)
    ours = score_images(root, files)
    missing = [method for method in labels if method not in ours]
    if missing:
        raise DatasetError(f"no published fused images of {', '.join(missing)}: their columns cannot be identified; "
                           f"`fusion-bench data download MEFB --part published-fused` fetches them")
    ours_names = [get_metric(name).name for name in metric_names]
    mat = read_score_array(root)[:, :, [ours_names.index(name) for name in IDENTIFYING_METRICS]]
    by_column = {match.column: match for match in match_columns(ours, mat, labels)}
    columns = []
    for column, label in enumerate(labels):
        match = by_column[column]
        images = ", ".join(sorted({pairs[i] for i in ours[match.method].images}, key=pairs.index))
        how = (f"{' and '.join(IDENTIFYING_METRICS)} (mefb convention) of its {len(ours[match.method].images)} "
               f"published images ({images}): largest relative difference {match.worst:.1e} here, "
               f"{match.runner_up:.1e} in the next closest column")
        columns.append(ScoreColumn(column + 1, label, match.method, how))
    return check_columns(columns, labels)


def columns_csv(columns: Sequence[ScoreColumn]) -> str:
    """The mapping in the shipped CSV format."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMN_FIELDS)
    for column in columns:
        writer.writerow([column.mat_column, column.information_label, column.method, column.identified_by])
    return buffer.getvalue()


def main(argv: Sequence[str]) -> int:
    """Identify the columns from the published images present (FUSION_BENCH_DATA or the download cache) and
    rewrite the shipped `mefb_columns.csv`."""
    from fusion_bench.data.catalogue import get_info
    from fusion_bench.data.fetch import part_files
    from fusion_bench.data.verified import verified_root

    root = verified_root(get_info("MEFB"))
    columns = identify_columns(root, part_files("MEFB", "published-fused"))
    out = Path(__file__).resolve().parent.parent / "data" / COLUMNS_FILE
    out.write_text(columns_csv(columns), encoding="utf-8")
    moved = [f"{c.method}'s in {c.information_label}" for c in columns if c.method != c.information_label]
    print(f"{out}: {len(columns)} columns; images not where information.txt says: {', '.join(moved) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
