"""`labelview review report EXPORT -o report.html`: the audit of a review (labelview.audit)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_ERRORS = 0, 1


def add_parser(review_commands) -> None:
    report = review_commands.add_parser(
        "report", help="an HTML audit: acceptance rates with intervals, a batch call, re-work list"
    )
    report.add_argument("input", type=Path, help="the reviewed export file or folder")
    report.add_argument("-o", "--out", type=Path, required=True, metavar="FILE.html")
    report.add_argument(
        "--acceptable",
        type=float,
        default=0.02,
        metavar="RATE",
        help="acceptable defect rate of the batch (default 0.02: at most 2 %% defective)",
    )
    report.add_argument(
        "--confidence", type=float, default=0.95, help="confidence of the call (default 0.95)"
    )
    report.add_argument("--from", dest="from_format", metavar="FORMAT", help="skip detection")
    report.add_argument("--force", action="store_true", help="overwrite existing report files")


def load_log(export: Path):
    """The verdicts saved beside `export`, or None after a one-line error (unreadable, none)."""
    from labelview import review
    from labelview.errors import LabelviewError

    try:
        log = review.ReviewLog.load(export)
    except LabelviewError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    if not log.path.exists():
        print(
            f"error: {export}: no review verdicts saved ({log.path.name} not found)",
            file=sys.stderr,
        )
        return None
    return log


def cmd_report(args: argparse.Namespace) -> int:
    from labelview.audit_report import rework_path, write_report
    from labelview.cli_compare import read_dataset
    from labelview.errors import LabelviewError

    if not 0 < args.confidence < 1 or not 0 <= args.acceptable < 1:
        print("error: --confidence and --acceptable are fractions (0.95, 0.02)", file=sys.stderr)
        return 2
    log = load_log(args.input)
    if log is None:
        return EXIT_ERRORS
    dataset = read_dataset(args.input, args.from_format, None)
    if dataset is None:
        return EXIT_ERRORS
    try:
        result = write_report(
            dataset,
            log,
            args.out,
            acceptable=args.acceptable,
            confidence=args.confidence,
            overwrite=args.force,
        )
    except LabelviewError as error:
        print(f"error: {error}" + ("" if args.force else " (pass --force)"), file=sys.stderr)
        return EXIT_ERRORS
    print(
        f"{len(result.judged):,} judged, {result.defects:,} defective: {result.call} "
        f"(defect rate ≤ {result.defect_high:.1%} at {result.confidence:.0%} confidence)"
    )
    print(f"written: {args.out}, {rework_path(args.out)}")
    return EXIT_OK
