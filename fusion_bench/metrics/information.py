"""Information metrics, exact to MEFB's Matlab code: EN, CE, NMI, PSNR, QNCIE, TE, FMI, and the plain MI of
multi-focus papers.

Functional forms take `sources` (two (N, C, H, W) tensors in [0, 1]) and `fused` (N, C, H, W) in [0, 1]
and return (N,) float64. Histograms are `bincount`s over the 0–255 levels of all planes at once;
docs/metrics.md gives formulas, papers and every quirk reproduced here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from fusion_bench.metrics._filters import matlab_round
from fusion_bench.metrics._source_cache import source_cache
from fusion_bench.metrics.conventions import per_channel
from fusion_bench.metrics.gradient import sobel_responses
from fusion_bench.metrics.registry import Convention, MetricSpec, register_metric

LEVELS = 256
TSALLIS_Q = 1.85  # Cvejic's constant in metricsTE.m
NCIE_BINS = 256  # b in metricsQncie.m: entropies are divided by log2(b)
FMI_WINDOW = 3  # Fast-FMI's default window w, as MEFB calls it


def histograms(planes: Tensor) -> Tensor:
    """256-bin counts of each plane of integer levels 0–255. (B, H, W) → (B, 256) float64."""
    batch = planes.shape[0]
    index = planes.reshape(batch, -1).long() + LEVELS * torch.arange(batch, device=planes.device)[:, None]
    return torch.bincount(index.reshape(-1), minlength=batch * LEVELS).reshape(batch, LEVELS).to(torch.float64)


def joint_histograms(x: Tensor, y: Tensor) -> Tensor:
    """256×256 joint counts h[i, j] = #(x = i, y = j) per plane. x, y: (B, H, W) levels → (B, 256, 256) float64."""
    batch = x.shape[0]
    offset = LEVELS * LEVELS * torch.arange(batch, device=x.device)[:, None]
    index = (x.reshape(batch, -1).long() * LEVELS + y.reshape(batch, -1).long()) + offset
    counts = torch.bincount(index.reshape(-1), minlength=batch * LEVELS * LEVELS)
    return counts.reshape(batch, LEVELS, LEVELS).to(torch.float64)


def entropy_bits(p: Tensor, dims: tuple[int, ...]) -> Tensor:
    """−Σ p·log2(p) over `dims`, with 0·log 0 = 0 (Matlab's `p.*log2(p + (p == 0))`)."""
    return -(p * torch.log2(p + (p == 0))).sum(dim=dims)


# ---------------------------------------------------------------- EN, CE, PSNR: plain histograms and sums

def en_planes(fused: Tensor) -> Tensor:
    """Shannon entropy (bits) of the 256-bin histogram of each plane (`metricsEntropy.m`). (B, H, W) → (B,)."""
    p = histograms(fused) / (fused.shape[-2] * fused.shape[-1])
    return entropy_bits(p, (-1,))


def en(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """EN of the fused image, per channel then averaged (mefb) or on rgb2gray (gray) → (N,)."""
    return per_channel(lambda _sources, planes: en_planes(planes), "EN", sources, fused, convention)


def _relative_entropy(source: Tensor, fused: Tensor) -> Tensor:
    """MEFB's `cross_entropy(img, fused)`: Σ P_s·log2(P_s / P_f) over bins where both are non-zero (a
    Kullback–Leibler divergence, despite the name). (B, H, W) pair → (B,)."""
    count = source.shape[-2] * source.shape[-1]
    p_source = histograms(source) / count
    p_fused = histograms(fused) / count
    both = (p_source != 0) & (p_fused != 0)
    ratio = torch.where(both, p_source / torch.where(both, p_fused, 1.0), 1.0)
    return (p_source * torch.log2(ratio)).sum(dim=-1)


def ce_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """(CE(A, F) + CE(B, F)) / 2 (`metricsCross_entropy.m`). sources (2, B, H, W), fused (B, H, W) → (B,)."""
    return (_relative_entropy(sources[0], fused) + _relative_entropy(sources[1], fused)) / 2.0


def ce(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Cross entropy between the sources' and the fused image's histograms (lower is better) → (N,)."""
    return per_channel(ce_planes, "CE", sources, fused, convention)


def psnr_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """20·log10(255 / sqrt(MES)), MES = (e(A, F) + e(B, F))/2 with MEFB's e(X, F) = sqrt(Σ(X − F)²)/(m·n): the
    root of the summed squares, not their mean (`metricsPsnr.m`). sources (2, B, H, W), fused (B, H, W) → (B,)."""
    count = fused.shape[-2] * fused.shape[-1]
    errors = torch.sqrt(((sources - fused[None]) ** 2).sum(dim=(-2, -1))) / count
    mes = (errors[0] + errors[1]) / 2.0
    return 20 * torch.log10(255.0 / torch.sqrt(mes))


def psnr(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """MEFB's PSNR of the fused image against both sources → (N,) (+inf when F equals both sources)."""
    return per_channel(psnr_planes, "PSNR", sources, fused, convention)


# ---------------------------------------------------------- NMI, QNCIE, TE: Z. Liu's joint-histogram code

def _normalised(planes: Tensor) -> tuple[Tensor, Tensor]:
    """`normalize1` of each plane of integer levels → (levels with NaN planes zeroed, valid (B,)).

    Computed as `_filters.normalize1` does, round((v − min)/(max − min)·255) with the same float operations,
    but on the 256 possible levels and then looked up per pixel, which is several times cheaper than the
    per-pixel arithmetic. A constant non-zero plane gives 0/0 = NaN in `normalize1`, which makes MEFB's
    histogram indexing fail; we score such planes as NaN.
    """
    flat = planes.flatten(-2)
    low = flat.amin(dim=-1, keepdim=True)
    high = flat.amax(dim=-1, keepdim=True)
    levels = torch.arange(LEVELS, dtype=planes.dtype, device=planes.device).expand(planes.shape[0], LEVELS)
    table = matlab_round((levels - low) / (high - low) * 255)
    table = torch.where((high == 0) & (low == 0), levels, table)
    valid = ~((high == low) & (high != 0)).squeeze(-1)
    table = torch.where(valid[:, None], table, 0.0)
    return torch.gather(table, 1, flat.long()).reshape(planes.shape), valid


def _mutual_information(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Z. Liu's `mutual_info(x, y)` → (MI, H_xy, H_x, H_y) in bits, each (B,). x, y: (B, H, W) levels.

    As in the Matlab code, `H_x` is the entropy of the column sums of h(x+1, y+1), i.e. of y's marginal.
    """
    h = joint_histograms(x, y)
    h = h / h.sum(dim=(-2, -1), keepdim=True)
    h_x = entropy_bits(h.sum(dim=-2), (-1,))
    h_y = entropy_bits(h.sum(dim=-1), (-1,))
    h_xy = entropy_bits(h, (-2, -1))
    return h_x + h_y - h_xy, h_xy, h_x, h_y


def nmi_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Hossny's NMI = 2·(MI(A, F)/(H(A) + H(F)) + MI(B, F)/(H(B) + H(F))) on `normalize1`d planes
    (`metricsNMI.m`). sources (2, B, H, W), fused (B, H, W) → (B,)."""
    a, valid_a = _normalised(sources[0])
    b, valid_b = _normalised(sources[1])
    f, valid_f = _normalised(fused)
    mi_af, _, h_1, h_2 = _mutual_information(a, f)
    mi_bf, _, h_3, h_4 = _mutual_information(b, f)
    value = 2 * (mi_af / (h_2 + h_1) + mi_bf / (h_4 + h_3))
    return torch.where(valid_a & valid_b & valid_f, value, torch.nan)


def nmi(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Normalised mutual information (Hossny et al. 2008) → (N,)."""
    return per_channel(nmi_planes, "NMI", sources, fused, convention)


def _nonlinear_correlation(x: Tensor, y: Tensor) -> Tensor:
    """Z. Liu's `NCC(x, y)` = (H_x + H_y − H_xy)/log2(256): mutual information in units of 8 bits. → (B,)."""
    mi, _, _, _ = _mutual_information(x, y)
    return mi / math.log2(NCIE_BINS)


def qncie_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Wang's NCIE = 1 + Σ λ_k/3 · log_256(λ_k/3) over the eigenvalues λ of the 3×3 nonlinear correlation
    matrix of (A, B, F) on `normalize1`d planes (`metricsQncie.m`). sources (2, B, H, W), fused (B, H, W) → (B,)."""
    a, valid_a = _normalised(sources[0])
    b, valid_b = _normalised(sources[1])
    f, valid_f = _normalised(fused)
    ncc_ab = _nonlinear_correlation(a, b)
    ncc_af = _nonlinear_correlation(a, f)
    ncc_bf = _nonlinear_correlation(b, f)
    ones = torch.ones_like(ncc_ab)
    r = torch.stack([
        torch.stack([ones, ncc_ab, ncc_af], dim=-1),
        torch.stack([ncc_ab, ones, ncc_bf], dim=-1),
        torch.stack([ncc_af, ncc_bf, ones], dim=-1),
    ], dim=-2)
    eigenvalues = torch.linalg.eigvalsh(r)
    k = 3
    # Matlab's log2 of a (rounding-)negative eigenvalue is complex; the value kept is its real part.
    hr = (eigenvalues * torch.log2(eigenvalues.abs() / k) / k).sum(dim=-1)
    hr = -hr / math.log2(NCIE_BINS)
    return torch.where(valid_a & valid_b & valid_f, 1 - hr, torch.nan)


def qncie(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Nonlinear correlation information entropy Q_NCIE (Wang et al. 2005/2008) → (N,)."""
    return per_channel(qncie_planes, "QNCIE", sources, fused, convention)


def _tsallis(x: Tensor, y: Tensor, q: float) -> Tensor:
    """Z. Liu's `tsallis(x, y, q)` = (1 − Σ h(i,j)^q / (m1(i)·m2(j))^(q−1)) / (1 − q) → (B,).

    Quirk kept: h(i, j) counts (x = i, y = j) but m1 = sum(h) is y's marginal and m2 = sum(h') is x's, so
    h(i, j) is divided by p_y(i)·p_x(j), a transposed pairing; terms with a zero product are skipped.
    """
    h = joint_histograms(x, y)
    h = h / h.sum(dim=(-2, -1), keepdim=True)
    m1 = h.sum(dim=-2)
    m2 = h.sum(dim=-1)
    buff = m1[:, :, None] * m2[:, None, :]
    nonzero = buff != 0
    terms = h ** q / torch.where(nonzero, buff, 1.0) ** (q - 1)
    result = torch.where(nonzero, terms, 0.0).sum(dim=(-2, -1))
    return (1 - result) / (1 - q)


def te_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """Cvejic's Tsallis-entropy metric T(A, F) + T(B, F), q = 1.85, on `normalize1`d planes (`metricsTE.m`).
    sources (2, B, H, W), fused (B, H, W) → (B,)."""
    a, valid_a = _normalised(sources[0])
    b, valid_b = _normalised(sources[1])
    f, valid_f = _normalised(fused)
    value = _tsallis(a, f, TSALLIS_Q) + _tsallis(b, f, TSALLIS_Q)
    return torch.where(valid_a & valid_b & valid_f, value, torch.nan)


def te(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Tsallis entropy metric (Cvejic et al. 2006) → (N,)."""
    return per_channel(te_planes, "TE", sources, fused, convention)


# ------------------------------------------------------------------------------ MI (multi-focus papers)

def mi_planes(sources: Tensor, fused: Tensor) -> Tensor:
    """MI(A, F) + MI(B, F) in bits from 256-bin joint histograms of the 0–255 levels, no stretching.
    sources (2, B, H, W), fused (B, H, W) → (B,)."""
    return _mutual_information(sources[0], fused)[0] + _mutual_information(sources[1], fused)[0]


def mi(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Plain mutual information MI(A,F) + MI(B,F) (Qu et al. 2002) as multi-focus papers report it → (N,)."""
    return per_channel(mi_planes, "MI", sources, fused, convention)


# ------------------------------------------------------------------------------------------- FMI (edge)

def sobel_edges(planes: Tensor) -> Tensor:
    """Matlab `edge(I)` (default Sobel, automatic threshold, thinning) on planes of integer levels 0–255.
    (B, H, W) → bool.

    bx, by: `imfilter(I, op', 'replicate')`, `imfilter(I, op, 'replicate')` with op = fspecial('sobel')/8;
    b = bx² + by²; cutoff = 4·mean(b); an edge where b > cutoff and b is a horizontal local maximum with
    |bx| ≥ |by| − 100·eps, or a vertical one with |by| ≥ |bx| − 100·eps (left/up neighbour ≤, right/down <;
    a missing neighbour at the border counts as satisfied).
    """
    # Everything is scaled by 8 (bx = g_x/8) and kept in float32, exactly: the Sobel responses g of integer
    # levels are integers, g_x² + g_y² < 2^24, and the sum for the mean is accumulated exactly in float64.
    # Scaling by a power of two changes no comparison, and with bx, by multiples of 1/8 the 100·eps
    # tolerance cannot change one either, so |bx| ≥ |by| − 100·eps is |g_x| ≥ |g_y|.
    sobel, sobel_transposed = sobel_responses(planes)
    gx, gy = sobel_transposed.abs(), sobel.abs()
    b = gx * gx + gy * gy
    cutoff = 4 * b.sum(dim=(-2, -1), keepdim=True, dtype=torch.float64) / (b.shape[-2] * b.shape[-1])
    # −inf outside the image makes every comparison with a missing neighbour true, as MATLAB's border rule.
    padded = F.pad(b, (1, 1, 1, 1), value=-math.inf)
    horizontal = (gx >= gy) & (padded[..., 1:-1, :-2] <= b) & (b > padded[..., 1:-1, 2:])
    vertical = (gy >= gx) & (padded[..., :-2, 1:-1] <= b) & (b > padded[..., 2:, 1:-1])
    return (b > cutoff) & (horizontal | vertical)


def window_patterns(edges: Tensor, window: int = FMI_WINDOW) -> Tensor:
    """Code each window×window patch of a binary map as an integer whose bit k is the patch's k-th element in
    Matlab's column-major order `sub(:)`. (B, H, W) bool → (B, H−w+1, W−w+1) int64."""
    height, width = edges.shape[-2:]
    out_h, out_w = height - window + 1, width - window + 1
    # int16 holds the 9 bits of a 3×3 window and keeps the nine shifted adds cheap.
    codes = torch.zeros(edges.shape[0], out_h, out_w, dtype=torch.int16, device=edges.device)
    for k in range(window * window):
        row, col = k % window, k // window
        codes += edges[:, row:row + out_h, col:col + out_w].to(torch.int16) << k
    return codes.to(torch.long)


def _pattern_bits(codes: Tensor, length: int) -> Tensor:
    """(P,) codes → (P, length) float64 0/1 vectors."""
    return ((codes[:, None] >> torch.arange(length, device=codes.device)) & 1).to(torch.float64)


def _ordered_sum(values: Tensor) -> Tensor:
    """Sum over the last dimension strictly left to right, as Matlab's `sum` of a short vector. (P, L) → (P,)."""
    total = values[..., 0].clone()
    for k in range(1, values.shape[-1]):
        total = total + values[..., k]
    return total


def _window_fmi(x_codes: Tensor, f_codes: Tensor, length: int) -> Tensor:
    """Fast-FMI's per-window normalised feature MI between binary windows x and f (codes (P,)) → (P,).

    Follows `FMI` in metricsFMI.m: identical windows score 1; a constant window becomes ones(w); the windows
    become PDFs; the joint PDF is Nelsen's mixture of the product and the Fréchet upper (c ≥ 0) or lower (c < 0)
    bound with weight c / corr_bound; FMI = 2·MI / (H(x) + H(f)), 0 when MI == 0. Matlab takes the real part
    of −p·log2(p) for a rounding-negative p, i.e. −p·log2|p|.
    """
    x = _pattern_bits(x_codes, length)
    f = _pattern_bits(f_codes, length)
    x = torch.where(x.amax(dim=-1, keepdim=True) == x.amin(dim=-1, keepdim=True), torch.ones_like(x), x)
    f = torch.where(f.amax(dim=-1, keepdim=True) == f.amin(dim=-1, keepdim=True), torch.ones_like(f), f)
    x_pdf = x / x.sum(dim=-1, keepdim=True)
    f_pdf = f / f.sum(dim=-1, keepdim=True)
    x_cdf = torch.cumsum(x_pdf, dim=-1)
    f_cdf = torch.cumsum(f_pdf, dim=-1)

    # Matlab sums these nine terms in order; whether a uniform window's centred PDF is exactly zero (c = 0,
    # score 0) or a rounding residue (c = 1, score 1) depends on that order, so the sums follow it.
    x_centred = x_pdf - (_ordered_sum(x_pdf) / length)[:, None]
    f_centred = f_pdf - (_ordered_sum(f_pdf) / length)[:, None]
    products = _ordered_sum(x_centred * f_centred)
    denominator = torch.sqrt(_ordered_sum(x_centred * x_centred) * _ordered_sum(f_centred * f_centred))
    c = torch.where(products == 0, 0.0, products / torch.where(products == 0, 1.0, denominator))

    index = torch.arange(1, length + 1, dtype=torch.float64, device=x.device)
    x_sd = torch.sqrt((index * index * x_pdf).sum(dim=-1) - (index * x_pdf).sum(dim=-1) ** 2)
    f_sd = torch.sqrt((index * index * f_pdf).sum(dim=-1) - (index * f_pdf).sum(dim=-1) ** 2)

    fi = f_cdf[:, :, None]  # i indexes f, j indexes x, as jpdf(i, j) in the Matlab code
    xj = x_cdf[:, None, :]
    upper = 0.5 * (fi + xj - (fi - xj).abs())
    lower = 0.5 * (fi + xj - 1 + (fi + xj - 1).abs())
    positive = c >= 0
    bound = torch.where(positive[:, None, None], upper, lower)
    covariance = (bound - fi * xj).sum(dim=(-2, -1))
    degenerate = (x_sd == 0) | (f_sd == 0) | (positive & (c == 0))
    weight = torch.where(degenerate, 0.0, c / torch.where(degenerate, 1.0, covariance / (f_sd * x_sd)))

    padded = F.pad(bound, (1, 0, 1, 0))  # bound(0, ·) = bound(·, 0) = 0
    bound_pdf = padded[:, 1:, 1:] - padded[:, :-1, 1:] - padded[:, 1:, :-1] + padded[:, :-1, :-1]
    w = weight[:, None, None]
    jpdf = w * bound_pdf + (1 - w) * f_pdf[:, :, None] * x_pdf[:, None, :]
    nonzero = jpdf != 0
    joint = torch.where(nonzero, -jpdf * torch.log2(torch.where(nonzero, jpdf.abs(), 1.0)), 0.0).sum(dim=(-2, -1))

    x_entropy = torch.where(x_pdf != 0, -x_pdf * torch.log2(torch.where(x_pdf != 0, x_pdf, 1.0)), 0.0).sum(-1)
    f_entropy = torch.where(f_pdf != 0, -f_pdf * torch.log2(torch.where(f_pdf != 0, f_pdf, 1.0)), 0.0).sum(-1)
    mutual = x_entropy + f_entropy - joint
    value = torch.where(mutual == 0, 0.0, 2 * mutual / (x_entropy + f_entropy))
    return torch.where(x_codes == f_codes, 1.0, value)


def _fmi_lookup(x_codes: Tensor, f_codes: Tensor, length: int) -> Tensor:
    """_window_fmi over many windows, computed once per (x, f) pattern pair that occurs. Any shape → same shape.

    A binary window has 2^length patterns, so the pairs index a table of 2^(2·length) entries (262,144 for
    3×3); only the entries present are computed, found with a bincount rather than a sort.
    """
    keys = (x_codes << length) | f_codes
    present = torch.bincount(keys.reshape(-1), minlength=1 << (2 * length)) > 0
    pairs = torch.nonzero(present).squeeze(-1)
    table = torch.zeros(present.shape[0], dtype=torch.float64, device=keys.device)
    table[pairs] = _window_fmi(pairs >> length, pairs & ((1 << length) - 1), length)
    return table[keys]


def _fmi_source_part(sources: Tensor) -> tuple[Tensor, Tensor]:
    """The sources' (2, B, H, W) edge-window codes, each (B, H−2, W−2) int64."""
    return window_patterns(sobel_edges(sources[0])), window_patterns(sobel_edges(sources[1]))


# FMI's store of the sources' edge-window codes (one 1200×800 RGB pair: about 46 MB).
FMI_SOURCE_FEATURES = source_cache("FMI", max_bytes=2 ** 28)


def fmi_planes(sources: Tensor, fused: Tensor, window: int = FMI_WINDOW) -> Tensor:
    """Haghighat's Fast-FMI with MEFB's defaults (feature 'edge', w = 3): the mean over interior windows of
    (FMI(A, F) + FMI(B, F))/2 on Matlab `edge` maps. sources (2, B, H, W), fused (B, H, W) → (B,).

    Quirk kept: the Matlab code replaces a constant fused window by ones(w) while scoring A and keeps that
    replacement when scoring B, so an all-zero fused window counts as all-one against B whenever A's window
    differs from it.
    """
    if window != FMI_WINDOW:
        raise ValueError(f"FMI is implemented for MEFB's 3×3 windows (a 2^18-entry pattern table), not {window}")
    length = window * window
    a_codes, b_codes = FMI_SOURCE_FEATURES.get(sources, _fmi_source_part)
    f_codes = window_patterns(sobel_edges(fused), window)
    all_ones = (1 << length) - 1
    f_for_b = torch.where((f_codes == 0) & (a_codes != 0), all_ones, f_codes)
    fmi_af, fmi_bf = _fmi_lookup(torch.stack([a_codes, b_codes]), torch.stack([f_codes, f_for_b]), length)
    return ((fmi_af + fmi_bf) / 2).mean(dim=(-2, -1))


def fmi(sources: Sequence[Tensor], fused: Tensor, convention: Convention = "mefb") -> Tensor:
    """Feature mutual information on edge maps (Haghighat et al. 2011; Fast-FMI 2014) → (N,)."""
    return per_channel(fmi_planes, "FMI", sources, fused, convention)


for _spec in (
    MetricSpec(name="EN", mefb_name="Entropy", function=en, higher_is_better=True, family="information",
               is_differentiable=False, uses_sources=False,
               description="Shannon entropy (bits) of the fused image's 256-bin histogram"),
    MetricSpec(name="CE", mefb_name="Cross_entropy", function=ce, higher_is_better=False, family="information",
               is_differentiable=False, uses_sources=True,
               description="mean relative entropy (bits) of the sources' histograms to the fused one"),
    MetricSpec(name="NMI", mefb_name="NMI", function=nmi, higher_is_better=True, family="information",
               is_differentiable=False, uses_sources=True,
               description="Hossny's normalised mutual information (on normalize1-stretched images)"),
    MetricSpec(name="PSNR", mefb_name="Psnr", function=psnr, higher_is_better=True, family="information",
               is_differentiable=False, uses_sources=True,
               description="MEFB's PSNR (dB), its 'MSE' being sqrt(sum of squared errors)/(m·n)"),
    MetricSpec(name="QNCIE", mefb_name="Qncie", function=qncie, higher_is_better=True, family="information",
               is_differentiable=False, uses_sources=True,
               description="nonlinear correlation information entropy of sources and fused image"),
    MetricSpec(name="TE", mefb_name="TE", function=te, higher_is_better=True, family="information",
               is_differentiable=False, uses_sources=True,
               description="Cvejic's Tsallis entropy metric, q = 1.85"),
    MetricSpec(name="FMI", mefb_name="FMI", function=fmi, higher_is_better=True, family="information",
               is_differentiable=False, uses_sources=True,
               description="feature mutual information on Sobel edge maps, 3×3 windows (Fast-FMI)"),
    MetricSpec(name="MI", mefb_name="", function=mi, higher_is_better=True, family="information",
               is_differentiable=False, uses_sources=True,
               description="MI(A,F) + MI(B,F) in bits, 256-bin joint histograms of the 0–255 levels"),
):
    register_metric(_spec)
