"""The storage protocol of an evaluation: how a fused image is stored before it is read back and scored.

A benchmark scores the file it wrote, not the network's output, and the file format moves the scores:
JPEG's quantisation lowers Qabf, QP, NMI, ... (issue 16: Qabf 0.560 → 0.399 for one MEF-Net image saved at
quality 75). Scores are comparable only between images stored alike, so every evaluation names its
protocol (`STORAGE_PROTOCOLS`):

- `imwrite`: as the dataset's benchmark stored its own published fused images, in the source pair's
  format (`ext` of MEFB's `main_running.m`: `imwrite(img, [name '.' ext])`; MFIFB, by the same author,
  likewise). JPEG sources give baseline JPEG written in one of two styles (`JPEG_STYLES`), which the
  dataset's row of `fusion_bench/results/storage.csv` names from the evidence of its published JPEGs:
  - `imwrite-defaults`: MATLAB `imwrite`'s defaults, quality 75 with 4:2:0 chroma subsampling (the tables
    and sampling factors of MEFB's published JPEGs and MFIFB's Lytro ones; Pillow writes them for
    `quality=75`);
  - `source-tables`: the quantisation tables and chroma sampling of the pair's first source (MFIFB's
    published MFFW JPEGs: those of their sources, quality 92 with 4:4:4, for 26 of its 30 methods).
  Any other source gives a lossless file. That file is a PNG here, also for TIFF sources (MATLAB writes
  PackBits TIFF): both are lossless, so the pixels read back, and every score, are the same, and one
  lossless format keeps one reading path and small files.
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

# How `imwrite` writes a JPEG (module docstring): MATLAB imwrite's defaults, or the first source's own tables.
IMWRITE_DEFAULTS = "imwrite-defaults"
SOURCE_TABLES = "source-tables"
JPEG_STYLES: tuple[str, ...] = (IMWRITE_DEFAULTS, SOURCE_TABLES)


def _known(name: str, known: tuple[str, ...], what: str) -> str:
    if name not in known:
        raise UnknownNameError(f"unknown {what} {name!r}; choose one of {', '.join(known)}")
    return name


def check_storage(name: str) -> str:
    """`name` if it is a storage protocol.

    Raises:
        UnknownNameError: any other name (the message lists the protocols).
    """
    return _known(name, STORAGE_PROTOCOLS, "storage protocol")


def check_jpeg_style(name: str) -> str:
    """`name` if it is a JPEG style of `imwrite`.

    Raises:
        UnknownNameError: any other name (the message lists the styles).
    """
    return _known(name, JPEG_STYLES, "JPEG style")


def stored_suffix(protocol: str, source: str | Path, jpeg_style: str = IMWRITE_DEFAULTS) -> str:
    """".jpg", ".source-tables.jpg" or ".png": the file a fused image is stored as under `protocol`, for a
    pair whose first source is `source` (its extension, in any case, decides under `imwrite`). A JPEG in
    another style than imwrite's defaults names its style, so files of two styles never share a name.

    >>> stored_suffix("imwrite", "flower_A.JPG"), stored_suffix("imwrite", "Arno_A.png"), stored_suffix("lossless", "a.jpg")
    ('.jpg', '.png', '.png')
    >>> stored_suffix("imwrite", "mffw_01_A.jpg", "source-tables")
    '.source-tables.jpg'
    """
    check_storage(protocol)
    check_jpeg_style(jpeg_style)
    if protocol == IMWRITE and Path(source).suffix.lower() in JPEG_SUFFIXES:
        return ".jpg" if jpeg_style == IMWRITE_DEFAULTS else f".{jpeg_style}.jpg"
    return ".png"


def storage_key(protocol: str, jpeg_style: str = IMWRITE_DEFAULTS) -> str:
    """The name results stored under `protocol` with JPEGs in `jpeg_style` are filed under: the protocol's
    own, followed by the style where it is not imwrite's defaults, so that a dataset whose style changes
    starts new results.

    >>> storage_key("imwrite"), storage_key("lossless"), storage_key("imwrite", "source-tables")
    ('imwrite', 'lossless', 'imwrite+source-tables')
    """
    check_storage(protocol)
    check_jpeg_style(jpeg_style)
    return protocol if protocol != IMWRITE or jpeg_style == IMWRITE_DEFAULTS else f"{protocol}+{jpeg_style}"


def source_jpeg_options(source: str | Path) -> dict[str, object]:
    """Pillow's save options that reproduce the JPEG `source`'s quantisation tables and chroma sampling.

    Raises:
        ImageFormatError: `source` is not a JPEG, or its sampling is not one Pillow writes (4:4:4, 4:2:2, 4:2:0).
    """
    from PIL import Image, JpegImagePlugin

    with Image.open(source) as picture:
        if picture.format != "JPEG":
            raise ImageFormatError(f"{source}: its tables were asked for, but it is {picture.format}, not JPEG")
        tables = {index: list(table) for index, table in picture.quantization.items()}
        sampling = JpegImagePlugin.get_sampling(picture)
    if sampling == -1:
        raise ImageFormatError(f"{source}: chroma sampling other than 4:4:4, 4:2:2 or 4:2:0 cannot be reproduced")
    return {"qtables": tables, "subsampling": sampling}


def write_jpeg(image: np.ndarray, path: str | Path, options: dict[str, object] | None = None) -> Path:
    """Write an (H, W) or (H, W, 3) uint8 image as baseline JPEG with Pillow's save `options` (default:
    `IMWRITE_JPEG_OPTIONS`, as MATLAB `imwrite` writes JPEG by default: quality 75, 4:2:0 chroma subsampling;
    grey images have one component). Atomic."""
    from PIL import Image

    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ImageFormatError(f"{path}: JPEG needs an (H, W) or (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    picture = Image.fromarray(np.ascontiguousarray(image), mode="L" if image.ndim == 2 else "RGB")
    chosen = IMWRITE_JPEG_OPTIONS if options is None else options
    return atomic_write(path, lambda tmp: picture.save(tmp, format="JPEG", **chosen))


def write_tiff(image: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W) or (H, W, 3) uint8 or uint16 image as a Deflate-compressed (lossless) TIFF. Atomic."""
    import tifffile

    if image.dtype not in (np.uint8, np.uint16):
        raise ImageFormatError(f"{path}: TIFF needs uint8 or uint16 samples, got {image.dtype}")
    photometric = "minisblack" if image.ndim == 2 else "rgb"
    return atomic_write(path, lambda tmp: tifffile.imwrite(tmp, image, photometric=photometric, compression="zlib"))


def store_fused(image: torch.Tensor, path: str | Path, protocol: str, tables_of: str | Path | None = None) -> Path:
    """Write the fused image (1, C, H, W) or (C, H, W) in [0, 1], rounded to 8 bits as `to_uint8` does, to
    `path` (whose suffix `stored_suffix` gave) under `protocol`; returns the path: the file that is then read
    back and scored. A JPEG takes the quantisation tables and chroma sampling of the JPEG `tables_of` (the
    `source-tables` style), else MATLAB imwrite's defaults. A JPEG written from an 8-bit PNG read back is the
    JPEG written from the fused tensor.

    Raises:
        ImageFormatError: the suffix is not one `protocol` stores, or `tables_of` is not a JPEG.
    """
    path = Path(path)
    check_storage(protocol)
    suffix = path.suffix.lower()
    if suffix == ".png":
        return write_png(image, path)
    if suffix == ".jpg" and protocol == IMWRITE:
        return write_jpeg(to_uint8(image), path, None if tables_of is None else source_jpeg_options(tables_of))
    raise ImageFormatError(f"{path}: the {protocol} protocol stores fused images as "
                           f"{'PNG or JPEG' if protocol == IMWRITE else 'PNG'}, not {path.suffix!r}")


def check_writable(path: Path, bit_depth: int = 8) -> None:
    """Refuse, before any work, an output `write_image` cannot write as asked.

    Raises:
        ImageFormatError: another suffix than `WRITABLE_SUFFIXES`, a bit depth other than 8 or 16, a 16-bit
            JPEG, or a directory at `path`.
    """
    suffix = path.suffix.lower()
    if path.is_dir():
        raise ImageFormatError(f"{path}: is a directory; give a file name")
    if suffix not in WRITABLE_SUFFIXES:
        found = f"suffix {path.suffix!r}" if suffix else "no suffix"
        raise ImageFormatError(f"{path}: {found}; name the output {', '.join(WRITABLE_SUFFIXES)}")
    if bit_depth not in (8, 16):
        raise ImageFormatError(f"{path}: bit depth must be 8 or 16, got {bit_depth}")
    if suffix in JPEG_SUFFIXES and bit_depth != 8:
        raise ImageFormatError(f"{path}: JPEG stores 8 bits per sample; use .png or .tif for 16 bits")


def write_image(image: torch.Tensor, path: str | Path, bit_depth: int = 8) -> Path:
    """Write (1, C, H, W) or (C, H, W) in [0, 1] in the format of `path`'s suffix: `.png` (8 or 16 bits),
    `.jpg`/`.jpeg` (8 bits, `imwrite`'s JPEG: quality 75, 4:2:0), `.tif`/`.tiff` (8 or 16 bits, Deflate).

    Raises:
        ImageFormatError: what `check_writable` refuses.
    """
    path = Path(path)
    check_writable(path, bit_depth)
    suffix = path.suffix.lower()
    if suffix == ".png":
        return write_png(image, path, bit_depth=bit_depth)
    if suffix in JPEG_SUFFIXES:
        return write_jpeg(to_uint8(image), path)
    if bit_depth == 8:
        return write_tiff(to_uint8(image), path)
    return write_tiff(np.floor(np.clip(_to_hwc(image), 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16), path)
