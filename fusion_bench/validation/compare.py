"""Relative differences between our metric values and published ones, and their per-metric summary.

Values that are not finite must match in kind: NaN with NaN, +inf with +inf, -inf with -inf (difference 0);
any other pairing with a non-finite value is an infinite difference. A finite pair differs by
|ours - theirs| / |theirs| (theirs = 0: 0 if ours is 0 too, else infinite).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUMMARY_COLUMNS: tuple[str, ...] = ("metric", "images", "median_rel", "max_rel", "within_1e-4", "within_1e-3",
                                    "kind_mismatches", "errors", "worst")


def relative_difference(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Elementwise relative difference (module docstring), same shape as the inputs."""
    ours, theirs = np.broadcast_arrays(np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64))
    finite = np.isfinite(ours) & np.isfinite(theirs)
    same_kind = (np.isnan(ours) & np.isnan(theirs)) | (np.isinf(ours) & (ours == theirs))
    out = np.full(ours.shape, np.inf)
    out[same_kind] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.abs(ours - theirs) / np.abs(theirs)
    scaled = np.where((theirs == 0) & (ours == 0), 0.0, scaled)
    out[finite] = scaled[finite]
    return out


def kind_mismatch(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Where one value is finite and the other not, or both non-finite of another kind."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    either = ~np.isfinite(ours) | ~np.isfinite(theirs)
    same = (np.isnan(ours) & np.isnan(theirs)) | (np.isinf(ours) & (ours == theirs))
    return either & ~same


def summarise(comparison: pd.DataFrame, worst: int = 3) -> pd.DataFrame:
    """Per metric (in the order first met): images compared, median and largest relative difference, the share
    within 1e-4 and within 1e-3, non-finite values of different kinds, images whose scoring failed, and the
    `worst` images ("<image> <method> (<difference>)").

    `comparison` has columns image, method, metric, ours, matlab, rel_diff, error (one row per image and
    metric; a row with an error has no value and counts only under errors).
    """
    rows = []
    for metric, group in comparison.groupby("metric", sort=False):
        scored = group[group["error"] == ""]
        diffs = scored["rel_diff"].to_numpy(dtype=np.float64)
        order = scored.sort_values("rel_diff", ascending=False, kind="stable").head(worst)
        rows.append({
            "metric": metric, "images": len(scored),
            "median_rel": float(np.median(diffs)) if len(diffs) else float("nan"),
            "max_rel": float(diffs.max()) if len(diffs) else float("nan"),
            "within_1e-4": float((diffs <= 1e-4).mean()) if len(diffs) else float("nan"),
            "within_1e-3": float((diffs <= 1e-3).mean()) if len(diffs) else float("nan"),
            "kind_mismatches": int(kind_mismatch(scored["ours"], scored["matlab"]).sum()),
            "errors": int((group["error"] != "").sum()),
            "worst": "; ".join(f"{row.image} {row.method} ({row.rel_diff:.2g})" for row in order.itertuples()),
        })
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
