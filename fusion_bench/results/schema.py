"""The results table (docs/product.md, "Results table"): one row per (method, dataset, image, metric,
convention, storage protocol), with what is needed to trust and resume it.

Provenance labels say where a value comes from; the leaderboard prints them beside every row.
"""

from __future__ import annotations

COLUMNS: tuple[str, ...] = (
    "method",        # registry name, or the upstream name of a published method
    "dataset",       # catalogue name, e.g. "MEFB", "Lytro"
    "image",         # the pair's name in its dataset
    "metric",        # our metric name (fusion_bench.metrics.registry)
    "convention",    # "mefb" or "gray"
    "storage",       # storage protocol of the scored file (fusion_bench.io.storage): "imwrite" or "lossless"
    "value",         # float; NaN when `error` is set
    "config_hash",   # fusion_bench.models.registry.config_hash of the resolved config
    "code_version",  # package version + last commit changing the code behind the row (versions.py)
    "fuse_seconds",  # wall time to fuse this image (0 for published outputs and scores)
    "score_seconds", # wall time to compute this metric on this image
    "fused_path",    # the fused image that was scored, stored under `storage` ("" for imported scores)
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

# The storage protocol of rows that were not stored here: published fused images (scored as published) and
# imported published scores were stored by their benchmark, which is what `imwrite` imitates.
PUBLISHED_STORAGE = "imwrite"

# Results written before the `storage` column existed (part files keep their header): run-here images were
# always stored as PNG; published rows are the benchmark's own files or scores.
LEGACY_COLUMNS: tuple[str, ...] = tuple(column for column in COLUMNS if column != "storage")
LEGACY_STORAGE = {RUN_HERE: "lossless", PUBLISHED_OUTPUTS: PUBLISHED_STORAGE, PUBLISHED_SCORES: PUBLISHED_STORAGE}
