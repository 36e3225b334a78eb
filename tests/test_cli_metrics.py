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
from reference_images import printed_unit

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
    # Within one unit of the references' 10th printed digit (was 1e-6 relative); measured ≤ 0.5 of it.
    failed = [f"{name}: {payload['metrics'][name]!r}, MEFB's code {expected!r}" for name, expected in
              ((name, reference[get_metric(name).mefb_name]) for name in MINE)
              if abs(payload["metrics"][name] - expected) > printed_unit(expected)]
    assert not failed, failed


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


def _error(capsys: pytest.CaptureFixture, *arguments: str | Path) -> tuple[int, str]:
    """(exit code, stderr) of `fusion-bench metrics ARGUMENTS`; stdout must stay empty."""
    code = main(["metrics", *map(str, arguments)])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


def test_errors_are_one_line_naming_the_file_or_argument_and_the_problem(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    grey = write_png(torch.full((1, 1, 50, 50), 0.5), tmp_path / "grey.png")
    rgb = write_png(torch.rand(1, 3, 50, 50), tmp_path / "rgb.png")
    small = write_png(torch.rand(1, 3, 8, 16), tmp_path / "small.png")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(rgb.read_bytes()[:60])
    missing = tmp_path / "missing.png"

    assert _error(capsys, "--a", missing, "--b", rgb, "--fused", rgb) == (1, f"error: {missing}: no such file\n")
    assert _error(capsys, "--a", rgb, "--b", rgb, "--fused", tmp_path) == (
        1, f"error: {tmp_path}: is a directory, not a file\n")
    code, err = _error(capsys, "--a", rgb, "--b", truncated, "--fused", rgb)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"error: {truncated}: unreadable or truncated image (")
    # the sizes and channels of images that were read: the message names the files and the problem
    assert _error(capsys, "--a", rgb, "--b", rgb, "--fused", grey, "--metrics", "EN") == (
        1, f"error: EN: the fused image is grey but the sources are RGB; fuse in RGB or convert the sources to grey "
           f"(sources {rgb}, {rgb}; fused {grey})\n")
    assert _error(capsys, "--a", rgb, "--b", rgb, "--fused", small, "--metrics", "EN") == (
        1, f"error: metrics: {rgb} is 50x50 but {small} is 8x16 (H x W); the images of a pair must have the same "
           f"size\n")
    assert _error(capsys, "--a", small, "--b", small, "--fused", small, "--metrics", "EN,MEF-SSIM") == (
        1, f"error: images of 16x8 px are too small for MEF-SSIM (at least 44x44); leave it out with --metrics "
           f"(sources {small}, {small}; fused {small})\n")
    code, err = _error(capsys, "--a", rgb, "--b", rgb, "--fused", rgb, "--metrics", "XX")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: unknown metric 'XX'; known metrics: EN, SF, SD,")
    assert _error(capsys, "--a", rgb, "--b", rgb, "--fused", rgb, "--metrics", " , ") == (
        2, "error: --metrics: no metric names given\n")
    assert _error(capsys, "--a", rgb, "--b", rgb, "--fused", rgb, "--convention", "y") == (
        2, "error: fusion-bench metrics: argument --convention: invalid choice: 'y' (choose from 'mefb', 'gray')\n")
