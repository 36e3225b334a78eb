"""A FUSION_BENCH_DATA copy is used only if it verifies: `evaluate` stops with the verifier's problem list on a
copy with a wrong image, a verified download in FUSION_BENCH_HOME is used instead when there is one, and the
sha256 of each file version is computed once (the check stays cheap on every run)."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fusion_bench.cli.main import main
from fusion_bench.data import get_dataset, get_info
from fusion_bench.data.checksums import Sha256Cache
from fusion_bench.data.verified import file_problems


@pytest.fixture
def bad_lytro(data_root: Path, tmp_path: Path) -> Path:
    """A data folder whose Lytro copy has one replaced image (another size and content) and one image of
    the right size with one byte changed."""
    folder = tmp_path / "data"
    shutil.copytree(data_root / "Lytro", folder / "Lytro")
    for path in (folder / "Lytro").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    noise = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "Lytro" / "A" / "lytro_03.jpg")
    flipped = folder / "Lytro" / "B" / "lytro_04.jpg"
    payload = bytearray(flipped.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    flipped.write_bytes(bytes(payload))
    return folder


def test_evaluate_refuses_a_local_copy_that_fails_verification(bad_lytro: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FUSION_BENCH_DATA", str(bad_lytro))
    out = tmp_path / "results"
    code = main(["evaluate", "--methods", "average", "--datasets", "Lytro", "--metrics", "EN", "--devices", "1",
                 "--no-progress", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    first, *listed = err.strip().splitlines()
    assert first.startswith(f"error: Lytro: the copy in {bad_lytro / 'Lytro'} fails verification")
    assert "fusion-bench data download Lytro" in first
    assert any("lytro_03.jpg" in line and "size" in line for line in listed)
    assert any("lytro_04.jpg" in line and "sha256" in line for line in listed)
    assert not out.exists() or not any(path.is_file() for path in out.rglob("*"))  # nothing was scored


def test_a_verified_download_is_used_instead_of_a_bad_local_copy(bad_lytro: Path, data_root: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("FUSION_BENCH_DATA", str(bad_lytro))
    downloaded = Path(os.environ["FUSION_BENCH_HOME"]) / "data" / "Lytro"
    shutil.copytree(data_root / "Lytro", downloaded)  # what `fusion-bench data download Lytro` leaves
    with caplog.at_level(logging.WARNING):
        dataset = get_dataset("Lytro")
    assert Path(dataset.root) == downloaded and len(dataset) == 20
    assert "fails verification" in caplog.text and str(bad_lytro / "Lytro") in caplog.text


def test_each_file_version_is_hashed_once(data_root: Path, tmp_path: Path) -> None:
    copy = tmp_path / "Lytro"
    shutil.copytree(data_root / "Lytro", copy)
    entries = get_info("Lytro").files()
    first = Sha256Cache()
    assert file_problems(copy, entries, first) == [] and first.hashed == len(entries) == 40
    first.save()
    again = Sha256Cache()  # a later run: read from FUSION_BENCH_HOME/cache/sha256.json
    assert file_problems(copy, entries, again) == [] and again.hashed == 0
    # Rewriting a file, even with the same bytes, gives it a new version: it is hashed again.
    touched = copy / "A" / "lytro_01.jpg"
    touched.write_bytes(touched.read_bytes())
    third = Sha256Cache()
    assert file_problems(copy, entries, third) == [] and third.hashed == 1
