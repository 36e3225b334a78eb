"""`fusion-bench fuse --method M (--a A --b B | --inputs S1 S2 ...) --out F.png|F.jpg|F.tif [--weights W]
[--tile T] [--bit-depth 8|16]`.

The output's suffix chooses its format: `.png` (8 or 16 bits), `.jpg`/`.jpeg` (8 bits, written as MATLAB
imwrite writes JPEG by default and the `imwrite` storage protocol stores MEFB's and Lytro's: quality 75, 4:2:0),
`.tif`/`.tiff` (8 or 16 bits, lossless Deflate); any other suffix is refused before fusing."""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import info
from fusion_bench.data.sample import check_same_size
from fusion_bench.errors import ImageFormatError, UsageProblem
from fusion_bench.io.images import read_image
from fusion_bench.io.storage import check_writable, write_image
from fusion_bench.models.registry import create_method, get_method_info


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fuse", help="fuse one pair or one exposure stack", description=__doc__)
    parser.add_argument("--method", required=True, help="registered method name (see `fusion-bench methods`)")
    parser.add_argument("--a", type=Path, help="first source (MEF: under-exposed)")
    parser.add_argument("--b", type=Path, help="second source (MEF: over-exposed)")
    parser.add_argument("--inputs", type=Path, nargs="+", help="two or more sources, for methods that take more")
    parser.add_argument("--out", type=Path, required=True,
                        help="output file: .png, .jpg/.jpeg (JPEG quality 75, 4:2:0) or .tif/.tiff")
    parser.add_argument("--weights", type=Path, help="use this weight file instead of the published one")
    parser.add_argument("--tile", type=int, help="fuse in overlapping tiles of this size (methods that support it)")
    parser.add_argument("--bit-depth", type=int, choices=(8, 16), default=8,
                        help="bits per sample of a PNG or TIFF output (default 8; JPEG is always 8)")
    parser.set_defaults(func=run)


def _check_output(path: Path, bit_depth: int) -> None:
    """Refuse an output that cannot be written as asked before any work is done."""
    try:
        check_writable(path, bit_depth)
    except ImageFormatError as exc:
        raise UsageProblem(f"--out {exc}") from exc


def run(args: argparse.Namespace) -> int:
    _check_output(args.out, args.bit_depth)
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
    check_same_size("fuse", images)
    first = images[0]
    fused = fuser.fuse([image.tensor for image in images])
    write_image(fused, args.out, bit_depth=args.bit_depth)
    info(f"{args.method}: wrote {args.out} ({first.size[1]}x{first.size[0]})")
    return 0
