"""The one other project that cannot share an environment with this one.

This project is distributed as `mgdn-fusion-bench` (`DISTRIBUTION`); its import package is `fusion_bench`.
PyPI's `fusion-bench` is an unrelated project (FusionBench, a benchmark of deep model merging) whose
import package is also `fusion_bench`: installed side by side, one overwrites or shadows the other.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "mgdn-fusion-bench"
OTHER_DISTRIBUTION = "fusion-bench"

_CHECKOUT = Path(__file__).resolve().parents[2]


def _is_this_checkout(dist: metadata.Distribution) -> bool:
    """Metadata of this very checkout from before the project had its own name (it was `fusion_bench` up to
    0.1.0): an editable install of it, or the `fusion_bench.egg-info` a build left in it. The same code,
    so no conflict."""
    if Path(str(dist.locate_file(""))).resolve() == _CHECKOUT:
        return True
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        return False
    url = str(direct.get("url", ""))
    return url.startswith("file://") and Path(url[len("file://"):]).resolve() == _CHECKOUT


def conflicting_distribution_warning() -> str | None:
    """One line if PyPI's `fusion-bench` (FusionBench) is installed in this environment, else None."""
    try:
        other = metadata.distribution(OTHER_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    if _is_this_checkout(other):
        return None
    return (f"the distribution {OTHER_DISTRIBUTION!r} {other.version} (FusionBench, model merging) is installed "
            f"here and also provides the import package fusion_bench; it cannot share an environment with "
            f"{DISTRIBUTION}: `pip uninstall {OTHER_DISTRIBUTION}` or use another virtual environment")
