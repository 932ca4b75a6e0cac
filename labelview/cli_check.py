"""`labelview check EXPORT`: an export's health (see labelview.health), with an exit code for CI."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

EXIT_OK, EXIT_ERRORS = 0, 1


def add_parser(commands) -> None:
    check = commands.add_parser(
        "check",
        help="list an export's defects: boxes outside the image, duplicates, missing images, …",
    )
    check.add_argument("input", type=Path)
    check.add_argument("--json", type=Path, metavar="FILE", help="write the findings as JSON")
    check.add_argument("--force", action="store_true", help="overwrite the --json file")
    check.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "never"),
        default="error",
        help="exit 1 when a finding of this level or worse is found (default: error)",
    )
    check.add_argument("--from", dest="from_format", metavar="FORMAT", help="skip detection")
    check.add_argument("--images", type=Path, metavar="DIR", help="folder holding the images")
    check.add_argument("--limit", type=int, default=50, metavar="N", help="findings printed")


def cmd_check(args: argparse.Namespace) -> int:
    from labelview import formats, health, images
    from labelview.cli_compare import read_dataset
    from labelview.output import atomic_write

    if args.json is not None and args.json.exists() and not args.force:
        print(f"error: {args.json} exists; pass --force to overwrite", file=sys.stderr)
        return EXIT_ERRORS
    dataset = read_dataset(args.input, args.from_format, args.images)
    if dataset is None:
        return EXIT_ERRORS
    images.resolve(dataset, images_dir=args.images)
    findings = health.check(dataset)
    title = formats.get(dataset.format).title
    counts = f"{len(dataset.items):,} items, {dataset.object_count:,} objects"
    print(f"{args.input.name}: {title}, {counts}")
    for finding in findings[: args.limit]:
        print(f"  {finding}")
    if len(findings) > args.limit:
        print(f"  … and {len(findings) - args.limit:,} more (--limit, --json)")
    by_level = Counter(f.level for f in findings)
    by_rule = Counter(f.rule for f in findings)
    print(f"findings: {health.counts_text(findings)}")
    if by_rule:
        print(
            "  by rule: " + ", ".join(f"{name} {count:,}" for name, count in by_rule.most_common())
        )
    if args.json is not None:
        document = {
            "file": str(args.input),
            "format": dataset.format,
            "counts": {level: by_level[level] for level in health.LEVELS},
            "findings": [f.to_json() for f in findings],
        }
        atomic_write(args.json, json.dumps(document, indent=2).encode("utf-8"))
    if args.fail_on == "never":
        return EXIT_OK
    worst = health.LEVELS.index(args.fail_on)
    failing = any(health.LEVELS.index(f.level) <= worst for f in findings)
    return EXIT_ERRORS if failing else EXIT_OK
