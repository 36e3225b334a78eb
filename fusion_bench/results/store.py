"""Where results live on disk, and writing them so that an interruption loses at most the image in flight.

Layout under the results folder (`FUSION_BENCH_HOME/results` or `--out`):

    parts/<dataset>/<method>/<convention>/<storage>/<config_hash>_<code_version>/<image>.csv
                                                one file per scored image (rows of one storage protocol)
    fused/<dataset>/<method>/<config_hash>_<code_version>/<image>.png
                                                the method's output, lossless (always kept)
    fused/<dataset>/<method>/<config_hash>_<code_version>/<image>.jpg
                                                the same image as `imwrite` stores it, for JPEG sources
                                                (`<image>.source-tables.jpg` in that JPEG style)
    imported/<name>.csv                         imported published scores
    results.csv                                 all of the above merged (an export)

The file a row scored is the one its storage protocol names (`fusion_bench.io.storage.stored_suffix`):
the PNG, or the JPEG written from it. Both protocols share the PNG, so scoring a method's images under the
other protocol never fuses again (`runner.pending`). A result's key (its part file) names the protocol,
so switching a dataset's protocol starts new rows for that dataset only and leaves every other row where
it is. Its `<storage>` folder is the protocol's name followed by its JPEG style where that is not MATLAB
imwrite's defaults (`fusion_bench.io.storage.storage_key`: `imwrite+source-tables`), so a change of the
style in `storage.csv` starts new rows too.

Every file is written to a temporary name, fsync'ed and renamed, so a file either exists whole or not at
all; "is this image done?" is a file-existence check, which keeps a warm re-run cheap.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from fusion_bench.results.schema import COLUMNS, LEGACY_COLUMNS, LEGACY_STORAGE
from fusion_bench.io.atomic import atomic_write_text

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


def part_path(root: Path, dataset: str, method: str, convention: str, storage: str, config_hash: str,
              code_version: str, image: str) -> Path:
    run = f"{config_hash}_{safe_name(code_version)}"
    return (root / "parts" / safe_name(dataset) / safe_name(method) / convention / storage / run
            / f"{safe_name(image)}.csv")


def output_path(root: Path, dataset: str, method: str, config_hash: str, code_version: str, image: str) -> Path:
    """The method's fused image as a lossless 8-bit PNG (keyed like its rows, so it is reused only by the
    same config and code)."""
    run = f"{config_hash}_{safe_name(code_version)}"
    return root / "fused" / safe_name(dataset) / safe_name(method) / run / f"{safe_name(image)}.png"


def stored_path(root: Path, dataset: str, method: str, config_hash: str, code_version: str, image: str,
                storage: str, source: str | Path, jpeg_style: str = "imwrite-defaults") -> Path:
    """The file that is scored under `storage` (JPEGs written in `jpeg_style`) for a pair whose first source
    is `source`: the PNG of `output_path`, or a JPEG beside it."""
    from fusion_bench.io.storage import stored_suffix

    png = output_path(root, dataset, method, config_hash, code_version, image)
    return png.with_suffix(stored_suffix(storage, source, jpeg_style))


def rows_to_csv(rows: Iterable[dict]) -> str:
    """Rows (dicts with the schema's keys) → CSV text with the schema's column order."""
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    return frame.to_csv(index=False)


def write_rows(path: Path, rows: Iterable[dict]) -> Path:
    return atomic_write_text(path, rows_to_csv(rows))


def read_rows(path: Path) -> list[dict]:
    """The rows of one part file as dicts (values as written)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_csv_files(paths: list[Path]) -> pd.DataFrame:
    """Concatenate CSV files with the schema's header (or the header before the `storage` column, whose
    rows get their storage from `LEGACY_STORAGE`); faster than one `read_csv` per file."""
    headers = {",".join(COLUMNS): io.StringIO(), ",".join(LEGACY_COLUMNS): io.StringIO()}
    for header, buffer in headers.items():
        buffer.write(header + "\n")
    for path in paths:
        text = path.read_text(encoding="utf-8")
        first, _, body = text.partition("\n")
        buffer = headers.get(first.strip())
        if buffer is None:
            raise ValueError(f"{path}: header {first!r} is not the results schema; delete the file and re-run")
        buffer.write(body if body.endswith("\n") or not body else body + "\n")
    current, legacy = (buffer.getvalue() for buffer in headers.values())
    frame = _read_table(io.StringIO(current))
    if legacy.count("\n") > 1:
        return pd.concat([frame, _legacy_table(io.StringIO(legacy))], ignore_index=True)
    return frame


def _legacy_table(source) -> pd.DataFrame:
    frame = _read_table(source)
    frame["storage"] = frame["provenance"].map(LEGACY_STORAGE).fillna("")
    return frame[list(COLUMNS)]


def _read_table(source) -> pd.DataFrame:
    """Parse results CSV text: names stay strings ("001" is not 1), empty text columns are "" not NaN."""
    frame = pd.read_csv(source, keep_default_na=False, na_values=[""],
                        dtype={"image": str, "method": str, "dataset": str, "config_hash": str, "code_version": str,
                               "fused_path": str, "source": str, "error": str, "storage": str})
    for column in ("error", "fused_path", "source", "config_hash", "code_version", "storage"):
        if column in frame:  # results written before the `storage` column have none
            frame[column] = frame[column].fillna("")
    return frame


def load_results(path: Path) -> pd.DataFrame:
    """Every row of a results folder (per-image parts and imported scores), or of an exported
    `results.csv`, in the schema's columns."""
    path = Path(path)
    if path.is_file():
        with open(path, encoding="utf-8") as handle:
            legacy = handle.readline().strip() == ",".join(LEGACY_COLUMNS)
        return _legacy_table(path) if legacy else _read_table(path)
    paths = sorted((path / "parts").rglob("*.csv")) + sorted((path / "imported").glob("*.csv"))
    return _read_csv_files(paths)


def export_results(root: Path) -> Path:
    """Write `results.csv`: the merged table, for pandas users and the notebook."""
    frame = load_results(root)
    return atomic_write_text(Path(root) / "results.csv", frame.to_csv(index=False))
