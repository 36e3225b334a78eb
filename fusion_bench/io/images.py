"""Read JPEG, PNG, BMP and 8-/16-bit TIFF into float tensors; write 8- or 16-bit PNG.

Decoding: Pillow for everything it decodes at full depth (JPEG, BMP, 8-bit PNG, 16-bit grey PNG),
OpenCV for 16-bit colour and 16-bit grey+alpha PNG (Pillow reduces them to 8 bits), tifffile for
TIFF, uncompressed or compressed (PackBits, LZW, Deflate, ...: the codecs come from `imagecodecs`, a
dependency; 19 of MEFB's published fused TIFFs are LZW or Deflate). Pillow, OpenCV and Octave's `imread` decode the benchmark JPEGs to identical arrays
(shared/reference/metrics/README.md).
EXIF orientation is applied. 16-bit data is scaled by 65535, 8-bit by 255.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from fusion_bench.errors import ImageFormatError, ImageReadError
from fusion_bench.io.atomic import atomic_write
from fusion_bench.io.files import file_problem

Channels = Literal["rgb", "gray"]
SUPPORTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image.

    Attributes:
        tensor: (1, C, H, W) float32 in [0, 1]; C is 3 for colour, 1 for grey.
        bit_depth: 8 or 16, the depth of the stored samples.
        path: the source file.
    """

    tensor: torch.Tensor
    bit_depth: int
    path: Path

    @property
    def channels(self) -> Channels:
        return "rgb" if self.tensor.shape[1] == 3 else "gray"

    @property
    def size(self) -> tuple[int, int]:
        """(H, W)."""
        return int(self.tensor.shape[-2]), int(self.tensor.shape[-1])


def _png_header(path: Path) -> tuple[int, int] | None:
    """(bit depth, colour type) from a PNG's IHDR chunk, or None if the file is not a PNG."""
    with open(path, "rb") as handle:
        head = handle.read(26)
    if len(head) < 26 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return head[24], head[25]


_EXIF_ORIENTATION_TAG = 0x0112


def _apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1–8) to an (H, W[, C]) array, as `ImageOps.exif_transpose` does."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, k=-1),
        7: lambda a: np.rot90(a, k=1)[::-1, :],
        8: lambda a: np.rot90(a, k=1),
    }
    op = ops.get(int(orientation))
    return np.ascontiguousarray(op(array)) if op else array


def _decode_with_pillow(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        image.load()
        image = ImageOps.exif_transpose(image)
        mode = image.mode
        if mode in ("I;16", "I;16B", "I;16L"):
            return np.asarray(image, dtype=np.uint16)
        if mode == "I":  # 16-bit grey PNGs open as 32-bit ints holding 0..65535
            data = np.asarray(image)
            if data.min() < 0 or data.max() > 65535:
                raise ImageFormatError(f"{path}: 32-bit integer samples are not supported; save as 8- or 16-bit")
            return data.astype(np.uint16)
        if mode in ("F",):
            raise ImageFormatError(f"{path}: floating-point images are not supported; save as 8- or 16-bit")
        if mode in ("L", "RGB"):
            return np.asarray(image, dtype=np.uint8)
        if mode in ("1", "P", "LA", "PA", "RGBA", "CMYK", "YCbCr", "LAB", "HSV"):
            has_colour = mode not in ("1", "L", "LA") and not (mode == "P" and _palette_is_grey(image))
            return np.asarray(image.convert("RGB" if has_colour else "L"), dtype=np.uint8)
        raise ImageFormatError(f"{path}: unsupported image mode {mode!r}")


def _palette_is_grey(image: Image.Image) -> bool:
    palette = np.asarray(image.convert("RGB"))
    return bool((palette[..., 0] == palette[..., 1]).all() and (palette[..., 1] == palette[..., 2]).all())


_PNG_GREY_ALPHA = 4


def _decode_png16_with_channels(path: Path, colour_type: int) -> np.ndarray:
    """16-bit colour or grey+alpha PNG (Pillow reduces both to 8 bits) via OpenCV, alpha dropped."""
    import cv2

    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise ImageReadError(f"{path}: unreadable or truncated PNG")
    if data.ndim == 3:
        # OpenCV expands grey+alpha to BGRA with B = G = R
        data = data[..., 0] if colour_type == _PNG_GREY_ALPHA else data[..., :3][..., ::-1]
    with Image.open(path) as image:
        orientation = image.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    return _apply_orientation(np.ascontiguousarray(data), orientation)


def _decode_tiff(path: Path) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            data = page.asarray()
            orientation_tag = page.tags.get("Orientation")
            orientation = int(orientation_tag.value) if orientation_tag is not None else 1
    except (tifffile.TiffFileError, ValueError, OSError, IndexError) as exc:
        raise ImageReadError(f"{path}: unreadable or truncated TIFF ({exc})") from exc
    if data.ndim == 3 and data.shape[0] in (3, 4) and data.shape[-1] not in (3, 4):
        data = np.moveaxis(data, 0, -1)  # planar configuration
    if data.ndim == 3:
        data = data[..., :3]
    if data.dtype not in (np.uint8, np.uint16):
        raise ImageFormatError(f"{path}: TIFF samples of type {data.dtype} are not supported; use 8- or 16-bit")
    return _apply_orientation(data, orientation)


def _decode(path: Path) -> np.ndarray:
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        return _decode_tiff(path)
    header = _png_header(path)
    if header is not None and header[0] == 16 and header[1] in (2, _PNG_GREY_ALPHA, 6):
        return _decode_png16_with_channels(path, header[1])
    return _decode_with_pillow(path)


def read_image(path: str | Path, channels: Channels | None = None) -> LoadedImage:
    """Read an image file.

    Args:
        path: a JPEG, PNG, BMP or TIFF file (8 or 16 bits per sample).
        channels: "rgb" to require colour (a grey file is an error), "gray" to require grey, None to
            accept either as stored. Nothing is converted silently: convert explicitly with
            `fusion_bench.io.colour` if a method needs it.

    Returns:
        LoadedImage with tensor (1, C, H, W) float32 in [0, 1] (8-bit / 255, 16-bit / 65535).

    Raises:
        ImageReadError: missing, unreadable or truncated file.
        ImageFormatError: wrong channel count or unsupported sample type.
    """
    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise ImageReadError(f"{path}: {problem}")
    try:
        data = _decode(path)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"{path}: unreadable or truncated image ({exc})") from exc
    if data.ndim == 3 and data.shape[-1] == 3 and channels != "rgb":
        if (data[..., 0] == data[..., 1]).all() and (data[..., 1] == data[..., 2]).all() and channels == "gray":
            data = data[..., 0]
    if data.ndim == 3 and data.shape[-1] == 1:
        data = data[..., 0]
    bit_depth = 16 if data.dtype == np.uint16 else 8
    if data.ndim == 2:
        found: Channels = "gray"
    elif data.ndim == 3 and data.shape[-1] == 3:
        found = "rgb"
    else:
        raise ImageFormatError(f"{path}: unsupported array shape {data.shape}; expected grey or RGB")
    if channels is not None and channels != found:
        raise ImageFormatError(
            f"{path}: a {found} image where {channels} is required; convert the file or choose a method "
            f"that accepts {found} input"
        )
    scale = 65535.0 if bit_depth == 16 else 255.0
    array = data.astype(np.float32) / scale
    tensor = torch.from_numpy(array[None, None] if array.ndim == 2 else np.moveaxis(array, -1, 0)[None].copy())
    return LoadedImage(tensor=tensor.contiguous(), bit_depth=bit_depth, path=path)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(1, C, H, W) or (C, H, W) float in [0, 1] → (H, W[, 3]) uint8 by rounding to nearest (x·255 + 0.5)."""
    array = _to_hwc(image)
    return np.floor(np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _to_hwc(image: torch.Tensor) -> np.ndarray:
    if image.ndim == 4:
        if image.shape[0] != 1:
            raise ImageFormatError(f"expected a single image (1, C, H, W), got batch of {image.shape[0]}")
        image = image[0]
    if image.ndim != 3 or image.shape[0] not in (1, 3):
        raise ImageFormatError(f"expected (C, H, W) with C in (1, 3), got {tuple(image.shape)}")
    if not torch.isfinite(image).all():
        raise ImageFormatError("image contains NaN or Inf values; refusing to write it")
    array = image.detach().to("cpu", torch.float64).numpy()
    return array[0] if array.shape[0] == 1 else np.moveaxis(array, 0, -1)


def write_png(image: torch.Tensor, path: str | Path, bit_depth: int = 8) -> Path:
    """Write (1, C, H, W) or (C, H, W) in [0, 1] as an 8- or 16-bit PNG, atomically (temp file + rename).

    Values are clipped to [0, 1] and rounded to nearest. NaN/Inf is an error.
    """
    import cv2

    path = Path(path)
    if bit_depth not in (8, 16):
        raise ImageFormatError(f"{path}: bit_depth must be 8 or 16, got {bit_depth}")
    if bit_depth == 8:
        data = to_uint8(image)
    else:
        data = np.floor(np.clip(_to_hwc(image), 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
    if data.ndim == 3:
        data = np.ascontiguousarray(data[..., ::-1])  # RGB -> BGR for OpenCV
    def save(tmp: Path) -> None:
        if not cv2.imwrite(str(tmp), data):
            raise ImageReadError(f"{path}: could not write PNG")

    return atomic_write(path, save, suffix=".png")
