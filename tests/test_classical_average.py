"""`average`: exact mean, identity, grey/RGB, ≥ 3 sources, bad input."""

from __future__ import annotations

import pytest
import torch

from fusion_bench.errors import ImageFormatError
from fusion_bench.models import create_method


def test_average_is_exact_mean_of_two_and_three() -> None:
    fuser = create_method("average")
    generator = torch.Generator().manual_seed(0)
    a, b, c = (torch.rand(2, 3, 17, 23, generator=generator) for _ in range(3))
    assert torch.equal(fuser.fuse([a, b]), (a + b) / 2)
    assert torch.equal(fuser.fuse([a, b, c]), (a + b + c) / 3)


def test_average_identity_and_grey() -> None:
    fuser = create_method("average")
    image = torch.rand(1, 1, 9, 11, generator=torch.Generator().manual_seed(1))
    fused = fuser.fuse([image, image, image])
    assert fused.shape == image.shape
    torch.testing.assert_close(fused, image, rtol=0, atol=1e-7)


def test_average_rejects_bad_input() -> None:
    fuser = create_method("average")
    image = torch.rand(1, 3, 8, 8)
    with pytest.raises(ImageFormatError, match="at least 2"):
        fuser.fuse([image])
    with pytest.raises(ImageFormatError, match="shape"):
        fuser.fuse([image, torch.rand(1, 3, 8, 9)])
    with pytest.raises(ImageFormatError, match="outside"):
        fuser.fuse([image, image * 2])
