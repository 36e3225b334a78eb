"""Helpers shared by the layout discovery modules: listing image files and pairing folders by file name."""

from __future__ import annotations

import re
from pathlib import Path

from fusion_bench.errors import DatasetError
from fusion_bench.io.images import SUPPORTED_SUFFIXES


def natural_key(text: str) -> list:
    """Sort key ordering "2" before "10" ("lytro-2" < "lytro-10")."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise DatasetError(f"{path}: no such folder ({what}); check the dataset root")
    return path


def image_files(folder: Path) -> list[Path]:
    """Image files directly in `folder` (hidden files skipped), in natural order; an empty folder is an error."""
    require_dir(folder, "image folder")
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not p.name.startswith(".")), key=lambda p: natural_key(p.name))
    if not files:
        raise DatasetError(f"{folder}: no image files ({', '.join(SUPPORTED_SUFFIXES)}) in this folder")
    return files


def by_stem(folder: Path) -> dict[str, Path]:
    """{file stem: path} for the images of `folder`; two files with one stem (a.png, a.jpg) is an error."""
    found: dict[str, Path] = {}
    for path in image_files(folder):
        if path.stem in found:
            raise DatasetError(f"{folder}: {found[path.stem].name} and {path.name} have the same name; keep one")
        found[path.stem] = path
    return found


def pair_folders(first: Path, second: Path, *more: Path) -> list[tuple[str, tuple[Path, ...]]]:
    """Match the images of several folders by file stem: [(stem, (path in first, path in second, ...))].

    Every file must have its partner in every other folder; a missing partner is a `DatasetError` naming
    the file and the folder where the partner was expected.
    """
    folders = (first, second, *more)
    tables = [by_stem(folder) for folder in folders]
    for folder, table in zip(folders, tables):
        for other_folder, other in zip(folders, tables):
            missing = sorted(set(table) - set(other), key=natural_key)
            if missing:
                raise DatasetError(
                    f"{table[missing[0]]}: no partner named {missing[0]}.* in {other_folder}"
                    + (f" ({len(missing) - 1} more files without partner)" if len(missing) > 1 else "")
                    + "; add the partner or remove the file"
                )
    return [(stem, tuple(table[stem] for table in tables)) for stem in sorted(tables[0], key=natural_key)]
