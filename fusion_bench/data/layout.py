"""Helpers shared by the layout discovery modules: listing image files, pairing folders by file name, and
`LayoutError`, which carries every problem a discovery found together with the complete pairs beside them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from fusion_bench.data.sample import PairRecord
from fusion_bench.errors import DatasetError
from fusion_bench.io.images import SUPPORTED_SUFFIXES


class LayoutError(DatasetError):
    """A folder does not follow its layout everywhere: `problems` (one line per file or folder, e.g. a
    missing partner), `records` (the complete pairs found beside them, in order) and `unpaired` (files
    found without their partner). Its message is the first problem and how many more there are, so a run
    stops with one line, while `fusion-bench data verify` lists them all."""

    def __init__(self, problems: Sequence[str], records: Sequence[PairRecord] = (),
                 unpaired: Sequence[Path] = ()) -> None:
        self.problems = list(problems)
        self.records = list(records)
        self.unpaired = list(unpaired)
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more problem(s): `fusion-bench data verify` lists "
                                             f"them)" if more else ""))


def raise_problems(problems: Sequence[str], records: Sequence[PairRecord], unpaired: Sequence[Path] = ()) -> None:
    """Raise `LayoutError` if discovery found any problem; the layouts call it once, after looking at
    everything, so that one pass reports every problem."""
    if problems:
        raise LayoutError(problems, records, unpaired)


def discover_pairs(names: Iterable[str], find_side: Callable[[str, str], Path]) -> list[PairRecord]:
    """The pairs `names` in order, each side found by `find_side(name, "A" or "B")`, which raises
    `DatasetError` naming what is wrong. Every problem of every pair is collected first and raised once
    (`raise_problems`), with the complete pairs and the files left without their partner."""
    records: list[PairRecord] = []
    problems: list[str] = []
    unpaired: list[Path] = []
    for name in names:
        sides = []
        for side in ("A", "B"):
            try:
                sides.append(find_side(name, side))
            except DatasetError as exc:
                problems.append(str(exc))
        if len(sides) == 2:
            records.append(PairRecord(name, (sides[0], sides[1])))
        else:
            unpaired += sides
    raise_problems(list(dict.fromkeys(problems)), records, unpaired)  # a missing folder is one problem
    return records


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


def pair_folders(first: Path, second: Path, *more: Path) -> tuple[list[tuple[str, tuple[Path, ...]]], list[str],
                                                                  list[Path]]:
    """Match the images of several folders by file stem.

    Returns:
        (complete, problems, unpaired): complete = [(stem, (path in first, path in second, ...))] for the
        stems present in every folder, in natural order; problems = one line per file lacking its partner in
        another folder (naming the file and that folder); unpaired = those files.
    """
    folders = (first, second, *more)
    tables = [by_stem(folder) for folder in folders]
    problems: list[str] = []
    unpaired: list[Path] = []
    for table in tables:
        for other_folder, other in zip(folders, tables):
            for stem in sorted(set(table) - set(other), key=natural_key):
                problems.append(f"{table[stem]}: no partner named {stem}.* in {other_folder}; add the partner or "
                                f"remove the file")
                if table[stem] not in unpaired:
                    unpaired.append(table[stem])
    common = set.intersection(*(set(table) for table in tables))
    complete = [(stem, tuple(table[stem] for table in tables)) for stem in sorted(common, key=natural_key)]
    return complete, problems, unpaired
