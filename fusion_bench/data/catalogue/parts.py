"""Optional parts of a catalogue dataset: files beyond the pairs, pinned to their own upstream commit, any subset
of which may be present (MEFB's 2,100 published fused images, 517 MB, deleted upstream after commit 92688fc).

A part's files live inside the dataset's folder (`<folder>/<file path>`, the upstream layout) and are
listed with size and sha256 in the package data `<manifest>.csv` (path, upstream, size, sha256), like the
dataset's own manifest. Unlike the dataset's files, an absent part file is not a problem: it is counted.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from fusion_bench.data import catalogue
from fusion_bench.data.catalogue import FileEntry, _read_manifest, get_info
from fusion_bench.errors import UnknownNameError


@dataclass(frozen=True)
class DatasetPart:
    """An optional part of a catalogue dataset.

    Attributes:
        dataset: the catalogue name it belongs to ("MEFB").
        name: the part's name on the command line ("published-fused").
        commit: the upstream commit of the dataset's repository that holds these files.
        folder: the part's folder relative to the dataset folder (as upstream), e.g. "output/fused_images".
        manifest: package-data CSV (path relative to the dataset folder, upstream path, size, sha256).
        description: one line for `--help` and reports.
    """

    dataset: str
    name: str
    commit: str
    folder: str
    manifest: str
    description: str

    def files(self) -> list[FileEntry]:
        """Every file of the part, complete or not locally."""
        return _read_manifest(self.manifest)

    def url(self, entry: FileEntry) -> str:
        info = get_info(self.dataset)
        return catalogue.UPSTREAM_URL.format(repository=info.repository, commit=self.commit,
                                             path=urllib.parse.quote(entry.upstream, safe="/"))


MEFB_PUBLISHED_COMMIT = "92688fcb293f41b6ab85dbff27e493d1c7a11cde"

PARTS: dict[str, tuple[DatasetPart, ...]] = {
    "MEFB": (
        DatasetPart(
            dataset="MEFB", name="published-fused", commit=MEFB_PUBLISHED_COMMIT, folder="output/fused_images",
            manifest="MEFB-published-fused",
            description="MEFB's published fused images: 21 methods x 100 pairs (2,100 files, 517 MB), the "
                        "images MEFB's Matlab code scored into evaluationMetrics.mat",
        ),
    ),
}


def parts_of(dataset: str) -> tuple[DatasetPart, ...]:
    """The optional parts of catalogue dataset `dataset` (none for most)."""
    return PARTS.get(get_info(dataset).name, ())


def get_part(dataset: str, name: str) -> DatasetPart:
    """Part `name` of `dataset`; `UnknownNameError` listing its parts otherwise."""
    for part in parts_of(dataset):
        if part.name == name:
            return part
    known = ", ".join(part.name for part in parts_of(dataset)) or "none"
    raise UnknownNameError(f"{dataset} has no part {name!r}; its parts: {known}")
