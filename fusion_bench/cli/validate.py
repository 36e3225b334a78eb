"""`fusion-bench validate mefb-published [--metrics ...] [--pairs ...] [--methods ...] [--accelerator A]
[--devices N] [--num-nodes M] [--json] [--out FILE.md] [--csv FILE.csv] [--results DIR]`.

Scores MEFB's published fused images that are present (FUSION_BENCH_DATA/MEFB/output/fused_images or the
download cache: `fusion-bench data download MEFB --part published-fused`) with our metrics in the `mefb`
convention and compares every value with MEFB's Matlab values (`evaluationMetrics.mat`, columns named by the
method whose images they hold). Prints per metric: images, median and largest relative difference, the share
within 1e-4 and within 1e-3, non-finite values of different kinds, failed images, and the worst images. Every image is scored
again, by the evaluation loop on the devices asked for (default: a process per CPU core; under `torchrun` or
`srun` the ranks come from the launcher).
`--out` also writes the report page (Markdown), `--csv` every image's values (image, method, metric, ours,
matlab, rel_diff, error, seconds); `--json` prints the summary as JSON. Every image's values are also kept in
the results folder (`--results`, default FUSION_BENCH_HOME/results: `validation/mefb-published.csv`,
replacing the previous run's), where `fusion-bench leaderboard` reads them for its comparison section.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fusion_bench.cli.output import print_json
from fusion_bench.cli.arguments import add_device_options, comma_names, device_choice


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="our metrics against published values", description=__doc__)
    targets = parser.add_subparsers(dest="target", metavar="TARGET", parser_class=type(parser))
    targets.required = True
    mefb = targets.add_parser("mefb-published", help="MEFB's published fused images against its .mat",
                              description=__doc__)
    mefb.add_argument("--metrics", help="comma-separated metric names (default: MEFB's 20; our or MEFB's names)")
    mefb.add_argument("--pairs", help="comma-separated MEFB pair names (default: every pair present)")
    mefb.add_argument("--methods", help="comma-separated MEFB method names (default: every method present)")
    add_device_options(mefb)
    mefb.add_argument("--out", type=Path, metavar="FILE.md", help="also write the report page here")
    mefb.add_argument("--csv", type=Path, metavar="FILE.csv", help="also write every image's values here")
    mefb.add_argument("--results", type=Path, metavar="DIR", help="results folder whose validation/ keeps every "
                      "image's values for the leaderboard (default FUSION_BENCH_HOME/results)")
    mefb.add_argument("--json", action="store_true", help="machine-readable summary")
    mefb.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_bench.io.atomic import atomic_write_text
    from fusion_bench.paths import results_dir
    from fusion_bench.results.validation import write_validation
    from fusion_bench.validation.mefb_published import validate_mefb_published
    from fusion_bench.validation.page import summary_table, to_markdown, write_page

    results_root = args.results or results_dir()
    report = validate_mefb_published(results_root, comma_names(args.metrics), comma_names(args.pairs),
                                     comma_names(args.methods),
                                     device_choice(args))
    if report is None:  # a rank other than 0: it scored its share
        return 0
    if args.out is not None:
        write_page(report, args.out)
    if args.csv is not None:
        atomic_write_text(args.csv, report.comparison.to_csv(index=False))
    kept = write_validation(results_root, report.comparison.assign(code_version=report.code_version))
    if args.json:
        print_json(report.as_dict())
        return 0
    print(f"MEFB published fused images: {report.images} images ({', '.join(report.pair_names)}) scored in the mefb "
          f"convention and compared with evaluationMetrics.mat ({report.seconds:.0f} s)")
    print(to_markdown(summary_table(report.summary)))
    for what, path in (("page", args.out), ("values", args.csv), ("kept for the leaderboard", kept)):
        if path is not None:
            print(f"{what}: {path}")
    return 0
