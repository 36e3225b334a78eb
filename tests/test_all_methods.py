"""Every registered method, end to end through `fusion-bench fuse`: a small real crop of a MEFB pair
(mef) and/or a Lytro pair (mff) as its tasks say, and ≥ 3 sources (`--inputs`) where it claims to take
them. Deep methods find their weights through `FUSION_BENCH_WEIGHTS` (the `local_weights` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.io.colour import rgb_to_gray_matlab
from fusion_bench.io.images import read_image, write_png
from fusion_bench.models import list_methods
from fusion_bench.models.base import MethodInfo

CROP = 96
METHODS = {info.name: info for info in list_methods()}
CASES = [(name, task) for name, info in METHODS.items() for task in info.tasks]


def _crop(image: torch.Tensor, top: int, left: int) -> torch.Tensor:
    return image[..., top:top + CROP, left:left + CROP].contiguous()


def _real_sources(data_root: Path, task: str, count: int) -> list[torch.Tensor]:
    """`count` registered sources from a real benchmark image, cropped to CROP×CROP RGB."""
    if task == "mff":
        a, b = (read_image(data_root / "Lytro" / side / "lytro_01.jpg").tensor for side in "AB")
        return [_crop(x, 196, 196) for x in [a, b, a][:count]]
    if count == 2:
        folder = data_root / "MEFB" / "input" / "Arno"
        paths = [next(folder.glob(f"Arno_{side}.*")) for side in "AB"]
        return [_crop(read_image(path).tensor, 100, 190) for path in paths]
    paths = sorted((data_root / "IFCNN-ME" / "chair").glob("chairs*.jpg"))[:count]
    return [_crop(read_image(path).tensor, 50, 100) for path in paths]


def _as_method_wants(info: MethodInfo, source: torch.Tensor) -> torch.Tensor:
    return rgb_to_gray_matlab(source) if info.channels == "gray" else source


def _fuse_via_cli(name: str, sources: list[torch.Tensor], folder: Path) -> np.ndarray:
    paths = [write_png(source, folder / f"source_{index}.png") for index, source in enumerate(sources)]
    out = folder / "fused.png"
    inputs = ["--a", str(paths[0]), "--b", str(paths[1])] if len(paths) == 2 else ["--inputs", *map(str, paths)]
    assert main(["fuse", "--method", name, *inputs, "--out", str(out)]) == 0
    return read_image(out).tensor.numpy()


def _check_fused(fused: np.ndarray, sources: list[torch.Tensor]) -> None:
    assert fused.shape[0] == 1 and fused.shape[1] in (1, 3) and fused.shape[-2:] == (CROP, CROP)
    # A real crop with structure gives a fused image with structure, near the sources' intensities.
    assert fused.std() > 0.02
    mean = torch.stack(sources).mean().item()
    assert abs(fused.mean() - mean) < 0.35


@pytest.fixture
def method_environment(request: pytest.FixtureRequest, data_root: Path):
    def prepare(info: MethodInfo) -> None:
        if info.weights:
            request.getfixturevalue("local_weights")

    return prepare


@pytest.mark.parametrize(("name", "task"), CASES, ids=[f"{name}-{task}" for name, task in CASES])
def test_method_fuses_a_real_pair(name: str, task: str, data_root: Path, method_environment, tmp_path: Path) -> None:
    info = METHODS[name]
    method_environment(info)
    sources = [_as_method_wants(info, x) for x in _real_sources(data_root, task, 2)]
    _check_fused(_fuse_via_cli(name, sources, tmp_path), sources)


MULTI = [(name, info.tasks[0]) for name, info in METHODS.items() if info.multi_source]


@pytest.mark.parametrize(("name", "task"), MULTI, ids=[name for name, _ in MULTI])
def test_multi_source_method_fuses_three_sources(name: str, task: str, data_root: Path, method_environment,
                                                 tmp_path: Path) -> None:
    info = METHODS[name]
    method_environment(info)
    sources = [_as_method_wants(info, x) for x in _real_sources(data_root, task, 3)]
    _check_fused(_fuse_via_cli(name, sources, tmp_path), sources)


def test_two_source_methods_refuse_three(data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    two_only = [info for info in METHODS.values() if not info.multi_source]
    if not two_only:
        pytest.skip("every registered method takes more than two sources")
    info = two_only[0]
    paths = [write_png(torch.rand(1, 3, 16, 16), tmp_path / f"s{i}.png") for i in range(3)]
    code = main(["fuse", "--method", info.name, "--inputs", *map(str, paths), "--out", str(tmp_path / "f.png")])
    assert code == 2 and "exactly 2 sources" in capsys.readouterr().err


def test_methods_command_lists_every_registered_method(capsys: pytest.CaptureFixture) -> None:
    assert main(["methods", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(METHODS)
    for name, info in METHODS.items():
        assert rows[name]["kind"] == info.kind and rows[name]["task"] == "+".join(info.tasks)
        assert len(rows[name]["weights"]) == len(info.weights)
    assert sum(info.kind == "classical" for info in METHODS.values()) >= 6
