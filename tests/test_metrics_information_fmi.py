"""FMI has no Matlab reference value (shared/reference/metrics/README.md): test it against a line-by-line
Python transliteration of MEFB's metricsFMI.m and MATLAB's `edge(I)` (Sobel, automatic threshold,
thinning) on small crops, against hand-computed windows, and on properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fusion_bench.metrics.information import _window_fmi, fmi, sobel_edges, window_patterns

EPS = np.finfo(np.float64).eps


def matlab_edge_loops(image: np.ndarray) -> np.ndarray:
    """MATLAB edge(I) for a double image, written pixel by pixel after MATLAB's portable code path."""
    m, n = image.shape
    padded = np.pad(image, 1, mode="edge")
    op = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64) / 8
    x_mask, y_mask = op.T, op
    bx = np.zeros((m, n))
    by = np.zeros((m, n))
    for r in range(m):
        for c in range(n):
            patch = padded[r:r + 3, c:c + 3]
            bx[r, c] = (patch * x_mask).sum()
            by[r, c] = (patch * y_mask).sum()
    b = bx * bx + by * by
    cutoff = 4 * b.sum() / b.size
    bx, by = np.abs(bx), np.abs(by)
    e = np.zeros((m, n), dtype=bool)
    for r in range(m):
        for c in range(n):
            b1 = True if c - 1 < 0 else b[r, c - 1] <= b[r, c]
            b2 = True if c + 1 >= n else b[r, c] > b[r, c + 1]
            b3 = True if r - 1 < 0 else b[r - 1, c] <= b[r, c]
            b4 = True if r + 1 >= m else b[r, c] > b[r + 1, c]
            e[r, c] = (b[r, c] > cutoff) and (((bx[r, c] >= by[r, c] - EPS * 100) and b1 and b2)
                                              or ((by[r, c] >= bx[r, c] - EPS * 100) and b3 and b4))
    return e


def fmi_pair_loops(x_sub: np.ndarray, f_sub: np.ndarray) -> tuple[float, np.ndarray]:
    """One `if xSub == fSub ... end` block of metricsFMI.m → (fmi, fSub as the block leaves it)."""
    if np.array_equal(x_sub, f_sub):
        return 1.0, f_sub
    x_sub = np.ones_like(x_sub) if x_sub.max() == x_sub.min() else (x_sub - x_sub.min()) / (x_sub.max() - x_sub.min())
    f_sub = np.ones_like(f_sub) if f_sub.max() == f_sub.min() else (f_sub - f_sub.min()) / (f_sub.max() - f_sub.min())
    x_pdf = x_sub.flatten(order="F") / x_sub.sum()
    f_pdf = f_sub.flatten(order="F") / f_sub.sum()
    length = x_pdf.size
    x_cdf = np.zeros(length)
    f_cdf = np.zeros(length)
    x_cdf[0], f_cdf[0] = x_pdf[0], f_pdf[0]
    for i in range(1, length):
        x_cdf[i] = x_pdf[i] + x_cdf[i - 1]
        f_cdf[i] = f_pdf[i] + f_cdf[i - 1]
    # Matlab's sum of a short vector runs left to right (Python's sum does too; numpy's is pairwise).
    x_temp = x_pdf - sum(x_pdf.tolist()) / length
    f_temp = f_pdf - sum(f_pdf.tolist()) / length
    s = sum((x_temp * f_temp).tolist())
    c = 0.0 if s == 0 else s / math.sqrt(sum((x_temp * x_temp).tolist()) * sum((f_temp * f_temp).tolist()))
    e_x = e2_x = e_f = e2_f = 0.0
    for i in range(length):
        e_x += (i + 1) * x_pdf[i]
        e2_x += (i + 1) ** 2 * x_pdf[i]
        e_f += (i + 1) * f_pdf[i]
        e2_f += (i + 1) ** 2 * f_pdf[i]
    x_sd = math.sqrt(e2_x - e_x ** 2)
    f_sd = math.sqrt(e2_f - e_f ** 2)

    def upper(i: int, j: int) -> float:
        if i < 0 or j < 0:
            return 0.0
        return 0.5 * (f_cdf[i] + x_cdf[j] - abs(f_cdf[i] - x_cdf[j]))

    def lower(i: int, j: int) -> float:
        if i < 0 or j < 0:
            return 0.0
        return 0.5 * (f_cdf[i] + x_cdf[j] - 1 + abs(f_cdf[i] + x_cdf[j] - 1))

    bound = upper if c >= 0 else lower
    if (c >= 0 and (c == 0 or x_sd == 0 or f_sd == 0)) or (c < 0 and (x_sd == 0 or f_sd == 0)):
        weight = 0.0
    else:
        cov = sum(bound(i, j) - f_cdf[i] * x_cdf[j] for i in range(length) for j in range(length))
        weight = c / (cov / (f_sd * x_sd))
    joint = 0.0
    for i in range(length):
        for j in range(length):
            bound_pdf = bound(i, j) - bound(i - 1, j) - bound(i, j - 1) + bound(i - 1, j - 1)
            jpdf = weight * bound_pdf + (1 - weight) * f_pdf[i] * x_pdf[j]
            if jpdf != 0:
                joint += -jpdf * math.log2(abs(jpdf))
    x_entropy = -sum(p * math.log2(p) for p in x_pdf if p != 0)
    f_entropy = -sum(p * math.log2(p) for p in f_pdf if p != 0)
    mi = x_entropy + f_entropy - joint
    return (0.0 if mi == 0 else 2 * mi / (x_entropy + f_entropy)), f_sub


def fmi_loops(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
    """metricsFMI.m's FMI(ima, imb, imf) with feature 'edge', w = 3, window by window."""
    a_edges, b_edges, f_edges = (matlab_edge_loops(x).astype(np.float64) for x in (a, b, f))
    m, n = a.shape
    values = []
    for p in range(1, m - 1):
        for q in range(1, n - 1):
            a_sub = a_edges[p - 1:p + 2, q - 1:q + 2]
            b_sub = b_edges[p - 1:p + 2, q - 1:q + 2]
            f_sub = f_edges[p - 1:p + 2, q - 1:q + 2]
            fmi_af, f_sub = fmi_pair_loops(a_sub, f_sub)
            fmi_bf, _ = fmi_pair_loops(b_sub, f_sub)
            values.append((fmi_af + fmi_bf) / 2)
    return float(np.mean(values))


def _crop(generator: torch.Generator, size: int) -> torch.Tensor:
    """A textured (1, 3, size, size) image in [0, 1] on the 8-bit grid: smoothed noise plus a step."""
    noise = torch.rand(1, 3, size + 4, size + 4, generator=generator, dtype=torch.float64)
    smooth = torch.nn.functional.avg_pool2d(noise, 3, stride=1)[..., :size, :size]
    step = (torch.arange(size, dtype=torch.float64) > size // 2).to(torch.float64)[None, None, None, :] * 0.3
    return torch.round((0.6 * smooth + step).clamp(0, 1) * 255) / 255


def test_sobel_edges_equal_matlab_edge_loops() -> None:
    generator = torch.Generator().manual_seed(1)
    image = torch.round(_crop(generator, 24)[0] * 255)
    ours = sobel_edges(image).numpy()
    for channel in range(3):
        assert np.array_equal(ours[channel], matlab_edge_loops(image[channel].numpy()))
    assert 0 < ours.mean() < 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fmi_equals_line_by_line_transliteration(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    a, b = _crop(generator, 14), _crop(generator, 14)
    f = torch.where(torch.rand(a.shape, generator=generator, dtype=torch.float64) < 0.5, a, b)
    expected = np.mean([fmi_loops(*(torch.round(x[0, k] * 255).numpy() for x in (a, b, f))) for k in range(3)])
    assert float(fmi([a, b], f)[0]) == pytest.approx(expected, rel=1e-12, abs=1e-14)


def _codes(*windows: list[int]) -> torch.Tensor:
    """Column-major bit codes of 3×3 windows given as the 1-based `sub(:)` positions that are 1."""
    return torch.tensor([sum(1 << (k - 1) for k in ones) for ones in windows])


def test_hand_computed_windows() -> None:
    # Identical windows score 1 (the `if aSub == fSub` branch), whatever they hold.
    assert _window_fmi(_codes([1, 5]), _codes([1, 5]), 9).tolist() == [1.0]
    # One edge pixel in f, none in a: a becomes ones(3), a uniform PDF; f a point mass (sd 0 → product
    # joint PDF), so MI = H(a) + H(f) − (H(a) + H(f)) = 0 and FMI = 0.
    assert _window_fmi(_codes([]), _codes([5]), 9).tolist() == [0.0]
    # Two point masses at different places: c = −1/8 but both sd are 0, so the joint PDF is the product
    # (one cell of mass 1), MI = 0 + 0 − 0 = 0 → 0.
    assert _window_fmi(_codes([2]), _codes([7]), 9).tolist() == [0.0]
    # a = {1, 2}, f = {1, 2, 3}: PDFs (1/2, 1/2, 0, ...) and (1/3, 1/3, 1/3, 0, ...). Worked by hand:
    # c > 0, corr_up from Fréchet's upper bound, phi = c / corr_up; the joint PDF mixes min-copula masses
    # {(1,1): 1/3, (2,1): 1/6, (2,2): 1/6, (3,2): 1/3} with the product (1/6 each of 6 cells).
    x_pdf = np.array([0.5, 0.5] + [0.0] * 7)
    f_pdf = np.array([1 / 3] * 3 + [0.0] * 6)
    idx = np.arange(1, 10)
    c = np.corrcoef(x_pdf, f_pdf)[0, 1]
    x_sd = math.sqrt((idx ** 2 * x_pdf).sum() - (idx * x_pdf).sum() ** 2)  # 0.5
    f_sd = math.sqrt((idx ** 2 * f_pdf).sum() - (idx * f_pdf).sum() ** 2)  # sqrt(2/3)
    x_cdf, f_cdf = np.cumsum(x_pdf), np.cumsum(f_pdf)
    cov_up = sum(min(fi, xj) - fi * xj for fi in f_cdf for xj in x_cdf)
    phi = c / (cov_up / (x_sd * f_sd))
    upper = {(0, 0): 1 / 3, (1, 0): 1 / 6, (1, 1): 1 / 6, (2, 1): 1 / 3}
    joint = [phi * upper.get((i, j), 0.0) + (1 - phi) * f_pdf[i] * x_pdf[j] for i in range(3) for j in range(2)]
    h_joint = -sum(p * math.log2(p) for p in joint if p > 0)
    expected = 2 * (1 + math.log2(3) - h_joint) / (1 + math.log2(3))
    assert _window_fmi(_codes([1, 2]), _codes([1, 2, 3]), 9).item() == pytest.approx(expected, rel=1e-12)


def test_window_codes_are_column_major() -> None:
    edges = torch.zeros(1, 3, 3, dtype=torch.bool)
    edges[0, 1, 0] = True  # row 2, column 1 → sub(:) position 2
    edges[0, 0, 2] = True  # row 1, column 3 → sub(:) position 7
    assert window_patterns(edges).item() == (1 << 1) | (1 << 6)


def test_fmi_properties() -> None:
    generator = torch.Generator().manual_seed(3)
    a, b = _crop(generator, 40), _crop(generator, 40)
    assert fmi([a, a], a).tolist() == [1.0]
    value = float(fmi([a, b], (a + b) / 2)[0])
    assert 0 < value < 1
    # The quirk kept from metricsFMI.m makes FMI not exactly symmetric in A and B in general; the per-image
    # values must still not depend on batch composition.
    batch = fmi([torch.cat([a, b]), torch.cat([b, a])], torch.cat([(a + b) / 2, (a + b) / 2]))
    assert batch[0].item() == value


def test_uniform_against_uniform_window_scores_as_matlab_sums() -> None:
    # A all edges, F none: both windows become ones(3), so c is 0/0 up to rounding; Matlab's left-to-right sums
    # leave a residue (c = 1, score 1), which is what MEFB's .mat holds (pairwise sums give 0 here).
    value = _window_fmi(torch.tensor([511]), torch.tensor([0]), 9)
    assert value.item() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name, method", [("Arno", "U2Fusion"), ("Candle", "GD")])
def test_fmi_equals_mefb_matlab_values(data_root, name: str, method: str) -> None:
    scipy_io = pytest.importorskip("scipy.io")
    from fusion_bench.data.mefb import read_information
    from fusion_bench.io.images import read_image
    root = data_root / "MEFB"
    fused = root / "output" / "fused_images" / f"{name}_{method}.png"
    mat_path = root / "output" / "evaluation_metrics" / "evaluationMetrics.mat"
    if not fused.exists() or not mat_path.exists():
        pytest.skip("MEFB published images not present")
    images, methods, metrics = read_information(root)
    # Both methods' images sit in their own column (docs/datasets.md: the identified column mapping).
    mat = scipy_io.loadmat(str(mat_path))["resultsMetrics"]
    expected = float(mat[images.index(name), methods.index(method), metrics.index("FMI")])
    sources = [read_image(root / "input" / name / f"{name}_{s}.png").tensor.double() for s in "AB"]
    value = fmi(sources, read_image(fused).tensor.double()).item()
    assert value == pytest.approx(expected, rel=1e-4)
