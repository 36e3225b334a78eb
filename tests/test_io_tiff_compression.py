"""Compressed TIFFs read like uncompressed ones: none, PackBits, LZW and Deflate (MEFB's published fused images use
all four; LZW and Deflate need the `imagecodecs` codecs), 8- and 16-bit, RGB and grey, plus two of MEFB's own
compressed files compared with Pillow's independent decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from fusion_bench.io.images import read_image

RNG = np.random.default_rng(20)
ARRAYS = {
    "rgb8": RNG.integers(0, 256, size=(19, 23, 3), dtype=np.uint8),
    "grey8": RNG.integers(0, 256, size=(19, 23), dtype=np.uint8),
    "rgb16": RNG.integers(0, 65536, size=(19, 23, 3), dtype=np.uint16),
}
# tifffile's name → the TIFF Compression tag it writes
COMPRESSIONS = {None: 1, "packbits": 32773, "lzw": 5, "zlib": 8}


# PackBits of 16-bit samples is left out: no benchmark writes it
CASES = [(kind, compression) for kind in ARRAYS for compression in COMPRESSIONS
         if not (compression == "packbits" and kind == "rgb16")]


@pytest.mark.parametrize("kind,compression", CASES)
def test_each_compression_decodes_exactly(tmp_path: Path, kind: str, compression: str | None) -> None:
    array = ARRAYS[kind]
    path = tmp_path / f"{kind}-{compression}.tif"
    tifffile.imwrite(path, array, photometric="rgb" if array.ndim == 3 else "minisblack", compression=compression)
    with tifffile.TiffFile(path) as tif:
        assert int(tif.pages[0].compression) == COMPRESSIONS[compression]  # the file really is compressed so
    image = read_image(path)
    scale = 65535.0 if array.dtype == np.uint16 else 255.0
    expected = torch.from_numpy(array.astype(np.float32) / scale)
    expected = expected[None, None] if expected.ndim == 2 else expected.permute(2, 0, 1)[None]
    assert image.bit_depth == (16 if array.dtype == np.uint16 else 8)
    assert torch.equal(image.tensor, expected)


@pytest.mark.realdata
@pytest.mark.parametrize("name,compression", [("507_MEFNet.tif", 8), ("AirBellowsGap_MEFNet.tif", 5)])
def test_mefb_published_compressed_tiffs(data_root: Path, name: str, compression: int) -> None:
    path = data_root / "MEFB" / "output" / "fused_images" / name
    with tifffile.TiffFile(path) as tif:
        assert int(tif.pages[0].compression) == compression  # Deflate, LZW
    image = read_image(path, "rgb")
    expected = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0  # libtiff's decoding
    assert image.tensor.shape == (1, 3, 356, 536)
    assert torch.equal(image.tensor, torch.from_numpy(expected).permute(2, 0, 1)[None])
