"""`labelview compare GT PRED`: predictions (or a second labeler) scored against ground truth."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_ERRORS = 0, 1


def add_parser(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="score one export against another: per-class P/R/F1, mAP, confusion matrix",
        description="Score CANDIDATE (predictions, or a second labeler) against REFERENCE "
        "(ground truth). Any two readable formats; video frames pair with per-frame images.",
    )
    compare.add_argument("reference", type=Path, metavar="REFERENCE", help="ground truth export")
    compare.add_argument("candidate", type=Path, metavar="CANDIDATE", help="predictions export")
    compare.add_argument(
        "--iou", type=_fraction, default=0.5, help="IoU (OKS for keypoints) to match, default 0.5"
    )
    compare.add_argument(
        "--score",
        type=_fraction,
        default=0.0,
        help="ignore candidates below this confidence (P/R/F1 and the matrix; AP uses all)",
    )
    compare.add_argument("--json", type=Path, metavar="FILE", help="write the result as JSON")
    compare.add_argument("--csv", type=Path, metavar="FILE", help="write the per-class table")
    compare.add_argument("--force", action="store_true", help="overwrite --json/--csv files")
    compare.add_argument("--reference-format", metavar="FORMAT", help="skip detection")
    compare.add_argument("--candidate-format", metavar="FORMAT", help="skip detection")
    compare.add_argument("--images", type=Path, metavar="DIR", help="folder holding the images")
    compare.add_argument("--worst", type=int, default=10, metavar="N", help="worst images listed")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def cmd_compare(args: argparse.Namespace) -> int:
    from labelview.evaluation import evaluate

    for path in (args.json, args.csv):
        if path is not None and path.exists() and not args.force:
            print(f"error: {path} exists; pass --force to overwrite", file=sys.stderr)
            return EXIT_ERRORS
    datasets = []
    sides = ((args.reference, args.reference_format), (args.candidate, args.candidate_format))
    for path, fmt in sides:
        dataset = read_dataset(path, fmt, args.images)
        if dataset is None:
            return EXIT_ERRORS
        datasets.append(dataset)
    cancel = getattr(args, "cancel_event", None)  # Ctrl+C (cli._run_command)
    result = evaluate(*datasets, iou=args.iou, score=args.score, cancel=cancel)
    print(render(result, worst=args.worst))
    from labelview.output import atomic_write

    if args.json is not None:
        atomic_write(args.json, json.dumps(result.to_json(), indent=2).encode("utf-8"))
    if args.csv is not None:
        atomic_write(args.csv, table_csv(result).encode("utf-8"))
    return EXIT_OK


def read_dataset(path: Path, fmt: str | None, images: Path | None):
    """Read one export for a command, printing its first issues; None (after a one-line error)
    when it cannot be read.
    """
    from labelview import formats
    from labelview.formats.base import ReadContext

    if not path.exists():
        print(f"error: {path}: no such file or folder", file=sys.stderr)
        return None
    try:
        dataset = formats.read(path, format=fmt, ctx=ReadContext(file=path, images_dir=images))
    except Exception as error:  # one line for the user, whatever went wrong
        from labelview.cli import _describe

        print(f"error: {_describe(error, path)}", file=sys.stderr)
        return None
    for issue in dataset.issues[:5]:
        print(f"{issue.level}: {issue}", file=sys.stderr)
    if len(dataset.issues) > 5:
        print(f"… and {len(dataset.issues) - 5:,} more issues in {path.name}", file=sys.stderr)
    return dataset


def _rows(result):
    """(row, (AP, AP50)) per class, then the totals with the overall mAP and AP50."""
    ap = result.ap
    for name in result.classes:
        values = (ap.per_class.get(name), ap.per_class_50.get(name)) if ap else (None, None)
        yield result.rows[name], values
    yield result.totals, (ap.stats["AP"], ap.stats["AP50"]) if ap else (None, None)


def _num(value: float | None) -> str:
    return "-" if value is None or value < 0 else f"{value:.3f}"


def render(result, *, worst: int = 10) -> str:
    """The comparison as a user reads it in a terminal."""
    out = io.StringIO()
    ap = result.ap
    width = max([5, *(len(name) for name in result.classes)])
    head = f"{'class':<{width}} {'refs':>6} {'cands':>6} {'TP':>6} {'FP':>6} {'FN':>6}"
    head += f" {'prec':>6} {'recall':>6} {'F1':>6}"
    if ap is not None:
        head += f" {'AP':>6} {'AP50':>6}"
    pictures = len(result.pictures)
    print(f"IoU ≥ {result.iou:g}, confidence ≥ {result.score:g}, {pictures:,} images", file=out)
    print(head, file=out)
    for row, ap_values in _rows(result):
        line = f"{row.name:<{width}} {row.references:>6} {row.candidates:>6} {row.tp:>6}"
        line += f" {row.fp:>6} {row.fn:>6} {_num(row.precision):>6} {_num(row.recall):>6}"
        line += f" {_num(row.f1):>6}"
        if ap is not None:
            line += "".join(f" {_num(value):>6}" for value in ap_values)
        print(line, file=out)
    if ap is not None:
        print(
            f"mAP@[.5:.95] {_num(ap.stats['AP'])}  AP50 {_num(ap.stats['AP50'])}  "
            f"AP75 {_num(ap.stats['AP75'])}  ({ap.iou_type}, COCO rules)",
            file=out,
        )
        if ap.keypoints:
            print(f"keypoints (OKS): AP {_num(ap.keypoints['AP'])}", file=out)
    print(f"wrong class: {result.wrong_class:,}", file=out)
    print(_matrix(result), file=out)
    bad = result.worst(worst)
    if bad:
        print("worst images:", file=out)
        for picture in bad:
            m = picture.matches
            print(
                f"  {picture.pair.name}: {len(m.false_positives)} FP, "
                f"{len(m.false_negatives)} FN, {len(m.wrong_class)} wrong class",
                file=out,
            )
    for note in result.notes:
        print(f"note: {note}", file=out)
    return out.getvalue().rstrip("\n")


def _matrix(result) -> str:
    from labelview.evaluation import BACKGROUND

    labels = [*result.classes, BACKGROUND]
    if len(labels) > 21:
        return "confusion matrix: see --json (more than 20 classes)"
    width = max(len(label) for label in labels)
    cell = max(5, *(len(str(int(v))) + 1 for v in result.confusion.ravel()))
    lines = ["confusion matrix (rows: reference, columns: candidate):"]
    lines.append(" " * (width + 1) + "".join(f"{i:>{cell}}" for i in range(len(labels))))
    for i, label in enumerate(labels):
        values = "".join(f"{int(v):>{cell}}" for v in result.confusion[i])
        lines.append(f"{label:<{width}} {values}   [{i}]")
    return "\n".join(lines)


def table_csv(result) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    fields = ["class", "references", "candidates", "tp", "fp", "fn", "precision", "recall", "f1"]
    if result.ap is not None:
        fields += ["ap", "ap50"]
    writer.writerow(fields)
    for row, ap_values in _rows(result):
        values = [row.name, row.references, row.candidates, row.tp, row.fp, row.fn]
        values += [row.precision, row.recall, row.f1]
        if result.ap is not None:
            values += list(ap_values)
        writer.writerow(["" if v is None else v for v in values])
    return out.getvalue()
