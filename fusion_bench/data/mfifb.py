"""MFIFB (xingchenzhang/MFIFB): `input/<pair>/<pair>_A.*`, `<pair>_B.*` where a pair is `<set>_<NN>` (lytro,
mffw, savic, stand, tsai, aymaz) or a single named image (books, flower, newspaper, temple: its own set), and
the published fused images `fused_images/<pair>_<METHOD>.*` (method names may hold underscores: DCT_Corr)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from fusion_bench.data.layout import discover_pairs, natural_key, require_dir
from fusion_bench.data.sample import PairRecord
from fusion_bench.errors import DatasetError
from fusion_bench.io.images import SUPPORTED_SUFFIXES

_NUMBERED = re.compile(r"^(?P<set>.+)_\d+$")


def pair_set(pair: str) -> str:
    """The set of a pair name: "lytro_01" → "lytro", "books" → "books"."""
    match = _NUMBERED.match(pair)
    return match.group("set") if match else pair


def _side(folder: Path, side: str) -> Path:
    wanted = f"{folder.name}_{side}".casefold()
    matches = [p for p in folder.iterdir() if p.is_file() and p.stem.casefold() == wanted
               and p.suffix.lower() in SUPPORTED_SUFFIXES]
    if len(matches) != 1:
        raise DatasetError(f"{folder}: expected one file {folder.name}_{side}.*, found "
                           f"{len(matches) or 'none'}; restore the pair from the MFIFB repository")
    return matches[0]


def pair_names(root: Path, sets: Sequence[str] | None = None) -> list[str]:
    """Names of the pairs under `root/input`, in natural order, optionally only those of `sets`."""
    input_dir = require_dir(Path(root) / "input", "MFIFB input/")
    if isinstance(sets, str):
        sets = (sets,)
    names = sorted((p.name for p in input_dir.iterdir() if p.is_dir()), key=natural_key)
    if sets is not None:
        known = {pair_set(name) for name in names}
        unknown = [s for s in sets if s not in known]
        if unknown:
            raise DatasetError(f"{input_dir}: no pairs of set(s) {', '.join(unknown)}; sets present: "
                               f"{', '.join(sorted(known))}")
        names = [name for name in names if pair_set(name) in sets]
    if not names:
        raise DatasetError(f"{input_dir}: no pair folders; the MFIFB copy is empty")
    return names


def discover(root: Path, sets: Sequence[str] | None = None) -> list[PairRecord]:
    """MFIFB pairs (all sets present, or only `sets`), named by their folder ("lytro_01", "books").

    Raises:
        LayoutError: pair files missing or doubled (every one named; the complete pairs attached).
    """
    input_dir = Path(root) / "input"
    return discover_pairs(pair_names(root, sets), lambda name, side: _side(input_dir / name, side))


def iter_published_fused(root: Path, sets: Sequence[str] = ("lytro", "mffw")) -> Iterator[tuple[str, str, Path]]:
    """(pair, method, path) for each published fused image `fused_images/<pair>_<METHOD>.*` of `sets`.

    Pairs are taken from `input/` so that a pair name holding an underscore is split off correctly.
    """
    fused_dir = require_dir(Path(root) / "fused_images", "MFIFB fused_images/")
    pairs = sorted(pair_names(root, sets), key=len, reverse=True)  # longest prefix first
    for path in sorted(fused_dir.iterdir(), key=lambda p: natural_key(p.name)):
        if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        for pair in pairs:
            if path.stem.startswith(pair + "_"):
                yield pair, path.stem[len(pair) + 1:], path
                break
