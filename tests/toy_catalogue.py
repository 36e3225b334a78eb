"""Tests that build a toy copy of a benchmark's layout (random images under the catalogue's file names) use
it through FUSION_BENCH_DATA as a user's copy would be. Such a copy cannot match the catalogue's checksums,
and a copy that fails verification is never used (`fusion_bench.data.verified`), so these tests take the
checksums out of the named entries for their duration: what is then checked is the layout, as for datasets
whose checksums are not known (RealMFF)."""

from __future__ import annotations

import dataclasses

import pytest

from fusion_bench.data.catalogue import DATASETS


def without_checksums(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Catalogue entries `names` without their per-file checksums until the test ends."""
    for name in names:
        monkeypatch.setitem(DATASETS, name, dataclasses.replace(DATASETS[name], manifest=None))
