"""MGDN's masked feature NMI: identity vs independence, the formula on a hand-made case, the gradient mask."""

from __future__ import annotations

import math

import pytest
import torch

from fusion_bench.errors import ConfigError, ImageFormatError
from fusion_bench.losses import masked_nmi, nmi_feature_loss, shared_structure_mask


def test_identical_features_score_higher_than_independent() -> None:
    generator = torch.Generator().manual_seed(0)
    a = torch.rand(1, 4, 64, 64, generator=generator)
    b = torch.rand(1, 4, 64, 64, generator=generator)
    same = masked_nmi(a, a, bins=16, bandwidth=0.25)
    independent = masked_nmi(a, b, bins=16, bandwidth=0.25)
    assert (independent < 0.01).all()  # independent uniform features: NMI ≈ 0 (the minimum)
    assert (same > 0.6).all()
    assert (masked_nmi(a, 1.0 - a, bins=16, bandwidth=0.25) - same).abs().max() < 1e-4  # any bijection


def test_two_level_features_match_the_closed_form() -> None:
    # Half the pixels at 0, half at 1; b copies a: with sharp kernels each histogram has two equal bins,
    # so H_a = H_b = H_ab = log 2 and NMI = 2 (log 2 + log 2 − log 2) / (2 log 2) = 1.
    a = torch.zeros(1, 1, 8, 8)
    a[..., 4:, :] = 1.0
    assert masked_nmi(a, a.clone(), bins=2, bandwidth=0.05).item() == pytest.approx(1.0, abs=1e-4)
    # b constant: H_b = 0, I = 0 → NMI = 0.
    assert masked_nmi(a, torch.zeros_like(a), bins=2, bandwidth=0.05).item() == pytest.approx(0.0, abs=1e-6)
    assert math.isfinite(masked_nmi(torch.zeros_like(a), torch.zeros_like(a)).item())


def test_mask_exempts_shared_edges_only() -> None:
    image = torch.zeros(1, 3, 32, 32)
    image[..., 16:] = 1.0  # a vertical edge
    other = image.clone()
    other[..., 8:, :] = other[..., 8:, :].flip(-2)  # same edge
    mask = shared_structure_mask([image, other])
    assert mask.shape == (1, 1, 32, 32)
    assert mask[0, 0, 20, 15:17].max() < 0.01  # the shared edge weighs ~0
    assert mask[0, 0, 20, :10].min() == 1.0  # flat regions weigh 1
    flat = torch.zeros_like(image)
    assert shared_structure_mask([image, flat]).min() == 1.0  # an edge in one source only is kept
    assert shared_structure_mask([image, other], (8, 8)).shape == (1, 1, 8, 8)


def test_masked_pixels_do_not_count() -> None:
    generator = torch.Generator().manual_seed(1)
    a = torch.rand(1, 2, 16, 16, generator=generator)
    b = torch.rand(1, 2, 16, 16, generator=generator)
    for x in (a, b):  # the histogram range comes from every pixel: pin it to [0, 1] in the kept half
        x[..., 8, 0], x[..., 8, 1] = 0.0, 1.0
    b_copy = b.clone()
    b_copy[..., :8, :] = a[..., :8, :]  # top half duplicated
    mask = torch.ones(1, 1, 16, 16)
    mask[..., :8, :] = 0.0
    masked = masked_nmi(a, b_copy, mask, bins=8, bandwidth=0.5)
    bottom = masked_nmi(a[..., 8:, :], b[..., 8:, :], None, bins=8, bandwidth=0.5)
    assert torch.allclose(masked, bottom, atol=1e-5)


def test_loss_gradient_finite_and_errors() -> None:
    features = [torch.randn(2, 4, 16, 16, requires_grad=True) for _ in range(2)]
    sources = [torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)]
    loss = nmi_feature_loss(features[0], features[1], sources)
    loss.backward()
    assert all(torch.isfinite(f.grad).all() for f in features)
    with pytest.raises(ConfigError, match="bins"):
        masked_nmi(features[0], features[1], bins=1)
    with pytest.raises(ImageFormatError):
        masked_nmi(features[0], features[1][:, :2])
