"""`training/ema.py` and `training/synthetic_exposure.py` against independent written-out forms: the EMA
formula and its warm-up, step by step; the exposure model (sRGB curve, stops, clipping, 8-bit
quantisation, heteroscedastic noise), the per-sample determinism that exact resume relies on, and the
checks that name the key and the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from fusion_bench.errors import ConfigError, DatasetError
from fusion_bench.training.ema import make_ema_copy, update_ema
from fusion_bench.training.synthetic_exposure import (ExposureModel, ResumableSampler, SyntheticExposureTrain,
                                                      WellExposedImage, collect_images, expose, split_groups,
                                                      synthesise_pair)


def _network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)).double()


def test_ema_copy_is_a_frozen_eval_copy_and_leaves_the_network_alone() -> None:
    network = _network().train()
    ema = make_ema_copy(network)
    assert not ema.training and network.training
    assert all(not p.requires_grad for p in ema.parameters()) and all(p.requires_grad for p in network.parameters())
    for mine, theirs in zip(ema.parameters(), network.parameters()):
        assert torch.equal(mine, theirs) and mine.data_ptr() != theirs.data_ptr()


def test_ema_follows_its_formula_with_warm_up_and_copies_buffers() -> None:
    network, decay = _network(), 0.99
    ema = make_ema_copy(network)
    expected = [p.detach().clone() for p in network.parameters()]
    generator = torch.Generator().manual_seed(1)
    for step in (1, 2, 3, 50, 200, 1000):
        with torch.no_grad():
            for parameter in network.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype))
            network[1].running_mean.add_(1.0)
        update_ema(ema, network, decay, step)
        rate = min(decay, (1 + step) / (10 + step))  # warm-up 2/11 ... 201/210; at 1000 the decay (0.99)
        expected = [rate * old + (1 - rate) * new.detach() for old, new in zip(expected, network.parameters())]
        for average, value in zip(ema.parameters(), expected):
            assert torch.allclose(average, value, rtol=1e-13, atol=1e-15), step
        assert torch.equal(ema[1].running_mean, network[1].running_mean)  # buffers copied, not averaged


def test_ema_update_by_hand() -> None:
    network = nn.Linear(1, 1, bias=False).double()
    with torch.no_grad():
        network.weight.fill_(1.0)
    ema = make_ema_copy(network)
    with torch.no_grad():
        network.weight.fill_(3.0)
    update_ema(ema, network, decay=0.999, step=0)  # rate 1/10: 0.1·1 + 0.9·3
    assert ema.weight.item() == pytest.approx(2.8, abs=1e-15)
    update_ema(ema, network, decay=0.5, step=100)  # rate capped at the decay: 0.5·2.8 + 0.5·3
    assert ema.weight.item() == pytest.approx(2.9, abs=1e-15)


def _srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(np.maximum(x, 0), 1 / 2.4) - 0.055)


def _expected_exposure(image: torch.Tensor, stops: float) -> np.ndarray:
    """Steps 1, 2 and 4 of the exposure model, noise-free, in float64."""
    linear = _srgb_to_linear(image.double().numpy()) * 2.0**stops
    return np.round(np.clip(_linear_to_srgb(np.clip(linear, 0, 1)), 0, 1) * 255) / 255


@pytest.mark.parametrize("stops", [-3.0, -1.3, 0.0, 1.0, 2.6])
def test_noise_free_exposure_is_the_srgb_curve_scaled_in_stops_clipped_and_quantised(stops: float) -> None:
    image = torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(5))
    exposed = expose(image, stops, ExposureModel(shot=0.0, read=0.0), torch.Generator().manual_seed(0)).numpy()
    expected = _expected_exposure(image, stops)
    levels = np.abs(exposed - expected) * 255
    assert np.allclose(exposed * 255, np.round(exposed * 255), atol=1e-4)  # 8-bit values
    # float32 against float64: a value on a rounding boundary may land one level off, nothing more
    assert levels.max() <= 1 + 1e-4 and (levels > 0.5).mean() < 0.01
    if stops >= 2.6:
        assert (exposed[image.numpy() > 0.5] == 1.0).all()  # saturated


def test_noise_is_heteroscedastic_shot_plus_read() -> None:
    flat = torch.full((3, 256, 256), 0.5)
    level = float(_srgb_to_linear(np.array(0.5)))
    for shot, read in ((1e-3, 0.0), (0.0, 2e-2)):
        exposed = expose(flat, 0.0, ExposureModel(shot=shot, read=read), torch.Generator().manual_seed(3))
        linear = _srgb_to_linear(exposed.double().numpy())
        quantisation = (_srgb_to_linear(np.array(0.5 + 0.5 / 255)) - level) ** 2 / 3  # uniform over ±½ level
        assert linear.mean() == pytest.approx(level, abs=2e-4)
        assert linear.var() == pytest.approx(shot * level + read**2 + quantisation, rel=0.05)
    dark = expose(torch.zeros(3, 64, 64), 0.0, ExposureModel(shot=1e-2, read=0.0), torch.Generator().manual_seed(3))
    assert (dark == 0).all()  # shot noise grows with the signal: none on black


def test_pairs_are_under_then_over_and_sample_k_depends_only_on_seed_and_k() -> None:
    image = torch.rand(3, 48, 48, generator=torch.Generator().manual_seed(0))
    under, over = synthesise_pair(image, ExposureModel(), torch.Generator().manual_seed(0))
    assert under.mean() < image.mean() < over.mean()
    dataset = SyntheticExposureTrain([image, image.flip(-1)], ["a", "b"], 16, ExposureModel(), seed=7)
    again = SyntheticExposureTrain([image, image.flip(-1)], ["a", "b"], 16, ExposureModel(), seed=7)
    torch.manual_seed(123)  # torch's global generator plays no part
    first = dataset[5]
    torch.manual_seed(456)
    second = again[5]
    assert first.name == second.name and first.name.endswith("#5")
    assert all(torch.equal(x, y) for x, y in zip(first.sources + [first.target], second.sources + [second.target]))
    other = SyntheticExposureTrain([image, image.flip(-1)], ["a", "b"], 16, ExposureModel(), seed=8)[5]
    assert not torch.equal(first.sources[0], other.sources[0]) and not torch.equal(dataset[6].target, first.target)
    assert first.target.shape == (3, 16, 16) and first.sources[0].shape == (3, 16, 16)


def test_sampler_resumes_mid_stream_and_interleaves_processes() -> None:
    def first(sampler: ResumableSampler, count: int) -> list[int]:
        iterator = iter(sampler)
        return [next(iterator) for _ in range(count)]

    assert first(ResumableSampler(0), 4) == [0, 1, 2, 3]
    assert first(ResumableSampler(6), 3) == [6, 7, 8]
    assert first(ResumableSampler(8, rank=0, world=2), 3) == [8, 10, 12]
    assert first(ResumableSampler(8, rank=1, world=2), 3) == [9, 11, 13]


@pytest.mark.parametrize(("settings", "named", "problem"), [
    ({"ev_under": (-1.0, -3.0)}, "data.ev_under", "is empty"),
    ({"ev_under": (-1.0, 0.5)}, "data.ev_under", "must be <= 0"),
    ({"ev_over": (-0.5, 2.0)}, "data.ev_over", ">= 0"),
    ({"shot": -1e-3}, "data.shot", "must be >= 0"),
])
def test_exposure_model_checks_name_the_key_and_the_problem(settings: dict, named: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ExposureModel(**settings)
    assert named in str(caught.value) and problem in str(caught.value)


def test_test_sets_small_images_and_empty_splits_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\['lytro'\] are MFF test sets here and cannot be training data"):
        collect_images(tmp_path, ["lytro", "books"], [])
    with pytest.raises(ConfigError, match="no image 'nope' ships with scikit-image"):
        collect_images(None, [], ["nope"])
    with pytest.raises(DatasetError, match=r"\['tiny'\] are smaller than data.crop_size=32"):
        SyntheticExposureTrain([torch.rand(3, 20, 40)], ["tiny"], 32, ExposureModel(), seed=0)
    images = [WellExposedImage(f"{group}_{side}", group, tmp_path) for group in "pqrs" for side in "AB"]
    with pytest.raises(ConfigError, match="val_fraction=0.9 leaves no training scene out of 4"):
        split_groups(images, 0.9, seed=0)
    train, val = split_groups(images, 0.5, seed=0)
    assert sorted(train + val) == list(range(8)) and len(val) == 4
    assert {images[i].group for i in train}.isdisjoint({images[i].group for i in val})  # scenes stay whole
    assert split_groups(images, 0.5, seed=0) == (train, val)
