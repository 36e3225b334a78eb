"""Properties of the information, statistics and gradient metrics, the conventions, bad input, and the
torchmetrics classes (single process; DDP is in test_metrics_ddp.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fusion_bench.errors import ImageFormatError, UnknownNameError
from fusion_bench.io.colour import MATLAB_RGB2GRAY
from fusion_bench.metrics.classes import FusionMetric, build_metric_collection, metric_class
from fusion_bench.metrics.conventions import to_gray_matlab, to_uint8_values
from fusion_bench.metrics.registry import compute_metrics, get_metric, list_metrics

MINE = ("EN", "CE", "NMI", "PSNR", "QNCIE", "TE", "FMI", "MI", "SD", "AG", "EI", "SF")
NO_REFERENCE = ("EN", "SD", "SF", "AG", "EI")


pytestmark = pytest.mark.usefixtures("one_thread")


def _image(seed: int, size: int = 32, channels: int = 3) -> torch.Tensor:
    """Textured (1, C, size, size) image on the 8-bit grid."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.rand(1, channels, size + 2, size + 2, generator=generator, dtype=torch.float64)
    smooth = torch.nn.functional.avg_pool2d(noise, 3, stride=1)
    ramp = torch.linspace(0, 0.4, size, dtype=torch.float64)[None, None, None, :]
    return (torch.round((0.6 * smooth + ramp).clamp(0, 1) * 255) / 255).to(torch.float32)


@pytest.mark.parametrize("convention", ["mefb", "gray"])
@pytest.mark.parametrize("name", NO_REFERENCE)
def test_constant_image_scores_zero(name: str, convention: str) -> None:
    constant = torch.full((2, 3, 20, 24), 0.4)
    sources = [torch.rand(2, 3, 20, 24), torch.rand(2, 3, 20, 24)]
    value = get_metric(name).function(sources, constant, convention=convention)
    assert value.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("name", ["SD", "EN"])
@pytest.mark.parametrize("dims", [(-1,), (-2,), (-2, -1)])
def test_flip_invariance(name: str, dims: tuple[int, ...]) -> None:
    a, b, f = _image(1), _image(2), _image(3)
    spec = get_metric(name)
    original = spec.function([a, b], f)
    flipped = spec.function([a.flip(dims), b.flip(dims)], f.flip(dims))
    assert flipped.item() == pytest.approx(original.item(), rel=1e-12)


@pytest.mark.parametrize("convention", ["mefb", "gray"])
def test_nmi_symmetric_in_sources(convention: str) -> None:
    a, b, f = _image(4), _image(5), _image(6)
    nmi = get_metric("NMI").function
    assert nmi([b, a], f, convention=convention).item() == pytest.approx(
        nmi([a, b], f, convention=convention).item(), rel=1e-12)


@pytest.mark.parametrize("name", MINE)
def test_batch_composition_does_not_change_values(name: str) -> None:
    images = [(_image(10 + i), _image(20 + i), _image(30 + i)) for i in range(3)]
    spec = get_metric(name)
    single = torch.cat([spec.function([a, b], f) for a, b, f in images])
    stacked = spec.function([torch.cat([x[0] for x in images]), torch.cat([x[1] for x in images])],
                            torch.cat([x[2] for x in images]))
    assert stacked.dtype == torch.float64 and stacked.shape == (3,)
    assert torch.equal(stacked, single)  # measured bit for bit (was allowed 1e-12 relative)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("name", [spec.name for spec in list_metrics()])
def test_same_value_on_gpu(name: str) -> None:
    """Every metric; its torch form is also checked against MEFB's values on the CPU and on CUDA
    (test_metrics_reference.py)."""
    a, b, f = _image(7, size=64), _image(8, size=64), _image(9, size=64)
    spec = get_metric(name)
    on_gpu = spec.function([a.cuda(), b.cuda()], f.cuda())
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), spec.function([a, b], f), rtol=1e-10, atol=0)


@pytest.mark.parametrize("name", MINE)
def test_float32_and_float64_inputs_agree(name: str) -> None:
    a, b, f = _image(11), _image(12), _image(13)
    spec = get_metric(name)
    torch.testing.assert_close(spec.function([a.double(), b.double()], f.double()), spec.function([a, b], f),
                               rtol=0, atol=0)


def test_gray_convention_is_the_metric_of_matlab_rgb2gray() -> None:
    a, b, f = _image(14), _image(15), _image(16)
    grey = [to_gray_matlab(x) / 255 for x in (a, b, f)]
    for name in MINE:
        spec = get_metric(name)
        torch.testing.assert_close(spec.function([a, b], f, convention="gray"),
                                   spec.function(grey[:2], grey[2], convention="mefb"), rtol=1e-12, atol=0)


def test_rgb2gray_weights_and_uint8_rounding() -> None:
    pixel = torch.tensor([10.0, 200.0, 37.0]).reshape(1, 3, 1, 1) / 255
    r, g, b = MATLAB_RGB2GRAY
    exact = r * 10 + g * 200 + b * 37
    assert to_gray_matlab(pixel).item() == math.floor(exact + 0.5)
    assert to_uint8_values(torch.tensor([0.0, 37 / 255, 1.0])).tolist() == [0.0, 37.0, 255.0]


def test_mefb_rgb_is_the_channel_mean() -> None:
    a, b, f = _image(17), _image(18), _image(19)
    for name in MINE:
        spec = get_metric(name)
        per_channel = [spec.function([a[:, k:k + 1], b[:, k:k + 1]], f[:, k:k + 1]) for k in range(3)]
        expected = torch.stack(per_channel).mean(dim=0)
        torch.testing.assert_close(spec.function([a, b], f), expected, rtol=1e-12, atol=0)


def test_grey_sources_with_rgb_fused_follow_mefb() -> None:
    a, b = _image(20, channels=1), _image(21, channels=1)
    f = _image(22)
    for name in MINE:
        if name == "AG":
            continue
        spec = get_metric(name)
        torch.testing.assert_close(spec.function([a, b], f), spec.function([a, b], f[:, :1]), rtol=0, atol=0)
    # metricsAvg_gradient.m instead applies rgb2gray to the double fused image, without uint8 rounding.
    r, g, bl = MATLAB_RGB2GRAY
    levels = torch.round(f.double() * 255)
    unrounded = r * levels[:, 0:1] + g * levels[:, 1:2] + bl * levels[:, 2:3]
    from fusion_bench.metrics.gradient import ag_planes

    assert get_metric("AG").function([a, b], f).item() == pytest.approx(ag_planes(unrounded[:, 0]).item(), rel=1e-14)


def test_mi_is_the_sum_of_two_histogram_mutual_informations() -> None:
    a, b, f = (_image(s, channels=1) for s in (23, 24, 25))

    def mutual_information(x: torch.Tensor, y: torch.Tensor) -> float:
        joint, _, _ = np.histogram2d(np.round(x.numpy().ravel() * 255), np.round(y.numpy().ravel() * 255),
                                     bins=256, range=[[-0.5, 255.5], [-0.5, 255.5]])
        p = joint / joint.sum()
        px, py = p.sum(axis=1), p.sum(axis=0)
        nz = p > 0
        return float((p[nz] * np.log2(p[nz] / np.outer(px, py)[nz])).sum())

    expected = mutual_information(a, f) + mutual_information(b, f)
    # numpy sums in another order: measured 2.2e-16 relative, one ulp (was allowed 1e-10)
    assert get_metric("MI").function([a, b], f).item() == pytest.approx(expected, rel=2e-15)


def test_hand_computed_small_images() -> None:
    # 2×2 grey images: F = [0 255; 255 255] → histogram (1/4, 3/4): EN = 0.811278…
    fused = torch.tensor([[0.0, 1.0], [1.0, 1.0]]).reshape(1, 1, 2, 2)
    source = torch.tensor([[0.0, 0.0], [1.0, 1.0]]).reshape(1, 1, 2, 2)
    values = compute_metrics([source, source], fused, ["EN", "SD", "SF", "CE", "PSNR", "AG"])
    assert values["EN"].item() == pytest.approx(-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75)), rel=1e-14)
    assert values["SD"].item() == pytest.approx(math.sqrt((3 * 63.75 ** 2 + 191.25 ** 2) / 4), rel=1e-14)
    # Row differences: one of 255 (top row); column differences: one of 255 (left column); both / (m·n) = 4.
    assert values["SF"].item() == pytest.approx(math.sqrt(255 ** 2 / 4 + 255 ** 2 / 4), rel=1e-14)
    # CE(S, F) = 1/2·log2((1/2)/(1/4)) + 1/2·log2((1/2)/(3/4)), the same for both sources.
    assert values["CE"].item() == pytest.approx(0.5 * math.log2(2) + 0.5 * math.log2(2 / 3), rel=1e-14)
    # MEFB's "MSE" is sqrt(Σ(S − F)²)/(m·n) = 255/4.
    assert values["PSNR"].item() == pytest.approx(20 * math.log10(255 / math.sqrt(255 / 4)), rel=1e-14)
    # Matlab gradient on a 2×2: dx = [255 255; 0 0], dy = [255 0; 255 0]; sum sqrt((dx²+dy²)/2) / (1·1).
    assert values["AG"].item() == pytest.approx(255 + 255 / math.sqrt(2) * 2, rel=1e-14)


def test_psnr_of_identical_images_is_infinite_and_te_nmi_of_constant_nonzero_plane_is_nan() -> None:
    a = _image(26)
    assert get_metric("PSNR").function([a, a], a).item() == math.inf
    flat = torch.full_like(a, 0.5)
    # normalize1 divides 0 by 0 on a constant non-zero image; MEFB's histogram indexing then fails.
    for name in ("NMI", "QNCIE", "TE"):
        assert math.isnan(get_metric(name).function([a, flat], a).item())


@pytest.mark.parametrize("name", MINE)
def test_bad_input_is_a_clear_error(name: str) -> None:
    fn = get_metric(name).function
    a, b, f = _image(27), _image(28), _image(29)
    with pytest.raises(ImageFormatError, match="shape"):
        fn([a, b], f[..., :-1])
    with pytest.raises(ImageFormatError, match="outside"):
        fn([a, b], f * 255)
    with_nan = b.clone()
    with_nan[0, 1, 5, 5] = float("nan")
    with pytest.raises(ImageFormatError, match="NaN"):
        fn([a, with_nan], f)
    with pytest.raises(ImageFormatError, match="grey but the sources are RGB"):
        fn([a, b], f[:, :1])
    with pytest.raises(ImageFormatError, match="source images"):
        fn([a], f)
    with pytest.raises(UnknownNameError, match="convention"):
        fn([a, b], f, convention="y")


def test_metric_class_accumulates_the_mean_over_images() -> None:
    images = [(_image(40 + i), _image(50 + i), _image(60 + i)) for i in range(3)]
    metric = FusionMetric("SF", convention="gray")
    assert type(metric).__name__ == "SFMetric" and isinstance(metric, FusionMetric)
    assert metric.higher_is_better is True and metric.is_differentiable is False
    assert metric.full_state_update is False
    metric.update([images[0][0], images[0][1]], images[0][2])
    metric.update([torch.cat([x[0] for x in images[1:]]), torch.cat([x[1] for x in images[1:]])],
                  torch.cat([x[2] for x in images[1:]]))
    expected = torch.cat([get_metric("SF").function([a, b], f, convention="gray") for a, b, f in images]).mean()
    assert metric.total.dtype == torch.float64 and metric.count.item() == 3
    assert metric.compute().item() == pytest.approx(expected.item(), rel=1e-14)
    metric.reset()
    assert metric.count.item() == 0
    assert metric_class("Cross_entropy").higher_is_better is False
    with pytest.raises(UnknownNameError):
        FusionMetric("nope")
    with pytest.raises(UnknownNameError, match="computes CE"):
        metric_class("CE")("EN")


def test_metric_collection_keys_and_values() -> None:
    a, b, f = _image(70), _image(71), _image(72)
    collection = build_metric_collection(["EN", "CE", "FMI"], convention="mefb")
    collection.update([a, b], f)
    values = collection.compute()
    assert set(values) == {"EN", "CE", "FMI"}
    for name in ("EN", "CE", "FMI"):
        assert values[name].item() == pytest.approx(get_metric(name).function([a, b], f).item(), rel=1e-14)


def test_normalize1_lookup_equals_per_pixel_normalize1() -> None:
    from fusion_bench.metrics._filters import normalize1
    from fusion_bench.metrics.information import _normalised

    generator = torch.Generator().manual_seed(5)
    planes = torch.randint(3, 201, (4, 30, 30), generator=generator).to(torch.float64)
    planes[1] = 0.0  # all-zero plane: normalize1 leaves it unchanged
    planes[2, :15] = 0.0
    stretched, valid = _normalised(planes)
    assert valid.tolist() == [True, True, True, True]
    assert torch.equal(stretched, normalize1(planes))
    _, valid = _normalised(torch.full((1, 4, 4), 7.0))
    assert valid.tolist() == [False]


def test_shared_planes_are_recomputed_when_inputs_change() -> None:
    a, b, f = _image(80), _image(81), _image(82)
    sf = get_metric("SF").function
    first = sf([a, b], f)
    assert sf([a, b], f, convention="gray").item() != first.item()
    f.mul_(0.5)  # in place: same tensor object, new version
    assert sf([a, b], f).item() == pytest.approx(first.item() * 0.5, rel=1e-2)
    assert sf([a, b], f.clone()).item() == sf([a, b], f).item()
    with pytest.raises(ImageFormatError, match="outside"):
        sf([a, b], f.add_(1.0))
