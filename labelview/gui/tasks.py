"""Run a core function on a worker thread, with progress, cancel and a readable failure.

The function gets a TaskControl (progress callback, cancel event, stage callback) — the same
object the CLI passes — so the core never knows it runs under a window.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from labelview.errors import Cancelled, LabelviewError
from labelview.formats.base import TaskControl

_PROGRESS_INTERVAL = 0.05  # seconds between progress signals: enough for a bar, no event flood


def describe(error: BaseException) -> str:
    """One readable line for a failure (located for format errors, never a traceback)."""
    if isinstance(error, LabelviewError):
        return str(error)
    if isinstance(error, OSError):
        name = error.filename or ""
        return f"{name}: {error.strerror or error}" if name else str(error.strerror or error)
    if isinstance(error, MemoryError):
        return "not enough memory to load this file"
    return f"unexpected {type(error).__name__}: {error}"


class Task(QObject):
    """One run of `function(control)`; signals arrive in the thread that created the task."""

    progress = Signal(int, int)
    stage = Signal(str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, function: Callable[[TaskControl], Any], parent: QObject | None = None):
        super().__init__(parent)
        self.function = function
        self.cancel_event = threading.Event()
        self.details = ""  # the traceback of an unexpected failure, for a "details" view
        self._last_progress = 0.0
        self._thread: threading.Thread | None = None

    def control(self) -> TaskControl:
        """The TaskControl handed to the function."""
        return TaskControl(
            on_progress=self._report, cancel_event=self.cancel_event, on_stage=self.stage.emit
        )

    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last_progress < _PROGRESS_INTERVAL:
            return
        self._last_progress = now
        self.progress.emit(int(done), int(total))

    def start(self, *, wait: bool = False) -> None:
        """Run on a worker thread (a daemon: closing the window never waits for a parse); with
        wait=True, run here instead (tests and the screenshot mode).
        """
        if wait:
            self.run()
            return
        self._thread = threading.Thread(target=self.run, name="labelview-task", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker ends (for tests and the screenshot mode); True if it ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Ask the function to stop at its next check_cancelled()."""
        self.cancel_event.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Run the function here (the worker calls this; the screenshot mode calls it directly)."""
        try:
            result = self.function(self.control())
        except Cancelled:
            self.cancelled.emit()
            return
        except Exception as error:
            if not isinstance(error, LabelviewError | OSError):
                self.details = traceback.format_exc()
            self.failed.emit(describe(error))
            return
        self.finished.emit(result)
