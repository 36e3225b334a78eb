"""Where an evaluation runs: the Lightning Trainer arguments built from --accelerator/--devices/--num-nodes
(`runner.trainer_arguments`), on the CPU, under a launcher and in a notebook; and the one line a rank's death
leaves on stderr (`loop.RankDeathNotice`)."""

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


@pytest.mark.parametrize("code, said", [
    (-9, "error: a process of this run (PID 4242) ended with code -9 (killed by SIGKILL, e.g. for memory); "
         "Lightning stops the others; the items finished are kept and a re-run computes the rest"),
    (1, "error: a process of this run (PID 4242) ended with code 1; Lightning stops the others; the items "
        "finished are kept and a re-run computes the rest"),
    (130, None),  # Ctrl-C: the main process says "error: interrupted" itself
])
def test_lightnings_note_of_a_dead_rank_becomes_one_error_line(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture, code: int,
                                                              said: str | None) -> None:
    import logging
    import threading

    from fusion_bench.evaluation import loop

    monkeypatch.setattr(loop, "_REPORTED", threading.Event())
    message = (f"[rank: 1] Child process with PID 4242 terminated with code {code}. Forcefully terminating all "
               "other processes to avoid zombies 🧟")
    record = logging.LogRecord(loop.RANK_OBSERVER_LOGGER, logging.INFO, __file__, 1, message, None, None)
    notice = loop.RankDeathNotice()
    notice.emit(record)
    notice.emit(record)  # said once
    notice.emit(logging.LogRecord(loop.RANK_OBSERVER_LOGGER, logging.INFO, __file__, 1, "other note", None, None))
    assert capsys.readouterr().err.splitlines() == ([said] if said else [])


def test_no_second_line_when_the_run_reported_the_loss_itself(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture) -> None:
    import logging
    import threading

    from fusion_bench.evaluation import loop

    monkeypatch.setattr(loop, "_REPORTED", threading.Event())
    assert loop.rank_death_reported() is False and loop.rank_death_reported() is True  # first caller, then not
    loop.RankDeathNotice().emit(logging.LogRecord(
        loop.RANK_OBSERVER_LOGGER, logging.INFO, __file__, 1,
        "Child process with PID 1 terminated with code -9. Forcefully terminating", None, None))
    assert capsys.readouterr().err == ""
