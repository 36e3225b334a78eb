"""Downloads against a local HTTP server on 127.0.0.1 serving generated files: resume with Range, wrong
checksum, dropped connection, read-only folders, and `download_dataset` / `fusion-bench data download`."""

from __future__ import annotations

import hashlib
import os
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fusion_bench.cli.main import main
from fusion_bench.data import catalogue
from fusion_bench.data.catalogue import DatasetInfo, FileEntry
from fusion_bench.data.download import download, ensure_file
from fusion_bench.data.fetch import download_dataset
from fusion_bench.errors import ChecksumError, DownloadError

PAYLOAD = os.urandom(3 * 1024 * 1024 + 123)  # more than one read chunk (1 MiB)


@dataclass
class Server:
    base: str
    files: dict[str, bytes]
    drop_after: dict[str, int] = field(default_factory=dict)  # path → bytes sent before closing (once)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="", files={})

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = urllib.parse.unquote(self.path)
            state.requests.append((path, self.headers.get("Range")))
            data = state.files.get(path)
            if data is None:
                self.send_error(404)
                return
            start = 0
            if self.headers.get("Range"):
                start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = state.drop_after.pop(path, None)
            self.wfile.write(body if cut is None else body[:cut])
            if cut is not None:
                self.wfile.flush()
                self.close_connection = True

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_verifies_and_moves_into_place(server: Server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    out = download(f"{server.base}/f.bin", tmp_path / "sub" / "f.bin", sha(PAYLOAD), len(PAYLOAD), progress=True)
    assert out.read_bytes() == PAYLOAD
    assert sorted(p.name for p in out.parent.iterdir()) == ["f.bin"]  # no .part, no probe file left


def test_dropped_connection_keeps_partial_and_resumes_with_range(server: Server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    server.drop_after["/f.bin"] = 1_500_000
    target = tmp_path / "f.bin"
    with pytest.raises(DownloadError, match=r"f\.bin: connection dropped after \d+ .*run again to resume"):
        download(f"{server.base}/f.bin", target, sha(PAYLOAD), len(PAYLOAD), progress=False)
    partial = tmp_path / "f.bin.part"
    kept = partial.stat().st_size
    assert 0 < kept < len(PAYLOAD) and not target.exists()
    download(f"{server.base}/f.bin", target, sha(PAYLOAD), len(PAYLOAD), progress=False)
    assert target.read_bytes() == PAYLOAD and not partial.exists()
    assert server.requests[-1] == ("/f.bin", f"bytes={kept}-")


def test_resume_of_a_complete_partial_file(server: Server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    download(f"{server.base}/f.bin", tmp_path / "f.bin", sha(PAYLOAD), len(PAYLOAD), progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert server.requests == [("/f.bin", f"bytes={len(PAYLOAD)}-")]  # answered 416, nothing re-fetched


def test_wrong_checksum_deletes_the_partial_file(server: Server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    with pytest.raises(ChecksumError, match=r"f\.bin: downloaded file failed verification .*sha256"):
        download(f"{server.base}/f.bin", tmp_path / "f.bin", "0" * 64, len(PAYLOAD), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_http_error_and_unreachable_server(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"missing\.bin: HTTP 404"):
        download(f"{server.base}/missing.bin", tmp_path / "m.bin", "0" * 64, progress=False)
    closed = server.base.rsplit(":", 1)[0] + ":9"  # 127.0.0.1, discard port: nothing listens
    with pytest.raises(DownloadError, match="check the network"):
        download(f"{closed}/x", tmp_path / "x.bin", "0" * 64, progress=False, timeout=5)


def _read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `folder` read-only. Permission bits do not bind root (these tests run as root in some sandboxes),
    so there the write probe is answered as the kernel answers other users: EACCES."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    if os.geteuid() == 0:
        import fusion_bench.data.download as module

        real = module.tempfile.mkstemp

        def refuse(*args: object, **kwargs: object):
            if Path(str(kwargs.get("dir", ""))).is_relative_to(folder):
                raise PermissionError(13, "Permission denied", str(kwargs.get("dir")))
            return real(*args, **kwargs)

        monkeypatch.setattr(module.tempfile, "mkstemp", refuse)


def test_read_only_folder_fails_with_a_clear_message(server: Server, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    server.files["/f.bin"] = PAYLOAD
    locked = tmp_path / "locked"
    _read_only(locked, monkeypatch)
    try:
        with pytest.raises(DownloadError, match=rf"{locked}: cannot write here .*set it to a writable folder"):
            download(f"{server.base}/f.bin", locked / "f.bin", sha(PAYLOAD), len(PAYLOAD), progress=False)
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


def test_ensure_file_prefers_a_valid_local_copy_and_refuses_a_bad_one(server: Server, tmp_path: Path) -> None:
    local = tmp_path / "local"
    (local / "w").mkdir(parents=True)
    (local / "w" / "f.bin").write_bytes(PAYLOAD)
    got = ensure_file("w/f.bin", f"{server.base}/f.bin", sha(PAYLOAD), len(PAYLOAD), local, tmp_path / "cache",
                      progress=False)
    assert got == local / "w" / "f.bin" and server.requests == []
    (local / "w" / "f.bin").write_bytes(PAYLOAD[:-1] + b"x")
    with pytest.raises(ChecksumError, match=r"local/w/f\.bin: sha256 [0-9a-f]+ does not match"):
        ensure_file("w/f.bin", f"{server.base}/f.bin", sha(PAYLOAD), None, local, tmp_path / "cache", progress=False)


@pytest.fixture
def fixture_dataset(server: Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """A catalogue entry "Fixture" (user-folder layout) whose files are served by the local server,
    one of them with a space and non-ASCII characters in its name (URL-quoted on the way)."""
    import io

    import numpy as np
    from PIL import Image

    files = {}
    for name, seed in (("A/p 1é.png", 1), ("B/p 1é.png", 2), ("A/q.png", 3), ("B/q.png", 4)):
        buffer = io.BytesIO()
        Image.fromarray(np.random.default_rng(seed).integers(0, 256, (9, 11, 3), dtype=np.uint8)).save(buffer, "PNG")
        files[name] = buffer.getvalue()
    entries = [FileEntry(path, f"data/{path}", len(data), sha(data)) for path, data in files.items()]
    for entry in entries:
        server.files[f"/owner/repo/raw/abc/{entry.upstream}"] = files[entry.path]

    class FixtureInfo(DatasetInfo):
        def files(self) -> list[FileEntry]:
            return entries

    info = FixtureInfo(name="Fixture", task="mff", pairs=2, repository="owner/repo", commit="abc",
                       upstream_prefix="data", folder="Fixture", layout="folder", description="test fixture")
    monkeypatch.setitem(catalogue.DATASETS, "Fixture", info)
    monkeypatch.setattr(catalogue, "UPSTREAM_URL", server.base + "/{repository}/raw/{commit}/{path}")
    return files


def test_download_dataset_into_the_cache_then_verify(fixture_dataset: dict[str, bytes], server: Server,
                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FUSION_BENCH_DATA", raising=False)
    assert main(["data", "download", "Fixture"]) == 0
    root = tmp_path / "home" / "data" / "Fixture"
    assert capsys.readouterr().out.strip() == f"Fixture: verified copy at {root}"
    assert all((root / path).read_bytes() == data for path, data in fixture_dataset.items())
    assert ("/owner/repo/raw/abc/data/A/p 1é.png", None) in server.requests
    assert main(["data", "verify", "Fixture"]) == 0
    assert capsys.readouterr().out == "Fixture: 2 pairs OK\n"
    (root / "B" / "q.png").write_bytes(b"corrupt")
    assert main(["data", "verify", "Fixture"]) == 1
    err = capsys.readouterr().err
    lines = err.splitlines()  # each problem indented, then one error line
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]]
    assert lines[-1].startswith("error: Fixture: 2 problem(s)") and "q.png: size 7 bytes" in err
    assert "Traceback" not in err


def test_download_uses_a_valid_read_only_local_copy_and_never_writes_into_it(
        fixture_dataset: dict[str, bytes], server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    local = tmp_path / "shared"
    for path, data in fixture_dataset.items():
        (local / "Fixture" / path).parent.mkdir(parents=True, exist_ok=True)
        (local / "Fixture" / path).write_bytes(data)
    monkeypatch.setenv("FUSION_BENCH_DATA", str(local))
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))
    assert download_dataset("Fixture", progress=False) == local / "Fixture"
    assert server.requests == []
    (local / "Fixture" / "A" / "q.png").unlink()  # incomplete local copy: fetched into the cache instead
    before = sorted(p.relative_to(local).as_posix() for p in local.rglob("*"))
    assert download_dataset("Fixture", progress=False) == tmp_path / "home" / "data" / "Fixture"
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*")) == before


def test_download_into_a_read_only_home_and_of_an_unchecksummed_dataset(
        fixture_dataset: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "home"
    _read_only(home, monkeypatch)
    monkeypatch.setenv("FUSION_BENCH_HOME", str(home))
    monkeypatch.delenv("FUSION_BENCH_DATA", raising=False)
    try:
        assert main(["data", "download", "Fixture"]) == 1
    finally:
        home.chmod(0o755)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {home}/data") and "cannot write here" in err
    assert main(["data", "download", "RealMFF"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: RealMFF: no checksummed files are recorded") and err.count("\n") == 1
