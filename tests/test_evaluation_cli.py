"""`fusion-bench evaluate` and `fusion-bench leaderboard` on a tiny copy of the Lytro layout: JSON summary,
resume, usage errors (exit 2, one `error:` line)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from fusion_bench.cli.arguments import apply_config, device_choice
from fusion_bench.cli.main import main
from fusion_bench.evaluation.runner import Devices
from toy_catalogue import without_checksums, write_toy_lytro


@pytest.fixture
def tiny_lytro(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_toy_lytro(tmp_path / "data", torch.Generator().manual_seed(3))
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


def test_evaluate_reads_a_run_file_and_flags_win(tiny_lytro: Path, capsys: pytest.CaptureFixture):
    """`--config`: methods, datasets, metrics and the trainer's placement from the file; a flag overrides."""
    config = tiny_lytro / "run.yaml"
    config.write_text("methods: [average]\ndatasets: [Lytro]\nmetrics: [Qabf]\n"
                      "trainer: {accelerator: cpu, devices: 1, num_nodes: 1}\n")
    out = tiny_lytro / "results"
    assert main(["evaluate", "--config", str(config), "--out", str(out), "--json", "--no-wandb"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["computed"] == 20 and first["already_present"] == 0
    assert main(["evaluate", "--config", str(config), "--metrics", "EN", "--out", str(out), "--json",
                 "--no-wandb"]) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 20  # EN, the flag's, not the file's Qabf
    rows = pd.read_csv(out / "results.csv")
    assert sorted(set(rows["metric"])) == ["EN", "Qabf"] and set(rows["method"]) == {"average"}


def test_a_run_files_keys_fill_only_what_the_command_line_leaves_unset(tmp_path: Path):
    config = tmp_path / "run.yaml"
    config.write_text("methods: all\ndatasets: [MEFB, SICE]\nstorage: lossless\n"
                      "trainer: {accelerator: gpu, devices: 8, num_nodes: 4}\n")
    args = argparse.Namespace(config=config, methods=None, datasets="Lytro", metrics=None, storage=None,
                              convention=None, published=None, accelerator=None, devices=2, num_nodes=None)
    apply_config(args)
    assert (args.methods, args.datasets, args.storage) == ("all", "Lytro", "lossless")
    assert device_choice(args) == Devices("gpu", 2, 4)
    assert device_choice(argparse.Namespace(accelerator=None, devices=None, num_nodes=None)) == Devices("auto", None, 1)


@pytest.mark.parametrize("text, command, code, message", [
    ("trainer: {gpus: 8}\n", "evaluate", 1, "invalid key or value 'trainer.gpus'"),
    ("trainer: {devices: 0}\n", "evaluate", 1, "trainer.devices must be 'auto' or a whole number of at least 1"),
    ("trainer: {accelerator: tpu}\n", "evaluate", 2, "trainer.accelerator 'tpu': expected one of"),
    ("methods: 3\n", "evaluate", 1, "methods must be 'all' or a list of method names"),
    ("storage: webp\n", "evaluate", 2, "storage 'webp': expected one of"),
    ("datasets: [Lytro]\n", "evaluate", 2, "--methods required"),
    ("convention: gray\n", "reproduce", 2, "convention cannot be set for this command"),
    ("[1, 2]\n", "evaluate", 1, "a config file must be a mapping of keys"),
])
def test_a_bad_run_file_is_one_error_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture, text: str,
                                                    command: str, code: int, message: str):
    config = tmp_path / "run.yaml"
    config.write_text(text)
    assert main([command, "--config", str(config), "--no-wandb"]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert str(config) in err[0] or "--methods" in err[0]
