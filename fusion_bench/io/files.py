"""What is wrong with a path where a file is expected, said the same way everywhere."""

from __future__ import annotations

from pathlib import Path


def file_problem(path: Path) -> str | None:
    """None if `path` is a file; else "is a directory, not a file", "no such file", or "not a regular
    file" (a device, a pipe)."""
    if path.is_file():
        return None
    if path.is_dir():
        return "is a directory, not a file"
    if not path.exists():
        return "no such file"
    return "not a regular file"
