"""Shifted-window multi-head self-attention (Swin style, key `attn`), fused through
`scaled_dot_product_attention` with the relative-position bias (+ shift mask) as an additive mask.

The relative-position index depends only on the window, and the window layout (token order and the shift
mask of the windows that need one) only on (H, W, window); both are cached. They are built outside
inference mode so that a cached tensor also serves a later training
step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

# The additive score for pairs that are not neighbours in the un-rolled image (the published value).
SHIFT_MASK_VALUE = -100.0
# Windows attended at once: 2,048 tokens at w = 4, 8,192 at w = 8 (about 6 MB of q, k, v for C = 60). Small
# enough that each chunk's temporaries stay below glibc's 32 MB mmap threshold and reuse the same heap pages
# chunk after chunk, instead of fresh mappings that fault in every page: mgdn-mef at 1200×800 fuses in 44 s
# instead of 50 s with 4,096 windows per chunk (bit for bit the same output; `benchmarks/mgdn_window_chunk.py`).
WINDOW_CHUNK = 128


@lru_cache(maxsize=None)
def relative_position_index(window: int) -> torch.Tensor:
    """(w², w²) int64: index into the ((2w−1)², h) bias table for window positions p (rows), q (columns)."""
    with torch.inference_mode(False):
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
        relative = coords[:, :, None] - coords[:, None, :] + (window - 1)
        return relative[0] * (2 * window - 1) + relative[1]


def shift_mask(height: int, width: int, window: int) -> torch.Tensor:
    """(nW, w², w²) float32: −100 between positions of a shifted window that come from different regions.

    Regions: slices [0, H−w), [H−w, H−w/2), [H−w/2, H) along each axis (the same for W), as in Swin.
    """
    with torch.inference_mode(False):
        shift = window // 2
        labels = torch.zeros(height, width)
        bounds = ((0, -window), (-window, -shift), (-shift, None))
        region = 0
        for rows in bounds:
            for cols in bounds:
                labels[slice(*rows), slice(*cols)] = region
                region += 1
        windows = _to_windows(labels[None, :, :, None], window).flatten(1)
        differs = windows[:, :, None] != windows[:, None, :]
        return torch.zeros(differs.shape).masked_fill_(differs, SHIFT_MASK_VALUE)


def _to_windows(x: torch.Tensor, window: int) -> torch.Tensor:
    """(N, H, W, C) → (N·nW, w², C), windows in row-major order."""
    n, h, w, c = x.shape
    x = x.view(n, h // window, window, w // window, window, c).transpose(2, 3)
    return x.reshape(-1, window * window, c)


def window_order(height: int, width: int, window: int, shifted: bool) -> torch.Tensor:
    """(H·W,) int64: the pixel index (y·W + x) of every token of the windows, window after window in
    row-major order, w² tokens each. With `shifted`, the windows are those of the image rolled by
    (−w/2, −w/2), whose pixel (y, x) is pixel ((y + w/2) mod H, (x + w/2) mod W) of the image.

    Gathering tokens in this order (and scattering results back by it) is the roll and the window
    partition in one copy, and the inverse in one more; chunk by chunk, so the copies stay in cache.
    """
    with torch.inference_mode(False):
        shift = window // 2 if shifted else 0
        rows = (torch.arange(height) + shift) % height
        cols = (torch.arange(width) + shift) % width
        pixels = rows[:, None] * width + cols[None, :]
        return _to_windows(pixels[None, :, :, None], window).flatten()


@dataclass(frozen=True)
class WindowLayout:
    """The order in which `WindowAttention` visits the windows of an H×W map.

    Attributes:
        order: (H·W,) int64 pixel index of every token, window after window (w² tokens each); the
            windows that need no shift mask come first.
        plain: how many windows need no mask (all of them when not shifted).
        mask: (nW − plain, w², w²) float32 shift mask of the remaining windows, in their order; None
            when there are none.
    """

    order: torch.Tensor
    plain: int
    mask: torch.Tensor | None


# Only the windows along the bottom and right edges of a shifted map mix wrapped-around regions (for
# 1200×800 and w = 8: 249 of 15,000). Attending the others with the bias alone, broadcast, spares building,
# copying and reading a (nW, h, w², w²) bias-plus-mask tensor (a fifth of mgdn-mef's fusing
# time); the arithmetic per window is unchanged (adding the mask's zeros is exact).
@lru_cache(maxsize=8)
def window_layout(height: int, width: int, window: int, shifted: bool) -> WindowLayout:
    """The `WindowLayout` of an H×W map (H, W multiples of `window`)."""
    with torch.inference_mode(False):
        order = window_order(height, width, window, shifted)
        count = height * width // (window * window)
        if not shifted:
            return WindowLayout(order, count, None)
        mask = shift_mask(height, width, window)
        masked = mask.flatten(1).ne(0).any(dim=1)
        windows = torch.cat([torch.nonzero(~masked).flatten(), torch.nonzero(masked).flatten()])
        area = window * window
        order = order.view(count, area)[windows].flatten()
        plain = int((~masked).sum())
        return WindowLayout(order, plain, mask[windows[plain:]].clone() if plain < count else None)


class WindowAttention(nn.Module):
    """Self-attention inside non-overlapping w×w windows of an (N, H, W, C) map (H, W multiples of w)."""

    def __init__(self, channels: int, heads: int, window: int) -> None:
        super().__init__()
        self.heads = heads
        self.window = window
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)

    def position_bias(self) -> torch.Tensor:
        """(h, w², w²) relative-position bias."""
        index = relative_position_index(self.window).to(self.relative_position_bias_table.device)
        area = self.window * self.window
        return self.relative_position_bias_table[index.flatten()].view(area, area, -1).permute(2, 0, 1)

    def _attend(self, windows: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """(B, w², C) windows, additive bias (1 or B, h, w², w²) → (B, w², C)."""
        count, area, c = windows.shape
        # 4-D (batch, heads, tokens, dim) operands take SDPA's fused CPU kernel; 5-D ones would fall back
        # to the unfused math path.
        q, k, v = self.qkv(windows).view(count, area, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.transpose(1, 2).reshape(count, area, c))

    def forward(self, x: torch.Tensor, shifted: bool) -> torch.Tensor:
        """x (N, H, W, C) → (N, H, W, C); `shifted` rolls the windows by w/2 and applies the shift mask."""
        n, h, w, c = x.shape
        area = self.window * self.window
        layout = window_layout(h, w, self.window, shifted)
        order = layout.order.to(x.device)
        bias = self.position_bias().to(x.dtype)[None]
        mask = None if layout.mask is None else layout.mask.to(device=x.device, dtype=x.dtype)[:, None]
        tokens = x.reshape(n, h * w, c)
        out = torch.empty_like(tokens)
        # Windows are processed in chunks so that q, k, v and the scores of a large image never exist all at
        # once (they dominate the peak memory otherwise); the masked windows, last in the order, in their own.
        chunks = [(start, min(start + WINDOW_CHUNK, layout.plain)) for start in range(0, layout.plain, WINDOW_CHUNK)]
        chunks += [(start, min(start + WINDOW_CHUNK, h * w // area))
                   for start in range(layout.plain, h * w // area, WINDOW_CHUNK)]
        for image in range(n):
            for start, stop in chunks:
                index = order[start * area:stop * area]
                windows = tokens[image].index_select(0, index).view(-1, area, c)
                chunk_bias = bias if start < layout.plain else bias + mask[start - layout.plain:stop - layout.plain]
                out[image].index_copy_(0, index, self._attend(windows, chunk_bias).view(-1, c))
        return out.view(n, h, w, c)
