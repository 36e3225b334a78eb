"""Where results live on disk, and writing them so that an interruption loses at most the image in flight.

Layout under the results folder (`FUSION_BENCH_HOME/results` or `--out`):

    parts/<dataset>/<method>/<convention>/<config_hash>_<code_version>/<image>.csv   one file per scored image
    fused/<dataset>/<method>/<config_hash>/<image>.png                  the fused images that were scored
    imported/<name>.csv                                                  imported published scores
    results.csv                                                          all of the above merged (an export)

Every file is written to a temporary name, fsync'ed and renamed, so a file either exists whole or not at
all; "is this image done?" is a file-existence check, which keeps a warm re-run cheap.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from fusion_bench.evaluation.schema import COLUMNS

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(name: str) -> str:
    """A file-name-safe form of `name`; names that had to change get a short hash so they stay distinct.

    >>> safe_name("lytro_01"), safe_name("Hôtel de ville")
    ('lytro_01', 'H_tel_de_ville-8db343')
    """
    cleaned = _UNSAFE.sub("_", name)
    if cleaned == name and cleaned not in ("", ".", ".."):
        return name
    return f"{cleaned}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def part_path(root: Path, dataset: str, method: str, convention: str, config_hash: str, code_version: str,
              image: str) -> Path:
    run = f"{config_hash}_{safe_name(code_version)}"
    return (root / "parts" / safe_name(dataset) / safe_name(method) / convention / run
            / f"{safe_name(image)}.csv")


def fused_path(root: Path, dataset: str, method: str, config_hash: str, image: str) -> Path:
    return root / "fused" / safe_name(dataset) / safe_name(method) / config_hash / f"{safe_name(image)}.png"


def atomic_write_text(path: Path, text: str) -> Path:
    """Write `text` to `path` via a temporary file in the same folder, fsync, rename (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def rows_to_csv(rows: Iterable[dict]) -> str:
    """Rows (dicts with the schema's keys) → CSV text with the schema's column order."""
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    return frame.to_csv(index=False)


def write_rows(path: Path, rows: Iterable[dict]) -> Path:
    return atomic_write_text(path, rows_to_csv(rows))


def metrics_in(path: Path) -> set[str]:
    """The metric names a part file already holds (without pandas: called once per image on resume)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["metric"] for row in csv.DictReader(handle)}


def read_rows(path: Path) -> list[dict]:
    """The rows of one part file as dicts (values as written)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_csv_files(paths: list[Path]) -> pd.DataFrame:
    """Concatenate CSV files with the schema's header; faster than one `read_csv` per file."""
    header = ",".join(COLUMNS)
    buffer = io.StringIO()
    buffer.write(header + "\n")
    for path in paths:
        text = path.read_text(encoding="utf-8")
        first, _, body = text.partition("\n")
        if first.strip() != header:
            raise ValueError(f"{path}: header {first!r} is not the results schema; delete the file and re-run")
        buffer.write(body if body.endswith("\n") or not body else body + "\n")
    buffer.seek(0)
    return _read_table(buffer)


def _read_table(source) -> pd.DataFrame:
    """Parse results CSV text: names stay strings ("001" is not 1), empty text columns are "" not NaN."""
    frame = pd.read_csv(source, keep_default_na=False, na_values=[""],
                        dtype={"image": str, "method": str, "dataset": str, "config_hash": str, "code_version": str,
                               "fused_path": str, "source": str, "error": str})
    for column in ("error", "fused_path", "source", "config_hash", "code_version"):
        frame[column] = frame[column].fillna("")
    return frame


def load_results(path: Path) -> pd.DataFrame:
    """Every row of a results folder (per-image parts and imported scores), or of an exported
    `results.csv`, in the schema's columns."""
    path = Path(path)
    if path.is_file():
        return _read_table(path)
    paths = sorted((path / "parts").rglob("*.csv")) + sorted((path / "imported").glob("*.csv"))
    return _read_csv_files(paths)


def export_results(root: Path) -> Path:
    """Write `results.csv`: the merged table, for pandas users and the notebook."""
    frame = load_results(root)
    return atomic_write_text(Path(root) / "results.csv", frame.to_csv(index=False))
