"""Run the metrics' torch forms (the path a GPU takes) on the CPU, for the reference tests.

On a CPU tensor a metric step with a compiled (Numba) form runs it (`_filters.use_compiled`), and two helpers
take a CPU-only route (`phase_congruency._median_rows` by NumPy selection, `structure._correctly_rounded_sqrt`
by NumPy's square root). `torch_forms()` makes every metric take its torch form on the CPU, as it does on a GPU,
so its values can be checked against MEFB's Matlab values on a machine without one. Square roots stay correctly
rounded: CUDA's double `sqrt` is, torch's CPU `sqrt` is not always (structure.py says why Qabf needs it).
The source caches are switched off meanwhile, so no source part computed by a compiled form is reused.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager

from torch import Tensor

import fusion_bench.metrics
from fusion_bench.metrics import _filters, phase_congruency
from fusion_bench.metrics._source_cache import set_source_caching

# The functions that look at a tensor's device to choose a form; `test_torch_forms_cover_every_device_branch`
# fails when another one appears, so that it is routed here too.
DEVICE_BRANCHES = {"_filters.use_compiled", "phase_congruency._median_rows", "structure._correctly_rounded_sqrt"}


def _torch_form(x: Tensor, compiled: bool | None) -> bool:
    return False if compiled is None else compiled


def metric_modules() -> list[object]:
    """Every module of `fusion_bench.metrics`."""
    return [importlib.import_module(f"fusion_bench.metrics.{info.name}")
            for info in pkgutil.iter_modules(fusion_bench.metrics.__path__)]


@contextmanager
def torch_forms() -> Iterator[None]:
    """Within the block, every metric runs its torch form on CPU tensors (source caches off)."""
    patched = [(module, "use_compiled") for module in metric_modules()
               if getattr(module, "use_compiled", None) is _filters.use_compiled]
    patched.append((phase_congruency, "_median_rows"))
    originals = [getattr(module, name) for module, name in patched]
    replacements = {"use_compiled": _torch_form, "_median_rows": phase_congruency.matlab_median}
    set_source_caching(False)
    try:
        for module, name in patched:
            setattr(module, name, replacements[name])
        yield
    finally:
        for (module, name), original in zip(patched, originals):
            setattr(module, name, original)
        set_source_caching(True)
