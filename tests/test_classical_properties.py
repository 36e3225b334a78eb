"""Properties every classical fuser must have: identity on identical sources, grey and RGB, ≥ 3 sources,
output shape and range, config as data, bad input refused. Small real crops (Lytro pair 01)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fusion_bench.errors import ConfigError, ImageFormatError
from fusion_bench.io.colour import rgb_to_gray_matlab
from fusion_bench.io.images import read_image
from fusion_bench.models import create_method, get_method_info, list_methods

CLASSICAL = ("average", "max-abs", "mertens", "laplacian-pyramid", "gff", "dwt", "sf-blocks")

# Largest |fused − source| when every source is the same image; float32 in/out, so a few ulps of 1.
IDENTITY_TOLERANCE = {
    "average": 1e-7,
    "max-abs": 1e-6,
    "mertens": 1e-5,  # OpenCV works in float32 and divides by 255 on the way in
    "laplacian-pyramid": 1e-7,
    "gff": 1e-6,
    "dwt": 1e-7,
    "sf-blocks": 1e-7,
}


@pytest.fixture(scope="module")
def lytro_crop(data_root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Lytro pair 01, a 96×80 RGB crop (odd-sized pyramids and partial blocks included)."""
    crop = (slice(None), slice(None), slice(200, 296), slice(150, 230))
    a = read_image(data_root / "Lytro" / "A" / "lytro_01.jpg").tensor[crop]
    b = read_image(data_root / "Lytro" / "B" / "lytro_01.jpg").tensor[crop]
    return a.contiguous(), b.contiguous()


def test_all_classical_methods_registered() -> None:
    classical = {info.name for info in list_methods() if info.kind == "classical"}
    assert set(CLASSICAL) <= classical
    for name in CLASSICAL:
        info = get_method_info(name)
        assert info.weights == () and not info.trainable and info.multi_source
        assert info.channels == "any"


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("channels", ["rgb", "gray"])
def test_identical_sources_give_back_the_source(name: str, channels: str, lytro_crop) -> None:
    image = lytro_crop[0] if channels == "rgb" else rgb_to_gray_matlab(lytro_crop[0])
    fuser = create_method(name)
    for count in (2, 3):
        fused = fuser.fuse([image.clone() for _ in range(count)])
        assert fused.shape == image.shape
        assert (fused - image).abs().max().item() <= IDENTITY_TOLERANCE[name]


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("channels", ["rgb", "gray"])
def test_fuses_two_and_three_real_sources(name: str, channels: str, lytro_crop) -> None:
    a, b = lytro_crop if channels == "rgb" else (rgb_to_gray_matlab(x) for x in lytro_crop)
    fuser = create_method(name)
    for sources in ([a, b], [a, b, (a + b) / 2]):
        fused = fuser.fuse(sources)
        assert fused.shape == a.shape and fused.dtype == a.dtype
        assert fused.min() >= 0 and fused.max() <= 1
        # A fused image lies near its sources: far closer than the sources' own range of values.
        assert (fused - torch.stack(sources).mean(0)).abs().mean() < 0.1


@pytest.mark.parametrize("name", CLASSICAL)
def test_batch_is_fused_image_by_image(name: str, lytro_crop) -> None:
    a, b = lytro_crop
    fuser = create_method(name)
    batched = fuser.fuse([torch.cat([a, b]), torch.cat([b, a])])
    torch.testing.assert_close(batched[:1], fuser.fuse([a, b]), rtol=0, atol=1e-6)
    torch.testing.assert_close(batched[1:], fuser.fuse([b, a]), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", CLASSICAL)
def test_bad_input_is_refused(name: str) -> None:
    fuser = create_method(name)
    image = torch.rand(1, 3, 32, 32)
    with pytest.raises(ImageFormatError, match="at least 2"):
        fuser.fuse([image])
    with pytest.raises(ImageFormatError, match="shape"):
        fuser.fuse([image, torch.rand(1, 1, 32, 32)])
    with pytest.raises(ImageFormatError, match="NaN"):
        fuser.fuse([image, torch.full_like(image, float("nan"))])
    with pytest.raises(ImageFormatError, match="channels"):
        fuser.fuse([torch.rand(1, 2, 32, 32), torch.rand(1, 2, 32, 32)])


@pytest.mark.parametrize("name", CLASSICAL)
def test_config_is_data(name: str) -> None:
    info = get_method_info(name)
    assert create_method(name).config == info.default_config
    with pytest.raises(ConfigError, match="no config key"):
        create_method(name, no_such_key=1)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("dwt", {"wavelet": "no-such-wavelet"}),
        ("dwt", {"mode": "no-such-mode"}),
        ("dwt", {"levels": 2.5}),
        ("sf-blocks", {"block_size": 1}),
        ("sf-blocks", {"threshold": "high"}),
        ("max-abs", {"sigma": 0}),
        ("laplacian-pyramid", {"levels": 0}),
        ("gff", {"base_eps": -0.3}),
        ("gff", {"detail_radius": True}),
        ("mertens", {"exposure_weight": -1.0}),
    ],
)
def test_invalid_config_values_are_refused(name: str, overrides: dict) -> None:
    with pytest.raises(ConfigError, match=name):
        create_method(name, **overrides)


@pytest.mark.parametrize("height,width,size", [(20, 31, 91), (64, 48, 31), (40, 40, 15), (9, 13, 3)])
def test_running_sum_filters_match_kornia(height: int, width: int, size: int) -> None:
    from kornia.filters import box_blur, guided_blur

    from fusion_bench.models.classical.box_filter import box_mean, guided_filter

    generator = torch.Generator().manual_seed(height * width + size)
    image = torch.rand(2, 3, height, width, generator=generator, dtype=torch.float64)
    guide = torch.rand(2, 1, height, width, generator=generator, dtype=torch.float64)
    expected = box_blur(image, (size, size), border_type="replicate", separable=True)
    assert torch.allclose(box_mean(image, size), expected, rtol=0, atol=1e-13)
    for eps in (0.3, 1e-6):
        weights = (torch.rand(2, 1, height, width, generator=generator) > 0.5).double()
        expected = guided_blur(guide, weights, size, eps, border_type="replicate", separable=True)
        assert torch.allclose(guided_filter(guide, weights, size, eps), expected, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="odd"):
        box_mean(image, 4)
