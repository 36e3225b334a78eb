"""Image I/O: files to float tensors (N, C, H, W) in [0, 1] and back to PNG."""

from fusion_bench.io.images import LoadedImage, read_image, to_uint8, write_png

__all__ = ["LoadedImage", "read_image", "to_uint8", "write_png"]
