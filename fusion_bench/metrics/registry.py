"""One registry of fusion metrics: name → functional form, MEFB name, direction, family.

A metric's functional form has the signature

    fn(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor  # (N,)

with every tensor (N, C, H, W) float in [0, 1] (as read from the 8-bit files). Each family module
(`information.py`, `gradient.py`, `statistics.py`, `structure.py`, `perception.py`) registers its
metrics with `register_metric` at import time; `fusion_bench.metrics` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from fusion_bench.errors import UnknownNameError

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


def compute_metrics(sources: Sequence[Tensor], fused: Tensor, names: Sequence[str] | None = None,
                    convention: Convention = "mefb") -> dict[str, Tensor]:
    """Evaluate several metrics on one batch; returns {name: (N,) tensor}. `names=None` means MEFB's 20."""
    check_convention(convention)
    specs = [get_metric(name) for name in names] if names else [get_metric(n) for n in mefb_metric_names()]
    return {spec.name: spec.function(sources, fused, convention=convention) for spec in specs}
