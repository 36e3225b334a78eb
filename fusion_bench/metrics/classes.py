"""torchmetrics wrappers: one `Metric` class per registered metric, keeping only summed state.

Each class accumulates the per-image values of the functional form: `total` (float64 sum over images) and
`count` (number of images), both reduced with `dist_reduce_fx="sum"`, so the value after a DDP
all-reduce is the mean over every image seen by every process. `compute()` returns that mean.

    >>> metric = FusionMetric("EN", convention="mefb")
    >>> metric.update([a, b], fused)        # a, b, fused: (N, C, H, W) in [0, 1]
    >>> metric.compute()                    # mean EN over the images seen
"""

from __future__ import annotations

from collections.abc import Sequence
import re
from typing import Any, ClassVar

import torch
from torch import Tensor
from torchmetrics import Metric, MetricCollection

from fusion_bench.errors import UnknownNameError
from fusion_bench.metrics.registry import (
    Convention,
    MetricSpec,
    check_convention,
    compute_metric,
    get_metric,
    list_metrics,
    mefb_metric_names,
)


class FusionMetric(Metric):
    """Mean of a registered metric over images, in one convention.

    `FusionMetric("EN", convention="gray")` returns an instance of that metric's own class (`ENMetric`,
    see `metric_class`), whose class attributes declare `higher_is_better` and `is_differentiable`
    (torchmetrics treats them as class constants).

    Args:
        name: our metric name or MEFB's (see `fusion_bench.metrics.list_metrics()`); optional on a
            metric's own class.
        convention: "mefb" or "gray".
    """

    spec: ClassVar[MetricSpec | None] = None
    full_state_update = False
    total: Tensor
    count: Tensor

    def __new__(cls, *args: Any, **kwargs: Any) -> FusionMetric:
        # Unpickling calls __new__ with other arguments; only the generic class needs the name.
        if cls.spec is None:
            name = args[0] if args else kwargs.get("name")
            if not isinstance(name, str):
                raise UnknownNameError("FusionMetric needs a metric name, e.g. FusionMetric('EN')")
            cls = metric_class(name)
        return super().__new__(cls)

    def __init__(self, name: str | None = None, convention: Convention = "mefb", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        assert self.spec is not None  # set on every class `metric_class` makes
        if name is not None and get_metric(name).name != self.spec.name:
            raise UnknownNameError(f"{type(self).__name__} computes {self.spec.name}, not {name!r}")
        self.convention: Convention = check_convention(convention)
        self.add_state("total", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros((), dtype=torch.long), dist_reduce_fx="sum")

    def update(self, sources: Sequence[Tensor], fused: Tensor) -> None:
        """sources: K tensors (N, C, H, W) in [0, 1]; fused: (N, C, H, W) in [0, 1]."""
        assert self.spec is not None
        values = compute_metric(sources, fused, self.spec.name, self.convention)
        self.total += values.to(torch.float64).sum()
        self.count += values.numel()

    def compute(self) -> Tensor:
        return self.total / self.count


def class_name(spec: MetricSpec) -> str:
    """"MEF-SSIM" → "MEFSSIMMetric"."""
    return re.sub(r"[^0-9A-Za-z]", "", spec.name) + "Metric"


_CLASSES: dict[str, type[FusionMetric]] = {}


def make_metric_class(spec: MetricSpec) -> type[FusionMetric]:
    """The `FusionMetric` subclass bound to `spec`, with its class attributes declared. Made once per metric
    and reachable as `fusion_bench.metrics.classes.<Name>Metric`, so instances pickle (DDP, deepcopy)."""
    if spec.name not in _CLASSES:
        cls = type(class_name(spec), (FusionMetric,), {
            "__doc__": f"{spec.name}: {spec.description}. Mean over images; see FusionMetric.",
            "__module__": __name__,
            "spec": spec,
            "higher_is_better": spec.higher_is_better,
            "is_differentiable": spec.is_differentiable,
            "full_state_update": False,
        })
        _CLASSES[spec.name] = cls
    return _CLASSES[spec.name]


def metric_class(name: str) -> type[FusionMetric]:
    """The `Metric` class of one registered metric (by our name or MEFB's), e.g. `metric_class("EN")(convention="gray")`."""
    return make_metric_class(get_metric(name))


def __getattr__(attribute: str) -> type[FusionMetric]:
    for spec in list_metrics():
        if class_name(spec) == attribute:
            return make_metric_class(spec)
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


def build_metric_collection(names: Sequence[str] | None = None, convention: Convention = "mefb") -> MetricCollection:
    """A `MetricCollection` of the named metrics (default: MEFB's 20), keyed by our names.

    torchmetrics keys may not contain "-", so MEF-SSIM is keyed "MEF_SSIM".
    """
    chosen = list(names) if names else mefb_metric_names()
    metrics = {get_metric(name).name.replace("-", "_"): FusionMetric(name, convention) for name in chosen}
    return MetricCollection(metrics, compute_groups=False)
