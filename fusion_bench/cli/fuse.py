"""`fusion-bench fuse --method M (--a A --b B | --inputs S1 S2 ...) --out F.png [--weights W] [--tile T]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info
from fusion_bench.errors import ImageFormatError, UsageProblem
from fusion_bench.io.images import read_image, write_png
from fusion_bench.models.registry import create_method, get_method_info


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fuse", help="fuse one pair or one exposure stack", description=__doc__)
    parser.add_argument("--method", required=True, help="registered method name (see `fusion-bench methods`)")
    parser.add_argument("--a", type=Path, help="first source (MEF: under-exposed)")
    parser.add_argument("--b", type=Path, help="second source (MEF: over-exposed)")
    parser.add_argument("--inputs", type=Path, nargs="+", help="two or more sources, for methods that take more")
    parser.add_argument("--out", type=Path, required=True, help="output PNG")
    parser.add_argument("--weights", type=Path, help="use this weight file instead of the published one")
    parser.add_argument("--tile", type=int, help="fuse in overlapping tiles of this size (methods that support it)")
    parser.add_argument("--bit-depth", type=int, choices=(8, 16), default=8, help="PNG bit depth (default 8)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.inputs and (args.a or args.b):
        raise UsageProblem("give either --a/--b or --inputs, not both")
    paths = list(args.inputs) if args.inputs else [p for p in (args.a, args.b) if p is not None]
    if len(paths) < 2:
        raise UsageProblem("need two sources: --a A --b B, or --inputs S1 S2 ...")
    method_info = get_method_info(args.method)
    if len(paths) > 2 and not method_info.multi_source:
        raise UsageProblem(f"method {args.method!r} takes exactly 2 sources, got {len(paths)}")
    overrides = {}
    if args.weights is not None:
        if "weights_path" not in method_info.default_config:
            raise UsageProblem(f"--weights: method {args.method!r} loads no weight file")
        overrides["weights_path"] = str(args.weights)
    if args.tile is not None:
        if "tile" not in method_info.default_config:
            raise UsageProblem(f"--tile: method {args.method!r} does not fuse in tiles")
        overrides["tile"] = args.tile
    fuser = create_method(args.method, **overrides)
    wanted = None if method_info.channels == "any" else method_info.channels
    images = [read_image(path, channels=wanted) for path in paths]
    first = images[0]
    for image in images[1:]:
        if image.size != first.size:
            raise ImageFormatError(
                f"{image.path}: size {image.size[0]}x{image.size[1]} differs from {first.path} "
                f"({first.size[0]}x{first.size[1]}); sources must have the same size"
            )
    fused = fuser.fuse([image.tensor for image in images])
    write_png(fused, args.out, bit_depth=args.bit_depth)
    info(f"{args.method}: wrote {args.out} ({first.size[1]}x{first.size[0]})")
    return 0
