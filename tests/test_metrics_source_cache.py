"""The metrics' source caches (`metrics/_source_cache.py`): every metric gives the same values with the caches
on and off, whatever was scored before; the caches are hit when a pair is scored again; content keys are
remembered per tensor object and follow in-place changes."""

from __future__ import annotations

import pytest
import torch

from fusion_bench.errors import ConfigError
from fusion_bench.metrics import _source_cache
from fusion_bench.metrics._source_cache import SOURCE_CACHES, content_key, set_source_caching
from fusion_bench.metrics.registry import compute_metrics, list_metrics

pytestmark = pytest.mark.usefixtures("one_thread")


def _image(seed: int, height: int = 70, width: int = 90) -> torch.Tensor:
    """Textured (1, 3, H, W) image on the 8-bit grid, with a flat saturated corner (MEFB's noisy windows)."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.rand(1, 3, height + 2, width + 2, generator=generator, dtype=torch.float64)
    image = 0.7 * torch.nn.functional.avg_pool2d(noise, 3, stride=1)
    image = image + torch.linspace(0, 0.3, width, dtype=torch.float64)
    image[..., :12, :16] = 1.0
    return (torch.round(image.clamp(0, 1) * 255) / 255).to(torch.float32)


def _all_values(pairs: list[tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]], convention: str
                ) -> list[dict[str, float]]:
    names = [spec.name for spec in list_metrics()]
    values = []
    for a, b, fused_images in pairs:
        for fused in fused_images:
            scores = compute_metrics([a.clone(), b.clone()], fused, names, convention=convention)
            values.append({name: float(score[0]) for name, score in scores.items()})
    return values


def _same(first: list[dict[str, float]], second: list[dict[str, float]]) -> bool:
    return all(x[name] == y[name] or (x[name] != x[name] and y[name] != y[name])
               for x, y in zip(first, second, strict=True) for name in x)


@pytest.mark.parametrize("convention", ["mefb", "gray"])
def test_values_identical_with_caches_on_and_off(convention: str) -> None:
    a, b = _image(1), _image(2)
    c, d = _image(3, 64, 64), _image(4, 64, 64)
    pairs = [(a, b, [torch.round((a + b) / 2 * 255) / 255, torch.maximum(a, b), a]),
             (c, d, [torch.minimum(c, d)]),
             (a, b, [torch.round((0.3 * a + 0.7 * b) * 255) / 255])]  # the first pair again, after another
    set_source_caching(False)
    try:
        uncached = _all_values(pairs, convention)
    finally:
        set_source_caching(True)
    hits_before = {name: cache.hits for name, cache in SOURCE_CACHES.items()}
    cached = _all_values(pairs, convention)
    assert _same(cached, uncached)
    hit = {name for name, cache in SOURCE_CACHES.items() if cache.hits > hits_before[name]}
    expected = {"QP", "QC/QY sources", "QC/QY fused", "QW", "SSIM", "Qabf", "QCB", "QCV", "VIF", "FMI"}
    if convention == "gray":
        expected.add("MEF-SSIM")
    assert expected <= hit


def test_qc_and_qy_share_the_fused_maps() -> None:
    a, b = _image(5), _image(6)
    fused = torch.round((a + b) / 2 * 255) / 255
    cache = SOURCE_CACHES["QC/QY fused"]
    misses, hits = cache.misses, cache.hits
    compute_metrics([a, b], fused, ["QC", "QY"])
    assert (cache.misses - misses, cache.hits - hits) == (1, 1)


def test_content_key_remembers_objects_and_sees_in_place_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    planes = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    calls: list[int] = []
    digest = _source_cache.hashlib.sha256
    monkeypatch.setattr(_source_cache.hashlib, "sha256", lambda data: calls.append(1) or digest(data))
    first = content_key(planes)
    assert content_key(planes) == first and len(calls) == 1  # same object: not hashed again
    assert content_key(planes.clone()) == first and len(calls) == 2  # equal contents: same key
    planes[0, 0, 0, 0] += 1
    assert content_key(planes) != first and len(calls) == 3


def test_caches_share_one_budget_least_recently_used_first(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = 8 * 8 * 8  # one 8×8 float64 map
    monkeypatch.setattr(_source_cache.BUDGET, "max_bytes", 3 * entry)
    first, second = _source_cache.SourceFeatureCache(), _source_cache.SourceFeatureCache()
    planes = [torch.full((8, 8), float(v), dtype=torch.float64) for v in range(4)]
    try:
        first.get(planes[0], lambda x: (x * 2,))
        second.get(planes[1], lambda x: (x * 2,))
        first.get(planes[2], lambda x: (x * 2,))
        first.get(planes[0], lambda x: (x * 2,))  # a hit: planes[0] is now the most recently used
        second.get(planes[3], lambda x: (x * 2,))  # over budget: the oldest entry (second's planes[1]) goes
        assert (first.stored_bytes(), second.stored_bytes()) == (2 * entry, entry)
        assert _source_cache.BUDGET.stored <= 3 * entry
        second.get(planes[1], lambda x: (x * 2,))
        assert second.misses == 3 and first.hits == 1
    finally:
        first.clear()
        second.clear()


def test_budget_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSION_BENCH_METRIC_CACHE_MB", "512")
    assert _source_cache._default_budget() == 512 * 2 ** 20
    monkeypatch.setenv("FUSION_BENCH_METRIC_CACHE_MB", "lots")
    with pytest.raises(ConfigError, match="FUSION_BENCH_METRIC_CACHE_MB"):
        _source_cache._default_budget()
