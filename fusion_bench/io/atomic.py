"""Atomic file writes: a reader sees the whole new file or the old one, never a part, and the file gets
the mode an ordinary `open` would give it (0666 less the umask), not `mkstemp`'s 0600.

    >>> atomic_write_text(Path("out/results.csv"), "a,b\\n1,2\\n")      # doctest: +SKIP
    >>> atomic_write(Path("out/fused.png"), lambda tmp: cv2.imwrite(str(tmp), data))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def current_umask() -> int:
    """The process's umask, read from /proc (Linux ≥ 4.7) so that it is never changed, not even briefly;
    elsewhere set and put back at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, save: Callable[[Path], object], fsync: bool = False,
                 suffix: str = ".tmp") -> Path:
    """Run `save(temporary path)`, which writes the file, then rename it onto `path`; returns `path`.

    The temporary file is created exclusively in `path`'s folder (so the rename stays on one file system)
    as `.<name>.<random><suffix>` and given the umask's mode before `save` writes it. `suffix` is ".tmp",
    so that a left-over file never matches a reader's pattern such as `*.csv`; a writer that picks the
    format from the name passes its own (".png"). `fsync=True` flushes it to disk before the rename (for files whose
    presence means "done"). On any error the temporary file is removed and `path` is left as it was; an OS
    error of the rename names `path`, not the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    tmp = Path(name)
    try:
        try:
            os.fchmod(handle, 0o666 & ~current_umask())
        finally:
            os.close(handle)
        save(tmp)
        if fsync:
            with open(tmp, "rb") as written:
                os.fsync(written.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: str | Path, text: str, fsync: bool = True) -> Path:
    """Write `text` (UTF-8, newlines as given) to `path` atomically, fsync'ed by default."""
    def save(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            out.write(text)

    return atomic_write(path, save, fsync=fsync)
