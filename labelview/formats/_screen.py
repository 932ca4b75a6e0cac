"""The last check at the reading boundary: no geometry a writer cannot handle leaves a reader.

Readers check values where they take them (the accessors of `_reading`, with the JSON path of the
value). This pass, run once by `formats.read` over what any reader built, catches what a reader
let through: a coordinate that is NaN, infinite or further from the image than
`limits.MAX_EXTENT_FACTOR` times its larger side (`limits.MAX_COORDINATE` when the size is not
known), a negative size, an angle that is not finite. Such an object is dropped with a warning
naming its item and object; the others stay. Writers can then rasterise and size buffers by any
geometry they are given.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from labelview import limits
from labelview.model import Box, Ellipse, Keypoints, Mask, Polygon, Polyline, RotatedBox

if TYPE_CHECKING:
    from labelview.formats.base import ReadContext
    from labelview.model import Dataset, Item, ObjectLabel


def extent_limit(width: int | None, height: int | None) -> float:
    """How far from the origin a coordinate may lie in an image of this size."""
    if width and height:
        return float(min(limits.MAX_COORDINATE, limits.MAX_EXTENT_FACTOR * max(width, height)))
    return float(limits.MAX_COORDINATE)


def problem(geometry: object, limit: float) -> str | None:
    """Why `geometry` cannot be kept (None when it can)."""
    if geometry is None or isinstance(geometry, Mask):
        return None  # masks are checked against the image size where they are decoded
    if isinstance(geometry, Box):
        values = (geometry.x, geometry.y, geometry.w, geometry.h)
        sizes = (geometry.w, geometry.h)
    elif isinstance(geometry, RotatedBox):
        values = (geometry.cx, geometry.cy, geometry.w, geometry.h, geometry.angle)
        sizes = (geometry.w, geometry.h)
    elif isinstance(geometry, Ellipse):
        values = (geometry.cx, geometry.cy, geometry.rx, geometry.ry, geometry.angle)
        sizes = (geometry.rx, geometry.ry)
    else:
        return _points_problem(geometry, limit)
    try:
        floats = [float(value) for value in values]
    except (TypeError, ValueError, OverflowError):
        return f"{geometry.kind} has a value that is not a number ({values!r:.60})"
    if not all(math.isfinite(value) for value in floats):
        return f"{geometry.kind} has a value that is not finite"
    if any(size < 0 for size in sizes):
        return f"{geometry.kind} has a negative size"
    if max(abs(value) for value in floats[:4]) > limit:
        return f"{geometry.kind} lies far outside the image (beyond ±{limit:g} px)"
    return None


def _points_problem(geometry: object, limit: float) -> str | None:
    if isinstance(geometry, Polygon):
        arrays = [ring for part in geometry.parts for ring in part.rings()]
    elif isinstance(geometry, (Polyline, Keypoints)):
        arrays = [geometry.points]
    else:  # Point, or a kind this pass does not know: its bounds
        try:
            arrays = [np.asarray(geometry.bounds(), dtype=np.float64)]  # type: ignore[attr-defined]
        except (TypeError, ValueError, OverflowError, AttributeError):
            return f"{getattr(geometry, 'kind', 'geometry')} has a value that is not a number"
    for array in arrays:
        try:
            values = np.asarray(array, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            return f"{geometry.kind} has a value that is not a number"  # type: ignore[attr-defined]
        if not values.size:
            continue
        if not np.isfinite(values).all():
            return f"{geometry.kind} has a coordinate that is not finite"  # type: ignore[attr-defined]
        if float(np.abs(values).max()) > limit:
            kind = geometry.kind  # type: ignore[attr-defined]
            return f"{kind} lies far outside the image (beyond ±{limit:g} px)"
    return None


def _size_of(item: Item, obj: ObjectLabel) -> tuple[int | None, int | None]:
    if obj.frame is not None and item.frames and 0 <= obj.frame < len(item.frames):
        frame = item.frames[obj.frame]
        if frame.index == obj.frame and frame.width and frame.height:
            return frame.width, frame.height
    return item.width, item.height


def screen(dataset: Dataset, ctx: ReadContext) -> int:
    """Drop (with a warning) every object whose geometry `problem` refuses; the count dropped."""
    dropped = 0
    for index in sorted(_suspects(dataset.items)):
        item = dataset.items[index]
        limit = extent_limit(item.width, item.height)
        kept = []
        for position, obj in enumerate(item.objects):
            reason = problem(obj.geometry, limit if obj.frame is None else _limit(item, obj))
            if reason is None:
                kept.append(obj)
                continue
            dropped += 1
            name = obj.id if obj.id is not None else f"#{position}"
            ctx.warn(f"{item.name}: object {name}", f"{reason}: skipped", item=item.id, obj=obj.id)
        item.objects = kept
    return dropped


def _suspects(items: list[Item]) -> set[int]:
    """Indices of the items that may hold an object `problem` refuses.

    Boxes and polygon rings of the whole dataset are checked in one array each: the per-object
    `problem` costs microseconds, too much for a million objects. Other kinds are checked one by
    one here.
    """
    suspects: set[int] = set()
    boxes: list[tuple[float, float, float, float]] = []
    box_items: list[int] = []
    box_limits: list[float] = []
    rings: list[np.ndarray] = []
    ring_items: list[int] = []
    ring_limits: list[float] = []
    for index, item in enumerate(items):
        item_limit = extent_limit(item.width, item.height)
        # Frames may have their own size.
        frame_limits = {
            frame.index: extent_limit(frame.width, frame.height)
            for frame in item.frames
            if frame.width and frame.height
        }
        for obj in item.objects:
            geometry = obj.geometry
            kind = geometry.__class__
            limit = item_limit
            if frame_limits and obj.frame is not None:
                limit = frame_limits.get(obj.frame, item_limit)
            if kind is Box:
                boxes.append((geometry.x, geometry.y, geometry.w, geometry.h))  # type: ignore[union-attr]
                box_items.append(index)
                box_limits.append(limit)
            elif kind is Polygon:
                for part in geometry.parts:  # type: ignore[union-attr]
                    rings.append(part.outer)
                    ring_items.append(index)
                    ring_limits.append(limit)
                    for hole in part.holes:
                        rings.append(hole)
                        ring_items.append(index)
                        ring_limits.append(limit)
            elif problem(geometry, limit):
                suspects.add(index)
    try:
        # `not (|v| <= limit)` also catches NaN and infinity; columns, not axis=1 reductions
        # (5× faster on (N, 2) arrays).
        if boxes:
            values = np.array(boxes, dtype=np.float64)
            size = np.abs(values)
            largest = np.maximum(
                np.maximum(size[:, 0], size[:, 1]), np.maximum(size[:, 2], size[:, 3])
            )
            bad = ~(largest <= np.asarray(box_limits))
            bad |= (values[:, 2] < 0) | (values[:, 3] < 0)
            suspects.update(np.asarray(box_items)[bad].tolist())
        if rings:
            points = np.abs(np.concatenate(rings))
            counts = np.fromiter(map(len, rings), np.intp, len(rings))
            owners = np.repeat(np.arange(len(rings)), counts)
            bad = ~(np.maximum(points[:, 0], points[:, 1]) <= np.asarray(ring_limits)[owners])
            suspects.update(np.asarray(ring_items)[np.unique(owners[bad])].tolist())
    except (TypeError, ValueError, OverflowError):  # a value that is no number: look closely
        suspects.update(box_items)
        suspects.update(ring_items)
    return suspects


def _limit(item: Item, obj: ObjectLabel) -> float:
    return extent_limit(*_size_of(item, obj))
