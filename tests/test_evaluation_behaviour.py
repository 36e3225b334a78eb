"""What an evaluation does when things go wrong, through `fusion-bench evaluate` and the results store
(`load_results`), so that these tests hold for any engine behind the command: one metric failing on one
image, `--force` retrying it, Ctrl-C and a killed process during a two-process (DDP) run, a fused image deleted
behind the store's back. A tiny copy in RealMFF's layout (20 pairs of 24×24 PNGs with a ground truth; no
checksums are recorded for RealMFF, so any copy is used), real metrics."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.results.store import load_results
from fusion_bench.io.images import read_image, write_png
from fusion_bench.metrics import registry

REPO = Path(__file__).resolve().parent.parent
PROBE = REPO / "tests" / "evaluation_probe.py"
IMAGES = [f"pair_{index:02d}" for index in range(1, 21)]


def _tiny_realmff(root: Path, narrow: str | None = None, flat: str | None = None) -> Path:
    """20 random pairs; the pair `narrow` is 24×20 instead of 24×24, the pair `flat` is mid-grey."""
    generator = torch.Generator().manual_seed(3)
    for name in IMAGES:
        base = torch.rand(1, 3, 24, 20 if name == narrow else 24, generator=generator)
        if name == flat:
            base = torch.full_like(base, 0.5)
        for folder, image in (("imageA", base), ("imageB", base.flip(-1)), ("Fusion", base)):
            write_png(image, root / "RealMFF" / folder / f"{name}.png")
    return root


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _tiny_realmff(tmp_path / "data", narrow="pair_05", flat="pair_09")
    monkeypatch.setenv("FUSION_BENCH_DATA", str(root))
    return root


def _evaluate(out: Path, capsys: pytest.CaptureFixture, *extra: str, metrics: str = "EN,SF") -> dict:
    assert main(["evaluate", "--methods", "average", "--datasets", "RealMFF", "--metrics", metrics, "--out",
                 str(out), "--devices", "1", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _parts(out: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in (out / "parts").rglob("*.csv")}


def _failing_on_narrow_images(sources, fused, convention="mefb"):
    if fused.shape[-1] == 20:
        raise ValueError("no texture to measure")
    return registry.get_metric("EN").function(sources, fused, convention=convention)


def test_one_metric_failing_on_one_image_keeps_every_other_row_and_force_retries_it(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "results"
    sf = registry.get_metric("SF")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._REGISTRY, sf.name, replace(sf, function=_failing_on_narrow_images))
        summary = _evaluate(out, capsys)
    assert summary["computed"] == 20
    [failure] = summary["failed_images"]
    assert (failure["method"], failure["dataset"], failure["image"]) == ("average", "RealMFF", "pair_05")
    assert "SF cannot be computed" in failure["error"] and "no texture to measure" in failure["error"]

    results = load_results(out).set_index(["image", "metric"])
    assert len(results) == 40
    failed = results.loc[("pair_05", "SF")]
    assert math.isnan(failed["value"]) and "SF cannot be computed" in failed["error"] \
        and "no texture to measure" in failed["error"]
    others = results.drop(index=("pair_05", "SF"))
    assert others["value"].notna().all() and (others["error"] == "").all()
    assert others.loc[("pair_05", "EN"), "value"] > 0  # the image's other metric is kept

    # The metric fixed: a plain re-run does not retry a recorded failure (same code, same inputs) ...
    assert _evaluate(out, capsys)["computed"] == 0
    assert math.isnan(load_results(out).set_index(["image", "metric"]).loc[("pair_05", "SF"), "value"])
    # ... --force does, and the image's row now holds the value.
    forced = _evaluate(out, capsys, "--force")
    assert forced["computed"] == 20 and forced["failed_images"] == []
    retried = load_results(out).set_index(["image", "metric"])
    fused = read_image(retried.loc[("pair_05", "SF"), "fused_path"]).tensor
    sources = [read_image(data / "RealMFF" / f"image{side}" / "pair_05.png").tensor for side in "AB"]
    assert retried.loc[("pair_05", "SF"), "error"] == ""
    assert retried.loc[("pair_05", "SF"), "value"] == pytest.approx(sf.function(sources, fused).item(), rel=1e-12)


def test_a_failure_is_reported_in_one_line_naming_the_image_and_the_problem(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sf = registry.get_metric("SF")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._REGISTRY, sf.name, replace(sf, function=_failing_on_narrow_images))
        assert main(["evaluate", "--methods", "average", "--datasets", "RealMFF", "--metrics", "SF", "--out",
                     str(tmp_path / "r"), "--devices", "1", "--no-progress"]) == 0
    failed = [line for line in capsys.readouterr().err.splitlines() if "failed:" in line]
    assert len(failed) == 1
    assert "RealMFF/pair_05" in failed[0] and "SF cannot be computed" in failed[0] and "no texture" in failed[0]


def test_a_deleted_fused_image_is_made_and_scored_again(data: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "results"
    _evaluate(out, capsys)
    before = load_results(out).set_index(["image", "metric"])
    deleted = Path(before.loc[("pair_03", "EN"), "fused_path"])
    deleted.unlink()
    again = _evaluate(out, capsys)
    assert (again["computed"], again["already_present"]) == (1, 19)
    assert deleted.is_file()
    after = load_results(out).set_index(["image", "metric"])
    assert after["value"].equals(before["value"]) and (after["fused_path"] == before["fused_path"]).all()


def _probe(out: Path, extra_env: dict[str, str], **options) -> subprocess.Popen:
    env = {**os.environ, **extra_env}
    command = [sys.executable, str(PROBE), "--threads", "1", "evaluate", "--methods", "average", "--datasets",
               "RealMFF", "--metrics", "EN,SF", "--out", str(out), "--devices", "2", "--no-progress"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)


def _wait_for_parts(out: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300  # generous: a loaded machine takes long to import torch
    while time.monotonic() < deadline and len(list((out / "parts").rglob("*.csv"))) < count:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)


def _rerun_computes_only_the_rest(out: Path, survived: dict[Path, bytes], capsys: pytest.CaptureFixture) -> None:
    summary = _evaluate(out, capsys)
    assert (summary["computed"], summary["already_present"]) == (20 - len(survived), len(survived))
    assert all(path.read_bytes() == content for path, content in survived.items())
    results = load_results(out)
    assert sorted(set(results["image"])) == IMAGES and len(results) == 40 and results["value"].notna().all()


@pytest.mark.slow
def test_ctrl_c_during_a_two_process_run_keeps_what_finished(data: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "results"
    # Started as from a terminal, Ctrl-C at its default action: a shell that runs the tests in the background
    # (`make test &`) leaves SIGINT ignored, and the probe would inherit that and never be interrupted.
    process = _probe(out, {"PROBE_SLEEP": "0.4"}, start_new_session=True,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_parts(out, 3, process)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    _, err = process.communicate(timeout=120)
    assert len(_parts(out)) < 20, "the run finished before Ctrl-C reached it"
    assert process.returncode == 130 and err.strip().splitlines()[-1] == "error: interrupted", err[-2000:]
    survived = _parts(out)
    assert 3 <= len(survived) < 20
    _rerun_computes_only_the_rest(out, survived, capsys)


@pytest.mark.slow
def test_a_killed_rank_stops_the_run_and_a_rerun_computes_only_what_is_missing(data: Path, tmp_path: Path,
                                                                               capsys: pytest.CaptureFixture) -> None:
    """One of two DDP processes killed (as the kernel's OOM killer would) in the middle: Lightning ends the run,
    the items finished by either rank are kept, a re-run computes only the rest."""
    out = tmp_path / "results"
    process = _probe(out, {"PROBE_SLEEP": "0.1", "PROBE_KILL": "1"})
    _, err = process.communicate(timeout=300)
    assert process.returncode != 0
    said = [line for line in err.splitlines() if line.startswith("error:")]
    # Either rank 0 finds the other gone at a collective, or Lightning's observer sees its exit code first.
    assert len(said) == 1 and "the items finished are kept and a re-run computes the rest" in said[0], err[-2000:]
    assert "another process of this run ended" in said[0] or "ended with code -9 (killed by SIGKILL" in said[0]
    survived = _parts(out)
    assert 1 <= len(survived) < 20 and not any(path.stem == "pair_09" for path in survived)
    _rerun_computes_only_the_rest(out, survived, capsys)
