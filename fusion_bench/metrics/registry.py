"""One registry of fusion metrics: name → functional form, MEFB name, direction, family.

A metric's functional form has the signature

    fn(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor  # (N,)

with every tensor (N, C, H, W) float in [0, 1] (as read from the 8-bit files). Each family module
(`information.py`, `gradient.py`, `statistics.py`, `structure.py`, `perception.py`) registers its
metrics with `register_metric` at import time; `fusion_bench.metrics` imports them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from fusion_bench.errors import ImageFormatError, UnknownNameError

Convention = Literal["mefb", "gray"]
CONVENTIONS: tuple[Convention, ...] = ("mefb", "gray")
MetricFunction = Callable[..., Tensor]


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric.

    Attributes:
        name: our short name, used on the CLI and in tables ("EN", "SF", "Qabf", "MEF-SSIM", ...).
        mefb_name: the MEFB function suffix (`metrics<mefb_name>.m`), e.g. "Entropy"; "" if not in MEFB.
        function: the functional form (signature in the module docstring).
        higher_is_better: direction for ranking.
        family: "information", "gradient", "statistics", "structure" or "perception".
        is_differentiable: whether gradients flow through the functional form.
        uses_sources: False for no-reference metrics (EN, SD, SF, AG, EI).
        description: one line for docs and `--help`.
    """

    name: str
    mefb_name: str
    function: MetricFunction
    higher_is_better: bool
    family: str
    is_differentiable: bool
    uses_sources: bool
    description: str


_REGISTRY: dict[str, MetricSpec] = {}

# Table order: EN, SF, SD first (the and MGDN's table order), then the rest of MEFB's 20.
PREFERRED_ORDER: tuple[str, ...] = (
    "EN", "SF", "SD", "AG", "EI", "CE", "NMI", "PSNR", "Qabf", "MEF-SSIM", "FMI", "QNCIE", "TE", "QP", "QC",
    "QW", "QY", "QCB", "QCV", "VIF", "SSIM", "MI",
)


@dataclass(frozen=True)
class MetricDomain:
    """Where a metric is defined: the range of its values and the smallest image it can be computed on.

    Attributes:
        low, high: the range its values lie in by definition (±inf for an open end). A value outside comes
            from an implementation's rounding on flat windows (MEFB's code included), never from a better or
            worse fusion; `metrics` flags it.
        min_side: the smallest height and width (pixels) for which the metric is computed at all, found by
            trying every size on crops of a real pair: below it the formula's windows or filters do not fit
            (an error) or it divides zero by zero.
    """

    low: float
    high: float
    min_side: int


_INF = float("inf")
# One entry per registered metric (tests/test_metric_domains.py keeps the two in step).
DOMAINS: dict[str, MetricDomain] = {
    "EN": MetricDomain(0.0, 8.0, 1),          # entropy of a 256-bin histogram, bits
    "SF": MetricDomain(0.0, _INF, 1),
    "SD": MetricDomain(0.0, _INF, 1),
    "AG": MetricDomain(0.0, _INF, 2),         # a gradient needs two samples per direction
    "EI": MetricDomain(0.0, _INF, 1),
    "CE": MetricDomain(0.0, _INF, 1),         # KL divergences; MEFB sums only bins both histograms hold: can be < 0
    "NMI": MetricDomain(0.0, 2.0, 1),         # two normalised MIs, each at most 1
    "PSNR": MetricDomain(0.0, _INF, 1),       # +inf when the fused image equals the sources
    "Qabf": MetricDomain(0.0, 1.0, 1),
    "MEF-SSIM": MetricDomain(0.0, 1.0, 44),   # mef_ms_ssim.m's scales (the metric checks this too)
    "FMI": MetricDomain(0.0, 1.0, 3),         # 0/0 on 2-pixel sides, an error on 1
    "QNCIE": MetricDomain(0.0, 1.0, 1),
    "TE": MetricDomain(-_INF, _INF, 1),       # Tsallis entropy (q = 1.85), no fixed bound
    "QP": MetricDomain(0.0, 1.0, 6),          # phase congruency's filters: 0/0 on smaller squares
    "QC": MetricDomain(0.0, 1.0, 7),          # 7x7 Gaussian window
    "QW": MetricDomain(-1.0, 1.0, 11),        # a UIQI-type index in [-1, 1]
    "QY": MetricDomain(0.0, 1.0, 7),          # 7x7 Gaussian window
    "QCB": MetricDomain(0.0, 1.0, 1),
    "QCV": MetricDomain(0.0, _INF, 1),        # a weighted squared difference, lower is better
    "VIF": MetricDomain(0.0, _INF, 41),       # four scales of 17/9/5/3-tap 'valid' filters
    "SSIM": MetricDomain(-1.0, 1.0, 11),      # 11x11 window
    "MI": MetricDomain(0.0, _INF, 1),
}


def metric_domain(name: str) -> MetricDomain:
    """The domain of a registered metric (our name or MEFB's)."""
    return DOMAINS[get_metric(name).name]


def format_range(domain: MetricDomain) -> str:
    """"[0, 1]", "[0, inf)", "(-inf, inf)"."""
    low = "(-inf" if domain.low == -_INF else f"[{domain.low:g}"
    high = "inf)" if domain.high == _INF else f"{domain.high:g}]"
    return f"{low}, {high}"


def outside_range(name: str, value: float) -> bool:
    """Whether a finite `value` of metric `name` lies outside its defined range (NaN and ±inf are not
    "outside": they are reported as such)."""
    domain = metric_domain(name)
    return math.isfinite(value) and not domain.low <= value <= domain.high


def check_image_size(names: Sequence[str], height: int, width: int) -> None:
    """`ImageFormatError` naming every metric of `names` that cannot be computed on a height×width image,
    with its minimum size."""
    small = [(spec.name, DOMAINS[spec.name].min_side) for spec in (get_metric(name) for name in names)
             if min(height, width) < DOMAINS[spec.name].min_side]
    if small:
        needs = ", ".join(f"{name} (at least {side}x{side})" for name, side in small)
        raise ImageFormatError(f"images of {width}x{height} px are too small for {needs}; "
                               f"leave {'it' if len(small) == 1 else 'them'} out with --metrics")


# Why a metric can be NaN: said beside a NaN in `metrics`' output.
NAN_REASON = ("not defined for these images: the formula divides zero by zero, as on flat regions "
              "(no edges, no variance or no entropy to normalise by)")


def register_metric(spec: MetricSpec) -> MetricSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"metric {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def _load_families() -> None:
    import fusion_bench.metrics  # noqa: F401  (imports every family module, which registers its metrics)


def list_metrics() -> list[MetricSpec]:
    """All registered metrics in table order (PREFERRED_ORDER first, then by name)."""
    _load_families()
    rank = {name: index for index, name in enumerate(PREFERRED_ORDER)}
    return sorted(_REGISTRY.values(), key=lambda spec: (rank.get(spec.name, len(rank)), spec.name))


def mefb_metric_names() -> list[str]:
    """Our names of MEFB's 20 metrics, in table order."""
    return [spec.name for spec in list_metrics() if spec.mefb_name]


def get_metric(name: str) -> MetricSpec:
    """Look a metric up by our name or its MEFB name (case-insensitive)."""
    _load_families()
    lowered = name.lower()
    for spec in _REGISTRY.values():
        if spec.name.lower() == lowered or (spec.mefb_name and spec.mefb_name.lower() == lowered):
            return spec
    known = ", ".join(spec.name for spec in list_metrics())
    raise UnknownNameError(f"unknown metric {name!r}; known metrics: {known}")


def check_convention(convention: str) -> Convention:
    if convention not in CONVENTIONS:
        raise UnknownNameError(f"unknown metric convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    return convention  # type: ignore[return-value]


def compute_metric(sources: Sequence[Tensor], fused: Tensor, name: str, convention: Convention = "mefb") -> Tensor:
    """One metric on one batch, (N,) values: the one scoring function of evaluation (`evaluation.worker.score_image`)
    and of training's validation and test (`metrics.classes.FusionMetric.update`). sources: K tensors
    (N, C, H, W); fused: (N, C, H, W), in [0, 1].

    Raises:
        ImageFormatError: the images are smaller than the metric's minimum, or the metric is not defined on them.
    """
    check_convention(convention)
    spec = get_metric(name)
    check_image_size([spec.name], *fused.shape[-2:])
    try:
        return spec.function(sources, fused, convention=convention)
    except (ArithmeticError, ValueError, RuntimeError) as exc:  # degenerate content (e.g. all black)
        raise ImageFormatError(f"{spec.name} cannot be computed on these images "
                               f"({type(exc).__name__}: {exc})") from exc


def compute_metrics(sources: Sequence[Tensor], fused: Tensor, names: Sequence[str] | None = None,
                    convention: Convention = "mefb") -> dict[str, Tensor]:
    """Evaluate several metrics on one batch (`compute_metric` each); returns {name: (N,) tensor}.
    `names=None` means MEFB's 20."""
    check_convention(convention)
    specs = [get_metric(name) for name in names] if names else [get_metric(n) for n in mefb_metric_names()]
    check_image_size([spec.name for spec in specs], *fused.shape[-2:])
    return {spec.name: compute_metric(sources, fused, spec.name, convention) for spec in specs}
