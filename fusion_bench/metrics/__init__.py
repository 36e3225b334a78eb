"""Fusion metrics: functional forms and torchmetrics classes, in MEFB and grey conventions.

Importing this package imports every family module, which registers its metrics.
"""

import importlib

from fusion_bench.metrics.registry import (
    CONVENTIONS,
    Convention,
    MetricSpec,
    compute_metrics,
    get_metric,
    list_metrics,
    mefb_metric_names,
    register_metric,
)

FAMILY_MODULES = ("information", "gradient", "statistics", "structure", "perception")
for _family in FAMILY_MODULES:
    try:
        importlib.import_module(f"fusion_bench.metrics.{_family}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"fusion_bench.metrics.{_family}":
            raise

from fusion_bench.metrics.classes import FusionMetric, build_metric_collection, metric_class  # noqa: E402

__all__ = [
    "CONVENTIONS",
    "FusionMetric",
    "build_metric_collection",
    "metric_class",
    "Convention",
    "MetricSpec",
    "compute_metrics",
    "get_metric",
    "list_metrics",
    "mefb_metric_names",
    "register_metric",
]
