"""`fusion-bench fuse --out` writes the format its suffix names (issue 18 item 7: `.jpg` used to get PNG
bytes): `.jpg` as MATLAB imwrite writes JPEG by default (quality 75, 4:2:0), `.tif` a lossless TIFF,
`.png` PNG; any other suffix is refused with one `error:` line before any work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, JpegImagePlugin

from fusion_bench.cli.main import main
from fusion_bench.io.images import read_image, write_png


@pytest.fixture
def sources(tmp_path: Path) -> list[str]:
    generator = torch.Generator().manual_seed(3)
    return [str(write_png(torch.rand(1, 3, 24, 32, generator=generator), tmp_path / f"{side}.png")) for side in "AB"]


def _fuse(sources: list[str], out: Path, *extra: str) -> int:
    return main(["fuse", "--method", "average", "--a", sources[0], "--b", sources[1], "--out", str(out), *extra])


@pytest.mark.parametrize("name", ["fused.jpg", "fused.JPEG"])
def test_jpg_suffix_writes_imwrite_jpeg(sources: list[str], tmp_path: Path, name: str):
    out = tmp_path / name
    assert _fuse(sources, out) == 0
    assert out.read_bytes()[:3] == b"\xff\xd8\xff"
    with Image.open(out) as image:
        assert image.format == "JPEG" and JpegImagePlugin.get_sampling(image) == 2  # 4:2:0
        assert list(image.quantization[0])[:8] == [8, 6, 5, 8, 12, 20, 26, 31]  # quality 75


@pytest.mark.parametrize("bits", ["8", "16"])
def test_tif_suffix_writes_lossless_tiff(sources: list[str], tmp_path: Path, bits: str):
    tiff, png = tmp_path / "fused.tif", tmp_path / "fused.png"
    assert _fuse(sources, tiff, "--bit-depth", bits) == 0 and _fuse(sources, png, "--bit-depth", bits) == 0
    assert tiff.read_bytes()[:4] in (b"II*\x00", b"MM\x00*")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    as_tiff, as_png = read_image(tiff), read_image(png)
    assert as_tiff.bit_depth == as_png.bit_depth == int(bits)
    assert np.array_equal(as_tiff.tensor.numpy(), as_png.tensor.numpy())


@pytest.mark.parametrize("name, extra", [("fused.bmp", ()), ("fused", ()), ("fused.jpg", ("--bit-depth", "16"))])
def test_other_outputs_are_refused_in_one_line(sources: list[str], tmp_path: Path, capsys: pytest.CaptureFixture,
                                               name: str, extra: tuple[str, ...]):
    out = tmp_path / name
    assert _fuse(sources, out, *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1 and str(out) in err
    assert not out.exists()
