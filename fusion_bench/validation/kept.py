"""Keep the MEFB validation in a results folder for a whole-table run (`fusion-bench reproduce`): score MEFB's
published fused images present against its Matlab values unless the folder already holds this scoring code's
values for exactly those images and metrics, so a re-run scores nothing again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def keep_mefb_validation(results_root: Path, metrics: Sequence[str] | None = None, workers: int = 1) -> str:
    """Validate MEFB's published fused images present on `metrics` (those of them in MEFB's .mat; default its
    20) and keep every value in `results_root` (`fusion_bench.results.validation`); returns one line saying
    what was done: scored, kept from an earlier run of the same scoring code, or skipped and why (no
    published images present, MEFB not available, no metric of the .mat asked for).
    """
    from fusion_bench.errors import FusionBenchError
    from fusion_bench.evaluation.versions import scoring_code_version
    from fusion_bench.metrics.registry import get_metric, mefb_metric_names
    from fusion_bench.results.validation import load_validation, write_validation
    from fusion_bench.validation.mefb_published import mefb_root, published_images, validate_mefb_published

    names = [get_metric(name).name for name in (metrics or mefb_metric_names()) if get_metric(name).mefb_name]
    if not names:
        return "MEFB validation skipped: none of the metrics asked for is in MEFB's .mat"
    try:
        present = {(image.pair, image.method) for image in published_images(mefb_root())}
    except FusionBenchError as exc:
        return f"MEFB validation skipped: {str(exc).splitlines()[0]}"
    kept = load_validation(results_root)
    if (kept is not None and set(kept["code_version"]) == {scoring_code_version()}
            and set(zip(kept["image"], kept["method"])) == present and set(kept["metric"]) == set(names)):
        return f"MEFB validation: {len(present)} published images, values of this scoring code kept"
    report = validate_mefb_published(names, workers=workers)
    write_validation(results_root, report.comparison.assign(code_version=report.code_version))
    return (f"MEFB validation: {report.images} published images ({', '.join(report.pair_names)}) scored against "
            f"MEFB's Matlab values in {report.seconds:.0f} s")
