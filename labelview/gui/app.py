"""Start the window: QApplication, icon, uncaught-exception dialog, and `run(args)` for the CLI."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from importlib import resources
from pathlib import Path
from types import TracebackType

from labelview import __version__

ICON = "labelview.svg"


def icon():
    """The application icon (an SVG shipped in labelview/gui/icons)."""
    from PySide6.QtGui import QIcon, QPixmap

    data = resources.files("labelview.gui").joinpath("icons", ICON).read_bytes()
    pixmap = QPixmap()
    pixmap.loadFromData(data, "SVG")
    return QIcon(pixmap)


def application(argv: list[str] | None = None):
    """The running QApplication, created (with name, version and icon) on first use."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName("labelview")
    app.setOrganizationName("labelview")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon())
    return app


class ErrorReporter:
    """sys.excepthook: an uncaught exception becomes a dialog with a copyable traceback; the app
    keeps running. `modal=False` (tests) only records and shows without blocking;
    `dialogs=False` (the screenshot mode, where nobody could close one) only records and prints.
    """

    def __init__(self, parent=None, *, modal: bool = True, dialogs: bool = True) -> None:
        self.parent = parent
        self.modal = modal
        self.show_dialogs = dialogs
        self.reports: list[str] = []
        self.dialogs: list[object] = []
        self._previous = sys.excepthook

    def install(self) -> ErrorReporter:
        sys.excepthook = self
        return self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous

    def __call__(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous(kind, error, trace)
            return
        text = "".join(traceback.format_exception(kind, error, trace))
        self.reports.append(text)
        sys.stderr.write(text)
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is None or not self.show_dialogs:
            return
        box = QMessageBox(self.parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("labelview: unexpected error")
        box.setText(f"Something went wrong: {type(error).__name__}: {error}")
        box.setInformativeText("The window keeps running. The details can be copied for a report.")
        box.setDetailedText(text)
        box.setTextInteractionFlags(box.textInteractionFlags())
        self.dialogs.append(box)
        if self.modal:
            box.exec()
        else:
            box.open()


def _wait_for_load(window, app) -> None:
    """Process events until the session's read ends (screenshot mode)."""
    session = window.session
    while session.busy:
        task = session.task
        if task is not None:
            ended = task.wait(0.05)
            app.processEvents()
            if ended and session.task is task:  # a worker that died without a word
                sys.stderr.write("error: the read ended without a result\n")
                session.cancel()
                return
        app.processEvents()


def run(args: argparse.Namespace) -> int:
    """Open the window (with the export named in args) and run until it closes; the exit code."""
    screenshot: Path | None = getattr(args, "screenshot", None)
    if screenshot is not None and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if sys.platform.startswith("linux") and not any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        # Qt would abort the process with a fatal message; say what is wrong instead.
        sys.stderr.write(
            "error: no display to open the window on (DISPLAY is not set); "
            "`labelview FILE --screenshot OUT.png` renders offscreen, "
            "`labelview info|convert` work without one\n"
        )
        return 1
    app = application()
    from labelview.gui.main_window import MainWindow

    if screenshot is not None:
        # Reproducible shots: the default layout, and the user's settings left alone.
        import tempfile

        from PySide6.QtCore import QSettings

        scratch = tempfile.TemporaryDirectory(prefix="labelview-shot-", ignore_cleanup_errors=True)
        settings = QSettings(f"{scratch.name}/s.ini", QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
    else:
        window = MainWindow()
    reporter = ErrorReporter(window, dialogs=screenshot is None).install()
    path: Path | None = None
    if getattr(args, "demo", False):
        from labelview import demo

        path = demo.path()
    elif getattr(args, "paths", None):
        path = Path(args.paths[0])
    options = {
        "format": getattr(args, "from_format", None),
        "images_dir": getattr(args, "images", None),
        "ontology": getattr(args, "ontology", None),
        "url_map": getattr(args, "url_map", None),
    }
    if screenshot is not None:
        try:
            return _screenshot(window, app, path, options, args, screenshot, reporter)
        except Exception as error:  # no dialog and no traceback: one line, a failing exit code
            sys.stderr.write(f"error: the screenshot failed: {type(error).__name__}: {error}\n")
            return 1
        finally:
            reporter.uninstall()
            scratch.cleanup()
    window.show()
    if path is not None:
        window.open_path(path, **options)
    try:
        return app.exec()
    finally:
        reporter.uninstall()


def _screenshot(window, app, path, options, args, out: Path, reporter: ErrorReporter) -> int:
    window.resize(1440, 900)
    window.show()
    ok = True
    if path is not None:
        ok = window.open_path(path, **options)
        _wait_for_load(window, app)
        session = window.session
        if session.dataset is None:
            ok = False
            # Say why (unreadable, or a format question nobody answers in screenshot mode).
            status = window.statusBar().currentMessage()
            hint = " (pass --from FORMAT)" if status.startswith("Which format") else ""
            sys.stderr.write(f"error: nothing was loaded from {path}: {status}{hint}\n")
        else:
            session.set_item(getattr(args, "item", 0) or 0, getattr(args, "frame", None))
            if session.frame is not None and getattr(args, "frame", None) is not None:
                session.set_frame(args.frame)
    app.processEvents()
    window.canvas.fit()
    app.processEvents()
    image = window.grab()
    saved = image.save(str(out))
    reporter.uninstall()
    window.close()
    if not saved:
        sys.stderr.write(f"error: cannot write {out}\n")
        return 1
    for issue in window.session.issues:
        if issue.level == "error":
            sys.stderr.write(f"{issue.level}: {issue}\n")
    if reporter.reports:  # tracebacks already printed: the picture may be incomplete
        sys.stderr.write(
            f"error: {len(reporter.reports)} unexpected error(s) while rendering {out.name}\n"
        )
        return 1
    return 0 if ok else 1
