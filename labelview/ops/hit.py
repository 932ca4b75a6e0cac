"""Point-in-shape picking on the real shape (holes, rotation, line distance, mask pixels).

Pure numpy, no Qt: the canvas asks `pick` which object lies under the cursor. Coordinates follow
labelview.model.geometry (float pixels, y down). `tolerance` is in image pixels: how close to a
line or a point counts as on it (the canvas converts a few screen pixels to image pixels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from labelview.model.geometry import (
    Box,
    Ellipse,
    Geometry,
    Keypoints,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)

MaskPixels = Callable[[Mask], np.ndarray | None]


def in_ring(x: float, y: float, ring: np.ndarray) -> bool:
    """Crossing-number test of (x, y) against one closed ring (N×2, not repeated at the end)."""
    xs = ring[:, 0]
    ys = ring[:, 1]
    xn = np.roll(xs, -1)
    yn = np.roll(ys, -1)
    straddles = (ys > y) != (yn > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross_x = xs + (y - ys) * (xn - xs) / (yn - ys)
    return bool(np.count_nonzero(straddles & (x < cross_x)) % 2)


def in_polygon(x: float, y: float, polygon: Polygon) -> bool:
    """Inside any part's outer ring and outside that part's holes."""
    for part in polygon.parts:
        if in_ring(x, y, part.outer) and not any(in_ring(x, y, hole) for hole in part.holes):
            return True
    return False


def segment_distance(x: float, y: float, points: np.ndarray, *, closed: bool = False) -> float:
    """Shortest distance from (x, y) to the polyline through `points` (closed: back to start)."""
    if len(points) == 0:
        return math.inf
    if len(points) == 1:
        return float(math.hypot(points[0, 0] - x, points[0, 1] - y))
    a = points
    b = np.roll(points, -1, axis=0) if closed else points[1:]
    a = a if closed else points[:-1]
    d = b - a
    length2 = (d * d).sum(axis=1)
    p = np.array([x, y])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(length2 > 0, ((p - a) * d).sum(axis=1) / length2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    nearest = a + d * t[:, None]
    return float(np.sqrt(((nearest - p) ** 2).sum(axis=1)).min())


def contains(
    geometry: Geometry | None,
    x: float,
    y: float,
    *,
    tolerance: float = 0.0,
    mask_pixels: MaskPixels | None = None,
) -> bool:
    """True when (x, y) lies on `geometry`: inside an area shape, or within `tolerance` of a line
    or a point.
    """
    if geometry is None:
        return False
    if isinstance(geometry, Box):
        return geometry.x <= x <= geometry.x + geometry.w and geometry.y <= y <= geometry.y + (
            geometry.h
        )
    if isinstance(geometry, RotatedBox):
        # Undo the rotation about the centre, then it is an axis-aligned test.
        theta = math.radians(geometry.angle)
        dx, dy = x - geometry.cx, y - geometry.cy
        lx = math.cos(theta) * dx + math.sin(theta) * dy
        ly = -math.sin(theta) * dx + math.cos(theta) * dy
        return abs(lx) <= geometry.w / 2 and abs(ly) <= geometry.h / 2
    if isinstance(geometry, Ellipse):
        if geometry.rx <= 0 or geometry.ry <= 0:
            return False
        theta = math.radians(geometry.angle)
        dx, dy = x - geometry.cx, y - geometry.cy
        lx = math.cos(theta) * dx + math.sin(theta) * dy
        ly = -math.sin(theta) * dx + math.cos(theta) * dy
        return (lx / geometry.rx) ** 2 + (ly / geometry.ry) ** 2 <= 1.0
    if isinstance(geometry, Polygon):
        return in_polygon(x, y, geometry)
    if isinstance(geometry, Polyline):
        return segment_distance(x, y, geometry.points) <= tolerance
    if isinstance(geometry, Point):
        return math.hypot(geometry.x - x, geometry.y - y) <= tolerance
    if isinstance(geometry, Keypoints):
        shown = geometry.points[geometry.labelled]
        if not len(shown):
            return False
        return bool((np.hypot(shown[:, 0] - x, shown[:, 1] - y) <= tolerance).any())
    if isinstance(geometry, Mask):
        pixels = mask_pixels(geometry) if mask_pixels is not None else None
        if pixels is None:
            x0, y0, x1, y1 = geometry.bounds()
            return x0 <= x <= x1 and y0 <= y <= y1
        col, row = math.floor(x), math.floor(y)
        return 0 <= row < pixels.shape[0] and 0 <= col < pixels.shape[1] and bool(pixels[row, col])
    return False


def bounds_array(geometries: Sequence[Geometry | None]) -> np.ndarray:
    """(N, 4) float array of x0, y0, x1, y1 per geometry (NaN for None), for fast culling."""
    out = np.full((len(geometries), 4), np.nan)
    for index, geometry in enumerate(geometries):
        if geometry is not None:
            try:
                out[index] = geometry.bounds()
            except (ValueError, TypeError):  # an undecodable mask: not pickable
                continue
    return out


def area_of(geometry: Geometry | None) -> float:
    """A size used to prefer the smaller of overlapping shapes (lines and points count as 0)."""
    if geometry is None:
        return math.inf
    if isinstance(geometry, Box | RotatedBox):
        return geometry.area
    if isinstance(geometry, Ellipse):
        return math.pi * geometry.rx * geometry.ry
    if isinstance(geometry, Polygon | Mask):
        x0, y0, x1, y1 = geometry.bounds()
        return (x1 - x0) * (y1 - y0)
    return 0.0


def pick(
    geometries: Sequence[Geometry | None],
    x: float,
    y: float,
    *,
    tolerance: float = 0.0,
    bounds: np.ndarray | None = None,
    mask_pixels: MaskPixels | None = None,
) -> int | None:
    """Index of the object under (x, y), or None; of several, the smallest (lines and points win).

    `bounds` (from bounds_array) lets a caller with many objects skip those far from the point.
    """
    if not len(geometries):
        return None
    if bounds is None:
        bounds = bounds_array(geometries)
    with np.errstate(invalid="ignore"):
        near = (
            (bounds[:, 0] - tolerance <= x)
            & (x <= bounds[:, 2] + tolerance)
            & (bounds[:, 1] - tolerance <= y)
            & (y <= bounds[:, 3] + tolerance)
        )
    best: int | None = None
    best_area = math.inf
    # Later objects are drawn on top: on equal size the later one wins.
    for index in np.flatnonzero(near)[::-1]:
        geometry = geometries[int(index)]
        if contains(geometry, x, y, tolerance=tolerance, mask_pixels=mask_pixels):
            size = area_of(geometry)
            if best is None or size < best_area:
                best, best_area = int(index), size
    return best
