"""Where an evaluation runs: the Lightning Trainer arguments built from --accelerator/--devices/--num-nodes
(`runner.trainer_arguments`), on the CPU, under a launcher and in a notebook."""

from __future__ import annotations

import sys

import pytest

from fusion_bench.errors import UsageProblem
from fusion_bench.evaluation.runner import Devices, default_processes, trainer_arguments


@pytest.fixture(autouse=True)
def script(monkeypatch: pytest.MonkeyPatch) -> None:
    """A script run, no launcher: no WORLD_SIZE, not interactive (pytest's own state does not leak in)."""
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delattr(sys, "ps1", raising=False)


def test_cpu_default_is_a_process_per_core_sharing_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fusion_bench.evaluation.runner.default_processes", lambda: 4)
    arguments, threads = trainer_arguments(Devices("cpu"))
    assert arguments == {"accelerator": "cpu", "devices": 4, "num_nodes": 1, "strategy": "ddp"} and threads == 1
    arguments, threads = trainer_arguments(Devices("cpu", 2))
    assert arguments["strategy"] == "ddp" and threads == 2  # two processes share four cores
    arguments, threads = trainer_arguments(Devices("cpu", 1))
    assert arguments["strategy"] == "auto" and threads is None


def test_gpus_default_to_all_and_nodes_make_it_distributed() -> None:
    arguments, threads = trainer_arguments(Devices("gpu", None, 4))
    assert arguments == {"accelerator": "gpu", "devices": "auto", "num_nodes": 4, "strategy": "ddp"}
    assert threads is None


def test_under_a_launcher_the_ranks_are_the_launchers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)  # even from an interactive shell
    arguments, _ = trainer_arguments(Devices("cpu", 1))
    assert arguments["strategy"] == "ddp"


def test_in_a_notebook_one_process_by_default_and_more_are_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    assert default_processes() >= 1
    arguments, threads = trainer_arguments(Devices("cpu"))
    assert arguments["devices"] == 1 and arguments["strategy"] == "auto" and threads is None
    arguments, _ = trainer_arguments(Devices("cpu", 2))
    assert arguments["strategy"] == "ddp_notebook"


@pytest.mark.parametrize("where, text", [
    (Devices("tpu"), "accelerator 'tpu': expected one of"),
    (Devices("cpu", 0), "need at least 1 of each"),
    (Devices("cpu", 1, 0), "need at least 1 of each"),
])
def test_bad_placements_are_usage_problems(where: Devices, text: str) -> None:
    with pytest.raises(UsageProblem, match=text):
        trainer_arguments(where)
