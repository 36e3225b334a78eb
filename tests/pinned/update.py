"""Rewrite the pinned method outputs on purpose (tests/pinned/README.md says when and how).

    FUSION_BENCH_DATA=... FUSION_BENCH_WEIGHTS=... .venv/bin/python tests/pinned/update.py [--methods a,b] [--sheet F.png]

For each case (tests/pinned/pins.py) it fuses the crop on CPU with one torch and one OpenCV thread, twice
with a freshly built method, and once more with two of each; it stores the first output with its meta: the source label (the
authors' output where shared/reference has it for the crop, else "reviewed output of our own at commit
X"), the measured agreements and the tolerance the test uses (10× the run-to-run agreement; 0 when
the runs are bit for bit equal). `--sheet` writes the sources and outputs side by side for the review.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pins import Case, all_cases, fixed_threads, read_sources, source_files, write_pin  # noqa: E402

from fusion_bench.io.images import to_uint8, write_png  # noqa: E402
from fusion_bench.models import create_method  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CROP_GAP = 4  # pixels between the review sheet's tiles


def _fuse(case: Case, sources: list[torch.Tensor], threads: int) -> np.ndarray:
    with fixed_threads(threads):
        return create_method(case.method, **case.overrides).fuse(sources).numpy()


def _max_difference(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(x.astype(np.float64) - y.astype(np.float64)).max())


def _commit() -> str:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    return head.stdout.strip()


def pin_case(case: Case, data_root: Path, reference_root: Path, commit: str) -> tuple[np.ndarray, dict]:
    sources = read_sources(data_root, case)
    fused = _fuse(case, sources, threads=1)
    again = _fuse(case, sources, threads=1)
    paths, box = source_files(data_root, case)
    meta = {
        "case": case.name,
        "sources": [str(path.relative_to(data_root)) for path in paths],
        "crop": {"top": box[0], "left": box[1], "height": box[2], "width": box[3]},
        "threads": 1,
        "torch": torch.__version__,
        "run_to_run": _max_difference(fused, again),
        "two_threads": _max_difference(fused, _fuse(case, sources, threads=2)),
    }
    if case.authors_crop is not None:
        key = case.authors_crop[0]
        with np.load(reference_root / "mgdn_mff" / "mgdn_mff_crops.npz") as crops:
            authors = crops[f"{key}_fused"][None]
        agreement = _max_difference(fused, authors)
        meta |= {"source": f"the authors' code: shared/reference/mgdn_mff/mgdn_mff_crops.npz, {key}_fused",
                 "agreement_with_ours": agreement, "tolerance": 10 * agreement,
                 "tolerance_reason": "10x the measured agreement of our output (commit "
                                     f"{commit}) with the authors' output"}
        return authors, meta
    meta |= {"source": f"reviewed output of our own at commit {commit}",
             "tolerance": 10 * meta["run_to_run"],
             "tolerance_reason": "10x the measured run-to-run agreement (0: bit for bit)"}
    return fused, meta


def _sheet(rows: list[tuple[list[torch.Tensor], np.ndarray]], path: Path) -> None:
    """One row per case: its sources then its output, 8-bit, grey expanded to RGB."""
    height = max(fused.shape[-2] for _, fused in rows)
    width = max(len(sources) + 1 for sources, _ in rows) * (CROP_GAP + max(fused.shape[-1] for _, fused in rows))
    sheet = np.zeros((len(rows) * (height + CROP_GAP), width, 3), dtype=np.uint8)
    for row, (sources, fused) in enumerate(rows):
        x = 0
        for image in [*sources, torch.from_numpy(fused)]:
            tile = to_uint8(image)
            tile = np.repeat(tile[..., None], 3, axis=2) if tile.ndim == 2 else tile
            top = row * (height + CROP_GAP)
            sheet[top:top + tile.shape[0], x:x + tile.shape[1]] = tile
            x += tile.shape[1] + CROP_GAP
    write_png(torch.from_numpy(sheet).permute(2, 0, 1).float() / 255.0, path)



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", help="comma-separated method names (default: every registered method)")
    parser.add_argument("--sheet", type=Path, help="also write a review sheet PNG (sources | output per case)")
    args = parser.parse_args(argv)
    data = os.environ.get("FUSION_BENCH_DATA")
    if not data or not os.environ.get("FUSION_BENCH_WEIGHTS"):
        parser.error("set FUSION_BENCH_DATA and FUSION_BENCH_WEIGHTS to the shared copies")
    data_root = Path(data)
    wanted = set(args.methods.split(",")) if args.methods else None
    cases = [case for case in all_cases() if wanted is None or case.method in wanted]
    if wanted and wanted - {case.method for case in cases}:
        parser.error(f"--methods: not registered: {', '.join(sorted(wanted - {case.method for case in cases}))}")
    commit = _commit()
    rows = []
    for case in cases:
        pinned, meta = pin_case(case, data_root, data_root.parent / "reference", commit)
        write_pin(case, pinned, meta)
        rows.append((read_sources(data_root, case), pinned))
        print(f"{case.name:28s} {str(pinned.shape):18s} run-to-run {meta['run_to_run']:.3g} "
              f"two threads {meta['two_threads']:.3g} tolerance {meta['tolerance']:.3g}  {meta['source']}")
    if args.sheet:
        _sheet(rows, args.sheet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
