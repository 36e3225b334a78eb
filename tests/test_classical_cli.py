"""`fusion-bench fuse` / `methods` with the classical fusers: the file written equals the API result,
`--inputs` takes a whole exposure stack, options a method does not have are usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fusion_bench.cli.main import main
from fusion_bench.io.images import read_image, to_uint8
from fusion_bench.models import create_method


def test_fuse_inputs_writes_the_api_result(data_root: Path, tmp_path: Path) -> None:
    paths = sorted((data_root / "IFCNN-ME" / "door").glob("door*.jpg"))
    assert len(paths) == 5
    out = tmp_path / "door_mertens.png"
    assert main(["fuse", "--method", "mertens", "--inputs", *map(str, paths), "--out", str(out)]) == 0
    expected = to_uint8(create_method("mertens").fuse([read_image(path).tensor for path in paths]))
    written = to_uint8(read_image(out).tensor)
    # OpenCV's MergeMertens varies by ~4e-7 between runs (its threads), which can flip a rounding.
    difference = np.abs(written.astype(int) - expected.astype(int))
    assert difference.max() <= 1 and (difference > 0).mean() < 1e-4


@pytest.mark.parametrize(("option", "message"), [("--weights", "loads no weight file"), ("--tile", "tiles")])
def test_options_the_method_lacks_are_usage_errors(option: str, message: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    value = str(tmp_path / "w.pth") if option == "--weights" else "64"
    code = main(["fuse", "--method", "average", "--a", "a.png", "--b", "b.png", option, value,
                 "--out", str(tmp_path / "f.png")])
    error = capsys.readouterr().err
    assert code == 2 and error.startswith("error:") and message in error


def test_methods_task_filter(capsys: pytest.CaptureFixture) -> None:
    assert main(["methods", "--task", "mff", "--json"]) == 0
    names = {row["name"] for row in json.loads(capsys.readouterr().out)}
    assert {"average", "max-abs", "laplacian-pyramid", "gff", "dwt", "sf-blocks"} <= names
    assert "mertens" not in names
