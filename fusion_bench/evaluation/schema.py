"""The results table (docs/product.md, "Results table"): one row per (method, dataset, image, metric,
convention), with what is needed to trust and resume it.

Provenance labels say where a value comes from; the leaderboard prints them beside every row.
"""

from __future__ import annotations

COLUMNS: tuple[str, ...] = (
    "method",        # registry name, or the upstream name of a published method
    "dataset",       # catalogue name, e.g. "MEFB", "Lytro"
    "image",         # the pair's name in its dataset
    "metric",        # our metric name (fusion_bench.metrics.registry)
    "convention",    # "mefb" or "gray"
    "value",         # float; NaN when `error` is set
    "config_hash",   # fusion_bench.models.registry.config_hash of the resolved config
    "code_version",  # package version + last commit changing the code behind the row (versions.py)
    "fuse_seconds",  # wall time to fuse this image (0 for published outputs and scores)
    "score_seconds", # wall time to compute this metric on this image
    "fused_path",    # the fused image that was scored ("" for imported scores)
    "provenance",    # one of PROVENANCES
    "source",        # where a published or reported value comes from; method label for our runs
    "error",         # "" or the one-line error that prevented this value
    "timestamp",     # UTC ISO time the row was written
)

RUN_HERE = "run here"
PUBLISHED_OUTPUTS = "published outputs, scored here"
PUBLISHED_SCORES = "published scores"
REPORTED = "reported"
PROVENANCES: tuple[str, ...] = (RUN_HERE, PUBLISHED_OUTPUTS, PUBLISHED_SCORES, REPORTED)
