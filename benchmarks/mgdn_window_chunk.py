"""Seconds of one `mgdn-mef` fusion (shipped weights, one thread, the evaluation workers' allocator settings)
for several numbers of windows attended at once (`window_attention.WINDOW_CHUNK`), in rounds so that every
setting sees the same machine load; prints the median of each and whether all outputs are bit for bit equal
(they should be: chunking only groups independent windows).

    .venv/bin/python benchmarks/mgdn_window_chunk.py [--size 800x1200] [--chunks 4096,512,128] [--runs 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from _ab import use_worker_settings

from fusion_bench.models.mgdn import window_attention
from fusion_bench.models.registry import create_method


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="800x1200", help="height x width of the two RGB sources")
    parser.add_argument("--chunks", default="4096,512,128")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    use_worker_settings()
    height, width = (int(v) for v in args.size.split("x"))
    chunks = [int(v) for v in args.chunks.split(",")]
    generator = torch.Generator().manual_seed(0)
    sources = [torch.rand(1, 3, height, width, generator=generator) for _ in range(2)]
    fuser = create_method("mgdn-mef")
    default = window_attention.WINDOW_CHUNK
    seconds: dict[int, list[float]] = {chunk: [] for chunk in chunks}
    outputs: dict[int, torch.Tensor] = {}
    try:
        for _ in range(args.runs):
            for chunk in chunks:
                window_attention.WINDOW_CHUNK = chunk
                start = time.perf_counter()
                outputs[chunk] = fuser.fuse(sources)
                seconds[chunk].append(time.perf_counter() - start)
    finally:
        window_attention.WINDOW_CHUNK = default
    first = outputs[chunks[0]]
    print(f"mgdn-mef at {height}×{width}, 1 thread, median of {args.runs} (default WINDOW_CHUNK = {default}):")
    for chunk in chunks:
        print(f"  {chunk:>5} windows per chunk: {statistics.median(seconds[chunk]):.1f} s")
    print(f"outputs bit for bit equal: {all(torch.equal(first, out) for out in outputs.values())}")


if __name__ == "__main__":
    main()
