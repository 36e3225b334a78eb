"""`fusion-bench evaluate` and `fusion-bench leaderboard` on a tiny copy of the Lytro layout: JSON summary,
resume, usage errors (exit 2, one `error:` line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.io.images import write_png
from toy_catalogue import without_checksums


@pytest.fixture
def tiny_lytro(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    generator = torch.Generator().manual_seed(3)
    for index in range(1, 21):
        base = torch.rand(1, 3, 24, 24, generator=generator)
        write_png(base, tmp_path / "data" / "Lytro" / "A" / f"lytro_{index:02d}.png")
        write_png(base.flip(-1), tmp_path / "data" / "Lytro" / "B" / f"lytro_{index:02d}.png")
    monkeypatch.setenv("FUSION_BENCH_DATA", str(tmp_path / "data"))
    without_checksums(monkeypatch, "Lytro")  # random images: used as a copy of the layout, not of Lytro's files
    return tmp_path


def test_evaluate_json_resume_and_leaderboard(tiny_lytro: Path, capsys: pytest.CaptureFixture):
    out = tiny_lytro / "results"
    base = ["evaluate", "--methods", "average,mertens", "--datasets", "Lytro", "--metrics", "Qabf", "--out", str(out),
            "--accelerator", "cpu", "--devices", "1", "--json"]
    assert main(base) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["computed"] == 20 and first["already_present"] == 0 and not first["failed_images"]
    # mertens is an MEF method: not run on a multi-focus set, and the summary says why.
    assert first["skipped"] == [{"method": "mertens", "dataset": "Lytro", "reason": "method is for mef, dataset is mff"}]
    assert main(base) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["computed"] == 0 and third["already_present"] == 20
    assert (out / "results.csv").is_file()
    assert main(["leaderboard", "--results", str(out), "--out", str(tiny_lytro / "lb"), "--json"]) == 0
    pages = json.loads(capsys.readouterr().out)
    assert sorted(Path(page).name for page in pages) == ["Lytro.md", "README.md"]
    assert "| average " in (tiny_lytro / "lb" / "Lytro.md").read_text()


@pytest.mark.parametrize("args, code, text", [
    (["--devices", "0"], 2, "--devices: need 'auto' or a whole number of at least 1, got '0'"),
    (["--num-nodes", "0"], 2, "--num-nodes: need a whole number of at least 1, got '0'"),
    (["--accelerator", "tpu"], 2, "--accelerator: invalid choice: 'tpu'"),
    (["--methods", "nope"], 1, "unknown method 'nope'"),
    (["--datasets", "Nope"], 1, "unknown dataset 'Nope'"),
])
def test_evaluate_errors(tiny_lytro: Path, capsys: pytest.CaptureFixture, args: list[str], code: int, text: str):
    argv = ["evaluate", "--methods", "average", "--datasets", "Lytro", "--metrics", "Qabf",
            "--out", str(tiny_lytro / "r"), "--no-progress"]
    for flag, value in zip(args[::2], args[1::2]):
        index = argv.index(flag) if flag in argv else None
        if index is None:
            argv += [flag, value]
        else:
            argv[index + 1] = value
    assert main(argv) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and text in err[0]


def test_leaderboard_without_results(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert main(["leaderboard", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "lb")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path / 'none'}: no results folder")
