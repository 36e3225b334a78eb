"""Unsupervised fusion losses: SSIM against the sources, intensity, gradient, MGDN's masked NMI, and the
weighted sum used in training (`composite.FusionLoss`). Every term is a functional form on (N, C, H, W)
tensors plus, where it keeps settings, a thin `nn.Module`."""

from fusion_bench.losses.composite import FusionLoss, LossConfig
from fusion_bench.losses.gradient import gradient_loss, sobel_magnitude
from fusion_bench.losses.intensity import intensity_loss
from fusion_bench.losses.nmi import masked_nmi, nmi_feature_loss, shared_structure_mask
from fusion_bench.losses.ssim_loss import ssim_loss

__all__ = [
    "FusionLoss",
    "LossConfig",
    "gradient_loss",
    "intensity_loss",
    "masked_nmi",
    "nmi_feature_loss",
    "shared_structure_mask",
    "sobel_magnitude",
    "ssim_loss",
]
