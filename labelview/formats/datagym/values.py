"""DataGym values: geometries (with the export's quirks) and classification answers."""

from __future__ import annotations

import math
from typing import Any

from labelview.formats._reading import (
    BAD_VALUE,
    MAX_COORDINATE,
    Skip,
    coordinate,
    mapping,
    sequence,
)
from labelview.model import Answer, Box, Point, Polygon, Polyline

GEOMETRY_TYPES = ("rectangle", "polygon", "line", "point", "image_segmentation")
SHAPES = {
    "rectangle": "box",
    "polygon": "polygon",
    "line": "polyline",
    "point": "point",
    "image_segmentation": "polygon",
}


def is_null(value: Any) -> bool:
    """DataGym writes a missing value as null or as the string "null"."""
    return value is None or value == "null"


def _value(point: Any, key: str) -> float:
    point = mapping(point, "a point")
    value = point.get(key, point.get(key.upper()))  # video exports write a capital "Y"
    if is_null(value):
        raise Skip("null coordinates (DataGym exports negative values as null)")
    return coordinate(value, key)


def _xy(points: Any) -> list[tuple[float, float]]:
    try:
        xy = [(float(p["x"]), float(p["y"])) for p in points]
    except BAD_VALUE:
        xy = None
    low, high = -MAX_COORDINATE, MAX_COORDINATE
    # The comparisons are False for NaN and infinities too: those take the checked path.
    if xy is not None and all(low <= x <= high and low <= y <= high for x, y in xy):
        return xy
    # The checked path names the problem: null coordinates, a capital "Y", a missing key.
    return [(_value(p, "x"), _value(p, "y")) for p in sequence(points, "geometry")]


def geometry(kind: str, value: Any) -> Box | Polygon | Polyline | Point:
    """The model geometry for one DataGym geometry value of type `kind` (Skip when unusable)."""
    if kind == "rectangle":
        if not isinstance(value, list) or len(value) != 1:
            raise Skip("a rectangle is a list of one {x, y, w, h}")
        rect = value[0]
        try:
            x, y, w, h = (float(rect[key]) for key in ("x", "y", "w", "h"))
        except BAD_VALUE:
            x = y = w = h = math.nan
        # False for NaN (a missing value) and infinities: the checked path then says which.
        if all(-MAX_COORDINATE <= v <= MAX_COORDINATE for v in (x, y, w, h)):
            return Box(x, y, w, h)
        w, h = _value(rect, "w"), _value(rect, "h")  # the checked path names the problem
        return Box(_value(rect, "x"), _value(rect, "y"), w, h)
    if kind == "polygon":
        return Polygon.from_points(_xy(value))
    if kind == "line":
        return Polyline.from_points(_xy(value))
    if kind == "point":
        points = _xy(value)
        if len(points) != 1:
            raise Skip(f"a point has {len(points)} coordinates, expected 1")
        return Point(*points[0])
    if kind == "image_segmentation":
        if not isinstance(value, list) or not value:
            raise Skip("a segmentation is a non-empty list of rings")
        rings = [_xy(ring) for ring in value]
        return Polygon.from_points(rings[0], rings[1:])
    raise Skip(f"unknown geometry type {kind!r}")


def answers(values: Any, types: dict[str, str]) -> list[Answer]:
    """{class: [value..., {child: [...]}]} as nested Answers (checklists as lists)."""
    if not values or not isinstance(values, dict):
        return []
    result = []
    for name, entry in values.items():
        entry = entry if isinstance(entry, list) else [entry]
        own = [v for v in entry if not isinstance(v, dict) and not is_null(v)]
        children: list[Answer] = []
        for child in entry:
            if isinstance(child, dict):
                children.extend(answers(child, types))
        if types.get(name) == "checklist":
            value: Any = own
        else:
            value = own[0] if len(own) == 1 else (own or None)
        result.append(Answer(str(name), value, children))
    return result
