"""`fusion-bench fuse --method mgdn-mff` end to end on a real Lytro crop, with the shared weights (no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fusion_bench.cli.main import main
from fusion_bench.io.images import read_image, write_png
from fusion_bench.models.registry import create_method

pytestmark = pytest.mark.realdata


@pytest.fixture
def crop_pair(data_root: Path, tmp_path: Path) -> list[Path]:
    paths = []
    for side in "AB":
        image = read_image(data_root / "Lytro" / side / "lytro_01.jpg", channels="rgb").tensor
        path = tmp_path / f"{side}.png"
        write_png(image[:, :, 100:161, 200:271], path)  # 61×71: not a multiple of the window
        paths.append(path)
    return paths


def test_fuse_command_writes_the_fused_crop(local_weights: Path, crop_pair: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "fused.png"
    assert main(["fuse", "--method", "mgdn-mff", "--a", str(crop_pair[0]), "--b", str(crop_pair[1]),
                 "--out", str(out)]) == 0
    written = read_image(out, channels="rgb").tensor
    sources = [read_image(path, channels="rgb").tensor for path in crop_pair]
    expected = create_method("mgdn-mff").fuse(sources)
    assert written.shape == (1, 3, 61, 71)
    assert (written - expected).abs().max() <= 0.5 / 255 + 1e-6  # 8-bit rounding only


def test_fuse_command_with_weights_and_tile(local_weights: Path, crop_pair: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "tiled.png"
    weights = local_weights / "MGDN" / "MFF" / "62000_E.pth"
    assert main(["fuse", "--method", "mgdn-mff", "--a", str(crop_pair[0]), "--b", str(crop_pair[1]),
                 "--out", str(out), "--weights", str(weights), "--tile", "40"]) == 0
    tiled = read_image(out, channels="rgb").tensor
    full = create_method("mgdn-mff", weights_path=str(weights)).fuse([read_image(p, channels="rgb").tensor
                                                                      for p in crop_pair])
    assert tiled.shape == full.shape
    # An approximation of the full-image output (global cross attention sees one tile), not a different image.
    assert 0 < float(np.abs((tiled - full).numpy()).mean()) < 0.01


def test_bad_tile_is_one_error_line(local_weights: Path, crop_pair: list[Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    code = main(["fuse", "--method", "mgdn-mff", "--a", str(crop_pair[0]), "--b", str(crop_pair[1]),
                 "--out", str(tmp_path / "x.png"), "--tile", "8"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mgdn-mff: tile=8" in err[0] and "must be an integer ≥ 32" in err[0]
