"""A small store of what a two-source metric computes from the sources alone, keyed on their contents.

An evaluation scores every method's fused image of a pair against the same two sources, so the
source-only part of a metric (QP's phase congruency and its windowed moments, QCB's masked contrast, the
windowed moments of QC, QY, QW, SSIM and VIF, Qabf's Sobel maps) is worth computing once per pair; and QC
and QY share their fused-image moments (the same ssim_yang filtering) when one image is scored with both.
Each metric owns one `SourceFeatureCache` (made by `source_cache`, listed in `SOURCE_CACHES`); the runner
orders its jobs pair by pair so that the few pairs a cache holds are the ones being scored.

Keys are content digests (SHA-256, which the CPU's SHA instructions make about 3× faster than BLAKE2b here:
hashing 2–70 MB of planes costs 2–50 ms), so `content_key` remembers the digest of the last few tensor
objects it hashed (by identity and in-place version): all metrics of one image are handed the same plane
tensors (`conventions.shared_planes`), which are then hashed once per image.

A cached part is computed by the same function on the same planes whether it is stored or not, so values
do not depend on what was scored before (tests compare every metric with the caches on and off).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable

from torch import Tensor

from fusion_bench.errors import ConfigError

Features = tuple[Tensor, ...]
Key = tuple[object, ...]


class _RecentDigests(threading.local):
    """The digests of the last few tensors hashed in this thread, with the tensors (holding them keeps
    their ids from being reused)."""

    def __init__(self) -> None:
        self.entries: list[tuple[Tensor, int, Key]] = []


_RECENT = _RecentDigests()

_RECENT_COUNT = 4


def content_key(planes: Tensor) -> Key:
    """(shape, dtype, device, SHA-256 digest of the bytes) of `planes`; remembered for the same tensor object
    while it is not modified in place."""
    for tensor, version, key in _RECENT.entries:
        if tensor is planes and tensor._version == version:
            return key
    data = planes.detach().contiguous().cpu().numpy()
    key = (tuple(planes.shape), str(planes.dtype), str(planes.device), hashlib.sha256(data).digest())
    _RECENT.entries.insert(0, (planes, planes._version, key))
    del _RECENT.entries[_RECENT_COUNT:]
    return key


def _default_budget() -> int:
    """Bytes all caches of a process may hold together: FUSION_BENCH_METRIC_CACHE_MB, default 2048."""
    text = os.environ.get("FUSION_BENCH_METRIC_CACHE_MB", "2048")
    try:
        megabytes = float(text)
    except ValueError:
        raise ConfigError(f"FUSION_BENCH_METRIC_CACHE_MB={text!r} is not a number of megabytes") from None
    return int(megabytes * 2 ** 20)


class _SharedBudget:
    """The byte budget all `SourceFeatureCache`s of a process share, with their entries in least-recently-used
    order across caches (so a new pair's entries push out the previous pair's, whichever metric made them)."""

    def __init__(self) -> None:
        self.max_bytes = _default_budget()
        self.order: OrderedDict[tuple[int, Key], tuple[SourceFeatureCache, int]] = OrderedDict()
        self.stored = 0
        self.enabled = True  # `set_source_caching` switches every cache off and on
        self.lock = threading.RLock()

    def touch(self, cache: SourceFeatureCache, key: Key) -> None:
        self.order.move_to_end((id(cache), key))

    def add(self, cache: SourceFeatureCache, key: Key, size: int) -> None:
        self.order[(id(cache), key)] = (cache, size)
        self.stored += size
        while self.stored > self.max_bytes and self.order:
            (_, oldest), (owner, oldest_size) = self.order.popitem(last=False)
            owner._entries.pop(oldest, None)
            owner._stored -= oldest_size
            self.stored -= oldest_size

    def remove(self, cache: SourceFeatureCache, key: Key) -> int:
        """Forget `cache`'s entry `key` (the cache drops it itself); returns its size."""
        _, size = self.order.pop((id(cache), key))
        self.stored -= size
        return size


BUDGET = _SharedBudget()


class SourceFeatureCache:
    """Least-recently-used store of `compute(planes)` results, keyed on the planes' contents.

    The key is (shape, dtype, device, SHA-256 digest of the bytes), so equal planes hit whatever tensor
    object holds them, and a changed pixel misses. A hit returns the very tensors the miss computed, so a
    metric whose source part is computed on the source planes alone gets the same values either way.
    Memory (the results held, not the planes) is bounded twice: by this cache's `max_bytes`, and by `BUDGET`,
    which all caches of the process share (FUSION_BENCH_METRIC_CACHE_MB, default 2 GB: the caches of one
    1200×800 RGB pair take about 1.4 GB). `max_bytes = 0` disables this cache.
    """

    def __init__(self, max_bytes: int = 256 * 2 ** 20) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Key, Features] = OrderedDict()
        self._stored = 0

    @staticmethod
    def _size(features: Features) -> int:
        return sum(m.numel() * m.element_size() for m in features)

    def stored_bytes(self) -> int:
        with BUDGET.lock:
            return self._stored

    def clear(self) -> None:
        with BUDGET.lock:
            for key in list(self._entries):
                BUDGET.remove(self, key)
            self._entries.clear()
            self._stored = 0

    def get(self, planes: Tensor, compute: Callable[[Tensor], Features]) -> Features:
        """`compute(planes)`, or the stored result for planes with the same contents."""
        if self.max_bytes <= 0 or not BUDGET.enabled:
            return compute(planes)
        return self.get_keyed(content_key(planes), lambda: compute(planes))

    def get_keyed(self, key: Key, compute: Callable[[], Features]) -> Features:
        """`compute()`, or the stored result for `key` (built from `content_key`s of the inputs)."""
        if self.max_bytes <= 0 or not BUDGET.enabled:
            return compute()
        with BUDGET.lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                BUDGET.touch(self, key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        features = compute()
        size = self._size(features)
        with BUDGET.lock:
            if size <= min(self.max_bytes, BUDGET.max_bytes) and key not in self._entries:
                while self._entries and self._stored + size > self.max_bytes:
                    oldest = next(iter(self._entries))
                    del self._entries[oldest]
                    self._stored -= BUDGET.remove(self, oldest)
                self._entries[key] = features
                self._stored += size
                BUDGET.add(self, key, size)
        return features


SOURCE_CACHES: dict[str, SourceFeatureCache] = {}


def source_cache(name: str, max_bytes: int = 256 * 2 ** 20) -> SourceFeatureCache:
    """A metric's cache, registered in `SOURCE_CACHES` under `name` (so that all can be switched at once)."""
    cache = SourceFeatureCache(max_bytes)
    SOURCE_CACHES[name] = cache
    return cache


def set_source_caching(enabled: bool) -> None:
    """Switch every registered cache on or off (emptying them); benchmarks and tests compare the two."""
    BUDGET.enabled = enabled
    for cache in SOURCE_CACHES.values():
        cache.clear()
