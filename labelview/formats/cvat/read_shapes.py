"""One CVAT shape element (`<box>`, `<polygon>`, `<polyline>`, `<points>`, `<ellipse>`,
`<cuboid>`, `<mask>`, `<skeleton>`) as a TrackShape (its coordinates in CVAT's own order), and a
TrackShape as a model geometry. A value that cannot be read raises Skip; the caller skips that
shape and the rest loads.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

from labelview import limits
from labelview.formats._reading import Skip, coordinate, integer
from labelview.formats.cvat.mask_rle import CvatRle
from labelview.formats.cvat.read_meta import CUBOID_NODES, AttributeSpec
from labelview.formats.cvat.tracks import TrackShape, rotation_of
from labelview.model import (
    Answer,
    Box,
    Ellipse,
    Keypoints,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.geometry import Geometry

SHAPES = ("box", "polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton")
# Flags of a shape that are not attributes (read into the model's own fields).
_CUBOID_KEYS = tuple(f"{axis}{node}" for node in CUBOID_NODES for axis in ("x", "y"))


def _attr(element: ET.Element, key: str) -> str:
    value = element.get(key)
    if value is None:
        raise Skip(f"missing {key!r}")
    return value


def _flag(element: ET.Element, key: str) -> bool:
    return element.get(key, "0").strip().lower() in ("1", "true")


def _point_list(text: str) -> np.ndarray:
    values: list[float] = []
    for pair in text.replace(" ", "").split(";"):
        if not pair:
            continue
        xy = pair.split(",")
        if len(xy) != 2:
            raise Skip(f"point {pair!r} is not x,y")
        values += [coordinate(xy[0], "x"), coordinate(xy[1], "y")]
    return np.array(values, dtype=np.float64)


def shape_of(element: ET.Element, position: int) -> TrackShape:
    """The TrackShape of one shape element (frame position given by the caller)."""
    kind = element.tag
    rotation = rotation_of(element.get("rotation"))
    payload: Any = None
    if kind == "box":
        keys = ("xtl", "ytl", "xbr", "ybr")
        points = np.array([coordinate(_attr(element, k), k) for k in keys])
    elif kind == "ellipse":
        cx, cy = coordinate(_attr(element, "cx"), "cx"), coordinate(_attr(element, "cy"), "cy")
        rx, ry = coordinate(_attr(element, "rx"), "rx"), coordinate(_attr(element, "ry"), "ry")
        points = np.array([cx, cy, cx + rx, cy - ry])  # CVAT's own: centre, right, top
    elif kind == "cuboid":
        points = np.array([coordinate(_attr(element, k), k) for k in _CUBOID_KEYS])
    elif kind == "mask":
        payload = _mask_payload(element)
        points = np.zeros(0)
    elif kind == "skeleton":
        points = np.zeros(0)
    else:
        points = _point_list(_attr(element, "points"))
        if not len(points):
            raise Skip(f"{kind} has no points")
    z_order = element.get("z_order")
    return TrackShape(
        position=position,
        kind=kind,
        points=points,
        outside=_flag(element, "outside"),
        keyframe=_flag(element, "keyframe") if "keyframe" in element.attrib else True,
        occluded=_flag(element, "occluded") if "occluded" in element.attrib else None,
        rotation=rotation,
        z_order=integer(z_order, "z_order") if z_order not in (None, "") else 0,
        attributes={
            child.get("name", ""): child.text or ""
            for child in element.findall("attribute")
            if child.get("name") is not None
        },
        source=element.get("source"),
        payload=payload,
    )


def _mask_payload(element: ET.Element) -> CvatRle:
    left = integer(_attr(element, "left"), "left", low=0, high=1 << 20)
    top = integer(_attr(element, "top"), "top", low=0, high=1 << 20)
    width = integer(_attr(element, "width"), "width", low=1, high=1 << 20)
    height = integer(_attr(element, "height"), "height", low=1, high=1 << 20)
    if width * height > limits.MAX_PIXELS:
        raise Skip(f"mask of {width}×{height} pixels is over the limit of {limits.MAX_PIXELS:,}")
    text = _attr(element, "rle")
    try:
        runs = [int(part) for part in text.replace(" ", "").split(",") if part != ""]
    except ValueError:
        raise Skip("rle is not a list of integers") from None
    if any(run < 0 for run in runs):
        raise Skip("rle has a negative run")
    if sum(runs) != width * height:
        raise Skip(f"rle runs sum to {sum(runs)}, the mask's box has {width * height} pixels")
    return CvatRle(runs, left, top, width, height)


def geometry_of(
    shape: TrackShape, size: tuple[int, int] | None, nodes: tuple[str, ...] = ()
) -> Geometry:
    """The model geometry of `shape`; `size` (width, height) places masks, `nodes` names a
    skeleton's points.
    """
    kind, p = shape.kind, shape.points
    if kind == "box":
        if p[2] < p[0] or p[3] < p[1]:
            raise Skip("box has xbr < xtl or ybr < ytl")
        if round(shape.rotation, 2) % 360 != 0:
            w, h = p[2] - p[0], p[3] - p[1]
            return RotatedBox(
                float(p[0] + w / 2), float(p[1] + h / 2), float(w), float(h), shape.rotation
            )
        return Box.from_corners(*(float(v) for v in p))
    if kind == "ellipse":
        cx, cy = float(p[0]), float(p[1])
        return Ellipse(cx, cy, float(p[2]) - cx, cy - float(p[3]), shape.rotation)
    if kind == "polygon":
        if len(p) < 6:
            raise Skip(f"polygon has {len(p) // 2} points")
        return Polygon.from_points(p)
    if kind == "polyline":
        if len(p) < 4:
            raise Skip(f"polyline has {len(p) // 2} points")
        return Polyline.from_points(p)
    if kind == "points":
        if len(p) == 2:
            return Point(float(p[0]), float(p[1]))
        return Keypoints.from_lists(p.reshape(-1, 2), [2] * (len(p) // 2))
    if kind == "cuboid":
        return Keypoints.from_lists(p.reshape(-1, 2), [2] * 8, CUBOID_NODES)
    if kind == "mask":
        rle: CvatRle = shape.payload
        width = max(size[0] if size else 0, rle.left + rle.width)
        height = max(size[1] if size else 0, rle.top + rle.height)
        return Mask(height, width, rle)
    if kind == "skeleton":
        return _skeleton(shape.payload or {}, nodes)
    raise Skip(f"unknown shape <{kind}>")


def _skeleton(elements: dict[str, TrackShape], nodes: tuple[str, ...]) -> Keypoints:
    """A skeleton's nodes in the label spec's order (nodes it lacks are absent)."""
    names = nodes or tuple(elements)
    points, visibility = [], []
    for name in names:
        node = elements.get(name)
        if node is None or node.outside or len(node.points) < 2:
            points.append((0.0, 0.0))
            visibility.append(0)
        else:
            points.append((float(node.points[0]), float(node.points[1])))
            visibility.append(1 if node.occluded else 2)
    return Keypoints.from_lists(points, visibility, names)


def skeleton_nodes(element: ET.Element, position: int, where: str) -> dict[str, TrackShape]:
    """The `<points>` nodes inside one `<skeleton>` element, by node label."""
    nodes: dict[str, TrackShape] = {}
    for index, child in enumerate(element.findall("points")):
        label = child.get("label")
        if not label:
            raise Skip("skeleton node without a label", f"points[{index}]")
        try:
            nodes[label] = shape_of(child, position)
        except Skip as error:
            raise Skip(error.message, f"points[{index}]") from None
        nodes[label].where = where
    return nodes


def typed(value: str, spec: AttributeSpec | None) -> Any:
    """An attribute's text as the value its declared input type says (checkbox → bool, number →
    int or float); undeclared ones: `true`/`false` as booleans, the rest as text.
    """
    kind = spec.input_type if spec is not None else None
    if kind in (None, "text") and value[:1] in "[{" and value[-1:] in "]}":
        try:  # a multi-value answer, written as JSON by labelview
            return json.loads(value)
        except ValueError:
            return value
    if kind == "checkbox" or (kind is None and value in ("true", "false")):
        if value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return value
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value


def answers(values: dict[str, str], specs: dict[str, AttributeSpec]) -> list[Answer]:
    return [Answer(name, typed(text, specs.get(name))) for name, text in values.items()]
