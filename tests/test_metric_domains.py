"""Issue 18, defects 5 and 9: each metric's range and minimum image size, declared once in the registry;
`metrics` flags values outside the range and NaNs, and refuses images too small for a metric in one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import fusion_bench.cli.metrics as metrics_command
from fusion_bench.cli.main import main
from fusion_bench.errors import ImageFormatError
from fusion_bench.io.images import read_image, write_png
from fusion_bench.metrics.registry import (DOMAINS, check_image_size, compute_metrics, format_range, list_metrics,
                                           metric_domain, outside_range)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_every_metric_has_one_domain() -> None:
    assert set(DOMAINS) == {spec.name for spec in list_metrics()}
    assert format_range(metric_domain("QC")) == "[0, 1]"
    assert format_range(metric_domain("Entropy")) == "[0, 8]"
    assert format_range(metric_domain("TE")) == "(-inf, inf)"
    assert outside_range("QC", 10.65) and outside_range("QW", -1.5) and not outside_range("QC", 1.0)
    assert not outside_range("PSNR", math.inf) and not outside_range("QC", math.nan)


def _crop(data_root: Path, side: int) -> tuple[list[torch.Tensor], torch.Tensor]:
    a, b = (read_image(data_root / "Lytro" / x / "lytro_01.jpg").tensor[..., 200:200 + side, 200:200 + side]
            for x in ("A", "B"))
    return [a, b], (a + b) / 2


@pytest.mark.realdata
@pytest.mark.parametrize("name", [name for name, domain in DOMAINS.items() if domain.min_side > 1])
def test_minimum_size_is_the_true_minimum(data_root: Path, name: str) -> None:
    """At the declared side the metric gives a finite value on a real crop; one pixel less, it fails or
    gives NaN inside the functional form (the registry's check is what stops it)."""
    side = DOMAINS[name].min_side
    sources, fused = _crop(data_root, side)
    assert math.isfinite(float(compute_metrics(sources, fused, [name])[name][0]))
    sources, fused = _crop(data_root, side - 1)
    spec = next(spec for spec in list_metrics() if spec.name == name)
    try:
        value = float(spec.function(sources, fused)[0])
    except (ImageFormatError, ValueError, RuntimeError):
        return
    assert math.isnan(value)


def test_small_images_are_one_error_line_naming_each_metric(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    paths = [str(write_png(torch.rand(1, 3, 5, 9), tmp_path / f"{name}.png")) for name in ("a", "b", "f")]
    assert main(["metrics", "--a", paths[0], "--b", paths[1], "--fused", paths[2]]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: images of 9x5 px are too small for ")
    for needed in ("QP (at least 6x6)", "QC (at least 7x7)", "VIF (at least 41x41)", "MEF-SSIM (at least 44x44)"):
        assert needed in err[0]
    assert "AG" not in err[0]
    with pytest.raises(ImageFormatError, match=r"FMI \(at least 3x3\)"):
        check_image_size(["EN", "FMI"], 2, 100)


def test_degenerate_content_is_an_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    black = [str(write_png(torch.zeros(1, 3, 16, 16), tmp_path / f"{name}.png")) for name in ("a", "b", "f")]
    assert main(["metrics", "--a", black[0], "--b", black[1], "--fused", black[2], "--metrics", "QCB"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: QCB cannot be computed on these images")


def test_out_of_range_and_nan_are_flagged(tmp_path: Path, capsys: pytest.CaptureFixture,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [str(write_png(torch.rand(1, 3, 16, 16), tmp_path / f"{name}.png")) for name in ("a", "b", "f")]
    values = {"QC": 10.65, "QP": math.nan, "EN": 7.0}
    monkeypatch.setattr(metrics_command, "compute_metrics",
                        lambda sources, fused, names, convention: {n: torch.tensor([values[n]], dtype=torch.float64) for n in names})
    argv = ["metrics", "--a", paths[0], "--b", paths[1], "--fused", paths[2], "--metrics", "QC,QP,EN"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "outside [0, 1], the metric's range" in lines[1] and "QC" in lines[1]
    assert "QP" in lines[2] and "not defined for these images" in lines[2]
    assert lines[3].rstrip().endswith("(higher is better)")
    assert main(argv + ["--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["metrics"] == {"QC": 10.65, "QP": None, "EN": 7.0}
    assert set(payload["notes"]) == {"QC", "QP"} and "outside [0, 1]" in payload["notes"]["QC"]
