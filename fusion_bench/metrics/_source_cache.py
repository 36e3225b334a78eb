"""A small store of what a two-source metric computes from the sources alone, keyed on their contents.

An evaluation scores every method's fused image of a pair against the same two sources, so the
source-only part of an expensive metric (QP's phase congruency, QCB's masked contrast) is worth computing
once per pair. Each metric owns one `SourceFeatureCache`; the runner orders its jobs pair by pair so that
the few pairs a cache holds are the ones being scored.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from torch import Tensor

Features = tuple[Tensor, ...]


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
    def _key(planes: Tensor) -> tuple[object, ...]:
        data = planes.detach().contiguous().cpu().numpy()
        return tuple(planes.shape), str(planes.dtype), str(planes.device), hashlib.blake2b(data.tobytes()).digest()

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
        if self.max_bytes <= 0:
            return compute(planes)
        key = self._key(planes)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        features = compute(planes)
        size = self._size(features)
        with self._lock:
            if size <= self.max_bytes:
                self._entries[key] = features
                while sum(self._size(m) for m in self._entries.values()) > self.max_bytes:
                    self._entries.popitem(last=False)
        return features
