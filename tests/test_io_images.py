"""Image I/O: every format the benchmarks use, bit depths, grey vs RGB, EXIF orientation, PNG round trips."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from fusion_bench.errors import ImageFormatError, ImageReadError
from fusion_bench.io.images import read_image, to_uint8, write_png

RNG = np.random.default_rng(0)
RGB8 = RNG.integers(0, 256, size=(12, 17, 3), dtype=np.uint8)
GREY8 = RNG.integers(0, 256, size=(12, 17), dtype=np.uint8)
RGB16 = RNG.integers(0, 65536, size=(12, 17, 3), dtype=np.uint16)
GREY16 = RNG.integers(0, 65536, size=(12, 17), dtype=np.uint16)


def _as_tensor(array: np.ndarray, scale: float) -> torch.Tensor:
    data = torch.from_numpy(array.astype(np.float32) / scale)
    return data[None, None] if data.ndim == 2 else data.permute(2, 0, 1)[None]


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif"])
def test_lossless_8bit_formats_rgb_and_grey(tmp_path: Path, suffix: str) -> None:
    for array, kind in ((RGB8, "rgb"), (GREY8, "gray")):
        path = tmp_path / f"{kind}{suffix}"
        if suffix == ".tif":
            tifffile.imwrite(path, array, photometric="rgb" if array.ndim == 3 else "minisblack")
        else:
            Image.fromarray(array).save(path)
        image = read_image(path)
        assert image.bit_depth == 8 and image.channels == kind
        assert image.tensor.dtype == torch.float32 and image.tensor.shape == (1, 3 if kind == "rgb" else 1, 12, 17)
        assert torch.equal(image.tensor, _as_tensor(array, 255.0))


def test_jpeg_decodes_as_pillow_does(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    Image.fromarray(RGB8).save(path, quality=90)
    image = read_image(path, "rgb")
    assert torch.equal(image.tensor, _as_tensor(np.asarray(Image.open(path)), 255.0))
    assert image.bit_depth == 8


def test_16bit_tiff_and_png_are_scaled_by_65535(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "rgb16.tif", RGB16, photometric="rgb")
    tifffile.imwrite(tmp_path / "grey16.tif", GREY16, photometric="minisblack")
    cv2.imwrite(str(tmp_path / "rgb16.png"), np.ascontiguousarray(RGB16[..., ::-1]))  # OpenCV writes BGR
    Image.fromarray(GREY16).save(tmp_path / "grey16.png")
    for name, array in (("rgb16.tif", RGB16), ("grey16.tif", GREY16), ("rgb16.png", RGB16), ("grey16.png", GREY16)):
        image = read_image(tmp_path / name)
        assert image.bit_depth == 16, name
        assert torch.equal(image.tensor, _as_tensor(array, 65535.0)), name
    assert read_image(tmp_path / "rgb16.png").tensor.max() > 255 / 255.0 * 0.99  # not divided by 255 then clipped


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    array = np.zeros((4, 6, 3), dtype=np.uint8)
    array[0, 0] = 255  # top-left marker
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    image.save(tmp_path / "rot.png", exif=exif.tobytes())
    loaded = read_image(tmp_path / "rot.png")
    assert loaded.size == (6, 4)
    assert loaded.tensor[0, 0, 0, -1] == 1.0  # top-left moved to top-right
    tifffile.imwrite(tmp_path / "rot.tif", array, photometric="rgb", extratags=[(274, 3, 1, 6, True)])
    assert torch.equal(read_image(tmp_path / "rot.tif").tensor, loaded.tensor)
    deep = Image.fromarray(array[..., 0].astype(np.uint16) * 257)  # 16-bit grey PNG
    deep.save(tmp_path / "rot16.png", exif=exif.tobytes())
    loaded16 = read_image(tmp_path / "rot16.png")
    assert loaded16.bit_depth == 16 and torch.equal(loaded16.tensor, loaded.tensor[:, :1])


def test_grey_where_rgb_is_required_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "grey.png"
    Image.fromarray(GREY8).save(path)
    with pytest.raises(ImageFormatError, match=r"grey\.png: a gray image where rgb is required"):
        read_image(path, "rgb")
    with pytest.raises(ImageFormatError, match="rgb image where gray is required"):
        Image.fromarray(RGB8).save(tmp_path / "rgb.png")
        read_image(tmp_path / "rgb.png", "gray")


def test_missing_unreadable_and_truncated_files(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="nope.png: no such file"):
        read_image(tmp_path / "nope.png")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ImageReadError, match="text.png: unreadable"):
        read_image(tmp_path / "text.png")
    for suffix, save in ((".jpg", lambda p: Image.fromarray(RGB8).save(p)),
                         (".png", lambda p: Image.fromarray(RGB8).save(p)),
                         (".tif", lambda p: tifffile.imwrite(p, RGB16, photometric="rgb")),
                         (".png", lambda p: cv2.imwrite(str(p), RGB16))):
        full = tmp_path / f"full{suffix}"
        save(full)
        cut = tmp_path / f"cut{suffix}"
        cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
        with pytest.raises(ImageReadError, match="cut"):
            read_image(cut)


@pytest.mark.parametrize("bit_depth", [8, 16])
@pytest.mark.parametrize("channels", [1, 3])
def test_write_png_round_trip(tmp_path: Path, bit_depth: int, channels: int) -> None:
    scale = 255.0 if bit_depth == 8 else 65535.0
    array = (RGB16 if channels == 3 else GREY16) if bit_depth == 16 else (RGB8 if channels == 3 else GREY8)
    tensor = _as_tensor(array, scale)
    path = write_png(tensor, tmp_path / "sub" / "out.png", bit_depth=bit_depth)
    loaded = read_image(path)
    assert loaded.bit_depth == bit_depth
    assert torch.equal(loaded.tensor, tensor)
    assert not [p for p in path.parent.iterdir() if p.name != "out.png"]  # no temp files left


def test_write_png_rounds_clips_and_refuses_nan(tmp_path: Path) -> None:
    values = torch.tensor([[[[-0.2, 0.5 / 255, 1.5 / 255, 1.3]]]])
    assert to_uint8(values).tolist() == [[0, 1, 2, 255]]
    with pytest.raises(ImageFormatError, match="NaN"):
        write_png(torch.full((1, 1, 2, 2), float("nan")), tmp_path / "nan.png")
    with pytest.raises(ImageFormatError, match="bit_depth"):
        write_png(torch.zeros(1, 1, 2, 2), tmp_path / "x.png", bit_depth=12)


def _png16_grey_alpha(path: Path, grey: np.ndarray) -> None:
    """A 16-bit grey+alpha PNG written chunk by chunk (neither Pillow nor OpenCV writes this type)."""
    import struct
    import zlib

    height, width = grey.shape
    rows = np.stack([grey, np.full_like(grey, 65535)], axis=-1).astype(">u2")
    raw = b"".join(b"\x00" + rows[i].tobytes() for i in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 4, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def test_16bit_png_with_alpha_keeps_depth_and_drops_alpha(tmp_path: Path) -> None:
    _png16_grey_alpha(tmp_path / "ga16.png", GREY16)
    image = read_image(tmp_path / "ga16.png")
    assert (image.bit_depth, image.channels) == (16, "gray")
    assert torch.equal(image.tensor, _as_tensor(GREY16, 65535.0))
    bgra = np.concatenate([RGB16[..., ::-1], np.full_like(RGB16[..., :1], 65535)], axis=-1)
    cv2.imwrite(str(tmp_path / "rgba16.png"), np.ascontiguousarray(bgra))
    image = read_image(tmp_path / "rgba16.png", "rgb")
    assert image.bit_depth == 16 and torch.equal(image.tensor, _as_tensor(RGB16, 65535.0))
