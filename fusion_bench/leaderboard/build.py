"""`fusion-bench leaderboard`: results folder → `leaderboard/` (pages, CSVs, figures)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from fusion_bench.errors import FusionBenchError
from fusion_bench.leaderboard.pages import generate
from fusion_bench.leaderboard.tables import metric_order, select_runs
from fusion_bench.results.conventions import convention_evidence, dataset_convention, dataset_storage, storage_evidence
from fusion_bench.results.schema import PUBLISHED_SCORES
from fusion_bench.results.store import load_results
from fusion_bench.results.validation import load_validation


def _sources(dataset: str) -> dict[str, list[str]]:
    """image → source paths for the qualitative grid; empty (and said on stderr) if the dataset is not
    available here."""
    from fusion_bench.data import get_dataset

    try:
        records = get_dataset(dataset).records
    except (FusionBenchError, KeyError, ImportError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"leaderboard: no qualitative grid for {dataset}, its source images are not available: {reason}",
              file=sys.stderr)
        return {}
    return {record.name: [str(path) for path in record.source_paths] for record in records}


def _coverage(computed: list[str]) -> str:
    """"20 of MEFB's 20, plus SSIM, MI": how the computed metrics relate to MEFB's set."""
    from fusion_bench.metrics.registry import mefb_metric_names

    mefb = set(mefb_metric_names())
    extras = [name for name in computed if name not in mefb]
    return f"{sum(name in mefb for name in computed)} of MEFB's {len(mefb)}" + (f", plus {', '.join(extras)}" if extras else "")


def build_leaderboard(results_root: Path, out: Path, note: str = "") -> list[Path]:
    """Load every row under `results_root` and write the leaderboard into `out`; `note` is added to the
    README's header (e.g. what a partial run left out); the validation values kept there, if any, give the
    comparison with MEFB's Matlab values."""
    return write_leaderboard(load_results(results_root), out, note, load_validation(results_root))


def write_leaderboard(results: pd.DataFrame, out: Path, note: str = "",
                      validation: pd.DataFrame | None = None) -> list[Path]:
    """Write the leaderboard of the rows `results` (`load_results`'s table) and the validation values
    `validation` (`load_validation`'s table, or None) into `out` (see `build_leaderboard`)."""
    datasets = sorted(results["dataset"].unique())
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    scored_here = select_runs(results)  # the runs the pages show (older runs stay on disk, unshown)
    scored_here = scored_here[scored_here["provenance"] != PUBLISHED_SCORES]
    computed = metric_order(scored_here["metric"].unique())
    versions = ", ".join(sorted(set(scored_here["code_version"]) - {""}))
    header = (f"Generated on {stamp} from {len(results)} result rows (code versions of the runs shown: "
              f"{versions or 'none'}). "
              f"Metrics computed here: {', '.join(computed) or 'none'} ({_coverage(computed)}); "
              f"imported published scores carry whatever their source has." + (f"\n\n{note}" if note else ""))
    return generate(results, out, conventions={name: dataset_convention(name) for name in datasets},
                    sources={name: _sources(name) for name in datasets}, notes=convention_evidence(),
                    header=header, storages={name: dataset_storage(name) for name in datasets},
                    storage_notes=storage_evidence(), validation=validation)
