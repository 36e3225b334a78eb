"""Issue 18, defect 1: `fusion-bench leaderboard` never writes over the committed leaderboard/ by default,
and refuses a (near-)empty results folder unless --force."""

from __future__ import annotations

from pathlib import Path

import pytest

import fusion_bench.leaderboard.build as build
from fusion_bench.cli.leaderboard import MIN_IMAGES
from fusion_bench.cli.main import main
from fusion_bench.results.store import atomic_write_text, rows_to_csv


def _results(root: Path, images: int) -> Path:
    rows = [{"method": "average", "dataset": "Lytro", "image": f"lytro_{index:02d}", "metric": "EN",
             "convention": "mefb", "value": 7.0, "config_hash": "abc", "code_version": "v", "provenance": "run here",
             "error": ""} for index in range(images)]
    atomic_write_text(root / "imported" / "rows.csv", rows_to_csv(rows))
    return root


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, Path]]:
    """Calls of the leaderboard writer: (rows, output folder); nothing is written."""
    calls: list[tuple[int, Path]] = []
    monkeypatch.setattr(build, "write_leaderboard",
                        lambda results, out, note="", validation=None: calls.append((len(results), out)) or [out / "README.md"])
    return calls


def test_default_output_is_under_fusion_bench_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   recorded: list) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("FUSION_BENCH_HOME", str(home))
    _results(home / "results", MIN_IMAGES)
    committed = tmp_path / "checkout" / "leaderboard"
    committed.mkdir(parents=True)
    monkeypatch.chdir(committed.parent)
    assert main(["leaderboard"]) == 0
    assert recorded == [(MIN_IMAGES, home / "leaderboard")]
    assert main(["leaderboard", "--out", "leaderboard"]) == 0  # the committed folder only when named
    assert recorded[-1] == (MIN_IMAGES, Path("leaderboard"))


@pytest.mark.parametrize("images", [0, 3])
def test_near_empty_results_are_refused_unless_forced(tmp_path: Path, images: int, recorded: list,
                                                      capsys: pytest.CaptureFixture) -> None:
    results = tmp_path / "results"
    results.mkdir()
    if images:
        _results(results, images)
    argv = ["leaderboard", "--results", str(results), "--out", str(tmp_path / "lb")]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert f"{images} result rows, {images} scored images" in err[0] and "--force" in err[0]
    assert recorded == []
    assert main(argv + ["--force"]) == 0
    assert recorded == [(images, tmp_path / "lb")]
