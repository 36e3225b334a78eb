"""The MEFB validation of a whole-table run (`fusion-bench reproduce`): its jobs run among the run's own
(`plan_kept_validation`: same loop, same ranks; a pair's published images on the rank that has the pair),
then the comparison with MEFB's Matlab values is kept in the results folder for the leaderboard's comparison
section (`keep_mefb_validation`). Images already scored by this scoring code version are not scored again
(their rows are stored per image, keyed on the version, as the evaluation's are), so a re-run scores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fusion_bench.validation.mefb_published import ValidationPlan


def plan_kept_validation(results_root: Path, metrics: Sequence[str] | None = None) -> ValidationPlan | str:
    """The validation of MEFB's published fused images present on `metrics` (those of them in MEFB's .mat;
    default its 20), its rows stored under `results_root`; or, when there is nothing to validate, the one line
    saying why (no published images present, MEFB not available, no metric of the .mat asked for)."""
    from fusion_bench.errors import FusionBenchError
    from fusion_bench.metrics.registry import get_metric, mefb_metric_names
    from fusion_bench.validation.mefb_published import plan_validation

    names = [get_metric(name).name for name in (metrics or mefb_metric_names()) if get_metric(name).mefb_name]
    if not names:
        return "MEFB validation skipped: none of the metrics asked for is in MEFB's .mat"
    try:
        return plan_validation(results_root, names)
    except FusionBenchError as exc:
        return f"MEFB validation skipped: {str(exc).splitlines()[0]}"


def keep_mefb_validation(plan: ValidationPlan, results_root: Path, scored: int) -> str:
    """Compare `plan`'s stored rows (its jobs have run) with MEFB's Matlab values and keep every value in
    `results_root` (`fusion_bench.results.validation`, replacing the previous comparison); returns one line
    saying what was done (`scored`: images scored by this run, the rest kept from an earlier one)."""
    from fusion_bench.results.validation import write_validation
    from fusion_bench.validation.mefb_published import report

    result = report(plan, seconds=0.0)
    write_validation(results_root, result.comparison.assign(code_version=result.code_version))
    kept = len(plan.jobs) - scored
    return (f"MEFB validation: {result.images} published images ({', '.join(result.pair_names)}) against MEFB's "
            f"Matlab values: {scored} scored in this run"
            + (f", {kept} kept from an earlier run of this scoring code" if kept else ""))
