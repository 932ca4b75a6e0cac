"""Small Encord value converters: timestamps, colours, point lists, visibility flags."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import numpy as np

_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S %Z",
    "%a, %d %b %Y %H:%M:%S",
)
_ZONE = re.compile(r"\s+(UTC|GMT|Z)$")
_VISIBILITY = {"visible": 2, "invisible": 0, "occluded": 1, "selfoccluded": 1}

# Exports repeat the same few timestamps on thousands of objects: parse each text once.
TIME_CACHE: dict[Any, str | None] = {}


def iso_time(text: Any) -> str | None:
    """An Encord timestamp (any of its four styles) as ISO 8601, UTC when it names no zone."""
    if text is None or text == "":
        return None
    cached = TIME_CACHE.get(text)
    if cached is not None or text in TIME_CACHE:
        return cached
    result: str | None = str(text)
    if isinstance(text, str):
        stripped = _ZONE.sub("", text.strip())
        # fromisoformat first: it is C-fast and accepts none of the strptime-only styles.
        for pattern in (None, *_TIME_FORMATS):
            try:
                if pattern is None:
                    parsed = datetime.fromisoformat(stripped)
                else:
                    parsed = datetime.strptime(stripped, pattern)
            except ValueError:
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            result = parsed.isoformat()
            break
    if len(TIME_CACHE) > 200_000:
        TIME_CACHE.clear()
    TIME_CACHE[text] = result
    return result


def rgb(text: Any) -> tuple[int, int, int] | None:
    """`#RRGGBB` / `#RGB` as a colour; None for anything else (a 5-digit colour is ignored)."""
    if not isinstance(text, str):
        return None
    value = text.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        return None
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        return None


def ordered(points: Any) -> list[dict]:
    """A `{"0": {...}, "1": ...}` dict (sorted numerically: "10" after "2") or a list, as a list."""
    if not points:
        return []
    if isinstance(points, dict):
        return [points[key] for key in sorted(points, key=int)]
    return list(points)


def xy(points: list[dict], width: float, height: float) -> np.ndarray:
    """Normalised `{x, y}` points as an (n, 2) array of pixels."""
    if not points:
        return np.zeros((0, 2))
    array = np.array([(p["x"], p["y"]) for p in points], dtype=np.float64)
    array *= (width, height)
    return array


def visibility(point: dict) -> int:
    """COCO visibility of a skeleton point: the newer `visibility` string or the older flags."""
    text = point.get("visibility")
    if isinstance(text, str):
        return _VISIBILITY.get(text.lower(), 2)
    if point.get("invisible"):
        return 0
    if point.get("occluded") or point.get("selfOccluded"):
        return 1
    if point.get("visible") is False:
        return 0
    return 2


def source(entry: dict) -> str | None:
    """`manualAnnotation` as the model's manual/model flag."""
    manual = entry.get("manualAnnotation")
    if manual is None:
        return None
    return "manual" if manual else "model"


def frame_order(key: str) -> float:
    """Sort key of a frame key: its number, non-numbers last (they are warned about and skipped)."""
    try:
        return int(key)
    except ValueError:
        return float("inf")
