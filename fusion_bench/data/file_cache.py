"""A value computed from a local file once per version of the file, remembered in one JSON file.

Used for the sha256 of dataset files (`checksums.Sha256Cache`, checked on every run) and the mean luminance
of SICE frames (`sice`, ranking the release's ~4000 frames takes tens of minutes). The key is the file's
absolute path with its size, modification time, status-change time and inode: a file that is rewritten,
replaced, truncated or touched gets a new key and is computed again (a copy made with `cp -p` keeps the
modification time but not the status-change time). The cache only ever saves time: a cache file that cannot
be read or written costs a recomputation, never a wrong answer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fusion_bench.io.atomic import atomic_write_text


def _version(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


class FileValueCache:
    """`compute(file)` per (absolute path, size, mtime, ctime, inode), loaded from and saved to `path` (JSON).
    The values must be JSON-serialisable."""

    def __init__(self, path: Path, compute: Callable[[Path], Any]) -> None:
        self.path = path
        self.compute = compute
        self.changed = False
        self.computed = 0  # files computed by this object (cache misses), for benchmarks and tests
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self.values: dict[str, list] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.values = {}

    def get(self, file: Path) -> Any:
        """The value for this version of `file`, computed if it was not before. Raises what `compute` or
        `os.stat` raise for an unreadable file."""
        stat = file.stat()
        key = os.path.abspath(file)
        stored = self.values.get(key)
        if isinstance(stored, list) and len(stored) == 5 and stored[:4] == _version(stat):
            return stored[4]
        value = self.compute(file)
        self.computed += 1
        self.values[key] = [*_version(stat), value]
        self.changed = True
        return value

    def save(self) -> None:
        """Write the values back (atomically); a cache that cannot be written only costs time next run."""
        if not self.changed:
            return
        try:
            atomic_write_text(self.path, json.dumps(self.values), fsync=False)
        except OSError:
            return
        self.changed = False
