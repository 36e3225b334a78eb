"""`fusion-bench metrics`: JSON and text output on a reference image, conventions, all 20 names, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.io.images import read_image, write_png
from fusion_bench.metrics.registry import get_metric, mefb_metric_names

MINE = ["EN", "SF", "SD", "AG", "EI", "CE", "NMI", "PSNR", "QNCIE", "TE"]


pytestmark = pytest.mark.usefixtures("one_thread")


def _lytro_paths(data_root: Path, reference_root: Path, image: str) -> list[str]:
    return ["--a", str(data_root / "Lytro" / "A" / f"{image}.jpg"), "--b", str(data_root / "Lytro" / "B" / f"{image}.jpg"),
            "--fused", str(reference_root / "metrics" / "lytro_fused" / f"{image}.png")]


def test_json_matches_mefb_reference(data_root: Path, reference_root: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["metrics", *_lytro_paths(data_root, reference_root, "lytro_02"), "--metrics", ",".join(MINE),
                 "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["convention"] == "mefb" and list(payload["metrics"]) == MINE
    with open(reference_root / "metrics" / "lytro_octave.csv", newline="") as handle:
        reference = {row["metric"]: float(row["value"]) for row in csv.DictReader(handle) if row["image"] == "lytro_02"}
    for name in MINE:
        expected = reference[get_metric(name).mefb_name]
        assert payload["metrics"][name] == pytest.approx(expected, rel=1e-6)


def test_gray_convention_and_mefb_names(data_root: Path, reference_root: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    code = main(["metrics", *_lytro_paths(data_root, reference_root, "lytro_01"), "--metrics",
                 "Entropy,sd,Spatial_frequency", "--convention", "gray"])
    assert code == 0
    out = capsys.readouterr().out
    assert "gray convention" in out
    # shared/reference/metrics/gray_convention.csv: lytro_01 EN 6.99426497, SD 38.69958492, SF 14.23273115.
    assert "EN  6.99426497" in out and "SD  38.69958492" in out and "SF  14.23273115" in out


def test_default_is_mefb_twenty_on_a_small_image(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    generator = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 70, 70, generator=generator), 7, stride=1)
    a, b = smooth, torch.flip(smooth, dims=(-1,))
    paths = {}
    for name, image in {"a": a, "b": b, "f": (a + b) / 2}.items():
        paths[name] = write_png(image, tmp_path / f"{name}.png")
    code = main(["metrics", "--a", str(paths["a"]), "--b", str(paths["b"]), "--fused", str(paths["f"]), "--json"])
    assert code == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert list(metrics) == mefb_metric_names() and len(metrics) == 20
    sources = [read_image(paths["a"]).tensor, read_image(paths["b"]).tensor]
    fused = read_image(paths["f"]).tensor
    assert metrics["EN"] == get_metric("EN").function(sources, fused).item()


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    grey = write_png(torch.full((1, 1, 16, 16), 0.5), tmp_path / "grey.png")
    rgb = write_png(torch.rand(1, 3, 16, 16), tmp_path / "rgb.png")
    small = write_png(torch.rand(1, 3, 8, 16), tmp_path / "small.png")
    assert main(["metrics", "--a", str(rgb), "--b", str(rgb), "--fused", str(grey), "--metrics", "EN"]) == 1
    assert "grey but the sources are RGB" in capsys.readouterr().err
    assert main(["metrics", "--a", str(rgb), "--b", str(rgb), "--fused", str(small), "--metrics", "EN"]) == 1
    assert "shape" in capsys.readouterr().err
    assert main(["metrics", "--a", str(rgb), "--b", str(rgb), "--fused", str(rgb), "--metrics", "XX"]) == 1
    assert "unknown metric 'XX'" in capsys.readouterr().err
    assert main(["metrics", "--a", str(tmp_path / "missing.png"), "--b", str(rgb), "--fused", str(rgb)]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["metrics", "--a", str(rgb), "--b", str(rgb), "--fused", str(rgb), "--convention", "y"]) == 2
