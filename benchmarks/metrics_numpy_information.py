"""Straightforward NumPy/SciPy versions of EN, CE, NMI, PSNR, QNCIE, TE, FMI, MI, SD, AG, EI and SF.

The baseline that `benchmarks/metrics.py` times beside the torch implementations: the same formulas as
MEFB's Matlab code written the obvious way, one plane at a time (`np.bincount` histograms, `np.gradient`,
`scipy.ndimage.correlate`), and FMI vectorised over all windows with NumPy (no pattern table).

    NUMPY_METRICS[name](sources, fused) -> float   # sources: list of uint8 (H, W[, 3]); fused: uint8

RGB or all-grey inputs (the grey-source/RGB-fused case takes channel 1 everywhere; AG's unrounded
rgb2gray exception is not reproduced here).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.ndimage import correlate

EPS = np.finfo(np.float64).eps
SOBEL = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])


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


def _hist(x: np.ndarray) -> np.ndarray:
    return np.bincount(x.astype(np.int64).ravel(), minlength=256).astype(np.float64)


def _entropy(p: np.ndarray) -> float:
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


def _en(a, b, f) -> float:
    return _entropy(_hist(f) / f.size)


def _ce(a, b, f) -> float:
    def kl(x: np.ndarray) -> float:
        p1, p2 = _hist(x) / x.size, _hist(f) / x.size
        both = (p1 != 0) & (p2 != 0)
        return float((p1[both] * np.log2(p1[both] / p2[both])).sum())
    return (kl(a) + kl(b)) / 2


def _psnr(a, b, f) -> float:
    def err(x: np.ndarray) -> float:
        return math.sqrt(((x - f) ** 2).sum()) / f.size
    return 20 * math.log10(255 / math.sqrt((err(a) + err(b)) / 2))


def _normalize1(x: np.ndarray) -> np.ndarray:
    hi, lo = x.max(), x.min()
    if hi == 0 and lo == 0:
        return x
    v = (x - lo) / (hi - lo) * 255
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _joint(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h = np.bincount((x.astype(np.int64) * 256 + y.astype(np.int64)).ravel(), minlength=65536).astype(np.float64)
    h = h.reshape(256, 256)
    return h / h.sum()


def _mutual_info(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    h = _joint(x, y)
    hx, hy = _entropy(h.sum(axis=0)), _entropy(h.sum(axis=1))
    return hx + hy - _entropy(h.ravel()), hx, hy


def _nmi(a, b, f) -> float:
    a, b, f = _normalize1(a), _normalize1(b), _normalize1(f)
    i_af, h1, h2 = _mutual_info(a, f)
    i_bf, h3, h4 = _mutual_info(b, f)
    return 2 * (i_af / (h1 + h2) + i_bf / (h3 + h4))


def _qncie(a, b, f) -> float:
    a, b, f = _normalize1(a), _normalize1(b), _normalize1(f)
    ncc = {key: _mutual_info(x, y)[0] / 8 for key, (x, y) in {"ab": (a, b), "af": (a, f), "bf": (b, f)}.items()}
    r = np.array([[1, ncc["ab"], ncc["af"]], [ncc["ab"], 1, ncc["bf"]], [ncc["af"], ncc["bf"], 1]])
    lam = np.linalg.eigvalsh(r)
    return float(1 + (lam * np.log2(np.abs(lam) / 3) / 3).sum() / 8)


def _te(a, b, f) -> float:
    def tsallis(x: np.ndarray, y: np.ndarray, q: float = 1.85) -> float:
        h = _joint(x, y)
        m1, m2 = h.sum(axis=0), h.sum(axis=1)
        buff = np.outer(m1, m2)
        nz = buff != 0
        return float((1 - (h[nz] ** q / buff[nz] ** (q - 1)).sum()) / (1 - q))
    a, b, f = _normalize1(a), _normalize1(b), _normalize1(f)
    return tsallis(a, f) + tsallis(b, f)


def _mi(a, b, f) -> float:
    return _mutual_info(a, f)[0] + _mutual_info(b, f)[0]


def _sd(a, b, f) -> float:
    return float(np.sqrt(((f - f.mean()) ** 2).sum() / f.size))


def _ag(a, b, f) -> float:
    dy, dx = np.gradient(f)
    return float(np.sqrt((dx ** 2 + dy ** 2) / 2).sum() / ((f.shape[0] - 1) * (f.shape[1] - 1)))


def _ei(a, b, f) -> float:
    gx = correlate(f, SOBEL, mode="nearest")
    gy = correlate(f, SOBEL.T, mode="nearest")
    return float(np.sqrt(gx ** 2 + gy ** 2).mean())


def _sf(a, b, f) -> float:
    rf = (np.diff(f, axis=1) ** 2).sum() / f.size
    cf = (np.diff(f, axis=0) ** 2).sum() / f.size
    return math.sqrt(rf + cf)


def _edge(x: np.ndarray) -> np.ndarray:
    """MATLAB edge(I): Sobel/8, replicate border, cutoff 4·mean(b), thinning."""
    bx = correlate(x, SOBEL.T / 8, mode="nearest")
    by = correlate(x, SOBEL / 8, mode="nearest")
    b = bx * bx + by * by
    cutoff = 4 * b.mean()
    bx, by = np.abs(bx), np.abs(by)
    pad = np.pad(b, 1, constant_values=np.nan)
    centre = pad[1:-1, 1:-1]
    left = np.isnan(pad[1:-1, :-2]) | (pad[1:-1, :-2] <= centre)
    right = np.isnan(pad[1:-1, 2:]) | (centre > pad[1:-1, 2:])
    up = np.isnan(pad[:-2, 1:-1]) | (pad[:-2, 1:-1] <= centre)
    down = np.isnan(pad[2:, 1:-1]) | (centre > pad[2:, 1:-1])
    return (b > cutoff) & (((bx >= by - 100 * EPS) & left & right) | ((by >= bx - 100 * EPS) & up & down))


def _windows(e: np.ndarray) -> np.ndarray:
    """(H, W) → (windows, 9) in column-major `sub(:)` order."""
    view = np.lib.stride_tricks.sliding_window_view(e.astype(np.float64), (3, 3))
    return view.transpose(0, 1, 3, 2).reshape(-1, 9)


def _fmi_windows(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """metricsFMI.m's per-window normalised MI for (P, 9) binary windows, vectorised over P."""
    same = (x == f).all(axis=1)
    x = np.where(x.max(1, keepdims=True) == x.min(1, keepdims=True), 1.0, x)
    f = np.where(f.max(1, keepdims=True) == f.min(1, keepdims=True), 1.0, f)
    xp, fp = x / x.sum(1, keepdims=True), f / f.sum(1, keepdims=True)
    xc, fc = np.cumsum(xp, 1), np.cumsum(fp, 1)
    xt, ft = xp - xp.mean(1, keepdims=True), fp - fp.mean(1, keepdims=True)
    s = (xt * ft).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(s == 0, 0.0, s / np.sqrt((xt * xt).sum(1) * (ft * ft).sum(1)))
    i = np.arange(1, 10)
    xsd = np.sqrt((i * i * xp).sum(1) - (i * xp).sum(1) ** 2)
    fsd = np.sqrt((i * i * fp).sum(1) - (i * fp).sum(1) ** 2)
    fi, xj = fc[:, :, None], xc[:, None, :]
    bound = np.where((c >= 0)[:, None, None], 0.5 * (fi + xj - np.abs(fi - xj)),
                     0.5 * (fi + xj - 1 + np.abs(fi + xj - 1)))
    cov = (bound - fi * xj).sum((1, 2))
    degenerate = (xsd == 0) | (fsd == 0) | ((c >= 0) & (c == 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(degenerate, 0.0, c / (cov / (fsd * xsd)))
    padded = np.pad(bound, ((0, 0), (1, 0), (1, 0)))
    bpdf = padded[:, 1:, 1:] - padded[:, :-1, 1:] - padded[:, 1:, :-1] + padded[:, :-1, :-1]
    jpdf = w[:, None, None] * bpdf + (1 - w[:, None, None]) * fp[:, :, None] * xp[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = np.where(jpdf != 0, -jpdf * np.log2(np.abs(jpdf)), 0.0).sum((1, 2))
        hx = np.where(xp != 0, -xp * np.log2(xp), 0.0).sum(1)
        hf = np.where(fp != 0, -fp * np.log2(fp), 0.0).sum(1)
        mi = hx + hf - joint
        value = np.where(mi == 0, 0.0, 2 * mi / (hx + hf))
    return np.where(same, 1.0, value)


def _fmi(a, b, f, chunk: int = 8192) -> float:
    wa, wb, wf = (_windows(_edge(x)) for x in (a, b, f))
    total = 0.0
    for start in range(0, wa.shape[0], chunk):
        xa, xb, xf = wa[start:start + chunk], wb[start:start + chunk], wf[start:start + chunk]
        f_for_b = np.where(((xf.max(1) == 0) & (xa.max(1) != 0))[:, None], 1.0, xf)
        total += ((_fmi_windows(xa, xf) + _fmi_windows(xb, f_for_b)) / 2).sum()
    return total / wa.shape[0]


NUMPY_METRICS: dict[str, Callable[[list[np.ndarray], np.ndarray], float]] = {
    "EN": _per_channel(_en),
    "SF": _per_channel(_sf),
    "SD": _per_channel(_sd),
    "AG": _per_channel(_ag),
    "EI": _per_channel(_ei),
    "CE": _per_channel(_ce),
    "NMI": _per_channel(_nmi),
    "PSNR": _per_channel(_psnr),
    "FMI": _per_channel(_fmi),
    "QNCIE": _per_channel(_qncie),
    "TE": _per_channel(_te),
    "MI": _per_channel(_mi),
}
