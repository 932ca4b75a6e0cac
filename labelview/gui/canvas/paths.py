"""Geometry → QPainterPath, built from numpy arrays (pyqtgraph's arrayToQPath with a connect
array): the shared drawing primitives of the canvas layers and the overlays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import QGraphicsPathItem

from labelview.model.geometry import (
    Box,
    Ellipse,
    Keypoints,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)

ELLIPSE_SEGMENTS = 48


# --- numpy → QPainterPath ------------------------------------------------------------------------


def rings_path(
    rings: Sequence[np.ndarray], holes: Sequence[bool] | np.ndarray = ()
) -> QPainterPath:
    """Closed rings as one path: outer rings clockwise on screen, holes counter-clockwise."""
    if not rings:
        return QPainterPath()
    lengths = np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))
    points = np.concatenate(rings).astype(np.float64, copy=False)
    count = len(rings)
    starts = np.zeros(count, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    ring_of = np.repeat(np.arange(count), lengths)
    position = np.arange(len(points)) - starts[ring_of]
    # Shoelace sign per ring (y down: positive = clockwise on screen).
    following = starts[ring_of] + (position + 1) % lengths[ring_of]
    cross = points[:, 0] * points[following, 1] - points[following, 0] * points[:, 1]
    signed = np.add.reduceat(cross, starts) if len(points) else np.zeros(count)
    want_clockwise = ~np.asarray(holes, dtype=bool) if len(holes) else np.ones(count, dtype=bool)
    flip = (signed > 0) != want_clockwise
    flipped_position = np.where(flip[ring_of], lengths[ring_of] - 1 - position, position)
    ordered = points[starts[ring_of] + flipped_position]
    # Each ring closes back on its first point; the next ring starts unconnected.
    out_starts = starts + np.arange(count)
    total = len(points) + count
    xy = np.empty((total, 2))
    body = out_starts[ring_of] + position
    xy[body] = ordered
    closing = out_starts + lengths
    xy[closing] = ordered[starts]
    connect = np.ones(total, dtype=np.int32)
    connect[closing] = 0
    path = pg.arrayToQPath(xy[:, 0], xy[:, 1], connect=connect, finiteCheck=False)
    path.setFillRule(Qt.FillRule.WindingFill)
    return path


def lines_path(lines: Sequence[np.ndarray]) -> QPainterPath:
    """Open polylines as one path."""
    if not lines:
        return QPainterPath()
    points = np.concatenate(lines).astype(np.float64, copy=False)
    connect = np.ones(len(points), dtype=np.int32)
    ends = np.cumsum([len(line) for line in lines]) - 1
    connect[ends] = 0
    return pg.arrayToQPath(points[:, 0], points[:, 1], connect=connect, finiteCheck=False)


def segments_path(starts: np.ndarray, ends: np.ndarray) -> QPainterPath:
    """Separate segments starts[i] → ends[i] as one path."""
    if not len(starts):
        return QPainterPath()
    xy = np.empty((2 * len(starts), 2))
    xy[0::2] = starts
    xy[1::2] = ends
    return pg.arrayToQPath(xy[:, 0], xy[:, 1], connect="pairs", finiteCheck=False)


def box_rings(boxes: Sequence[Box]) -> np.ndarray:
    """(N, 4, 2) corners of axis-aligned boxes."""
    values = np.array([(b.x, b.y, b.w, b.h) for b in boxes], dtype=np.float64).reshape(-1, 4)
    x0, y0 = values[:, 0], values[:, 1]
    x1, y1 = x0 + values[:, 2], y0 + values[:, 3]
    return np.stack([np.column_stack(c) for c in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))], axis=1)


def rotated_box_rings(boxes: Sequence[RotatedBox]) -> np.ndarray:
    """(N, 4, 2) corners of rotated boxes (clockwise-on-screen angles, degrees)."""
    v = np.array([(b.cx, b.cy, b.w, b.h, b.angle) for b in boxes], dtype=np.float64).reshape(-1, 5)
    hw, hh = v[:, 2:3] / 2, v[:, 3:4] / 2
    local_x = np.concatenate([-hw, hw, hw, -hw], axis=1)
    local_y = np.concatenate([-hh, -hh, hh, hh], axis=1)
    theta = np.radians(v[:, 4:5])
    cos, sin = np.cos(theta), np.sin(theta)
    x = v[:, 0:1] + cos * local_x - sin * local_y
    y = v[:, 1:2] + sin * local_x + cos * local_y
    return np.stack([x, y], axis=2)


def ellipse_rings(ellipses: Sequence[Ellipse], segments: int = ELLIPSE_SEGMENTS) -> np.ndarray:
    """(N, segments, 2) outlines of rotated ellipses."""
    v = np.array([(e.cx, e.cy, e.rx, e.ry, e.angle) for e in ellipses], dtype=np.float64)
    v = v.reshape(-1, 5)
    t = np.linspace(0, 2 * np.pi, segments, endpoint=False)[None, :]
    local_x = v[:, 2:3] * np.cos(t)
    local_y = v[:, 3:4] * np.sin(t)
    theta = np.radians(v[:, 4:5])
    cos, sin = np.cos(theta), np.sin(theta)
    x = v[:, 0:1] + cos * local_x - sin * local_y
    y = v[:, 1:2] + sin * local_x + cos * local_y
    return np.stack([x, y], axis=2)


def outline_path(geometry: object) -> QPainterPath:
    """The outline of one geometry (for hover and selection emphasis)."""
    if isinstance(geometry, Box):
        return rings_path(list(box_rings([geometry])))
    if isinstance(geometry, RotatedBox):
        return rings_path(list(rotated_box_rings([geometry])))
    if isinstance(geometry, Ellipse):
        return rings_path(list(ellipse_rings([geometry])))
    if isinstance(geometry, Polygon):
        rings, holes = [], []
        for part in geometry.parts:
            rings.append(part.outer)
            holes.append(False)
            rings.extend(part.holes)
            holes.extend([True] * len(part.holes))
        return rings_path(rings, holes)
    if isinstance(geometry, Polyline):
        return lines_path([geometry.points])
    if isinstance(geometry, Mask):
        x0, y0, x1, y1 = geometry.bounds()
        path = QPainterPath()
        path.addRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        return path
    return QPainterPath()


def marker_points(geometry: object) -> np.ndarray:
    """Screen-size markers of one geometry (points, keypoints), for emphasis."""
    if isinstance(geometry, Point):
        return np.array([[geometry.x, geometry.y]])
    if isinstance(geometry, Keypoints):
        return geometry.points[geometry.labelled]
    return np.zeros((0, 2))


def anchor_of(geometry: object) -> tuple[float, float] | None:
    """Where an object's label text goes: the top-left of its extent; for a line, its topmost
    vertex (the corner of a diagonal line's extent is empty space, far from the line).
    """
    if isinstance(geometry, Polyline) and len(geometry.points):
        points = geometry.points
        top = int(np.lexsort((points[:, 0], points[:, 1]))[0])
        return float(points[top, 0]), float(points[top, 1])
    try:
        x0, y0, _x1, _y1 = geometry.bounds()  # type: ignore[union-attr]
    except (AttributeError, ValueError, TypeError):
        return None
    return x0, y0


# --- graphics items -------------------------------------------------------------------------------


def cosmetic_pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen whose width is in screen pixels, whatever the zoom."""
    pen = QPen(color, width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def path_item(path: QPainterPath, pen: QPen, brush: QBrush | None, z: float) -> QGraphicsPathItem:
    item = QGraphicsPathItem(path)
    item.setPen(pen)
    item.setBrush(brush if brush is not None else QBrush(Qt.BrushStyle.NoBrush))
    item.setZValue(z)
    # Paths are big and static between rebuilds: let Qt cache them per device.
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    return item
