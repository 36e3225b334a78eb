"""sha256 of local files, computed once per version of a file and remembered in FUSION_BENCH_HOME.

Every run checks the dataset copy it uses (`fusion_bench.data.verified`); hashing MEFB's and MFIFB's 136 MB
each time would cost about a second per run, so a digest is kept in `FUSION_BENCH_HOME/cache/sha256.json`
keyed by the file's absolute path with its size, modification time, status-change time and inode: a file that
is rewritten, replaced, truncated or touched gets a new key and is hashed again (a copy made with `cp -p`
keeps the modification time but not the status-change time). The cache only ever saves time: a file that
cannot be read or written costs a re-hash, never a wrong answer.

    >>> digests = Sha256Cache()                       # doctest: +SKIP
    >>> digests.sha256(Path("Lytro/A/lytro-01-A.jpg"))  # hashed once, then read from the cache
    >>> digests.save()
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from fusion_bench.io.atomic import atomic_write_text
from fusion_bench.paths import home_dir


def sha256_file(path: Path) -> str:
    """The file's sha256 (hex), read in blocks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _version(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


class Sha256Cache:
    """Digests by (absolute path, size, mtime, ctime, inode), loaded from and saved to one JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else home_dir() / "cache" / "sha256.json"
        self.changed = False
        self.hashed = 0  # files hashed by this object (cache misses), for benchmarks and tests
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self.values: dict[str, list] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.values = {}

    def sha256(self, file: Path) -> str:
        """`file`'s sha256, from the cache when this version of the file was hashed before.
        Raises `OSError` if it cannot be read."""
        stat = file.stat()
        key = os.path.abspath(file)
        stored = self.values.get(key)
        if isinstance(stored, list) and len(stored) == 5 and stored[:4] == _version(stat):
            return str(stored[4])
        digest = sha256_file(file)
        self.hashed += 1
        self.values[key] = [*_version(stat), digest]
        self.changed = True
        return digest

    def save(self) -> None:
        """Write the digests back (atomically); a cache that cannot be written only costs time next run."""
        if not self.changed:
            return
        try:
            atomic_write_text(self.path, json.dumps(self.values), fsync=False)
        except OSError:
            return
        self.changed = False
