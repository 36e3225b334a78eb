"""Every registered method against its pinned output (tests/pinned/): a small real crop of a shared pair
fused on CPU with one torch and one OpenCV thread, through `Fuser.fuse` (float, within the pin's tolerance: 0 for our own
outputs, which are bit for bit reproducible, 10× the measured agreement for the authors' MGDN output) and
through `fusion-bench fuse` (its 8-bit PNG equal to the pin's). Any change of a method's output, one grey
level included, fails until the pin is rewritten on purpose (tests/pinned/README.md). Deep methods find
their weights through `FUSION_BENCH_WEIGHTS` (the `local_weights` fixture)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from fusion_bench.cli.main import main
from fusion_bench.io.images import read_image, to_uint8, write_png
from fusion_bench.models import create_method, list_methods
from pinned.pins import PIN_DIR, Case, all_cases, differs_from_pin, fixed_threads, read_pin, read_sources

pytestmark = pytest.mark.realdata

METHODS = {info.name: info for info in list_methods()}
CASES = all_cases()


@pytest.fixture
def pinned_threads() -> Iterator[None]:
    with fixed_threads():
        yield


@pytest.fixture
def method_environment(request: pytest.FixtureRequest, data_root: Path):
    def prepare(case: Case) -> None:
        if METHODS[case.method].weights:
            request.getfixturevalue("local_weights")

    return prepare


def _fuse_via_cli(case: Case, sources: list[torch.Tensor], folder: Path) -> np.ndarray:
    paths = [write_png(source, folder / f"source_{index}.png") for index, source in enumerate(sources)]
    out = folder / "fused.png"
    inputs = ["--a", str(paths[0]), "--b", str(paths[1])] if len(paths) == 2 else ["--inputs", *map(str, paths)]
    options = [] if case.tile is None else ["--tile", str(case.tile)]
    assert main(["--threads", "1", "fuse", "--method", case.method, *inputs, *options, "--out", str(out)]) == 0
    return np.asarray(read_image(out).tensor.numpy() * 255.0).round().astype(np.uint8)


def test_every_case_has_a_pin_and_every_pin_a_case() -> None:
    pinned = {path.stem for path in PIN_DIR.glob("*.npz")}
    assert pinned == {case.name for case in CASES}
    assert set(METHODS) <= {case.method for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_method_output_equals_its_pin(case: Case, data_root: Path, method_environment, pinned_threads) -> None:
    method_environment(case)
    pinned, meta = read_pin(case)
    fused = create_method(case.method, **case.overrides).fuse(read_sources(data_root, case)).numpy()
    problem = differs_from_pin(fused, pinned, meta["tolerance"])
    assert problem is None, f"{case.name} ({meta['source']}): {problem}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_cli_writes_the_pinned_output(case: Case, data_root: Path, method_environment, pinned_threads,
                                      tmp_path: Path) -> None:
    method_environment(case)
    pinned, _ = read_pin(case)
    written = _fuse_via_cli(case, read_sources(data_root, case), tmp_path)
    expected = to_uint8(torch.from_numpy(pinned))
    expected = expected[None] if expected.ndim == 2 else np.moveaxis(expected, -1, 0)[None]
    off = np.abs(written.astype(int) - expected.astype(int))
    assert off.max() == 0, f"{case.name}: {int((off > 0).sum())} values differ, by up to {off.max()} grey levels"


def test_pins_state_their_source() -> None:
    for case in CASES:
        _, meta = read_pin(case)
        if case.authors_crop is None:
            assert meta["source"].startswith("reviewed output of our own at commit "), case.name
            assert meta["tolerance"] == 10 * meta["run_to_run"]
        else:
            assert meta["source"].startswith("the authors' code: shared/reference/"), case.name
            assert 0 < meta["tolerance"] < 0.25 / 255  # one grey level off always fails


def test_a_one_grey_level_change_is_caught() -> None:
    pinned, meta = read_pin(CASES[0])
    changed = pinned.copy()
    changed[0, 0, 5, 7] += 1 / 255
    assert differs_from_pin(changed, pinned, meta["tolerance"]) is not None
    assert differs_from_pin(pinned.copy(), pinned, meta["tolerance"]) is None


def test_two_source_methods_refuse_three(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    two_only = [info for info in METHODS.values() if not info.multi_source]
    if not two_only:
        pytest.skip("every registered method takes more than two sources")
    info = two_only[0]
    paths = [write_png(torch.rand(1, 3, 16, 16), tmp_path / f"s{i}.png") for i in range(3)]
    code = main(["fuse", "--method", info.name, "--inputs", *map(str, paths), "--out", str(tmp_path / "f.png")])
    err = capsys.readouterr().err
    assert code == 2 and info.name in err and "exactly 2 sources" in err


def test_methods_command_lists_every_registered_method(capsys: pytest.CaptureFixture) -> None:
    assert main(["methods", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(METHODS)
    for name, info in METHODS.items():
        assert rows[name]["kind"] == info.kind and rows[name]["task"] == "+".join(info.tasks)
        assert len(rows[name]["weights"]) == len(info.weights)
    assert sum(info.kind == "classical" for info in METHODS.values()) >= 6
