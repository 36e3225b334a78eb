"""`sf-blocks`: multi-focus fusion by block spatial frequency (S. Li, J. T. Kwok, Y. Wang, Combination of
images with diverse focuses using the spatial frequency, Information Fusion 2(3), 2001).

1. The grey sources are cut into `block_size`² blocks (the last row/column of blocks may be smaller).
2. Spatial frequency of a block: SF = sqrt(RF² + CF²), RF² = Σ (F(m, n) − F(m, n−1))² / (M·N) over
   horizontal neighbours inside the block, CF² likewise vertically.
3. A block takes the source with the largest SF if it leads the runner-up by more than `threshold`,
   otherwise the average of all sources (for two sources this is the paper's rule).
4. Consistency verification: a 3×3 majority filter on the block labels; a tie keeps the block's own
   label.
The labels are applied to every channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from kornia.filters import box_blur

from fusion_bench.errors import ConfigError
from fusion_bench.models.base import MethodInfo
from fusion_bench.models.classical.base import ClassicalFuser, check_numbers, stack_sources
from fusion_bench.models.classical.colour import luminance
from fusion_bench.models.registry import register_method


def block_spatial_frequency(grey: torch.Tensor, block_size: int) -> torch.Tensor:
    """(B, 1, H, W) → (B, 1, ⌈H/b⌉, ⌈W/b⌉): spatial frequency of each block (differences inside it only)."""
    height, width = grey.shape[-2:]
    horizontal = F.pad(grey[..., :, 1:] - grey[..., :, :-1], (1, 0)).square()
    vertical = F.pad(grey[..., 1:, :] - grey[..., :-1, :], (0, 0, 1, 0)).square()
    # A difference across a block boundary belongs to no block.
    horizontal[..., :, ::block_size] = 0
    vertical[..., ::block_size, :] = 0

    def block_sum(values: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(values, block_size, ceil_mode=True, divisor_override=1)

    pixels = block_sum(torch.ones(1, 1, height, width, dtype=grey.dtype, device=grey.device))
    return ((block_sum(horizontal) + block_sum(vertical)) / pixels).sqrt()


def majority_filter(labels: torch.Tensor, classes: int) -> torch.Tensor:
    """(B, h, w) integer labels in [0, classes) → the most frequent label in each 3×3 neighbourhood (inside
    the map); a tie keeps the centre's label."""
    one_hot = F.one_hot(labels, classes).permute(0, 3, 1, 2).to(torch.float64)
    counts = 9.0 * box_blur(one_hot, (3, 3), border_type="constant")
    return (counts + 0.5 * one_hot).argmax(dim=1)


def fuse_sf_blocks(sources: Sequence[torch.Tensor], block_size: int = 16, threshold: float = 0.0) -> torch.Tensor:
    """K sources (N, C, H, W) in [0, 1] → (N, C, H, W).

    Args:
        block_size: block side in pixels.
        threshold: SF lead (intensities in [0, 1]) needed to take one source; below it the block averages.
    """
    stack = stack_sources(sources)
    k, n, c, h, w = stack.shape
    grey = luminance(stack.reshape(k * n, c, h, w).double())
    frequency = block_spatial_frequency(grey, block_size)
    frequency = frequency.reshape(k, n, *frequency.shape[-2:])
    top = frequency.topk(2, dim=0).values
    labels = torch.where(top[0] - top[1] > threshold, frequency.argmax(dim=0), k)
    labels = majority_filter(labels, k + 1)
    pixel_labels = labels.repeat_interleave(block_size, 1).repeat_interleave(block_size, 2)[:, :h, :w]
    choices = torch.cat([stack, stack.mean(dim=0, keepdim=True)], dim=0)
    index = pixel_labels[None, :, None].expand(1, n, c, h, w)
    return choices.gather(0, index).squeeze(0)


INFO = MethodInfo(
    name="sf-blocks",
    tasks=("mff",),
    kind="classical",
    channels="any",
    multi_source=True,
    trainable=False,
    paper="S. Li, J. T. Kwok, Y. Wang, Combination of images with diverse focuses using the spatial frequency, "
    "Information Fusion 2(3), 2001",
    description="block spatial-frequency decision map with 3x3 majority consistency verification",
    default_config={"block_size": 16, "threshold": 0.0},
)


@register_method(INFO)
def build_sf_blocks(config: dict) -> ClassicalFuser:
    check_numbers(INFO.name, config, positive=("block_size",), non_negative=("threshold",), integer=("block_size",))
    if config["block_size"] < 2:
        raise ConfigError(f"sf-blocks: config block_size must be ≥ 2, got {config['block_size']!r}")
    return ClassicalFuser(fuse_sf_blocks, config)
