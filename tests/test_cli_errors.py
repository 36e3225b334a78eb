"""Issue 18, defect 5 (and 9's start-up time): every user-facing path ends in one `error:` line or, for a
closed pipe, quietly; `--help` loads no torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fusion_bench.cli.main import COMMANDS, command_name, main
from fusion_bench.io.images import write_png

pytestmark = pytest.mark.usefixtures("one_thread")


def _one_error_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.fixture
def pair(tmp_path: Path) -> list[str]:
    return [str(write_png(torch.rand(1, 3, 12, 12), tmp_path / f"{side}.png")) for side in ("a", "b")]


def test_fuse_out_naming_a_directory(tmp_path: Path, pair: list[str], capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "out.png").mkdir()
    assert main(["fuse", "--method", "average", "--a", pair[0], "--b", pair[1], "--out", str(tmp_path / "out.png")]) in (1, 2)
    line = _one_error_line(capsys)
    assert str(tmp_path / "out.png") in line and "directory" in line.lower()


def test_directory_given_as_a_source(tmp_path: Path, pair: list[str], capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    assert main(["metrics", "--a", str(folder), "--b", pair[1], "--fused", pair[0], "--metrics", "EN"]) == 1
    line = _one_error_line(capsys)
    assert f"{folder}: is a directory" in line and "no such file" not in line


def test_os_errors_are_one_line_naming_the_file(tmp_path: Path, pair: list[str], capsys: pytest.CaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import fusion_bench.cli.methods as methods_command

    def denied(args: object) -> int:
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked.csv"))

    monkeypatch.setattr(methods_command, "run", denied)
    assert main(["methods"]) == 1
    assert _one_error_line(capsys) == f"error: {tmp_path / 'locked.csv'}: Permission denied"


@pytest.mark.parametrize("argv", [["methods"], ["data", "list", "--json"]])
def test_closed_pipe_exits_quietly(argv: list[str]) -> None:
    """`fusion-bench methods | head -0`: the reader is gone before the command writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "fusion_bench.cli.main", *argv], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert result.stderr == "" and result.returncode == 141


def test_help_loads_no_torch() -> None:
    probe = ("import sys\nfrom fusion_bench.cli.main import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('torch', 'lightning', 'pandas', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "[]", result.stderr
    assert all(f"    {name}" in result.stdout for name in COMMANDS)


def test_command_name_skips_option_values() -> None:
    assert command_name(["--threads", "2", "fuse", "--method", "data"]) == "fuse"
    assert command_name(["--help"]) is None
    assert command_name(["nosuch", "fuse"]) is None


def test_other_fusion_bench_distribution_is_one_warning(pair: list[str], capsys: pytest.CaptureFixture,
                                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 18, defect 11: PyPI's `fusion-bench` (FusionBench) provides the same import package."""
    from importlib import metadata

    import fusion_bench.cli.environment as environment

    other = tmp_path / "site-packages" / "fusion_bench-0.2.33.dist-info"
    other.mkdir(parents=True)
    (other / "METADATA").write_text("Metadata-Version: 2.1\nName: fusion-bench\nVersion: 0.2.33\n")
    found = metadata.PathDistribution(other)
    monkeypatch.setattr(environment.metadata, "distribution",
                        lambda name: found if name == "fusion-bench" else metadata.distribution(name))
    assert main(["metrics", "--a", pair[0], "--b", pair[1], "--fused", pair[0], "--metrics", "EN"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("warning: the distribution 'fusion-bench' 0.2.33")
    assert "cannot share an environment with mgdn-fusion-bench" in err[0]
    # metadata of this checkout under its old name (an egg-info left in it) is not the other project
    monkeypatch.setattr(environment, "_CHECKOUT", other.parent.resolve())
    assert environment.conflicting_distribution_warning() is None


def test_directory_given_as_weights(tmp_path: Path, pair: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(["fuse", "--method", "mgdn-mff", "--a", pair[0], "--b", pair[1], "--out", str(tmp_path / "f.png"),
                 "--weights", str(tmp_path)]) == 1
    assert f"{tmp_path}: weight file: is a directory" in _one_error_line(capsys)


@pytest.mark.parametrize("content", [b"x\n", b"\x89PNG\r\n"])
def test_leaderboard_of_a_file_that_is_no_results_table(tmp_path: Path, content: bytes,
                                                        capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "r.csv").write_bytes(content)
    assert main(["leaderboard", "--results", str(tmp_path / "r.csv"), "--out", str(tmp_path / "lb")]) == 2
    assert "not a results folder or results table" in _one_error_line(capsys)
