"""The training loss: a weighted sum of the unsupervised terms and MGDN's feature NMI.

    L = w_ssim · L_ssim(Y) + w_intensity · L_int(RGB) + w_gradient · L_grad(Y) + w_nmi · L_nmi(features)

Structure terms (SSIM, gradient) are computed on luminance when `structure_on="y"` (SwinFusion trains on
the Y channel), the intensity term on every channel (it carries colour). Default weights are SwinFusion's
multi-exposure ones (10 SSIM, 20 intensity, 20 gradient; its TV term is not used); `w_nmi` is ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from kornia.color import rgb_to_grayscale
from torch import nn

from fusion_bench.errors import ConfigError
from fusion_bench.losses.gradient import gradient_loss
from fusion_bench.losses.intensity import intensity_loss
from fusion_bench.losses.nmi import nmi_feature_loss
from fusion_bench.losses.ssim_loss import ssim_loss


@dataclass
class LossConfig:
    """Weights and settings of `FusionLoss` (the `loss:` group of an experiment)."""

    ssim: float = 10.0
    intensity: float = 20.0
    gradient: float = 20.0
    nmi: float = 1.0
    intensity_target: str = "mean"
    ssim_weighting: str = "gradient"
    structure_on: str = "y"
    nmi_bins: int = 16
    nmi_bandwidth: float = 1.0
    nmi_mask: bool = True

    def __post_init__(self) -> None:
        for name in ("ssim", "intensity", "gradient", "nmi"):
            if getattr(self, name) < 0:
                raise ConfigError(f"loss.{name}: a weight must be >= 0, got {getattr(self, name)}")
        if self.intensity_target not in ("max", "mean"):
            raise ConfigError(f"loss.intensity_target must be 'max' or 'mean', got {self.intensity_target!r}")
        if self.ssim_weighting not in ("equal", "gradient"):
            raise ConfigError(f"loss.ssim_weighting must be 'equal' or 'gradient', got {self.ssim_weighting!r}")
        if self.structure_on not in ("y", "rgb"):
            raise ConfigError(f"loss.structure_on must be 'y' or 'rgb', got {self.structure_on!r}")
        if self.nmi_bins < 2 or self.nmi_bandwidth <= 0:
            raise ConfigError(f"loss.nmi_bins must be >= 2 and loss.nmi_bandwidth > 0, got {self.nmi_bins}, "
                              f"{self.nmi_bandwidth}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LossConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"loss: unknown key(s) {unknown}; allowed: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _luminance(image: torch.Tensor) -> torch.Tensor:
    return rgb_to_grayscale(image) if image.shape[1] == 3 else image


class FusionLoss(nn.Module):
    """`forward(fused, sources, features=None) -> (total, terms)`; `terms` maps each term's name to its
    unweighted value (detached), for logging. `features` is the pair of per-source feature maps
    (N, C, h, w) the NMI term needs (required when `config.nmi > 0`)."""

    def __init__(self, config: LossConfig) -> None:
        super().__init__()
        self.config = config

    @property
    def needs_features(self) -> bool:
        return self.config.nmi > 0

    def forward(self, fused: torch.Tensor, sources: Sequence[torch.Tensor],
                features: Sequence[torch.Tensor] | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        cfg = self.config
        if cfg.structure_on == "y":
            fused_s, sources_s = _luminance(fused), [_luminance(s) for s in sources]
        else:
            fused_s, sources_s = fused, list(sources)
        terms: dict[str, torch.Tensor] = {}
        total = fused.new_zeros(())
        if cfg.ssim > 0:
            terms["ssim"] = ssim_loss(fused_s, sources_s, cfg.ssim_weighting)
            total = total + cfg.ssim * terms["ssim"]
        if cfg.intensity > 0:
            terms["intensity"] = intensity_loss(fused, sources, cfg.intensity_target)  # type: ignore[arg-type]
            total = total + cfg.intensity * terms["intensity"]
        if cfg.gradient > 0:
            terms["gradient"] = gradient_loss(fused_s, sources_s)
            total = total + cfg.gradient * terms["gradient"]
        if cfg.nmi > 0:
            if features is None or len(features) != 2:
                raise ConfigError("loss.nmi > 0 needs the two sources' feature maps; set model.feature_module to "
                                  "the module whose input is their concatenation, or set loss.nmi=0")
            terms["nmi"] = nmi_feature_loss(features[0], features[1], sources, cfg.nmi_bins, cfg.nmi_bandwidth,
                                            cfg.nmi_mask)
            total = total + cfg.nmi * terms["nmi"]
        return total, {name: value.detach() for name, value in terms.items()}
