"""`data verify` names every problem of a folder in one pass (a missing partner no longer hides a truncated file
beside it) and counts the complete pairs; an optional part (MEFB's published fused images) is checked where
present, counted where absent, and downloaded beside a partial local copy without writing into it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_download import Server, server, sha  # noqa: F401  (the local HTTP server fixture)

from fusion_bench.cli.main import main
from fusion_bench.data import catalogue
from fusion_bench.data.catalogue import FileEntry
from fusion_bench.data.catalogue import parts as parts_module
from fusion_bench.data.catalogue.parts import DatasetPart
from fusion_bench.data.fetch import download_part, part_files, verify_dataset


def _png(seed: int, shape: tuple[int, ...] = (8, 10, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_missing_partner_and_truncated_files_are_all_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = _folder(tmp_path / "data", {
        "A/p1.png": _png(1), "B/p1.png": _png(2),
        "A/p2.png": _png(3), "B/p2.png": _png(4)[:60],   # complete pair, one file truncated
        "A/p3.png": _png(5),                              # no partner in B/
        "B/p4.png": _png(6)[:50],                         # no partner in A/, and truncated itself
        "A/p5.png": _png(7), "B/p5.png": _png(8, (9, 10, 3)),  # sizes differ
    })
    report = verify_dataset("folder", root)
    assert report.pairs == 3  # p1, p2, p5: both files present
    problems = "\n".join(report.problems)
    assert f"{root / 'A' / 'p3.png'}: no partner named p3.* in {root / 'B'}" in problems
    assert f"{root / 'B' / 'p4.png'}: no partner named p4.* in {root / 'A'}" in problems
    assert f"{root / 'B' / 'p2.png'}: unreadable or truncated" in problems
    assert f"{root / 'B' / 'p4.png'}: unreadable or truncated" in problems
    assert "p5: " in problems and "the images of a pair must have the same size" in problems
    assert len(report.problems) == 5

    assert main(["data", "verify", "folder", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"error: folder: 5 problem(s) in {root} (3 complete pairs found): ")
    assert "p3.png: no partner" in err and "B/p2.png: unreadable or truncated" in err and err.count("error:") == 1
    assert main(["data", "verify", "folder", "--root", str(root), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["pairs"] == 3


def test_a_run_still_stops_at_a_broken_layout_with_one_line(tmp_path: Path) -> None:
    from fusion_bench.data.catalogue import get_dataset
    from fusion_bench.errors import DatasetError

    root = _folder(tmp_path / "data", {"A/p1.png": _png(1), "A/p2.png": _png(2), "A/p3.png": _png(3),
                                       "B/p1.png": _png(4)})
    with pytest.raises(DatasetError, match=r"p2\.png: no partner named p2\.\* in .*\(and 1 more problem\(s\)"):
        get_dataset("folder", root)


def test_lytro_release_layout_names_every_unpaired_file(tmp_path: Path) -> None:
    root = _folder(tmp_path / "Lytro", {"lytro-01-A.jpg": _png(1), "lytro-01-B.jpg": _png(2),
                                        "lytro-02-A.jpg": _png(3), "lytro-03-B.jpg": _png(4)[:40]})
    report = verify_dataset("Lytro", root)
    assert report.pairs == 1
    problems = "\n".join(report.problems)
    assert "lytro-02-A.jpg: no partner lytro-02-B" in problems and "lytro-03-B.jpg: no partner lytro-03-A" in problems
    assert "lytro-03-B.jpg: unreadable or truncated" in problems
    assert "1 pairs found, expected 20" in problems


@pytest.fixture
def fixture_part(server: Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:  # noqa: F811
    """MEFB's published-fused part replaced by three small files served by the local server."""
    files = {f"output/fused_images/x_{name}.png": _png(seed) for seed, name in enumerate(("DEM", "GD", "PWA"))}
    entries = [FileEntry(path, path, len(data), sha(data)) for path, data in files.items()]
    for entry in entries:
        server.files[f"/xingchenzhang/MEFB/raw/{parts_module.MEFB_PUBLISHED_COMMIT}/{entry.upstream}"] = \
            files[entry.path]

    class FixturePart(DatasetPart):
        def files(self) -> list[FileEntry]:
            return entries

    part = FixturePart(dataset="MEFB", name="published-fused", commit=parts_module.MEFB_PUBLISHED_COMMIT,
                       folder="output/fused_images", manifest="unused", description="test fixture")
    monkeypatch.setitem(parts_module.PARTS, "MEFB", (part,))
    monkeypatch.setattr(catalogue, "UPSTREAM_URL", server.base + "/{repository}/raw/{commit}/{path}")
    return files


def test_part_download_uses_verified_local_files_and_fetches_the_rest(
        fixture_part: dict[str, bytes], server: Server, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    paths = list(fixture_part)
    local = tmp_path / "shared"
    _folder(local / "MEFB", {paths[0]: fixture_part[paths[0]], paths[1]: b"not the published file"})
    monkeypatch.setenv("FUSION_BENCH_DATA", str(local))
    monkeypatch.setenv("FUSION_BENCH_HOME", str(tmp_path / "home"))
    cache = tmp_path / "home" / "data" / "MEFB"
    assert part_files("MEFB", "published-fused") == {"x_DEM.png": local / "MEFB" / paths[0]}  # the bad one is not used

    before = {p: p.read_bytes() for p in local.rglob("*") if p.is_file()}
    assert download_part("MEFB", "published-fused", progress=False) == {local / "MEFB": 1, cache: 2}
    assert sorted(path for path, _ in server.requests) == sorted(
        f"/xingchenzhang/MEFB/raw/{parts_module.MEFB_PUBLISHED_COMMIT}/{p}" for p in paths[1:])
    assert {p: p.read_bytes() for p in local.rglob("*") if p.is_file()} == before  # never written
    assert part_files("MEFB", "published-fused") == {
        "x_DEM.png": local / "MEFB" / paths[0], "x_GD.png": cache / paths[1], "x_PWA.png": cache / paths[2]}
    server.requests.clear()
    assert main(["data", "download", "MEFB", "--part", "published-fused"]) == 0
    assert server.requests == []  # everything already verified
    assert capsys.readouterr().out == (f"MEFB published-fused: 3 verified files (1 in {local / 'MEFB'}, "
                                       f"2 in {cache})\n")


def test_part_verify_counts_absent_files_and_names_bad_ones(fixture_part: dict[str, bytes],  # noqa: F811
                                                            tmp_path: Path) -> None:
    from fusion_bench.data.checksums import Sha256Cache
    from fusion_bench.data.fetch import _verify_part

    paths = list(fixture_part)
    root = _folder(tmp_path / "MEFB", {paths[0]: fixture_part[paths[0]], paths[2]: fixture_part[paths[2]][:-1]})
    report, problems = _verify_part(parts_module.get_part("MEFB", "published-fused"), [root], Sha256Cache())
    assert (report.files, report.present, report.verified) == (3, 2, 1)
    assert problems == [f"{root / paths[2]}: size {len(fixture_part[paths[2]]) - 1} bytes, expected "
                        f"{len(fixture_part[paths[2]])}"]
    assert report.line() == f"published-fused: 2 of 3 files present in {root}, 1 verified"
