"""Cost of the Matlab-exact forms of FMI, QC and QY (issue: metrics equal to MEFB's Matlab values), measured
against the forms they replaced, in one run.

    FUSION_BENCH_DATA=../shared/data .venv/bin/python benchmarks/matlab_forms.py [--runs 3] [--size 800x1200]

- QC and QY: ssim_yang's filters as Matlab's filter2 computes a rank-1 window (two 1-D passes,
  `_filters.matlab_filter2_rank1_valid`) against the 49-tap loop in Octave's order they replaced (kept here,
  as it was, only to be timed).
- FMI: the window sums taken left to right (`information._ordered_sum`) against the vectorised sums they
  replaced (monkeypatched for the "before" form).

Each form scores the same image with the source caches cleared before every call, in the evaluation workers'
settings (one thread), interleaved; medians are printed with their ratio. The image: the top-left crop of
MEFB's Arno pair and its published DEM fusion when FUSION_BENCH_DATA is set (Arno is 512×339: smaller
sizes are tiled from it), else smoothed noise.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _ab import parse_runs_and_size, use_worker_settings  # noqa: E402

from fusion_bench.io.images import read_image  # noqa: E402
from fusion_bench.metrics import information, structure  # noqa: E402
from fusion_bench.metrics._source_cache import SOURCE_CACHES  # noqa: E402
from fusion_bench.metrics.registry import compute_metrics  # noqa: E402


@numba.njit(cache=False, nogil=True, error_model="numpy")
def _octave_order_filter(planes: np.ndarray, window: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """The replaced QC/QY filter: per output row, taps q = m…1, p = n…1, one multiply and add each."""
    n, m = window.shape
    row = np.empty(out.shape[2])
    for b in range(planes.shape[0]):
        for r in range(out.shape[1]):
            row[:] = 0.0
            for q in range(m - 1, -1, -1):
                for p in range(n - 1, -1, -1):
                    weight = window[p, q]
                    source = planes[b, r + p, q:q + out.shape[2]]
                    for c in range(out.shape[2]):
                        row[c] += weight * source[c]
            out[b, r] = row


def _octave_yang_filter(planes: torch.Tensor) -> torch.Tensor:
    hcol = torch.tensor(structure._YANG_HCOL, dtype=torch.float64)
    window = torch.outer(hcol, torch.tensor(structure._YANG_HROW, dtype=torch.float64)).numpy()
    height, width = planes.shape[-2:]
    flat = planes.reshape(-1, height, width).contiguous().numpy()
    out = np.empty((flat.shape[0], height - 6, width - 6))
    _octave_order_filter(flat, window, out)
    return torch.from_numpy(out).reshape(*planes.shape[:-2], height - 6, width - 6)


def _images(height: int, width: int) -> tuple[list[torch.Tensor], torch.Tensor]:
    root = os.environ.get("FUSION_BENCH_DATA")
    if root:
        mefb = Path(root) / "MEFB"
        a = read_image(mefb / "input" / "Arno" / "Arno_A.png").tensor
        b = read_image(mefb / "input" / "Arno" / "Arno_B.png").tensor
        fused = read_image(mefb / "output" / "fused_images" / "Arno_DEM.png").tensor

        def tile(x: torch.Tensor) -> torch.Tensor:
            reps = (-(-height // x.shape[-2]), -(-width // x.shape[-1]))
            return x.repeat(1, 1, *reps)[..., :height, :width].contiguous()

        return [tile(a), tile(b)], tile(fused)
    generator = torch.Generator().manual_seed(0)
    noise = [torch.nn.functional.avg_pool2d(torch.rand(1, 3, height, width, generator=generator), 5, 1, 2)
             for _ in range(3)]
    return [torch.round(x * 255) / 255 for x in noise[:2]], torch.round(noise[2] * 255) / 255


def main() -> None:
    runs, height, width = parse_runs_and_size(__doc__, "800x1200")
    use_worker_settings()
    sources, fused = _images(height, width)
    new_filter, new_sum = structure._yang_filter, information._ordered_sum

    def score(names: list[str], old: bool) -> torch.Tensor:
        structure._yang_filter = _octave_yang_filter if old else new_filter
        information._ordered_sum = (lambda v: v.sum(dim=-1)) if old else new_sum
        for cache in SOURCE_CACHES.values():
            cache.clear()
        values = compute_metrics(sources, fused, names)
        return torch.stack([values[name] for name in names])

    for names in (["QC", "QY"], ["FMI"]):
        # interleaved as _ab.interleaved_medians, but under no_grad: the metrics' caches keep tensors that
        # inference mode would forbid them to update
        seconds: dict[str, list[float]] = {"before": [], "now": []}
        outputs: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for run in range(runs + 1):
                for name in seconds:
                    start = time.perf_counter()
                    outputs[name] = score(names, name == "before")
                    if run:
                        seconds[name].append(time.perf_counter() - start)
        medians = {name: statistics.median(values) for name, values in seconds.items()}
        ratio = medians["now"] / medians["before"]
        print(f"{'+'.join(names)} at {height}x{width} RGB: before {medians['before']:.3f} s, now {medians['now']:.3f} s "
              f"(now/before {ratio:.3f}); values before {outputs['before'].tolist()}, now {outputs['now'].tolist()}")


if __name__ == "__main__":
    main()
