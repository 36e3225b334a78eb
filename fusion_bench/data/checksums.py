"""sha256 of local files, computed once per version of a file and remembered in FUSION_BENCH_HOME.

Every run checks the dataset copy it uses (`fusion_bench.data.verified`); hashing MEFB's and MFIFB's 136 MB
each time would cost about a second per run, so a digest is kept in `FUSION_BENCH_HOME/cache/sha256.json`,
once per version of a file (`file_cache.FileValueCache`: the key and why it is safe).

    >>> digests = Sha256Cache()                       # doctest: +SKIP
    >>> digests.sha256(Path("Lytro/A/lytro-01-A.jpg"))  # hashed once, then read from the cache
    >>> digests.save()
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fusion_bench.data.file_cache import FileValueCache
from fusion_bench.paths import home_dir


def sha256_file(path: Path) -> str:
    """The file's sha256 (hex), read in blocks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Sha256Cache(FileValueCache):
    """Digests of local files, in `FUSION_BENCH_HOME/cache/sha256.json` unless `path` says otherwise."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path if path is not None else home_dir() / "cache" / "sha256.json", sha256_file)

    def sha256(self, file: Path) -> str:
        """`file`'s sha256, from the cache when this version of the file was hashed before.
        Raises `OSError` if it cannot be read."""
        return str(self.get(file))

    @property
    def hashed(self) -> int:
        """Files hashed by this object (cache misses)."""
        return self.computed
