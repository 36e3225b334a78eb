"""Straightforward NumPy/SciPy versions of Qabf, QP, QC, QW, QY, MEF-SSIM, QCB, QCV, VIF and SSIM.

The baseline that `benchmarks/metrics.py` times beside the torch implementations: the same formulas as
MEFB's Matlab code, written the obvious way (one plane at a time, `scipy.signal.correlate2d` for every
`filter2`, `numpy.fft` for the frequency-domain filters, no caching between calls).

    NUMPY_METRICS[name](sources, fused) -> float   # sources: list of uint8 (H, W[, 3]); fused: uint8
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.signal import correlate2d

EPS = np.finfo(np.float64).eps
RGB2GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])


def _gauss(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size) - (size - 1) / 2
    window = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma * sigma))
    return window / window.sum()


def _filter2(kernel: np.ndarray, x: np.ndarray, mode: str) -> np.ndarray:
    return correlate2d(x, kernel, mode=mode)


def _round(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _gray(image: np.ndarray) -> np.ndarray:
    image = image.astype(np.float64)
    return image if image.ndim == 2 else _round(image @ RGB2GRAY)


def _per_channel(plane_metric: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
                 ) -> Callable[[list[np.ndarray], np.ndarray], float]:
    """MEFB's wrapper: per RGB channel and averaged; grey sources with an RGB fused image use channel 1."""
    def metric(sources: list[np.ndarray], fused: np.ndarray) -> float:
        a, b = (s.astype(np.float64) for s in sources)
        f = fused.astype(np.float64)
        if a.ndim == 2 and f.ndim == 3:
            f = f[..., 0]
        if f.ndim == 2:
            return plane_metric(a, b, f)
        return float(np.mean([plane_metric(a[..., k], b[..., k], f[..., k]) for k in range(f.shape[2])]))
    return metric


def _moments(x: np.ndarray, y: np.ndarray, window: np.ndarray, mode: str = "valid"):
    mx, my = _filter2(window, x, mode), _filter2(window, y, mode)
    vx = _filter2(window, x * x, mode) - mx * mx
    vy = _filter2(window, y * y, mode) - my * my
    cxy = _filter2(window, x * y, mode) - mx * my
    return mx, my, vx, vy, cxy


def _ssim_map(mx, my, vx, vy, cxy, c1, c2):
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


# ------------------------------------------------------------------------------------------ Qabf
def _qabf(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
    h1 = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64)
    h3 = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)

    def sobel(x):
        x = 255 * x
        sx = _filter2(h3[::-1, ::-1], x, "same")
        sy = _filter2(h1[::-1, ::-1], x, "same")
        with np.errstate(divide="ignore", invalid="ignore"):
            angle = np.where(sx == 0, np.pi / 2, np.arctan(sy / sx))
        return np.sqrt(sx * sx + sy * sy), angle

    g_f, a_f = sobel(f)
    total, weight = 0.0, 0.0
    for source in (a, b):
        g_s, a_s = sobel(source)
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.where(g_s > g_f, g_f / g_s, np.where(g_s == g_f, g_f, g_s / g_f))
        orientation = 1 - np.abs(a_s - a_f) / (np.pi / 2)
        q = 0.9994 / (1 + np.exp(-15 * (relative - 0.5))) * 0.9879 / (1 + np.exp(-22 * (orientation - 0.8)))
        total += (q * g_s).sum()
        weight += g_s.sum()
    return float(total / weight)


# ---------------------------------------------------------------------------------------- QC, QY
def _ssim_yang(x, y):
    mx, my, vx, vy, cxy = _moments(x, y, _gauss(7, 1.5))
    return _ssim_map(mx, my, vx, vy, cxy, 2e-16, 2e-16), vx, vy, cxy


def _qc(a, b, f) -> float:
    s_a, _, _, c_a = _ssim_yang(a, f)
    s_b, _, _, c_b = _ssim_yang(b, f)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = c_a / (c_a + c_b)
        sim = w * s_a + (1 - w) * s_b
    sim[w < 0] = 0
    sim[w > 1] = 1
    return float(sim[~np.isnan(sim)].mean())


def _qy(a, b, f) -> float:
    s_ab, v_a, v_b, _ = _ssim_yang(a, b)
    s_af, _, _, _ = _ssim_yang(a, f)
    s_bf, _, _, _ = _ssim_yang(b, f)
    similar = s_ab >= 0.75
    with np.errstate(divide="ignore", invalid="ignore"):
        w = v_a / (v_a + v_b)
        q = (w * s_af + (1 - w) * s_bf) * similar + np.fmax(s_af, s_bf) * (~similar)
    return float(q[~np.isnan(q)].mean())


# -------------------------------------------------------------------------------------------- QW
def _qw(a, b, f) -> float:
    flt1 = np.array([[1, 0, -1]] * 3, dtype=np.float64)
    flt2 = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=np.float64)

    def edges(x):
        return np.hypot(_filter2(flt1, x, "same"), _filter2(flt2, x, "same"))

    e_a, e_b, e_f = edges(a), edges(b), edges(f)
    window = _gauss(11, 1.5)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    _, _, v_a, v_b, _ = _moments(e_a, e_b, window)
    flat = (v_a + v_b == 0) * 0.5
    v_a, v_b = v_a + flat, v_b + flat
    w = v_a / (v_a + v_b)
    s_a = _ssim_map(*_moments(e_f, e_a, window), c1, c2)
    s_b = _ssim_map(*_moments(e_f, e_b, window), c1, c2)
    saliency = np.maximum(v_a, v_b)
    return float((saliency / saliency.sum() * (w * s_a + (1 - w) * s_b)).sum())


# ------------------------------------------------------------------------------------------- SSIM
def _ssim(a, b, f) -> float:
    window = _gauss(11, 1.5)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    return float(np.mean([_ssim_map(*_moments(s, f, window), c1, c2).mean() for s in (a, b)]))


# --------------------------------------------------------------------------------------- MEF-SSIM
def _mef_ssim_scale(seq: np.ndarray, f: np.ndarray) -> float:
    """mef_ssim.m with its per-pixel loops written as box/Gaussian sums (same algebra as the torch version)."""
    size, area = 11, 121
    box = np.ones((size, size))
    window = _gauss(size, 1.5)
    k = seq.shape[0]
    bx = np.stack([_filter2(box, s, "valid") for s in seq])
    bxx = np.stack([[_filter2(box, seq[i] * seq[j], "valid") for j in range(k)] for i in range(k)])
    gx = np.stack([_filter2(window, s, "valid") for s in seq])
    gxx = np.stack([[_filter2(window, seq[i] * seq[j], "valid") for j in range(k)] for i in range(k)])
    gxf = np.stack([_filter2(window, s * f, "valid") for s in seq])
    gf, gff = _filter2(window, f, "valid"), _filter2(window, f * f, "valid")
    diag = np.stack([bxx[i, i] for i in range(k)])
    mu = bx / area
    ed = np.sqrt(np.maximum(area * (diag / area - mu * mu), 0)) + 0.001
    den = np.sqrt(np.maximum(diag - bx * bx / area, 0)).sum(0)
    total = bx.sum(0)
    num = np.sqrt(np.maximum(bxx.sum((0, 1)) - total * total / area, 0))
    r = (num + EPS) / (den + EPS)
    r[r > 1] = 1 - EPS
    r[r < 0] = EPS
    p = np.minimum(np.tan(np.pi / 2 * r), 10)
    w = (ed / size) ** p + EPS
    w = w / w.sum(0)
    coeff = w / ed
    c = (coeff * mu).sum(0)

    def quad(linear, pairs, n):
        return np.einsum("ihw,jhw,ijhw->hw", coeff, coeff, pairs) - 2 * c * (coeff * linear).sum(0) + n * c * c

    norm = np.sqrt(np.maximum(quad(bx, bxx, area), 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norm > 0, ed.max(0) / norm, 1.0)
    mu_r = scale * ((coeff * gx).sum(0) - c)
    var_r = scale ** 2 * quad(gx, gxx, 1.0) - mu_r ** 2
    cov = scale * ((coeff * gxf).sum(0) - c * gf) - mu_r * gf
    stab = (0.03 * 255) ** 2
    return float(((2 * cov + stab) / (var_r + gff - gf * gf + stab)).mean())


def _mef_ssim(sources: list[np.ndarray], fused: np.ndarray) -> float:
    seq = np.stack([_gray(s) for s in sources])
    f = _gray(fused)
    weights = np.array([0.0448, 0.2856, 0.3001])
    weights = weights / weights.sum()

    def halve(x):
        padded = np.pad(x, ((0, x.shape[0] % 2), (0, x.shape[1] % 2)), mode="symmetric")
        return (padded[0::2, 0::2] + padded[1::2, 0::2] + padded[0::2, 1::2] + padded[1::2, 1::2]) / 4

    result = 1.0
    for level in range(3):
        if level:
            seq = np.stack([halve(s) for s in seq])
            f = halve(f)
        result *= _mef_ssim_scale(seq, f) ** weights[level]
    return float(result)


# --------------------------------------------------------------------------------------------- QP
def _phasecong(im: np.ndarray):
    rows, cols = im.shape
    nscale, norient, eps = 4, 6, 1e-4

    def axis(n):
        return (np.arange(n) - (n - 1) / 2) / (n - 1) if n % 2 else (np.arange(n) - n / 2) / n

    x, y = np.meshgrid(axis(cols), axis(rows))
    radius = np.sqrt(x * x + y * y)
    radius[rows // 2, cols // 2] = 1
    theta = np.arctan2(-y, x)
    radius, theta = np.fft.ifftshift(radius), np.fft.ifftshift(theta)
    lx = (np.arange(cols) - cols // 2) / cols
    ly = (np.arange(rows) - rows // 2) / rows
    lp = np.fft.fftshift(1 / (1 + (np.sqrt(lx[None] ** 2 + ly[:, None] ** 2) / 0.45) ** 30))
    gabors = []
    for s in range(nscale):
        g = np.exp(-np.log(radius * 3 * 2.1 ** s) ** 2 / (2 * np.log(0.55) ** 2)) * lp
        g[0, 0] = 0
        gabors.append(g)
    spectrum = np.fft.fft2(im)
    theta_sigma = np.pi / norient / 1.2
    total_energy = np.zeros_like(im)
    total_an = np.zeros_like(im)
    cx2, cy2, cxy = np.zeros_like(im), np.zeros_like(im), np.zeros_like(im)
    for o in range(norient):
        angle = o * np.pi / norient
        ds = np.sin(theta) * math.cos(angle) - np.cos(theta) * math.sin(angle)
        dc = np.cos(theta) * math.cos(angle) + np.sin(theta) * math.sin(angle)
        spread = np.exp(-np.arctan2(ds, dc) ** 2 / (2 * theta_sigma ** 2))
        filters = [g * spread for g in gabors]
        eo = [np.fft.ifft2(spectrum * flt) for flt in filters]
        an = [np.abs(e) for e in eo]
        sum_an, max_an = sum(an), np.maximum.reduce(an)
        sum_e, sum_o = sum(e.real for e in eo), sum(e.imag for e in eo)
        x_energy = np.sqrt(sum_e ** 2 + sum_o ** 2) + eps
        me, mo = sum_e / x_energy, sum_o / x_energy
        energy = sum(e.real * me + e.imag * mo - np.abs(e.real * mo - e.imag * me) for e in eo)
        spatial = [np.real(np.fft.ifft2(flt)) * np.sqrt(rows * cols) for flt in filters]
        sum_an2 = sum((s ** 2).sum() for s in spatial)
        sum_aiaj = sum((spatial[i] * spatial[j]).sum() for i in range(nscale) for j in range(i + 1, nscale))
        noise_power = -np.median(an[0] ** 2) / math.log(0.5) / (filters[0] ** 2).sum()
        tau = math.sqrt((2 * noise_power * sum_an2 + 4 * noise_power * sum_aiaj) / 2)
        threshold = (tau * math.sqrt(math.pi / 2) + 2 * math.sqrt((2 - math.pi / 2) * tau ** 2)) / 1.7
        energy = np.maximum(energy - threshold, 0)
        weight = 1 / (1 + np.exp((0.5 - sum_an / (max_an + eps) / nscale) * 10))
        total_an += sum_an
        total_energy += weight * energy
        pc = weight * energy / sum_an
        cx2 += (pc * math.cos(angle)) ** 2
        cy2 += (pc * math.sin(angle)) ** 2
        cxy += pc * math.cos(angle) * pc * math.sin(angle)
    cx2, cy2, cxy = cx2 / 3, cy2 / 3, cxy / 6
    denom = np.sqrt(cxy ** 2 + (cx2 - cy2) ** 2) + eps
    return total_energy / (total_an + eps), (cy2 + cx2 + denom) / 2, (cy2 + cx2 - denom) / 2


def _qp(a, b, f) -> float:
    pa, pb, pf = _phasecong(a), _phasecong(b), _phasecong(f)
    wins = pa[0] > pb[0]
    masks = [pa[0] > 0.1, pb[0] > 0.1, np.where(wins, pa[0], pb[0]) > 0.1]
    window = _gauss(11, 1.5)
    result = 1.0
    for i in range(3):
        maps = [pa[i], pb[i], np.where(wins, pa[i], pb[i])]
        best = np.zeros_like(f)
        for feature, mask in zip(maps, masks):
            _, _, var, var_f, cov = _moments(mask * feature, pf[i], window, "same")
            agreement = np.where(mask, (cov + 1e-4) / (np.sqrt(np.abs(var * var_f)) + 1e-4), 0)
            best = np.fmax(best, agreement)
        result *= best.sum() / masks[2].sum()
    return float(result)


# ---------------------------------------------------------------------------------- QCB, QCV, VIF
def _normalize1(x: np.ndarray) -> np.ndarray:
    high, low = x.max(), x.min()
    return x if high == 0 and low == 0 else _round((x - low) / (high - low) * 255)


def _freqspace(rows: int, cols: int):
    def axis(n):
        return (np.arange(n) - n // 2) * (2 / n)
    return np.meshgrid(axis(cols), axis(rows))


def _qcb(a, b, f) -> float:
    rows, cols = f.shape
    images = [_normalize1(x / 255) for x in (a, b, f)]
    u, v = _freqspace(rows, cols)
    r = np.hypot(cols / 30 * u, rows / 30 * v)
    response = np.exp(-(r / 15.3870) ** 2) - 0.7622 * np.exp(-(r / 1.3456) ** 2)
    x = np.arange(-15, 16)
    g1 = np.exp(-(x[:, None] ** 2 + x[None] ** 2) / 8) / (8 * np.pi)
    g2 = np.exp(-(x[:, None] ** 2 + x[None] ** 2) / 32) / (32 * np.pi)
    masked = []
    for image in images:
        filtered = np.fft.ifft2(np.fft.ifftshift(np.fft.fftshift(np.fft.fft2(image)) * response))
        contrast = np.abs(_filter2(g1, filtered, "same") / _filter2(g2, filtered, "same") - 1)
        masked.append(contrast ** 3 / (contrast ** 2 + 1e-4))
    c_a, c_b, c_f = masked
    with np.errstate(divide="ignore", invalid="ignore"):
        q_a = np.where(c_a < c_f, c_a / c_f, c_f / c_a)
        q_b = np.where(c_b < c_f, c_b / c_f, c_f / c_b)
        total = c_a ** 2 + c_b ** 2
        return float(np.mean(c_a ** 2 / total * q_a + c_b ** 2 / total * q_b))


def _blocks(x: np.ndarray, size: int = 16) -> np.ndarray:
    rows, cols = x.shape
    padded = np.pad(x, ((0, -rows % size), (0, -cols % size)))
    return padded.reshape(padded.shape[0] // size, size, padded.shape[1] // size, size).sum((1, 3))


def _qcv(a, b, f) -> float:
    rows, cols = f.shape
    a, b, f = _normalize1(a), _normalize1(b), _normalize1(f)
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
    saliency = [_blocks(np.hypot(_filter2(sobel_x, s, "same"), _filter2(sobel_x.T, s, "same")) ** 5)
                for s in (a, b)]
    u, v = _freqspace(rows, cols)
    r = np.hypot(cols / 8 * u, rows / 8 * v)
    csf = 2.6 * (0.0192 + 0.144 * r) * np.exp(-(0.144 * r) ** 1.1)
    distortion = [_blocks(np.fft.ifft2(np.fft.ifftshift(np.fft.fftshift(np.fft.fft2(s - f)) * csf)) ** 2) / 256
                  for s in (a, b)]
    q = (saliency[0] * distortion[0] + saliency[1] * distortion[1]).sum() / (saliency[0] + saliency[1]).sum()
    return float(np.real(q))


def _vif_maps(ref: np.ndarray, dist: np.ndarray):
    maps = []
    for scale in range(4):
        n = 2 ** (4 - scale) + 1
        window = _gauss(n, n / 5)
        if scale:
            ref = _filter2(window, ref, "valid")[::2, ::2]
            dist = _filter2(window, dist, "valid")[::2, ::2]
        _, _, v1, v2, c12 = _moments(ref, dist, window)
        v1, v2 = np.maximum(v1, 0), np.maximum(v2, 0)
        g = c12 / (v1 + 1e-10)
        sv = v2 - g * c12
        g[v1 < 1e-10] = 0
        sv[v1 < 1e-10] = v2[v1 < 1e-10]
        v1[v1 < 1e-10] = 0
        g[v2 < 1e-10] = 0
        sv[v2 < 1e-10] = 0
        sv[g < 0] = v2[g < 0]
        g[g < 0] = 0
        sv[sv <= 1e-10] = 1e-10
        noise = 0.005 * 255 * 255
        maps.append((np.log10(1 + g * g * v1 / (sv + noise)), np.log10(1 + v1 / noise), g))
    return maps


def _vif(a, b, f) -> float:
    weights = np.array([1, 0, 0.15, 1]) / 2.15
    total = 0.0
    for weight, (vid_a, vind_a, g_a), (vid_b, vind_b, g_b) in zip(weights, _vif_maps(a, f), _vif_maps(b, f)):
        take_a = g_a < g_b
        total += weight * (np.where(take_a, vid_a, vid_b) + 1e-7).sum() / (np.where(take_a, vind_a, vind_b) + 1e-7).sum()
    return float(total)


NUMPY_METRICS: dict[str, Callable[[list[np.ndarray], np.ndarray], float]] = {
    "Qabf": _per_channel(_qabf),
    "QP": _per_channel(_qp),
    "QC": _per_channel(_qc),
    "QW": _per_channel(_qw),
    "QY": _per_channel(_qy),
    "MEF-SSIM": _mef_ssim,
    "QCB": _per_channel(_qcb),
    "QCV": _per_channel(_qcv),
    "VIF": _per_channel(_vif),
    "SSIM": _per_channel(_ssim),
}
