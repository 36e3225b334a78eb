"""What checking a dataset copy costs before every run (`fusion_bench/data/verified.py`).

    FUSION_BENCH_DATA=../shared/data .venv/bin/python benchmarks/dataset_verification.py [--repeat 5]
        [--datasets MEFB,MFIFB,MFFW,Lytro,SICE,IFCNN-ME]

Per dataset present under FUSION_BENCH_DATA, in a fresh FUSION_BENCH_HOME (so the digest cache starts
empty), the median over `--repeat` runs of:

- `layout`: finding the pairs (`holds_dataset`: the layout's `discover`, what was done before too);
- `cold`: the checksum check of every recorded file with an empty digest cache (stat + sha256 of each file;
  what the first run in a FUSION_BENCH_HOME pays once), cache file written;
- `warm`: the same with the digest cache read back from disk (stat of each file, one JSON read): what
  every later run pays;
- `verified_root`: the whole selection as a run does it, warm (layout + warm check);
- `data verify`: `verify_dataset`, which also decodes every image (the report `fusion-bench data verify`
  prints), for scale. It is only run when a copy fails.

The files are read from the page cache after the first repeat; the first `cold` repeat is the one that reads
the disk, the median is what hashing costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fusion_bench.data.catalogue import get_info, holds_dataset
from fusion_bench.data.checksums import Sha256Cache
from fusion_bench.data.fetch import verify_dataset
from fusion_bench.data.verified import checksummed, file_problems, verified_root


def _median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--datasets", default="MEFB,MFIFB,MFFW,Lytro,SICE,IFCNN-ME")
    args = parser.parse_args()
    data = os.environ.get("FUSION_BENCH_DATA")
    if not data:
        raise SystemExit("set FUSION_BENCH_DATA to the folder holding the datasets (e.g. ../shared/data)")
    print(f"{'dataset':<9} {'files':>5} {'MB':>6} {'layout':>8} {'cold':>8} {'warm':>8} {'verified_root':>13} "
          f"{'data verify':>11}")
    for name in args.datasets.split(","):
        info = get_info(name)
        root = Path(data) / info.folder
        if not holds_dataset(info, root):
            print(f"{name:<9} not present under {data}")
            continue
        entries = checksummed(info, root)
        megabytes = sum(entry.size for entry in entries) / 1e6
        with tempfile.TemporaryDirectory() as home:
            os.environ["FUSION_BENCH_HOME"] = home
            cache_file = Path(home) / "cache" / "sha256.json"

            def cold() -> None:
                cache_file.unlink(missing_ok=True)
                digests = Sha256Cache(cache_file)
                assert not file_problems(root, entries, digests)
                digests.save()

            def warm() -> None:
                digests = Sha256Cache(cache_file)
                assert not file_problems(root, entries, digests) and digests.hashed == 0

            layout = _median_seconds(lambda: holds_dataset(info, root), args.repeat)
            cold_s = _median_seconds(cold, args.repeat)
            warm_s = _median_seconds(warm, args.repeat)
            selection = _median_seconds(lambda: verified_root(info), args.repeat)
            full = _median_seconds(lambda: verify_dataset(name, root), 1)
        print(f"{name:<9} {len(entries):>5} {megabytes:>6.1f} {layout:>7.3f}s {cold_s:>7.3f}s {warm_s:>7.3f}s "
              f"{selection:>12.3f}s {full:>10.2f}s")


if __name__ == "__main__":
    main()
