"""The storage protocol of an evaluation: how a fused image is stored before it is read back and scored.

A benchmark scores the file it wrote, not the network's output, and the file format moves the scores:
JPEG's quantisation lowers Qabf, QP, NMI, ... (issue 16: Qabf 0.560 → 0.399 for one MEF-Net image saved at
quality 75). Scores are comparable only between images stored alike, so every evaluation names its
protocol (`STORAGE_PROTOCOLS`):

- `imwrite`: what MATLAB's `imwrite(img, [name '.' ext])` writes with its defaults, `ext` being the source
  pair's extension, as MEFB's `main_running.m` (and MFIFB, by the same author) store fused images. JPEG
  sources give baseline JPEG at quality 75 with 4:2:0 chroma subsampling (the quantisation tables and
  sampling factors of MEFB's and MFIFB's published JPEGs, which Pillow writes for `quality=75`); any other
  source gives a lossless file. That file is a PNG here, also for TIFF sources (MATLAB writes PackBits
  TIFF): both are lossless, so the pixels read back, and every score, are the same, and one lossless
  format keeps one reading path and small files.
- `lossless`: PNG, whatever the sources.

`stored_suffix` says which file a pair's fused image becomes; `store_fused` writes it, rounded to 8 bits.
`write_image` writes a tensor in the format its file name asks for (`fusion-bench fuse --out`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from fusion_bench.errors import ImageFormatError, UnknownNameError
from fusion_bench.io.atomic import atomic_write
from fusion_bench.io.images import _to_hwc, to_uint8, write_png

IMWRITE = "imwrite"
LOSSLESS = "lossless"
STORAGE_PROTOCOLS: tuple[str, ...] = (IMWRITE, LOSSLESS)

JPEG_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg")
TIFF_SUFFIXES: tuple[str, ...] = (".tif", ".tiff")
WRITABLE_SUFFIXES: tuple[str, ...] = (".png",) + JPEG_SUFFIXES + TIFF_SUFFIXES

# MATLAB imwrite's JPEG defaults ('Quality' 75; libjpeg's 2×2 luma, 1×1 chroma sampling), in Pillow's terms.
IMWRITE_JPEG_OPTIONS: dict[str, object] = {"quality": 75, "subsampling": "4:2:0"}


def check_storage(name: str) -> str:
    """`name` if it is a storage protocol.

    Raises:
        UnknownNameError: any other name (the message lists the protocols).
    """
    if name not in STORAGE_PROTOCOLS:
        raise UnknownNameError(f"unknown storage protocol {name!r}; choose one of {', '.join(STORAGE_PROTOCOLS)}")
    return name


def stored_suffix(protocol: str, source: str | Path) -> str:
    """".jpg" or ".png": the file a fused image is stored as under `protocol`, for a pair whose first source
    is `source` (its extension, in any case, decides under `imwrite`).

    >>> stored_suffix("imwrite", "flower_A.JPG"), stored_suffix("imwrite", "Arno_A.png"), stored_suffix("lossless", "a.jpg")
    ('.jpg', '.png', '.png')
    """
    check_storage(protocol)
    if protocol == IMWRITE and Path(source).suffix.lower() in JPEG_SUFFIXES:
        return ".jpg"
    return ".png"


def write_jpeg(image: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W) or (H, W, 3) uint8 image as MATLAB `imwrite` writes JPEG by default: quality 75,
    4:2:0 chroma subsampling (grey images have one component). Atomic."""
    from PIL import Image

    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ImageFormatError(f"{path}: JPEG needs an (H, W) or (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    picture = Image.fromarray(np.ascontiguousarray(image), mode="L" if image.ndim == 2 else "RGB")
    return atomic_write(path, lambda tmp: picture.save(tmp, format="JPEG", **IMWRITE_JPEG_OPTIONS))


def write_tiff(image: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W) or (H, W, 3) uint8 or uint16 image as a Deflate-compressed (lossless) TIFF. Atomic."""
    import tifffile

    if image.dtype not in (np.uint8, np.uint16):
        raise ImageFormatError(f"{path}: TIFF needs uint8 or uint16 samples, got {image.dtype}")
    photometric = "minisblack" if image.ndim == 2 else "rgb"
    return atomic_write(path, lambda tmp: tifffile.imwrite(tmp, image, photometric=photometric, compression="zlib"))


def store_fused(image: torch.Tensor, path: str | Path, protocol: str) -> Path:
    """Write the fused image (1, C, H, W) or (C, H, W) in [0, 1], rounded to 8 bits as `to_uint8` does, to
    `path` (whose suffix `stored_suffix` gave) under `protocol`; returns the path: the file that is then read
    back and scored. A JPEG written from an 8-bit PNG read back is the JPEG written from the fused tensor.

    Raises:
        ImageFormatError: the suffix is not one `protocol` stores.
    """
    path = Path(path)
    check_storage(protocol)
    suffix = path.suffix.lower()
    if suffix == ".png":
        return write_png(image, path)
    if suffix == ".jpg" and protocol == IMWRITE:
        return write_jpeg(to_uint8(image), path)
    raise ImageFormatError(f"{path}: the {protocol} protocol stores fused images as "
                           f"{'PNG or JPEG' if protocol == IMWRITE else 'PNG'}, not {path.suffix!r}")


def write_image(image: torch.Tensor, path: str | Path, bit_depth: int = 8) -> Path:
    """Write (1, C, H, W) or (C, H, W) in [0, 1] in the format of `path`'s suffix: `.png` (8 or 16 bits),
    `.jpg`/`.jpeg` (8 bits, `imwrite`'s JPEG: quality 75, 4:2:0), `.tif`/`.tiff` (8 or 16 bits, Deflate).

    Raises:
        ImageFormatError: another suffix, a 16-bit JPEG, or a directory at `path`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise ImageFormatError(f"{path}: is a directory; give a file name")
    if suffix not in WRITABLE_SUFFIXES:
        found = f"suffix {path.suffix!r}" if suffix else "no suffix"
        raise ImageFormatError(f"{path}: {found}; name the output {', '.join(WRITABLE_SUFFIXES)}")
    if bit_depth not in (8, 16):
        raise ImageFormatError(f"{path}: bit depth must be 8 or 16, got {bit_depth}")
    if suffix == ".png":
        return write_png(image, path, bit_depth=bit_depth)
    if suffix in JPEG_SUFFIXES:
        if bit_depth != 8:
            raise ImageFormatError(f"{path}: JPEG stores 8 bits per sample; use .png or .tif for 16 bits")
        return write_jpeg(to_uint8(image), path)
    if bit_depth == 8:
        return write_tiff(to_uint8(image), path)
    return write_tiff(np.floor(np.clip(_to_hwc(image), 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16), path)
