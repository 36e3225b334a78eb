"""A small store of what a two-source metric computes from the sources alone, keyed on their contents.

An evaluation scores every method's fused image of a pair against the same two sources, so the
source-only part of a metric (QP's phase congruency and its windowed moments, QCB's masked contrast, the
windowed moments of QC, QY, QW, SSIM and VIF, Qabf's Sobel maps) is worth computing once per pair; and QC
and QY share their fused-image moments (the same ssim_yang filtering) when one image is scored with both.
Each metric owns one `SourceFeatureCache` (made by `source_cache`, listed in `SOURCE_CACHES`); the runner
orders its jobs pair by pair so that the few pairs a cache holds are the ones being scored.

Keys are content digests. Hashing 2–70 MB of planes costs 5–100 ms, so `content_key` remembers the digest
of the last few tensor objects it hashed (by identity and in-place version): all metrics of one image are
handed the same plane tensors (`conventions.shared_planes`), which are then hashed once per image.

A cached part is computed by the same function on the same planes whether it is stored or not, so values
do not depend on what was scored before (tests compare every metric with the caches on and off).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from torch import Tensor

Features = tuple[Tensor, ...]
Key = tuple[object, ...]


class _RecentDigests(threading.local):
    """The digests of the last few tensors hashed in this thread, with the tensors (holding them keeps
    their ids from being reused)."""

    def __init__(self) -> None:
        self.entries: list[tuple[Tensor, int, Key]] = []


_RECENT = _RecentDigests()


class _Switch:
    enabled = True


_SWITCH = _Switch()
_RECENT_COUNT = 4


def content_key(planes: Tensor) -> Key:
    """(shape, dtype, device, BLAKE2b digest of the bytes) of `planes`; remembered for the same tensor object
    while it is not modified in place."""
    for tensor, version, key in _RECENT.entries:
        if tensor is planes and tensor._version == version:
            return key
    data = planes.detach().contiguous().cpu().numpy()
    key = (tuple(planes.shape), str(planes.dtype), str(planes.device), hashlib.blake2b(data.tobytes()).digest())
    _RECENT.entries.insert(0, (planes, planes._version, key))
    del _RECENT.entries[_RECENT_COUNT:]
    return key


class SourceFeatureCache:
    """Least-recently-used store of `compute(planes)` results, keyed on the planes' contents.

    The key is (shape, dtype, device, BLAKE2b digest of the bytes), so equal planes hit whatever tensor
    object holds them, and a changed pixel misses. A hit returns the very tensors the miss computed, so a
    metric whose source part is computed on the source planes alone gets the same values either way.
    Memory is bounded by `max_bytes` (the results held, not the planes): QP's maps of a 512×512 RGB pair are
    about 38 MB, so the default keeps a few pairs; `max_bytes = 0` disables caching.
    """

    def __init__(self, max_bytes: int = 256 * 2 ** 20) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[object, ...], Features] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _size(features: Features) -> int:
        return sum(m.numel() * m.element_size() for m in features)

    def stored_bytes(self) -> int:
        with self._lock:
            return sum(self._size(features) for features in self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, planes: Tensor, compute: Callable[[Tensor], Features]) -> Features:
        """`compute(planes)`, or the stored result for planes with the same contents."""
        if self.max_bytes <= 0 or not _SWITCH.enabled:
            return compute(planes)
        return self.get_keyed(content_key(planes), lambda: compute(planes))

    def get_keyed(self, key: Key, compute: Callable[[], Features]) -> Features:
        """`compute()`, or the stored result for `key` (built from `content_key`s of the inputs)."""
        if self.max_bytes <= 0 or not _SWITCH.enabled:
            return compute()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        features = compute()
        size = self._size(features)
        with self._lock:
            if size <= self.max_bytes:
                self._entries[key] = features
                while sum(self._size(m) for m in self._entries.values()) > self.max_bytes:
                    self._entries.popitem(last=False)
        return features


SOURCE_CACHES: dict[str, SourceFeatureCache] = {}


def source_cache(name: str, max_bytes: int = 256 * 2 ** 20) -> SourceFeatureCache:
    """A metric's cache, registered in `SOURCE_CACHES` under `name` (so that all can be switched at once)."""
    cache = SourceFeatureCache(max_bytes)
    SOURCE_CACHES[name] = cache
    return cache


def set_source_caching(enabled: bool) -> None:
    """Switch every registered cache on or off (emptying them); benchmarks and tests compare the two."""
    _SWITCH.enabled = enabled
    for cache in SOURCE_CACHES.values():
        cache.clear()
