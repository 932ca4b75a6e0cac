"""Cancelling long work: one check at the head of every loop over items, frames and objects.

Readers, writers, convert, verify and compare loop with `for obj in checked(objects, ctx)`; the
window's Cancel and Ctrl+C on the command line set the same `threading.Event`, so a cancel is seen
within one loop step (microseconds to milliseconds), never after a whole track or image.
`Cancelled` then unwinds to `convert`, which discards the staged output.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from labelview.errors import Cancelled

T = TypeVar("T")


def event_of(cancel: Any) -> threading.Event | None:
    """The cancel event behind `cancel`: an Event, a TaskControl, or a Read/WriteContext (None
    when nothing can cancel).
    """
    if cancel is None or isinstance(cancel, threading.Event):
        return cancel
    control = getattr(cancel, "control", cancel)  # a ReadContext / WriteContext holds a control
    return getattr(control, "cancel_event", None)


def checked(items: Iterable[T], cancel: Any) -> Iterator[T]:
    """Iterate `items`, raising Cancelled before any step once `cancel` is set.

    `cancel`: a threading.Event, a TaskControl, a ReadContext / WriteContext, or None (then this is
    plain `iter(items)`, with no cost per step).
    """
    event = event_of(cancel)
    if event is None:
        return iter(items)
    return _checked(items, event.is_set)


def _checked(items: Iterable[T], is_set: Any) -> Iterator[T]:
    if is_set():  # also when `items` is empty: a loop that does nothing still notices
        raise Cancelled("cancelled")
    for item in items:
        if is_set():
            raise Cancelled("cancelled")
        yield item


def check(cancel: Any) -> None:
    """Raise Cancelled if `cancel` (as for `checked`) is set."""
    event = event_of(cancel)
    if event is not None and event.is_set():
        raise Cancelled("cancelled")


@contextmanager
def interrupt_cancels(event: threading.Event, *, then_ignore: bool = False) -> Iterator[None]:
    """Within the block, Ctrl+C (SIGINT) sets `event` instead of raising KeyboardInterrupt at an
    arbitrary line: the work stops at its next check and unwinds cleanly. A second Ctrl+C (work
    stuck in one long step) raises KeyboardInterrupt at once; any later one, or one arriving while
    the block is being left, is ignored (the work is already stopping).

    `then_ignore`: after a cancel, leave SIGINT ignored instead of restoring the previous handler
    (a program that is about to exit: a late Ctrl+C must not print a traceback on the way out).
    Only the main thread can take signals; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    running = [True]

    def on_interrupt(_signum: int, _frame: object) -> None:
        if not event.is_set():
            event.set()
        elif running[0]:
            running[0] = False  # one KeyboardInterrupt is enough to unwind
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        running[0] = False
        if then_ignore and event.is_set():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGINT, previous)
