"""SSIM, intensity and gradient losses: values on known inputs, minima, finite gradients, bad shapes."""

from __future__ import annotations

import pytest
import torch
from kornia.metrics import ssim

from fusion_bench.errors import ConfigError, ImageFormatError
from fusion_bench.losses import FusionLoss, LossConfig, gradient_loss, intensity_loss, sobel_magnitude, ssim_loss


@pytest.fixture
def pair() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(2, 3, 32, 32, generator=generator), torch.rand(2, 3, 32, 32, generator=generator)]


def test_intensity_known_values(pair: list[torch.Tensor]) -> None:
    a, b = pair
    assert intensity_loss(torch.maximum(a, b), pair, "max").item() == 0.0
    assert intensity_loss((a + b) / 2, pair, "mean").item() == pytest.approx(0.0, abs=1e-7)
    assert intensity_loss(torch.zeros_like(a), pair, "max").item() == pytest.approx(torch.maximum(a, b).mean().item())
    with pytest.raises(ConfigError):
        intensity_loss(a, pair, "median")  # type: ignore[arg-type]


def test_sobel_magnitude_of_a_ramp() -> None:
    ramp = torch.arange(8.0).repeat(8, 1)[None, None]  # +1 per column
    inner = sobel_magnitude(ramp)[..., 1:-1, 1:-1]
    assert torch.allclose(inner, torch.full_like(inner, 8.0))  # |1,2,1| × 2 per unit step, unnormalised


def test_gradient_loss_zero_at_the_max_gradient_and_known_value() -> None:
    flat = torch.zeros(1, 1, 16, 16)
    step = torch.zeros(1, 1, 16, 16)
    step[..., 8:] = 1.0
    assert gradient_loss(step, [flat, step]).item() == 0.0
    # The fused image has no edge: the loss is the mean of the step's gradient magnitude.
    assert gradient_loss(flat, [flat, step]).item() == pytest.approx(sobel_magnitude(step).mean().item())


def test_ssim_loss_zero_on_identical_and_weighted(pair: list[torch.Tensor]) -> None:
    a, b = pair
    assert ssim_loss(a, [a, a], "equal").item() == pytest.approx(0.0, abs=1e-5)
    expected = 0.5 * (1 - ssim(a, a, 11).mean()) + 0.5 * (1 - ssim(a, b, 11).mean())
    assert ssim_loss(a, [a, b], "equal").item() == pytest.approx(expected.item(), rel=1e-5)
    # Gradient weighting: a flat source gets no weight, so matching the textured one costs nothing.
    flat = torch.full_like(a, 0.5)
    assert ssim_loss(a, [a, flat], "gradient").item() == pytest.approx(0.0, abs=1e-5)


def test_losses_have_finite_gradients(pair: list[torch.Tensor]) -> None:
    fused = torch.rand(2, 3, 32, 32, requires_grad=True)
    features = [torch.randn(2, 8, 32, 32, requires_grad=True) for _ in range(2)]
    total, terms = FusionLoss(LossConfig())(fused, pair, features)
    total.backward()
    assert set(terms) == {"ssim", "intensity", "gradient", "nmi"}
    for tensor in (fused, *features):
        assert tensor.grad is not None and torch.isfinite(tensor.grad).all() and tensor.grad.abs().sum() > 0


def test_composite_weights_and_errors(pair: list[torch.Tensor]) -> None:
    fused = torch.rand(2, 3, 32, 32)
    only_intensity = LossConfig(ssim=0, gradient=0, nmi=0, intensity=3.0)
    total, terms = FusionLoss(only_intensity)(fused, pair)
    assert total.item() == pytest.approx(3.0 * intensity_loss(fused, pair, "mean").item(), rel=1e-6)
    with pytest.raises(ConfigError, match="feature"):
        FusionLoss(LossConfig())(fused, pair)
    with pytest.raises(ConfigError, match="unknown key"):
        LossConfig.from_dict({"ssim_weight": 1.0})
    with pytest.raises(ImageFormatError, match="source 1"):
        intensity_loss(fused, [pair[0], pair[1][:, :1]])
