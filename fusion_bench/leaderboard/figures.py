"""Leaderboard figures (matplotlib, Agg, PNG): a qualitative grid with zoomed insets, and per-image
metric distributions per method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

INSET_FRACTION = 0.25  # side of the zoomed region relative to the image's shorter side


def _load(path: str | Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _zoom_box(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(top, left, side) of the zoomed square, centred at 30 % of height and width: inside the picture
    rather than at its border, and clear of the inset drawn over the bottom-right corner."""
    height, width = shape[:2]
    side = max(4, int(min(height, width) * INSET_FRACTION))
    return max(0, int(0.3 * height) - side // 2), max(0, int(0.3 * width) - side // 2), side


def _show(axis: plt.Axes, image: np.ndarray, title: str) -> None:
    axis.imshow(image)
    axis.set_title(title, fontsize=8)
    axis.set_xticks([])
    axis.set_yticks([])
    top, left, side = _zoom_box(image.shape)
    axis.add_patch(plt.Rectangle((left, top), side, side, fill=False, edgecolor="yellow", linewidth=1))
    inset = axis.inset_axes([0.58, 0.0, 0.42, 0.42])
    inset.imshow(image[top:top + side, left:left + side], interpolation="nearest")
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_edgecolor("yellow")


def qualitative_grid(sources: Mapping[str, Sequence[str]], fused: Mapping[str, Mapping[str, str]],
                     methods: Sequence[str], out: Path, title: str) -> Path:
    """A grid: one row per image, columns = its sources then the fused image of each method.

    Args:
        sources: image name → source paths (the first two are shown).
        fused: method → {image name → fused image path}.
        methods: column order (e.g. MGDN first, then the strongest baselines).
        out: PNG path.
    """
    images = list(sources)
    columns = 2 + len(methods)
    figure, axes = plt.subplots(len(images), columns, figsize=(2.2 * columns, 2.3 * len(images)), squeeze=False)
    for row, image in enumerate(images):
        for column, path in enumerate(list(sources[image])[:2]):
            _show(axes[row, column], _load(path), f"{image}: source {'AB'[column]}")
        for offset, method in enumerate(methods):
            axis = axes[row, 2 + offset]
            path = fused.get(method, {}).get(image)
            if path and Path(path).is_file():
                _show(axis, _load(path), method)
            else:
                axis.set_axis_off()
                axis.set_title(f"{method}: missing", fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=90)
    plt.close(figure)
    return out


def distributions(rows: pd.DataFrame, methods: Sequence[str], metrics: Sequence[str], out: Path,
                  title: str) -> Path:
    """Box plots of per-image values, one panel per metric, one box per method (in `methods` order).

    `rows`: results of one dataset and convention, columns method, metric, value (errors removed).
    """
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.0 * len(metrics), 0.28 * len(methods) + 1.5),
                                squeeze=False, sharey=True)
    for axis, metric in zip(axes[0], metrics):
        data = [rows[(rows["method"] == method) & (rows["metric"] == metric)]["value"].dropna().to_numpy()
                for method in methods]
        axis.boxplot(data, vert=False, tick_labels=list(methods), showfliers=True, flierprops={"markersize": 2})
        axis.set_title(metric, fontsize=9)
        axis.tick_params(labelsize=7)
    axes[0][0].invert_yaxis()  # shared y axis: best-ranked method on top
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=90)
    plt.close(figure)
    return out
