"""Issue 18, defect 2: the CLI's thread count and OpenMP wait policy (fusion_bench/cli/threads.py).

The speed under load itself is measured by benchmarks/fuse_under_load.py, not asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

import fusion_bench.cli.methods as methods_command
from fusion_bench.cli.main import main
from fusion_bench.cli.threads import choose_threads, free_cpus, idle_cpus


def test_free_cpus_rounds_and_keeps_one() -> None:
    assert free_cpus(2, 1.8) == 2
    assert free_cpus(2, 0.9) == 1
    assert free_cpus(2, 0.0) == 1
    assert free_cpus(4, 2.6) == 3
    assert free_cpus(2, 5.0) == 2


def test_choice_order_flag_then_environment_then_idle_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fusion_bench.cli.threads.default_threads", lambda: 7)
    assert choose_threads(3, {"OMP_NUM_THREADS": "2"}) == 3
    assert choose_threads(None, {"OMP_NUM_THREADS": "2"}) == 2
    assert choose_threads(None, {"OMP_NUM_THREADS": "zero"}) == 7
    assert choose_threads(None, {}) == 7


def test_idle_cpus_is_within_the_cpus() -> None:
    cpus = set(os.sched_getaffinity(0))
    assert 0.0 <= idle_cpus(cpus, 0.02) <= len(cpus)


def _record(seen: dict) -> object:
    def run(args: object) -> int:
        seen.update(policy=os.environ.get("OMP_WAIT_POLICY"), env_threads=os.environ.get("OMP_NUM_THREADS"),
                    torch_threads=torch.get_num_threads())
        return 0
    return run


def test_threads_flag_applies_and_in_process_settings_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    seen: dict = {}
    monkeypatch.setattr(methods_command, "run", _record(seen))
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    assert main(["--threads", str(wanted), "methods"]) == 0
    assert seen == {"policy": "PASSIVE", "env_threads": str(wanted), "torch_threads": wanted}
    assert torch.get_num_threads() == before
    assert "OMP_WAIT_POLICY" not in os.environ and "OMP_NUM_THREADS" not in os.environ


def test_user_wait_policy_and_thread_count_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    seen: dict = {}
    monkeypatch.setattr(methods_command, "run", _record(seen))
    assert main(["methods"]) == 0
    assert seen["policy"] == "ACTIVE" and seen["env_threads"] == "1"


@pytest.mark.parametrize("argv", [["--threads", "0", "methods"], ["--threads", "two", "methods"]])
def test_bad_thread_counts_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "--threads" in err


def test_wait_policy_is_set_before_torch_loads() -> None:
    """libgomp reads OMP_WAIT_POLICY once, when torch is loaded: record it at that moment."""
    probe = textwrap.dedent("""
        import builtins, os, sys
        real_import = builtins.__import__
        seen = []
        def watching_import(name, *args, **kwargs):
            if name == "torch" and not seen:
                seen.append(os.environ.get("OMP_WAIT_POLICY"))
            return real_import(name, *args, **kwargs)
        builtins.__import__ = watching_import
        from fusion_bench.cli.main import main
        code = main(["methods", "--json"])
        print(seen, file=sys.stderr)
        sys.exit(code)
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "['PASSIVE']"
