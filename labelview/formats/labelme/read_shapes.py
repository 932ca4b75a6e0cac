"""One LabelMe shape as an ObjectLabel: its geometry by `shape_type`, its flags, attributes,
description and difficult as attributes, its score as the confidence.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from labelview.formats._reading import MAX_COORDINATE, Skip, mapping, number, take, text
from labelview.model import (
    Box,
    Ellipse,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.classifications import Answer
from labelview.model.geometry import Geometry, LazyMask

SHAPE_KEYS = frozenset(
    {
        "label",
        "points",
        "group_id",
        "shape_type",
        "flags",
        "description",
        "mask",
        "score",
        "difficult",
        "attributes",
        "direction",
        "keypoint_names",
        "visibility",
    }
)

Warn = Callable[[str, str], None]  # (where inside the shape, message)


def shape_object(shape: Any, object_id: str, item: Item, warn: Warn) -> ObjectLabel:
    """The object of one shape; Skip (located inside the shape) when it cannot be read."""
    shape = mapping(shape, "a shape")
    label = text(take(shape, "label"), "label")
    kind = shape.get("shape_type") or "polygon"
    geometry = _geometry(kind, shape, item)
    answers: list[Answer] = []
    for key in ("flags", "attributes"):
        values = shape.get(key)
        if isinstance(values, dict):
            answers.extend(Answer(str(k), v) for k, v in values.items())
    if shape.get("difficult") is not None:
        answers.append(Answer("difficult", bool(shape["difficult"])))
    if isinstance(shape.get("description"), str) and shape["description"]:
        answers.append(Answer("description", shape["description"]))
    confidence = None
    if shape.get("score") is not None:
        try:
            confidence = number(shape["score"], "score")
        except Skip as error:
            warn("score", f"{error.message}: no confidence kept")
    extra = {k: v for k, v in shape.items() if k not in SHAPE_KEYS}
    if shape.get("group_id") is not None:
        extra["group_id"] = shape["group_id"]
    if geometry is None:
        extra.update({"shape_type": kind, "points": shape.get("points")})
    return ObjectLabel(
        label,
        geometry,
        id=object_id,
        attributes=answers,
        confidence=confidence,
        source="model" if confidence is not None else None,
        extra=extra or None,
    )


def _points(shape: dict) -> np.ndarray:
    try:
        points = np.asarray(take(shape, "points"), dtype=np.float64)
    except (TypeError, ValueError):
        raise Skip("expected [[x, y], ...]", "points") from None
    if points.ndim != 2 or points.shape[1] != 2:
        raise Skip(f"expected [[x, y], ...], got an array of shape {points.shape}", "points")
    if not np.isfinite(points).all() or (np.abs(points) > MAX_COORDINATE).any():
        raise Skip("a coordinate is not finite or far outside any image", "points")
    return points


def _geometry(kind: Any, shape: dict, item: Item) -> Geometry | None:
    if kind == "mask":
        return _mask(shape, item)
    if kind not in _KINDS:
        return None  # kept without a shape; the reader warns
    return _KINDS[kind](_points(shape), shape)


def _rectangle(points: np.ndarray, _shape: dict) -> Box:
    if len(points) < 2:
        raise Skip(f"rectangle has {len(points)} points", "points")
    x0, y0 = points.min(axis=0)  # 2 corners in any order, or 4 taken by their bounds
    x1, y1 = points.max(axis=0)
    return Box.from_corners(float(x0), float(y0), float(x1), float(y1))


def _circle(points: np.ndarray, _shape: dict) -> Ellipse:
    if len(points) != 2:
        raise Skip(f"circle has {len(points)} points (expected centre and rim)", "points")
    (cx, cy), (px, py) = points
    radius = float(math.hypot(px - cx, py - cy))
    return Ellipse(float(cx), float(cy), radius, radius)


def _point(points: np.ndarray, _shape: dict) -> Point:
    if len(points) != 1:
        raise Skip(f"point has {len(points)} points", "points")
    return Point(float(points[0, 0]), float(points[0, 1]))


def _keypoints(points: np.ndarray, shape: dict) -> Keypoints:
    names = shape.get("keypoint_names") or ()
    visibility = shape.get("visibility") or [2] * len(points)
    return Keypoints.from_lists(points, visibility, [str(n) for n in names])


_KINDS: dict[str, Callable[[np.ndarray, dict], Geometry]] = {
    "polygon": lambda points, _shape: Polygon.from_points(points),
    "rectangle": _rectangle,
    "rotation": lambda points, _shape: RotatedBox.from_corners(points),  # X-AnyLabeling
    "oriented_rectangle": lambda points, _shape: RotatedBox.from_corners(points),
    "circle": _circle,
    "line": lambda points, _shape: Polyline.from_points(points),
    "linestrip": lambda points, _shape: Polyline.from_points(points),
    "point": _point,
    "points": _keypoints,
}


def _mask(shape: dict, item: Item) -> Mask:
    if item.width is None or item.height is None:
        raise Skip("image size unknown, cannot place the mask", "mask")
    points = _points(shape)
    if len(points) != 2:
        raise Skip(f"mask has {len(points)} points (expected the box corners)", "points")
    payload = shape.get("mask")
    if not isinstance(payload, str) or not payload:
        raise Skip("missing base64 PNG", "mask")
    try:
        raw = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        raise Skip("not base64", "mask") from None
    x0, y0 = (int(v) for v in points.min(axis=0))
    width, height = item.width, item.height

    def load() -> np.ndarray:
        from labelview.images import open_image

        with open_image(raw, "shape mask") as image:  # a claimed size checked before decoding
            crop = np.asarray(image.convert("L")) > 0
        full = np.zeros((height, width), dtype=bool)
        # labelme pastes the crop at the first corner: mask[y1:y2+1, x1:x2+1] = crop.
        ys, xs = max(y0, 0), max(x0, 0)
        ye, xe = min(y0 + crop.shape[0], height), min(x0 + crop.shape[1], width)
        if ye > ys and xe > xs:
            full[ys:ye, xs:xe] = crop[ys - y0 : ye - y0, xs - x0 : xe - x0]
        return full

    return Mask(height, width, LazyMask(load, f"shape mask at ({x0}, {y0})"))
