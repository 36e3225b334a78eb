"""Classical fusers against independent references: OpenCV's own MergeMertens, SciPy re-computations of
the papers' formulas, and a synthetic multi-focus pair with a known all-in-focus image."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from kornia.filters import gaussian_blur2d
from scipy import ndimage

from fusion_bench.io.colour import rgb_to_gray_matlab
from fusion_bench.io.images import read_image
from fusion_bench.models import create_method
from fusion_bench.models.classical.focus_measure import block_spatial_frequency
from fusion_bench.models.classical.laplacian_pyramid import build_laplacian_pyramid, collapse_laplacian_pyramid


def _mefb_pair(data_root: Path, name: str) -> list[Path]:
    folder = data_root / "MEFB" / "input" / name
    return [next(folder.glob(f"{name}_{side}.*")) for side in "AB"]


def _to_hwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor[0].permute(1, 2, 0).numpy()


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0), (1.0, 1.0, 0.0), (0.5, 2.0, 1.5)])
def test_mertens_equals_opencv_on_mefb_pair(data_root: Path, weights: tuple[float, float, float]) -> None:
    paths = _mefb_pair(data_root, "Arno")
    # OpenCV converts with COLOR_RGB2GRAY, so it is given RGB (cv2.imread returns BGR).
    images = [cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in paths]
    expected = np.clip(cv2.createMergeMertens(*weights).process(images), 0.0, 1.0)
    fuser = create_method("mertens", contrast_weight=weights[0], saturation_weight=weights[1],
                          exposure_weight=weights[2])
    fused = fuser.fuse([read_image(path).tensor for path in paths])
    # Same float32 arithmetic on the same values: equal up to the 1/255 round trip of the inputs.
    assert np.abs(_to_hwc(fused) - expected).max() <= 1e-6


@pytest.mark.parametrize("grey", [True, False], ids=["grey", "rgb"])
def test_mertens_equals_opencv_on_five_exposures(data_root: Path, grey: bool) -> None:
    paths = sorted((data_root / "IFCNN-ME" / "chair").glob("chairs*.jpg"))
    assert len(paths) == 5
    if grey:
        images = [cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) for path in paths]
    else:
        images = [cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in paths]
    expected = np.clip(cv2.createMergeMertens(1.0, 1.0, 1.0).process(images), 0.0, 1.0)
    sources = [torch.from_numpy(np.atleast_3d(image).astype(np.float32) / 255.0).permute(2, 0, 1)[None]
               for image in images]
    fused = create_method("mertens").fuse(sources)
    # Measured: 0.0 grey, 3e-7 RGB.
    assert np.abs(_to_hwc(fused).reshape(expected.shape) - expected).max() <= 1e-6


@pytest.fixture(scope="module")
def lytro_crop(data_root: Path) -> list[torch.Tensor]:
    crop = (slice(None), slice(None), slice(150, 246), slice(100, 196))
    return [read_image(data_root / "Lytro" / side / "lytro_01.jpg").tensor[crop].contiguous() for side in "AB"]


def test_max_abs_matches_scipy_definition(lytro_crop: list[torch.Tensor]) -> None:
    sources = [x.double().numpy() for x in lytro_crop]
    # σ = 2, kernel ±3σ (scipy: radius int(3·2 + 0.5) = 6), replicate border = scipy 'nearest'.
    bases = [ndimage.gaussian_filter(x, sigma=(0, 0, 2, 2), truncate=3.0, mode="nearest") for x in sources]
    details = np.stack([x - base for x, base in zip(sources, bases)])
    chosen = np.take_along_axis(details, np.abs(details).argmax(axis=0)[None], axis=0)[0]
    expected = np.mean(bases, axis=0) + chosen
    fused = create_method("max-abs").fuse(lytro_crop)
    assert np.abs(fused.double().numpy() - np.clip(expected, 0, 1)).max() <= 1e-5


def _guided_filter_reference(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He, Sun, Tang (ECCV 2010), grey guidance, box means with replicated borders."""

    def mean(x: np.ndarray) -> np.ndarray:
        return ndimage.uniform_filter(x, size=2 * radius + 1, mode="nearest")

    mean_i, mean_p = mean(guide), mean(source)
    a = (mean(guide * source) - mean_i * mean_p) / (mean(guide * guide) - mean_i**2 + eps)
    b = mean_p - a * mean_i
    return mean(a) * guide + mean(b)


def _gff_reference(images: list[np.ndarray]) -> np.ndarray:
    """GFF (Li, Kang, Hu 2013) from the paper's equations, SciPy operators; images (C, H, W) float64."""
    greys = [rgb_to_gray_matlab(torch.from_numpy(x)[None])[0, 0].numpy() for x in images]
    laplacian = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    saliency = np.stack(
        [ndimage.gaussian_filter(np.abs(ndimage.correlate(g, laplacian, mode="nearest")), 5.0, truncate=1.0,
                                 mode="nearest") for g in greys]
    )
    initial = (np.arange(len(images))[:, None, None] == saliency.argmax(axis=0)[None]).astype(np.float64)

    def weights(radius: int, eps: float) -> np.ndarray:
        refined = np.stack([_guided_filter_reference(g, p, radius, eps) for g, p in zip(greys, initial)])
        refined = np.clip(refined, 0.0, 1.0) + 1e-12
        return refined / refined.sum(axis=0, keepdims=True)

    base_weights, detail_weights = weights(45, 0.3), weights(7, 1e-6)
    fused = np.zeros_like(images[0])
    for image, wb, wd in zip(images, base_weights, detail_weights):
        base = ndimage.uniform_filter(image, size=(1, 31, 31), mode="nearest")
        fused += wb * base + wd * (image - base)
    return fused


def test_gff_matches_scipy_reimplementation(lytro_crop: list[torch.Tensor]) -> None:
    expected = _gff_reference([x[0].double().numpy() for x in lytro_crop])
    fused = create_method("gff").fuse(lytro_crop)[0].double().numpy()
    assert np.abs(fused - np.clip(expected, 0, 1)).max() <= 1e-5


def test_block_spatial_frequency_matches_formula() -> None:
    grey = torch.rand(1, 1, 37, 29, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    block = 16
    frequency = block_spatial_frequency(grey, block)
    assert frequency.shape == (1, 1, 3, 2)
    image = grey[0, 0].numpy()
    for row in range(3):
        for col in range(2):
            patch = image[row * block:(row + 1) * block, col * block:(col + 1) * block]
            rf2 = np.sum(np.diff(patch, axis=1) ** 2) / patch.size
            cf2 = np.sum(np.diff(patch, axis=0) ** 2) / patch.size
            assert frequency[0, 0, row, col].item() == pytest.approx(np.sqrt(rf2 + cf2), rel=1e-12)


def test_laplacian_pyramid_round_trip_is_exact() -> None:
    image = np.random.default_rng(4).random((45, 61, 3))
    pyramid = build_laplacian_pyramid(image, 5)
    assert [level.shape[:2] for level in pyramid] == [(45, 61), (23, 31), (12, 16), (6, 8), (3, 4)]
    assert np.abs(collapse_laplacian_pyramid(pyramid) - image).max() < 1e-12


@pytest.fixture(scope="module")
def synthetic_focus_pair(lytro_crop: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """An in-focus 96×96 crop, and two sources each with one half defocused (Gaussian σ = 2)."""
    sharp = lytro_crop[0]
    blurred = gaussian_blur2d(sharp, (13, 13), (2.0, 2.0), border_type="replicate")
    left = torch.zeros_like(sharp)
    left[..., : sharp.shape[-1] // 2] = 1.0
    return sharp, left * blurred + (1 - left) * sharp, (1 - left) * blurred + left * sharp


@pytest.mark.parametrize("name", ["max-abs", "laplacian-pyramid", "gff", "dwt", "sf-blocks"])
def test_multi_focus_fusion_recovers_the_focused_image(name: str, synthetic_focus_pair) -> None:
    sharp, a, b = synthetic_focus_pair
    fused = create_method(name).fuse([a, b])

    def rmse(x: torch.Tensor) -> float:
        return (x - sharp).pow(2).mean().sqrt().item()

    # Measured (RMSE vs the sharp crop): average 0.026; max-abs 0.010, dwt 0.011, laplacian-pyramid 0.0067,
    # gff 0.0063, sf-blocks 0 (the defocus boundary lies on a block boundary).
    assert rmse(fused) < 0.5 * rmse((a + b) / 2)
    if name == "sf-blocks":
        assert torch.equal(fused, sharp)
