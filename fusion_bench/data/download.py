"""Fetch files by URL into the cache with resume, sha256 verification and an atomic move into place.

`ensure_file` is the single entry point used for weights and dataset files: a valid copy under the
read-only local folder (`FUSION_BENCH_WEIGHTS` / `FUSION_BENCH_DATA`) wins; else a verified copy in
the cache (`FUSION_BENCH_HOME`); else it is downloaded. Existing copies are checked for size and sha256 on
every call, the sha256 read from `checksums.Sha256Cache` when that version of the file was hashed before.
"""

from __future__ import annotations

import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from fusion_bench.data.checksums import Sha256Cache, sha256_file
from fusion_bench.errors import ChecksumError, DownloadError

CHUNK = 1 << 20


def verify_file(path: Path, sha256: str, size: int | None = None, digests: Sha256Cache | None = None) -> None:
    """Raise `ChecksumError` naming the file if its size or sha256 differ from the recorded ones.
    `digests`: take the sha256 from this cache (hashing only a file version it has not seen)."""
    if size is not None and path.stat().st_size != size:
        raise ChecksumError(
            f"{path}: size {path.stat().st_size} bytes, expected {size}; the copy is incomplete or a different "
            f"file: delete it and download again"
        )
    actual = digests.sha256(path) if digests is not None else sha256_file(path)
    if actual != sha256:
        raise ChecksumError(
            f"{path}: sha256 {actual} does not match the recorded {sha256}; delete it and download again"
        )


def ensure_writable(folder: Path) -> None:
    """Create `folder` if needed and prove it is writable by creating a file in it; `DownloadError` otherwise.

    A real write, not `os.access`: permission bits do not bind root, and read-only mounts are only
    found out by writing.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-")
    except OSError as exc:
        raise DownloadError(
            f"{folder}: cannot write here ({exc.strerror or exc}); downloads go to FUSION_BENCH_HOME: set it to a "
            f"writable folder (FUSION_BENCH_DATA / FUSION_BENCH_WEIGHTS are only read)"
        ) from exc
    os.close(handle)
    os.unlink(probe)


def download(url: str, destination: Path, sha256: str, size: int | None = None, progress: bool = True,
             timeout: float = 60.0) -> Path:
    """Download `url` to `destination`, resuming a partial `<destination>.part`, verifying, moving atomically.

    A checksum mismatch deletes the partial file and raises `ChecksumError`; a dropped connection keeps
    the partial file so that the next call resumes it, and raises `DownloadError`.
    """
    ensure_writable(destination.parent)
    partial = destination.with_name(destination.name + ".part")
    offset = partial.stat().st_size if partial.exists() else 0
    if size is not None and offset > size:
        partial.unlink()
        offset = 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # range not satisfiable: the partial file is complete or bad
            response = None
        else:
            raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"{url}: {exc}; check the network or point FUSION_BENCH_DATA/WEIGHTS at a local copy") from exc
    if response is not None:
        with response:
            resumed = offset and response.status == 206
            mode = "ab" if resumed else "wb"
            done = offset if resumed else 0
            total = size if size is not None else (done + int(response.headers.get("Content-Length") or 0)) or None
            bar = _progress_bar(destination.name, total, done) if progress else None
            try:
                with open(partial, mode) as handle:
                    while True:
                        try:
                            block = response.read(CHUNK)
                        except (OSError, ValueError, http.client.HTTPException) as exc:
                            raise DownloadError(
                                f"{url}: connection dropped after {done} bytes ({exc}); run again to resume"
                            ) from exc
                        if not block:
                            break
                        handle.write(block)
                        done += len(block)
                        if bar is not None:
                            bar.update(len(block))
            finally:
                if bar is not None:
                    bar.close()
            if size is not None and done < size:
                raise DownloadError(f"{url}: connection dropped after {done} of {size} bytes; run again to resume")
    try:
        verify_file(partial, sha256, size)
    except ChecksumError as exc:
        partial.unlink(missing_ok=True)
        raise ChecksumError(f"{url}: downloaded file failed verification ({exc}); it was deleted") from exc
    os.replace(partial, destination)
    return destination


def _progress_bar(name: str, total: int | None, initial: int):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=name, leave=False)


def ensure_file(relpath: str, url: str, sha256: str, size: int | None, local_root: Path | None,
                cache_root: Path, progress: bool = True) -> Path:
    """Path of a verified copy of `relpath`: the local read-only copy, the cached one, or a fresh download.

    A local copy that exists but fails verification is an error (never silently replaced), since the
    user pointed at it.
    """
    digests = Sha256Cache()
    try:
        if local_root is not None:
            local = local_root / relpath
            if local.is_file():
                verify_file(local, sha256, size, digests)
                return local
        cached = cache_root / relpath
        if cached.is_file():
            try:
                verify_file(cached, sha256, size, digests)
                return cached
            except ChecksumError:
                cached.unlink()
    finally:
        digests.save()
    return download(url, cached, sha256, size, progress=progress)
