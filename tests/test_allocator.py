"""The evaluation workers' allocator settings: they take effect on glibc and change no value."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from fusion_bench.evaluation import loop
from fusion_bench.evaluation.allocator import keep_freed_memory

_SCORE = """
import sys, torch
from fusion_bench.evaluation.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
g = torch.Generator().manual_seed(0)
a, b = (torch.rand(1, 3, 384, 448, generator=g) for _ in range(2))  # maps above the mmap threshold
fused = torch.round((a + b) / 2 * 255) / 255
from fusion_bench.metrics.registry import compute_metrics, mefb_metric_names
values = compute_metrics([a, b], fused, mefb_metric_names())
print(repr({name: float(v) for name, v in sorted(values.items())}))
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_settings_take_effect_on_glibc() -> None:
    assert keep_freed_memory()


def test_metric_values_identical_with_and_without() -> None:
    outputs = [subprocess.run([sys.executable, "-c", _SCORE, mode], capture_output=True, text=True, check=True,
                              timeout=600).stdout for mode in ("default", "keep")]
    assert outputs[0] == outputs[1] and outputs[0].startswith("{'AG'")


def test_every_process_of_the_loop_uses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """`EvaluationModule.setup` runs in each process of a run (DDP ranks included)."""
    calls: list[str] = []
    monkeypatch.setattr(loop, "limit_threads", lambda threads: calls.append(f"threads {threads}"))
    monkeypatch.setattr(loop, "keep_freed_memory", lambda: calls.append("allocator") or True)
    loop.EvaluationModule(threads=1).setup("predict")
    assert calls == ["threads 1", "allocator"]
