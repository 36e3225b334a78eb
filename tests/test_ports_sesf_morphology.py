"""SESF-Fuse's decision-map clean-up: our binary opening/closing equal skimage's deprecated ones."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import ndimage
from skimage import morphology

from fusion_bench.models.ports.sesf import _binary_closing, _binary_opening


@pytest.mark.skipif(not hasattr(morphology, "binary_opening"), reason="skimage no longer has binary_opening")
@pytest.mark.parametrize("seed", range(4))
def test_opening_and_closing_equal_skimage(seed: int):
    rng = np.random.default_rng(seed)
    mask = ndimage.gaussian_filter(rng.random((97, 131)), 3) > 0.5
    footprint = morphology.disk(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_open = morphology.binary_opening(mask, footprint)
        expected_close = morphology.binary_closing(mask, footprint)
    np.testing.assert_array_equal(_binary_opening(mask, footprint), expected_open)
    np.testing.assert_array_equal(_binary_closing(mask, footprint), expected_close)


def test_opening_keeps_a_region_touching_the_border():
    """The outside counts as foreground for the erosion, so a region touching the border is not eaten."""
    mask = np.zeros((40, 40), dtype=bool)
    mask[:, :15] = True
    footprint = morphology.disk(3)
    np.testing.assert_array_equal(_binary_opening(mask, footprint), mask)
