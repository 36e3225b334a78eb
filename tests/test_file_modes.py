"""Issue 18, defect 6: files written atomically get the umask's mode (0666 & ~umask), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from fusion_bench.data.splits import load_or_create_split
from fusion_bench.results.store import atomic_write_text
from fusion_bench.io.atomic import atomic_write, current_umask
from fusion_bench.io.images import write_png


@pytest.fixture(params=[0o022, 0o002, 0o077])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_current_umask_reads_without_changing(umask: int) -> None:
    assert current_umask() == umask
    assert current_umask() == umask


def test_results_text_and_png_get_the_umask_mode(tmp_path: Path, umask: int) -> None:
    expected = 0o666 & ~umask
    assert _mode(atomic_write_text(tmp_path / "parts" / "a.csv", "x\n")) == expected
    assert _mode(write_png(torch.rand(1, 3, 4, 5), tmp_path / "fused.png")) == expected
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.csv", "fused.png", "parts"]  # no temporary left


def test_split_file_gets_the_umask_mode(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "splits" / "toy.json"
    load_or_create_split(path, "toy", [f"p{i}" for i in range(10)], 0.2, 0)
    assert _mode(path) == 0o666 & ~umask


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = atomic_write_text(tmp_path / "page.md", "old")

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["page.md"]


def test_replacing_a_directory_names_the_target(tmp_path: Path) -> None:
    (tmp_path / "out.png").mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        write_png(torch.rand(1, 1, 4, 4), tmp_path / "out.png")
    assert caught.value.filename == str(tmp_path / "out.png")
