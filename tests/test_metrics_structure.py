"""Qabf, QP, QC, QW, QY, MEF-SSIM and SSIM on properties. Every Octave row of Qabf, QP, QW and MEF-SSIM is
checked, in both forms, in test_metrics_reference.py; QC and QY against MEFB's Matlab values in
test_metrics_qc_qy_matlab.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fusion_bench.errors import ImageFormatError
from fusion_bench.metrics._filters import filter2_separable, fspecial_gaussian, gaussian_taps
from fusion_bench.metrics._source_cache import SourceFeatureCache
from fusion_bench.metrics.phase_congruency import SOURCE_FEATURES, phase_congruency
from fusion_bench.metrics.registry import get_metric
from fusion_bench.metrics.structure import (
    QABF_DA,
    QABF_DG,
    QABF_KA,
    QABF_KG,
    QABF_TA,
    QABF_TG,
    mef_ssim,
    qabf,
    qc,
    qw,
    qy,
    ssim,
)



def _textured(size: int = 64, seed: int = 0, channels: int = 3) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    levels = torch.randint(0, 256, (1, channels, size, size), generator=generator).to(torch.float64)
    smooth = torch.nn.functional.avg_pool2d(levels, 3, stride=1, padding=1)
    return torch.round(smooth) / 255


def test_qabf_of_identical_images_is_the_ceiling() -> None:
    image = _textured()
    value = float(qabf([image, image], image)[0])
    # MEFB's code sets the relative strength to g_F (not 1) where g_A = g_F, so its strength term saturates
    # at Tg; the formula Tg/(1+e^{kg(1−Dg)})·Ta/(1+e^{ka(1−Da)}) differs from it by 5.4e-4.
    mefb_ceiling = QABF_TG * QABF_TA / (1 + math.exp(QABF_KA * (1 - QABF_DA)))
    paper_ceiling = QABF_TG / (1 + math.exp(QABF_KG * (1 - QABF_DG))) * QABF_TA / (1 + math.exp(QABF_KA * (1 - QABF_DA)))
    assert value == pytest.approx(mefb_ceiling, rel=1e-12)
    assert abs(value - paper_ceiling) < 1e-3
    assert value == pytest.approx(0.975, abs=1e-3)


def test_mef_ssim_at_most_one() -> None:
    a, b, f = _textured(seed=1), _textured(seed=2), _textured(seed=3)
    assert float(mef_ssim([a, b], f)[0]) <= 1.0
    assert float(mef_ssim([a, a], a)[0]) == pytest.approx(1.0, rel=0, abs=1e-10)  # measured 2.3e-11 (was 1e-9)
    assert float(mef_ssim([a, b, f], (a + b) / 2)[0]) <= 1.0


def test_ssim_matches_a_scipy_implementation_of_ssim_index() -> None:
    from scipy.signal import correlate2d

    a, b, f = (_textured(seed=s, channels=1) for s in (4, 5, 6))
    taps = [math.exp(-(x - 5) ** 2 / 4.5) for x in range(11)]
    window = torch.outer(torch.tensor(taps), torch.tensor(taps)).double()
    window = (window / window.sum()).numpy()

    def ssim_index(x: torch.Tensor, y: torch.Tensor) -> float:
        x, y = (torch.round(z[0, 0] * 255).numpy() for z in (x, y))
        mx, my = correlate2d(x, window, "valid"), correlate2d(y, window, "valid")
        vx = correlate2d(x * x, window, "valid") - mx * mx
        vy = correlate2d(y * y, window, "valid") - my * my
        cxy = correlate2d(x * y, window, "valid") - mx * my
        c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
        return float((((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))).mean())

    expected = (ssim_index(a, f) + ssim_index(b, f)) / 2
    # a mean of terms in [−1, 1], summed in other orders: measured 9.3e-11 apart (was allowed 1e-9)
    assert float(ssim([a, b], f)[0]) == pytest.approx(expected, rel=0, abs=5e-10)
    assert float(ssim([a, a], a)[0]) == pytest.approx(1.0, abs=1e-12)


def test_fspecial_gaussian_is_normalised_and_symmetric() -> None:
    window = fspecial_gaussian(7, 1.5)
    assert torch.equal(window, window.T) and torch.equal(window, window.flip(0))
    assert float(window.sum()) == pytest.approx(1.0, abs=1e-15)
    taps = gaussian_taps(7, 1.5)
    torch.testing.assert_close(window, torch.outer(taps, taps), rtol=1e-15, atol=0)


@pytest.mark.parametrize("metric", [qabf, qc, qw, qy, mef_ssim, ssim, get_metric("QP").function])
def test_batch_composition_does_not_change_values(metric) -> None:
    a = torch.cat([_textured(48, seed=7), _textured(48, seed=8)])
    b = torch.cat([_textured(48, seed=9), _textured(48, seed=10)])
    f = (a + b) / 2
    together = metric([a, b], f)
    alone = torch.cat([metric([a[i:i + 1], b[i:i + 1]], f[i:i + 1]) for i in range(2)])
    assert together.shape == (2,)
    assert together.dtype == torch.float64
    assert torch.equal(together, alone)  # measured bit for bit (was allowed 1e-10 relative)


def test_gray_convention_scores_matlab_luminance() -> None:
    a, b = _textured(seed=11), _textured(seed=12)
    f = (a + b) / 2
    weights = torch.tensor([0.298936021293775, 0.587043074451121, 0.114020904255103], dtype=torch.float64)

    def gray(x: torch.Tensor) -> torch.Tensor:
        levels = (torch.round(x * 255) * weights[None, :, None, None]).sum(dim=1, keepdim=True)
        return torch.floor(levels + 0.5) / 255

    for metric in (qabf, qc, qw, qy, ssim):
        assert float(metric([a, b], f, convention="gray")[0]) == pytest.approx(
            float(metric([gray(a), gray(b)], gray(f))[0]), rel=1e-12)
    assert float(mef_ssim([a, b], f, convention="gray")[0]) == float(mef_ssim([a, b], f)[0])


def test_rgb_is_scored_per_channel_and_averaged() -> None:
    a, b = _textured(seed=13), _textured(seed=14)
    f = (a + b) / 2
    per_channel = [float(qabf([a[:, c:c + 1], b[:, c:c + 1]], f[:, c:c + 1])[0]) for c in range(3)]
    assert float(qabf([a, b], f)[0]) == pytest.approx(sum(per_channel) / 3, rel=1e-12)
    # grey sources with an RGB fused image: MEFB scores the fused image's first channel
    grey_sources = [a[:, :1], b[:, :1]]
    assert float(qw(grey_sources, f)[0]) == pytest.approx(float(qw(grey_sources, f[:, :1])[0]), rel=1e-12)


def test_phase_congruency_of_a_step_edge_peaks_on_the_edge() -> None:
    image = torch.zeros(1, 64, 64, dtype=torch.float64)
    image[..., 32:] = 255
    pc, moment_max, moment_min = phase_congruency(image)
    assert pc.shape == moment_max.shape == moment_min.shape == (1, 64, 64)
    row = pc[0, 16]
    # the FFT is circular, so the wrap-around at columns 63 → 0 is a second step edge
    assert 8 + row[8:56].argmax().item() in (31, 32)
    assert float(row[31]) > 0.5 and float(row[32]) > 0.5
    assert float(row[16]) < 0.05
    assert bool((moment_max >= moment_min).all())


def test_qp_source_cache_returns_the_uncached_values(monkeypatch: pytest.MonkeyPatch) -> None:
    qp = get_metric("QP").function
    a, b = _textured(48, seed=17), _textured(48, seed=18)
    fused = [(a + b) / 2, torch.round(0.3 * a * 255 + 0.7 * b * 255) / 255]
    monkeypatch.setattr(SOURCE_FEATURES, "max_bytes", 0)
    uncached = [qp([a, b], f) for f in fused]
    cache = SourceFeatureCache()
    monkeypatch.setattr("fusion_bench.metrics.phase_congruency.SOURCE_FEATURES", cache)
    cached = [qp([a.clone(), b.clone()], f) for f in fused]  # new tensors, same contents: hit on the second
    assert (cache.misses, cache.hits) == (1, 1)
    for with_cache, without in zip(cached, uncached):
        assert torch.equal(with_cache, without)
    qp([a, torch.flip(b, dims=(-1,))], fused[0])  # other contents: a miss
    assert cache.misses == 2


def test_source_cache_is_bounded() -> None:
    planes = [torch.full((1, 8, 8), float(v), dtype=torch.float64) for v in range(5)]
    cache = SourceFeatureCache(max_bytes=3 * 3 * 8 * 8 * 8)  # room for three entries of three 8×8 maps
    for p in planes:
        cache.get(p, lambda x: (x, x, x))
    assert cache.stored_bytes() <= cache.max_bytes
    cache.get(planes[4], lambda x: (x, x, x))
    assert cache.hits == 1
    cache.get(planes[0], lambda x: (x, x, x))  # evicted
    assert cache.misses == 6


@pytest.mark.parametrize("metric", [qabf, qc, qw, qy, mef_ssim, ssim])
def test_bad_input_is_a_clear_error(metric) -> None:
    a, b = _textured(48, seed=15), _textured(48, seed=16)
    with pytest.raises(ImageFormatError, match="shape"):
        metric([a, b], a[..., :40, :])
    with pytest.raises(ImageFormatError, match=r"outside \[0, 1\]"):
        metric([a * 255, b], a)
    with pytest.raises(ImageFormatError, match="NaN"):
        metric([a, b], torch.full_like(a, float("nan")))
    with pytest.raises(ImageFormatError, match="grey"):
        metric([a, b], a[:, :1])


def test_two_source_metrics_refuse_other_source_counts() -> None:
    a = _textured(48)
    with pytest.raises(ImageFormatError, match="exactly 2"):
        qc([a, a, a], a)
    with pytest.raises(ImageFormatError, match="at least"):
        mef_ssim([a], a)
    with pytest.raises(ImageFormatError, match="MEF-SSIM needs images"):
        mef_ssim([a[..., :40, :40], a[..., :40, :40]], a[..., :40, :40])


@pytest.mark.parametrize("strip_bytes", [1, 5 * 4 * 37 * 16])  # one row per strip; 5 rows, ragged last strip
def test_torch_reduction_over_scales_does_not_depend_on_the_strip_height(monkeypatch: pytest.MonkeyPatch,
                                                                        strip_bytes: int) -> None:
    from fusion_bench.metrics import phase_congruency as pc_module

    generator = torch.Generator().manual_seed(5)
    response = torch.complex(torch.randn(4, 43, 37, generator=generator, dtype=torch.float64),
                             torch.randn(4, 43, 37, generator=generator, dtype=torch.float64))
    at_once = [torch.empty(43, 37, dtype=torch.float64) for _ in range(4)]
    pc_module._reduce_scales_torch(response, *at_once)
    monkeypatch.setattr(pc_module, "_STRIP_BYTES", strip_bytes)
    in_strips = [torch.full((43, 37), float("nan"), dtype=torch.float64) for _ in range(4)]
    pc_module._reduce_scales_torch(response, *in_strips)
    for a, b in zip(in_strips, at_once):
        assert torch.equal(a, b)


def test_phase_congruency_kernels_agree_with_the_torch_path() -> None:
    """The compiled per-pixel loops (CPU) and the torch expressions (other devices) compute the same
    myphasecong3.m steps; they may round differently only in the last bits."""
    from fusion_bench.metrics import _phase_congruency_kernels as kernels
    from fusion_bench.metrics import phase_congruency as pc_module

    generator = torch.Generator().manual_seed(3)
    response = torch.complex(torch.randn(4, 23, 31, generator=generator, dtype=torch.float64),
                             torch.randn(4, 23, 31, generator=generator, dtype=torch.float64)) * 100
    response[:, 0, 0] = 0  # a pixel without any response: 0/0 in the spread weighting, as in Matlab
    compiled = [torch.empty(23, 31, dtype=torch.float64) for _ in range(4)]
    in_torch = [torch.empty(23, 31, dtype=torch.float64) for _ in range(4)]
    kernels.reduce_scales(response.numpy(), *(t.numpy() for t in compiled), 1e-4)
    pc_module._reduce_scales_torch(response, *in_torch)
    for a, b in zip(compiled, in_torch):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-12, equal_nan=True)

    smallest, total, largest, raw = compiled
    totals_compiled = [torch.rand(23, 31, generator=generator, dtype=torch.float64) for _ in range(5)]
    totals_torch = [t.clone() for t in totals_compiled]
    kernels.accumulate_orientation(raw.numpy(), total.numpy(), largest.numpy(), 37.5, math.cos(0.5),
                                   math.sin(0.5), 4, 0.5, 10.0, 1e-4, *(t.numpy() for t in totals_compiled))
    pc_module._accumulate_orientation_torch(raw, total, largest, 37.5, 0.5, tuple(totals_torch))
    for a, b in zip(totals_compiled, totals_torch):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-12, equal_nan=True)
    assert bool(totals_compiled[0].isfinite()[1:].all())


def test_qp_agreement_kernel_agrees_with_the_torch_path() -> None:
    from fusion_bench.metrics import phase_congruency as pc_module

    generator = torch.Generator().manual_seed(9)
    sources = (torch.rand(2, 2, 29, 33, generator=generator, dtype=torch.float64) * 255).round()
    fused = (sources.mean(dim=0) + torch.rand(2, 29, 33, generator=generator, dtype=torch.float64)).round()
    masks, *per_map = pc_module._qp_source_part(sources)
    assert bool(masks.any()) and not bool(masks.all())
    for index, fused_map in enumerate(pc_module.phase_congruency(fused)):
        features, mu, var = per_map[3 * index:3 * index + 3]
        compiled = pc_module._feature_agreement(features, mu, var, masks, fused_map, compiled=True)
        in_torch = pc_module._feature_agreement(features, mu, var, masks, fused_map, compiled=False)
        assert compiled.shape == (2,)
        assert torch.equal(compiled, in_torch)  # same operations per pixel, same summation afterwards


@pytest.mark.parametrize("mode", ["same", "valid"])
@pytest.mark.parametrize("shape", [(5, 9), (2, 3, 19, 23), (1, 40, 12)])
@pytest.mark.parametrize("n", [3, 11])
def test_compiled_separable_filter_agrees_with_the_matrix_form(mode: str, shape: tuple[int, ...], n: int) -> None:
    """The compiled rows/columns passes and the banded matrix products sum the same products (zero padding
    at the border for 'same') in different orders: equal to rounding, and equal to a direct 2-D correlation."""
    if mode == "valid" and min(shape[-2:]) < n:
        pytest.skip("'valid' needs at least n samples per axis")
    generator = torch.Generator().manual_seed(n + len(shape))
    x = torch.rand(*shape, generator=generator, dtype=torch.float64) * 255
    x = x.transpose(-2, -1).contiguous().transpose(-2, -1)  # a non-contiguous input as well
    taps = gaussian_taps(n, 1.5)
    compiled = filter2_separable(x, taps, mode, compiled=True)
    in_torch = filter2_separable(x, taps, mode, compiled=False)
    planes = x.reshape(-1, 1, *shape[-2:])
    padding = (n - 1) // 2 if mode == "same" else 0
    direct = torch.nn.functional.conv2d(planes, torch.outer(taps, taps)[None, None], padding=padding)
    assert compiled.shape == in_torch.shape == (*shape[:-2], *direct.shape[-2:])
    torch.testing.assert_close(compiled, in_torch, rtol=1e-14, atol=1e-12)
    torch.testing.assert_close(compiled, direct.reshape(compiled.shape), rtol=1e-13, atol=1e-11)


def test_compiled_separable_filter_on_complex_planes() -> None:
    """Complex planes (QCB filters the complex output of its CSF filter) go through the compiled passes part
    by part, and agree with the matrix form to rounding."""
    generator = torch.Generator().manual_seed(7)
    x = torch.complex(torch.rand(2, 33, 41, generator=generator, dtype=torch.float64),
                      torch.rand(2, 33, 41, generator=generator, dtype=torch.float64) - 0.5) * 255
    taps = gaussian_taps(31, 4.0, normalise=False)
    compiled = filter2_separable(x, taps, "same", compiled=True)
    in_torch = filter2_separable(x, taps, "same", compiled=False)
    assert compiled.dtype == torch.complex128
    torch.testing.assert_close(compiled, in_torch, rtol=1e-14, atol=1e-11)


@pytest.mark.parametrize("shape", [(1, 37, 45), (3, 20, 19)])
def test_compiled_qw_and_qabf_agree_with_the_torch_form(shape: tuple[int, ...]) -> None:
    """QW's and Qabf's per-pixel loops on the fused image (CPU) against their torch expressions, on planes with
    flat regions and a fused image that copies a source in places (Qabf's g_s == g_f quirk must fire alike:
    both sides' gradient strengths use the correctly rounded square root)."""
    from fusion_bench.metrics import structure
    generator = torch.Generator().manual_seed(shape[0])
    sources = torch.round(torch.rand(2, *shape, generator=generator, dtype=torch.float64) * 255)
    sources[0, :, :8, :9] = 7.0
    sources[1, :, -6:, :] = 200.0
    fused = torch.round(torch.rand(*shape, generator=generator, dtype=torch.float64) * 255)
    fused[:, 5:15, 5:15] = 3.0
    fused[:, shape[1] // 2:, :] = sources[0, :, shape[1] // 2:, :]
    for planes, cache, sources_in, fused_in in (
            (structure.qw_planes, structure.QW_SOURCE_FEATURES, sources, fused),
            (structure.qabf_planes, structure.QABF_SOURCE_FEATURES, sources / 255, fused / 255)):
        cache.clear()
        compiled = planes(sources_in, fused_in, compiled=True)
        in_torch = planes(sources_in, fused_in, compiled=False)
        torch.testing.assert_close(compiled, in_torch, rtol=1e-14, atol=1e-15)
