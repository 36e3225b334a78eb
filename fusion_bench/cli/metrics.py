"""`fusion-bench metrics --a A --b B --fused F [--metrics EN,SF,...] [--convention mefb|gray] [--json]`.

Scores one fused image against its two sources. Images are read as stored (grey or RGB; 16-bit files are
scored on their 8-bit levels, as MEFB scores uint8 images). A value outside the range its metric is defined
on (e.g. QC above 1: rounding noise on flat windows, as MEFB's own code gives) is flagged, and so is a NaN
(the metric is not defined for these images); images smaller than a metric's minimum size are an error
naming it. `--json` prints {"a", "b", "fused", "convention", "metrics": {name: value}, "notes": {name:
note}}, with a non-finite value (e.g. PSNR of a fused image equal to both sources) as null and "notes"
holding only the flagged metrics.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from fusion_bench.cli.output import print_json
from fusion_bench.data.sample import check_same_size
from fusion_bench.errors import ImageFormatError, UsageProblem
from fusion_bench.io.images import read_image
from fusion_bench.metrics.registry import (CONVENTIONS, NAN_REASON, compute_metrics, format_range, get_metric,
                                           mefb_metric_names, metric_domain, outside_range)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("metrics", description=__doc__)
    parser.add_argument("--a", type=Path, required=True, help="first source image")
    parser.add_argument("--b", type=Path, required=True, help="second source image")
    parser.add_argument("--fused", type=Path, required=True, help="fused image")
    parser.add_argument("--metrics", help="comma-separated metric names (default: MEFB's 20; our or MEFB's names)")
    parser.add_argument("--convention", choices=CONVENTIONS, default="mefb",
                        help="mefb: MEFB's Matlab code on uint8 (per channel); gray: MATLAB rgb2gray luminance")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = [name.strip() for name in args.metrics.split(",") if name.strip()] if args.metrics else mefb_metric_names()
    if not names:
        raise UsageProblem("--metrics: no metric names given")
    specs = [get_metric(name) for name in names]
    loaded = [read_image(args.a), read_image(args.b), read_image(args.fused)]
    check_same_size("metrics", loaded)
    sources, fused = [loaded[0].tensor, loaded[1].tensor], loaded[2].tensor
    try:
        values = compute_metrics(sources, fused, [spec.name for spec in specs], convention=args.convention)
    except ImageFormatError as exc:  # the message says which image; the files are named here
        raise ImageFormatError(f"{exc} (sources {args.a}, {args.b}; fused {args.fused})") from exc
    scores = {name: float(value[0]) for name, value in values.items()}
    notes = {name: note for name, note in ((name, _note(name, value)) for name, value in scores.items()) if note}
    if args.json:
        print_json({
            "a": str(args.a), "b": str(args.b), "fused": str(args.fused), "convention": args.convention,
            "metrics": {name: (value if math.isfinite(value) else None) for name, value in scores.items()},
            "notes": notes,
        })
        return 0
    width = max(len(spec.name) for spec in specs)
    print(f"{args.fused} ({args.convention} convention)")
    for spec in specs:
        direction = "higher is better" if spec.higher_is_better else "lower is better"
        note = f"; {notes[spec.name]}" if spec.name in notes else ""
        print(f"  {spec.name:<{width}}  {scores[spec.name]:.10g}  ({direction}{note})")
    return 0


def _note(name: str, value: float) -> str:
    """What to say beside a value: outside its metric's range, or NaN; "" for an ordinary value."""
    if math.isnan(value):
        return NAN_REASON
    if outside_range(name, value):
        return f"outside {format_range(metric_domain(name))}, the metric's range"
    return ""
