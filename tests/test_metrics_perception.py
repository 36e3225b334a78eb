"""QCB, QCV and VIF on properties, and their compiled loops against their torch forms. Their values against
MEFB's Matlab code (every Octave row, 612×816 and 756×1008 images among them, whose border blocks exercise
QCV's blkproc padding) are checked in test_metrics_reference.py.
"""

from __future__ import annotations

import pytest
import torch

from fusion_bench.errors import ImageFormatError
from fusion_bench.metrics._filters import block_sums, freqspace_meshgrid, matlab_median, matlab_round, normalize1
from fusion_bench.metrics.perception import qcb, qcv, vif


def _textured(size: int = 64, seed: int = 0, channels: int = 3) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    levels = torch.randint(0, 256, (1, channels, size, size), generator=generator).to(torch.float64)
    return torch.round(torch.nn.functional.avg_pool2d(levels, 3, stride=1, padding=1)) / 255


def test_identical_images_score_perfectly() -> None:
    image = _textured()
    assert float(qcb([image, image], image)[0]) == pytest.approx(1.0, rel=1e-12)
    assert float(qcv([image, image], image)[0]) == 0.0
    assert float(vif([image, image], image)[0]) == pytest.approx(1.0, rel=5e-11)  # measured 6.6e-12 (was 1e-9)


def test_worse_fusion_scores_worse() -> None:
    a, b = _textured(seed=1), _textured(seed=2)
    good = (a + b) / 2
    bad = torch.flip(good, dims=(-1,))
    assert float(qcb([a, b], good)[0]) > float(qcb([a, b], bad)[0])
    assert float(qcv([a, b], good)[0]) < float(qcv([a, b], bad)[0])
    assert float(vif([a, b], good)[0]) > float(vif([a, b], bad)[0])


@pytest.mark.parametrize("metric", [qcb, qcv, vif])
def test_batch_composition_does_not_change_values(metric) -> None:
    a = torch.cat([_textured(48, seed=3), _textured(48, seed=4)])
    b = torch.cat([_textured(48, seed=5), _textured(48, seed=6)])
    f = (a + b) / 2
    together = metric([a, b], f)
    alone = torch.cat([metric([a[i:i + 1], b[i:i + 1]], f[i:i + 1]) for i in range(2)])
    assert together.shape == (2,)
    assert torch.equal(together, alone)  # measured bit for bit (was allowed 1e-10 relative)


@pytest.mark.parametrize("metric", [qcb, qcv, vif])
def test_bad_input_is_a_clear_error(metric) -> None:
    a, b = _textured(48, seed=7), _textured(48, seed=8)
    with pytest.raises(ImageFormatError, match="shape"):
        metric([a, b], a[..., :40])
    with pytest.raises(ImageFormatError, match=r"outside \[0, 1\]"):
        metric([a, b + 1], a)
    with pytest.raises(ImageFormatError, match="NaN"):
        metric([a, b], torch.full_like(a, float("nan")))
    with pytest.raises(ImageFormatError, match="exactly 2"):
        metric([a], a)


def test_matlab_helpers() -> None:
    # freqspace([3 4], 'meshgrid'): u = (-2:1)/2 along columns, v = (-1:1)·2/3 along rows
    u, v = freqspace_meshgrid(3, 4)
    torch.testing.assert_close(u[0], torch.tensor([-1.0, -0.5, 0.0, 0.5], dtype=torch.float64))
    torch.testing.assert_close(v[:, 0], torch.tensor([-2 / 3, 0.0, 2 / 3], dtype=torch.float64))
    # round halves away from zero; median of an even count averages the middle pair
    assert matlab_round(torch.tensor([0.5, 1.5, 2.5, -0.5])).tolist() == [1.0, 2.0, 3.0, -1.0]
    assert float(matlab_median(torch.tensor([4.0, 1.0, 3.0, 2.0]))) == 2.5
    # blkproc tiles from the top-left and zero-pads the last row/column of blocks
    sums = block_sums(torch.ones(1, 5, 3, dtype=torch.float64), 2)
    assert sums.tolist() == [[[4.0, 2.0], [4.0, 2.0], [2.0, 1.0]]]
    # normalize1 stretches to 0–255 and rounds; an all-zero plane is returned as is
    stretched = normalize1(torch.tensor([[[1.0, 2.0], [3.0, 5.0]]], dtype=torch.float64))
    assert stretched.tolist() == [[[0.0, 64.0], [128.0, 255.0]]]
    assert normalize1(torch.zeros(1, 2, 2, dtype=torch.float64)).abs().sum() == 0


def test_qcb_source_cache_returns_the_uncached_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from fusion_bench.metrics import perception
    from fusion_bench.metrics._source_cache import SourceFeatureCache

    a, b = _textured(40, seed=21), _textured(40, seed=22)
    fused = [(a + b) / 2, torch.maximum(a, b), torch.round(0.2 * a * 255 + 0.8 * b * 255) / 255]
    monkeypatch.setattr(perception.QCB_SOURCE_FEATURES, "max_bytes", 0)
    uncached = [qcb([a, b], f) for f in fused]
    cache = SourceFeatureCache()
    monkeypatch.setattr(perception, "QCB_SOURCE_FEATURES", cache)
    cached = [qcb([a.clone(), b.clone()], f) for f in fused]
    assert (cache.misses, cache.hits) == (1, 2)
    for with_cache, without in zip(cached, uncached):
        assert torch.equal(with_cache, without)


def test_compiled_vif_is_the_torch_form_bit_for_bit() -> None:
    """VIF's per-pixel loop (CPU) and its torch expressions give the same maps and score bit for bit, on
    images with flat regions (var_r, var_d below 1e-10), negative gains and ties between the sources."""
    from fusion_bench.metrics import perception
    a, b = _textured(72, seed=3, channels=1), _textured(72, seed=4, channels=1)
    a[..., :20, :30] = 0.5  # flat in A only
    b[..., 40:, 40:] = 0.25  # flat in B only
    fused = torch.round(255 * (0.7 * a + 0.3 * torch.flip(b, dims=(-1,)))) / 255
    fused[..., 50:, :25] = 0.75  # flat in the fused image
    sources = torch.stack([a[:, 0], b[:, 0]]) * 255
    perception.VIF_SOURCE_FEATURES.clear()
    compiled = perception.vif_planes(sources, fused[:, 0] * 255, compiled=True)
    in_torch = perception.vif_planes(sources, fused[:, 0] * 255, compiled=False)
    assert torch.equal(compiled, in_torch)
    part = perception._vif_source_part(sources)
    for scale in range(2):
        reference, mu_r, var_r, vind = part[4 * scale:4 * scale + 4]
        distorted = fused[:, 0] * 255 if scale == 0 else perception.filter2_separable(
            fused[:, 0] * 255, perception._vif_taps(1, fused.device), "valid", step=2)
        maps = [perception._vif_chosen_maps(reference, mu_r, var_r, vind, distorted, scale, compiled=flag)
                for flag in (True, False)]
        assert all(torch.equal(x, y) for x, y in zip(*maps))
    assert torch.equal(compiled, perception.vif_planes(sources, fused[:, 0] * 255, compiled=True))


def test_compiled_qcb_agrees_with_the_torch_form() -> None:
    """QCB's per-pixel loops (CPU) against its torch expressions, with a fused image that copies a source in
    places (preservation masks c_s < c_f at equality) and one with a flat region (NaN leaks as in Matlab)."""
    from fusion_bench.metrics import perception
    a, b = _textured(48, seed=5, channels=2), _textured(48, seed=6, channels=2)
    sources = torch.stack([a[0], b[0]]) * 255
    fused = torch.round(127.5 * (a[0] + b[0]))
    fused[:, :20] = sources[0][:, :20]
    flat = fused.clone()
    flat[:, 30:, 30:] = 0.0
    for image in (fused, flat):
        results = []
        for flag in (True, False):
            perception.QCB_SOURCE_FEATURES.clear()
            results.append(perception.qcb_planes(sources, image, compiled=flag))
        torch.testing.assert_close(results[0], results[1], rtol=1e-14, atol=1e-15, equal_nan=True)
