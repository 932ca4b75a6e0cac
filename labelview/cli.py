"""Command line: `labelview [FILE]` opens the window; `convert|info|compare|check|formats|
review` run headless (`compare` and `check` live in cli_compare and cli_check).

Exit codes: 0 ok, 1 errors (unreadable input, errors reported while reading or writing; with
`convert --strict` any reading issue), 2 usage, 130 interrupted.
Only the cli modules print.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from labelview import __version__, cli_audit, cli_check, cli_compare

SUBCOMMANDS = ("convert", "info", "compare", "check", "formats", "review")
EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 on usage errors (its default) but never prints a traceback."""


def _add_read_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images", type=Path, metavar="DIR", help="folder holding the images")
    parser.add_argument(
        "--read-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="reader option, e.g. labelset=ground-truth (Segments.ai) or one_based=true (VOC)",
    )
    parser.add_argument(
        "--ontology",
        type=Path,
        metavar="FILE",
        help="ontology / category schema file of the export",
    )
    parser.add_argument(
        "--url-map",
        type=Path,
        metavar="FILE",
        help="JSON {url: local path} for exports whose media are URLs",
    )
    parser.add_argument(
        "--from", dest="from_format", metavar="FORMAT", help="input format (skip detection)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="labelview", description="Look at and convert annotation exports.")
    parser.add_argument("--version", action="version", version=f"labelview {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    convert = commands.add_parser("convert", help="convert an export to another format")
    convert.add_argument("input", type=Path, nargs="+", help="export file(s) or folder(s)")
    convert.add_argument(
        "--to",
        required=True,
        action="append",
        metavar="FORMAT",
        help="target format (repeat for several): see `labelview formats`",
    )
    convert.add_argument("-o", "--out", required=True, type=Path, metavar="OUTDIR")
    convert.add_argument("--force", action="store_true", help="overwrite existing output files")
    convert.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="[FORMAT.]KEY=VALUE",
        help="writer option, e.g. yolo.task=segment or coco.masks=polygon",
    )
    convert.add_argument(
        "--rename", action="append", default=[], metavar="OLD=NEW", help="rename a category"
    )
    convert.add_argument(
        "--exclude", action="append", default=[], metavar="CATEGORY", help="leave a category out"
    )
    convert.add_argument(
        "--only-accepted",
        action="store_true",
        help="only items with an 'accept' review verdict (see `labelview review`)",
    )
    convert.add_argument(
        "--json-report", type=Path, metavar="FILE", help="write the report as JSON"
    )
    convert.add_argument(
        "--verify",
        action="store_true",
        help="read the output back and report every object whose shape, class or held fields "
        "changed (exit 1 if any)",
    )
    convert.add_argument(
        "--strict",
        action="store_true",
        help="exit with 1 when reading reported any issue (skipped objects, unknown shapes), "
        "not only errors",
    )
    _add_read_options(convert)

    info = commands.add_parser("info", help="what an export holds")
    info.add_argument("input", type=Path)
    info.add_argument("--why", action="store_true", help="print every format's detection verdict")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    _add_read_options(info)

    cli_compare.add_parser(commands)
    cli_check.add_parser(commands)
    commands.add_parser("formats", help="list the formats labelview reads and writes")

    review = commands.add_parser("review", help="spot-check verdicts saved beside an export")
    review_commands = review.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    export = review_commands.add_parser("export", help="write the verdicts as CSV or JSON")
    export.add_argument("input", type=Path, help="the reviewed export file or folder")
    export.add_argument(
        "-o", "--out", type=Path, metavar="FILE", help="output file (default: stdout)"
    )
    export.add_argument(
        "--format", choices=("csv", "json"), help="default: from the suffix, else csv"
    )
    export.add_argument("--force", action="store_true", help="overwrite an existing output file")
    cli_audit.add_parser(review_commands)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="labelview",
        description="Open the labelview window. Subcommands: "
        + ", ".join(SUBCOMMANDS)
        + " (labelview COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"labelview {__version__}")
    parser.add_argument("paths", type=Path, nargs="*", metavar="FILE", help="export to open")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo export")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="render the window offscreen to OUT.png and exit",
    )
    parser.add_argument("--item", type=int, default=0, metavar="N", help="item to show (0-based)")
    parser.add_argument("--frame", type=int, default=None, metavar="K", help="frame to show")
    _add_read_options(parser)
    return parser


# --- progress on stderr ---------------------------------------------------------------------------


class _Progress:
    """A one-line progress display on stderr for interactive terminals; silent otherwise."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.stage_text = ""
        self._last = 0.0

    def stage(self, text: str) -> None:
        self.stage_text = text
        if self.enabled:
            sys.stderr.write(f"\r\x1b[K{text}…")
            sys.stderr.flush()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        percent = f"{100 * done / total:5.1f}%" if total else f"{done:,}"
        sys.stderr.write(f"\r\x1b[K{self.stage_text}… {percent}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


# --- commands -------------------------------------------------------------------------------------


def _parse_options(pairs: list[str], targets: list[str]) -> dict[str, dict[str, object]]:
    options: dict[str, dict[str, object]] = {name: {} for name in targets}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"--option {pair!r}: expected KEY=VALUE")
        fmt, dot, name = key.partition(".")
        owners = [fmt] if dot else targets
        if dot and fmt not in options:
            raise ValueError(f"--option {pair!r}: {fmt} is not a --to target")
        try:
            value: object = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        for owner in owners:
            options[owner][name if dot else key] = value
    return options


def _read_options(pairs: list[str]) -> dict[str, object]:
    """--read-option KEY=VALUE pairs; values parse as JSON when they can (true, 3, "x")."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--read-option {pair!r}: expected KEY=VALUE")
        try:
            options[key] = json.loads(raw)
        except json.JSONDecodeError:
            options[key] = raw
    return options


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    result = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise ValueError(f"{flag} {value!r}: expected OLD=NEW")
        result[old] = new
    return result


def _cancel_event(args: argparse.Namespace):
    """The event Ctrl+C sets (None when a command runs without `_run_command`, as in tests)."""
    return getattr(args, "cancel_event", None)


def cmd_convert(args: argparse.Namespace) -> int:
    from labelview.convert import convert, write_report
    from labelview.errors import Cancelled
    from labelview.formats.base import TaskControl

    try:
        options = _parse_options(args.option, args.to)
        rename = _pairs(args.rename, "--rename")
        read_options = _read_options(args.read_option)
    except ValueError as error:
        print(f"labelview convert: {error}", file=sys.stderr)
        return EXIT_USAGE
    item_filter = None
    failed = False
    reports = []
    for source in args.input:
        progress = _Progress()
        control = TaskControl(
            on_progress=progress, cancel_event=_cancel_event(args), on_stage=progress.stage
        )
        out = args.out if len(args.input) == 1 else args.out / source.stem
        report_path = None
        if args.json_report:
            report_path = (
                args.json_report
                if len(args.input) == 1
                else (args.json_report.with_name(f"{args.json_report.stem}-{source.stem}.json"))
            )
        if args.only_accepted:
            from labelview import review

            item_filter = review.accepted_filter(source)
        try:
            report = convert(
                source,
                out,
                args.to,
                from_format=args.from_format,
                options=options,
                images_dir=args.images,
                ontology=args.ontology,
                url_map=args.url_map,
                read_options=read_options,
                overwrite=args.force,
                item_filter=item_filter,
                rename=rename,
                exclude=args.exclude,
                control=control,
                verify=args.verify,
                report_path=report_path,  # inside the output: committed with it
            )
        except Cancelled:
            progress.done()
            raise  # the whole batch stops (see _run_command)
        except Exception as error:  # every failure becomes one readable line, never a traceback
            progress.done()
            print(f"error: {_describe(error, source)}", file=sys.stderr)
            failed = True
            continue
        progress.done()
        reports.append(report)
        _print_issues(report.issues)
        print(report.summary())
        failed |= bool(report.errors) or (args.strict and bool(report.issues))
        failed |= bool(report.changed)
        if report_path is not None and report.report_file is None:
            try:
                write_report(report, report_path)
            except OSError as error:  # the output is written; only the report could not be
                reason = error.strerror or str(error)
                print(f"error: {report_path}: report not written: {reason}", file=sys.stderr)
                failed = True
    return EXIT_ERRORS if failed else EXIT_OK


def _describe(error: BaseException, source: Path) -> str:
    from labelview.errors import LabelviewError

    if isinstance(error, LabelviewError):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.filename or source}: {error.strerror or error}"
    return f"{source.name}: unexpected {type(error).__name__}: {error}"


def _print_issues(issues: list, limit: int = 20) -> None:
    for issue in issues[:limit]:
        print(f"{issue.level}: {issue}", file=sys.stderr)
    if len(issues) > limit:
        print(f"… and {len(issues) - limit:,} more issues", file=sys.stderr)


def cmd_info(args: argparse.Namespace) -> int:
    from labelview import formats, images
    from labelview.errors import Cancelled
    from labelview.formats.base import ReadContext, TaskControl
    from labelview.model.classifications import walk

    if not args.input.exists():
        print(f"error: {args.input}: no such file or folder", file=sys.stderr)
        return EXIT_ERRORS
    verdicts = formats.verdicts(args.input)
    if args.why and not args.json:
        print(f"{args.input}:")
        width = max(10, *(len(fmt.name) for fmt, _ in verdicts))
        for fmt, verdict in verdicts:
            print(f"  {fmt.name:<{width}} {verdict.confidence.name:<8} {verdict.reason}")
    progress = _Progress()
    try:
        read_options = _read_options(args.read_option)
    except ValueError as error:
        print(f"labelview info: {error}", file=sys.stderr)
        return EXIT_USAGE
    ctx = ReadContext(
        options=read_options,
        file=args.input,
        images_dir=args.images,
        ontology=args.ontology,
        url_map=args.url_map,
        control=TaskControl(
            on_progress=progress, cancel_event=_cancel_event(args), on_stage=progress.stage
        ),
    )
    progress.stage(f"Reading {args.input.name}")
    try:
        dataset = formats.read(args.input, format=args.from_format, ctx=ctx)
    except Cancelled:
        progress.done()
        raise
    except Exception as error:
        progress.done()
        print(f"error: {_describe(error, args.input)}", file=sys.stderr)
        return EXIT_ERRORS
    progress.done()
    found = images.resolve(dataset, images_dir=args.images, cancel=ctx)
    counts = dataset.counts()
    answers = sum(1 for item in dataset.items for _ in walk(item.classifications)) + sum(
        1 for _, obj in dataset.objects() for _ in walk(obj.attributes)
    )
    frames = sum(len(item.frames) for item in dataset.items)
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(args.input),
                    "format": dataset.format,
                    "verdicts": {fmt.name: [v.confidence.name, v.reason] for fmt, v in verdicts},
                    "items": len(dataset.items),
                    "frames": frames,
                    "images_found": found,
                    "objects": dataset.object_count,
                    "categories": dict(counts["category"]),
                    "shapes": dict(counts["kind"]),
                    "answers": answers,
                    "issues": [str(issue) for issue in dataset.issues],
                },
                indent=2,
            )
        )
    else:
        print(f"{args.input.name}: {formats.get(dataset.format).title}")
        print(f"  items: {len(dataset.items):,} ({frames:,} frames), images found: {found:,}")
        print(f"  objects: {dataset.object_count:,} in {len(dataset.categories):,} categories")
        for name, count in counts["category"].most_common():
            print(f"    {name}: {count:,}")
        print("  shapes: " + ", ".join(f"{k} {v:,}" for k, v in counts["kind"].most_common()))
        print(f"  classification and attribute answers: {answers:,}")
        print(f"  issues: {len(dataset.issues):,}")
        _print_issues(dataset.issues)
    return EXIT_ERRORS if any(issue.level == "error" for issue in dataset.issues) else EXIT_OK


def cmd_formats(_args: argparse.Namespace) -> int:
    from labelview import formats

    width = max(10, *(len(name) for name in formats.FORMATS))
    print(f"{'name':<{width}} {'read':<5} {'write':<6} title")
    for fmt in formats.FORMATS.values():
        read = "yes" if fmt.readable else "-"
        write = "yes" if fmt.writable else "-"
        print(f"{fmt.name:<{width}} {read:<5} {write:<6} {fmt.title}")
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    if args.review_command == "report":
        return cli_audit.cmd_report(args)
    from labelview.output import atomic_write

    log = cli_audit.load_log(args.input)
    if log is None:
        return EXIT_ERRORS
    kind = args.format or ("json" if args.out and args.out.suffix.lower() == ".json" else "csv")
    text = log.to_json() if kind == "json" else log.to_csv()
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    if args.out.exists() and not args.force:
        print(f"error: {args.out} exists; pass --force to overwrite", file=sys.stderr)
        return EXIT_ERRORS
    atomic_write(args.out, text.encode("utf-8"))
    print(f"{len(log.rows()):,} verdicts written to {args.out}")
    return EXIT_OK


def _run_command(args: argparse.Namespace, *, owns_process: bool = False) -> int:
    """Run a subcommand: Ctrl+C cancels it (exit 130, one line), a closed pipe ends it quietly.
    `owns_process`: the process exits after this (no later Ctrl+C can print a traceback).
    """
    import threading

    from labelview.cancel import interrupt_cancels
    from labelview.errors import Cancelled

    # The first Ctrl+C sets this event: the read or write stops at its next loop step and the
    # staged output is discarded (see labelview.cancel); a second one interrupts at once.
    args.cancel_event = threading.Event()
    try:
        with interrupt_cancels(args.cancel_event, then_ignore=owns_process):
            code = COMMANDS[args.command](args)
        sys.stdout.flush()  # a reader gone by now shows here, not as a traceback at exit
        return code
    except (Cancelled, KeyboardInterrupt):  # staged output is already discarded; no traceback
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")  # over a progress line
        print("cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `labelview info X | head -1`: the reader left, nothing to say
        _quiet_stdout()
        return EXIT_OK


def _quiet_stdout() -> None:
    """Point stdout at devnull: Python would print a second traceback flushing it at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout to replace
        pass


COMMANDS = {
    "convert": cmd_convert,
    "info": cmd_info,
    "compare": cli_compare.cmd_compare,
    "check": cli_check.cmd_check,
    "formats": cmd_formats,
    "review": cmd_review,
}


def main(argv: Sequence[str] | None = None) -> int:
    owns_process = argv is None  # run as the program, not called from Python
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        args = build_parser().parse_args(argv)
        return _run_command(args, owns_process=owns_process)
    args = build_gui_parser().parse_args(argv)
    try:
        from labelview.gui import app  # noqa: TID251 - the one lazy GUI import
    except ImportError as error:
        print(f"error: the window cannot start: {error}", file=sys.stderr)
        return EXIT_ERRORS
    return app.run(args)
