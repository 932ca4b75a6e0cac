"""A small cache of decoded images (label PNGs, panoptic id maps) shared by the objects that
point into the same file: least recently used dropped first, bounded in entries and bytes, and
thread-safe because the window decodes in workers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np


class DecodedCache:
    """`get(path)` decodes with `decode(path)` once and keeps the array for the next object."""

    def __init__(
        self,
        decode: Callable[[Path], np.ndarray],
        *,
        max_entries: int = 8,
        max_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        self.decode = decode
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Path, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> np.ndarray:
        with self._lock:
            found = self._entries.get(path)
            if found is not None:
                self._entries.move_to_end(path)
                return found
        decoded = self.decode(path)
        with self._lock:
            self._entries[path] = decoded
            self._entries.move_to_end(path)
            while len(self._entries) > 1 and (
                len(self._entries) > self.max_entries
                or sum(a.nbytes for a in self._entries.values()) > self.max_bytes
            ):
                self._entries.popitem(last=False)
        return decoded

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
