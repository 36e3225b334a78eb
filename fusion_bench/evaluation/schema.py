"""The results table (docs/product.md, "Results table"): one row per (method, dataset, image, metric,
convention), with what is needed to trust and resume it.

Provenance labels say where a value comes from; the leaderboard prints them beside every row.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from fusion_bench import __version__

COLUMNS: tuple[str, ...] = (
    "method",        # registry name, or the upstream name of a published method
    "dataset",       # catalogue name, e.g. "MEFB", "Lytro"
    "image",         # the pair's name in its dataset
    "metric",        # our metric name (fusion_bench.metrics.registry)
    "convention",    # "mefb" or "gray"
    "value",         # float; NaN when `error` is set
    "config_hash",   # fusion_bench.models.registry.config_hash of the resolved config
    "code_version",  # package version + commit of the last change to the package (see `code_version`)
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

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@functools.cache
def code_version() -> str:
    """`<package version>+g<commit>`: the last commit that changed the code that produces results, if in a
    git checkout.

    Keyed on the package minus the leaderboard and CLI rather than on HEAD, so that commits to docs, tests,
    tables or figures do not invalidate computed results; any change to the code that reads, fuses or scores
    does. Uncommitted changes are not seen: commit before a run whose results you keep.
    """
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h", "--", ".", ":(exclude)leaderboard", ":(exclude)cli"],
            cwd=_PACKAGE_DIR, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+g{commit}" if commit else __version__
