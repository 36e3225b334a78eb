"""`torch_forms()` (tests/torch_forms.py) makes the metrics take their torch forms, the path a GPU takes, on
the CPU: it reaches every place that chooses a form by device, and it changes the path taken. The torch forms
of 17 metrics are checked against MEFB's values in test_metrics_reference.py; FMI, QC and QY here against
their CPU forms on the reference images (FMI has no Octave value, QC's and QY's are being replaced by
MEFB's Matlab values): measured bit for bit equal on all six."""

from __future__ import annotations

import ast
import inspect
import math
from pathlib import Path

import pytest
import torch

from fusion_bench.metrics import _filters, phase_congruency
from fusion_bench.metrics._filters import filter2_separable, gaussian_taps
from fusion_bench.metrics._source_cache import BUDGET
from fusion_bench.metrics.registry import get_metric
from reference_images import reference_images
from torch_forms import DEVICE_BRANCHES, metric_modules, torch_forms

pytestmark = pytest.mark.usefixtures("one_thread")

IMAGES = ("lytro_01", "lytro_02", "lytro_03", "building", "disney1", "town")


def _device_branches() -> set[str]:
    """`module.function` for every function of fusion_bench.metrics that reads a tensor's device type."""
    found = set()
    for module in metric_modules():
        tree = ast.parse(inspect.getsource(module))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Attribute) and (
                        node.attr == "is_cuda" or (node.attr == "type" and isinstance(node.value, ast.Attribute)
                                                   and node.value.attr == "device")):
                    found.add(f"{module.__name__.rsplit('.', 1)[1]}.{function.name}")
    return found


def test_torch_forms_cover_every_device_branch() -> None:
    assert _device_branches() == DEVICE_BRANCHES, (
        "a metric function chooses by device: route it in tests/torch_forms.py and list it in DEVICE_BRANCHES")


def test_torch_forms_take_the_torch_path_and_restore_the_compiled_one() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2, 30, 41, generator=generator, dtype=torch.float64) * 255
    taps = gaussian_taps(11, 1.5)
    compiled = filter2_separable(x, taps, "same", compiled=True)
    matrix = filter2_separable(x, taps, "same", compiled=False)
    assert not torch.equal(compiled, matrix)  # the two forms round differently here, so the path shows
    with torch_forms():
        assert not _filters.use_compiled(x, None) and _filters.use_compiled(x, True)
        assert torch.equal(filter2_separable(x, taps, "same"), matrix)
        assert phase_congruency._median_rows is phase_congruency.matlab_median
        assert not BUDGET.enabled
    assert torch.equal(filter2_separable(x, taps, "same"), compiled)
    assert _filters.use_compiled(x, None) and BUDGET.enabled
    assert phase_congruency._median_rows is not phase_congruency.matlab_median


@pytest.mark.parametrize("metric", ["FMI", "QC", "QY"])
def test_torch_form_equals_the_cpu_form_on_the_reference_images(reference_root: Path, data_root: Path,
                                                                 metric: str) -> None:
    function = get_metric(metric).function
    differ = []
    for image in IMAGES:
        sources, fused = reference_images(reference_root, data_root, image)
        on_cpu = float(function(list(sources), fused)[0])
        with torch_forms():
            in_torch = float(function(list(sources), fused)[0])
        if not (on_cpu == in_torch or (math.isnan(on_cpu) and math.isnan(in_torch))):
            differ.append(f"{image}: CPU form {on_cpu!r}, torch form {in_torch!r}")
    assert not differ, f"{metric}: " + "; ".join(differ)
