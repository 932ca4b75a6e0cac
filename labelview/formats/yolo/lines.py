"""The label lines of each YOLO task, from shapes in pixels (coordinates normalised to [0, 1],
6 decimals). How shapes a task does not hold exactly are converted is declared in write.holds();
only data-dependent losses (clipping, empty boxes or masks, keypoint padding) are counted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from labelview.formats.base import WriteReport
from labelview.model import Box, Keypoints, Mask, ObjectLabel, Polygon, RotatedBox
from labelview.model.geometry import Ellipse

_CLIP_TOLERANCE = 1e-9  # float noise at the border is not worth a "clipped" report
ELLIPSE_POINTS = 64


def num(value: float) -> str:
    """A normalised coordinate as YOLO text: 6 decimals, trailing zeros dropped."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clip01(array: np.ndarray) -> np.ndarray:
    return np.clip(array, 0.0, 1.0)


def shape_line(
    obj: ObjectLabel, cls: int, size: tuple[int, int], task: str, kpt_k: int, report: WriteReport
) -> str | None:
    """The `segment`, `obb` or `pose` line of one object; None for shapes the task drops."""
    geometry = obj.geometry
    scale = np.array(size, dtype=np.float64)
    if task == "pose":
        if not isinstance(geometry, Keypoints):
            return None
        return _pose_line(geometry, cls, scale, kpt_k, report)
    outline = _segment_ring if task == "segment" else _obb_corners
    points = outline(geometry, report)
    if points is None:
        return None
    return " ".join([str(cls), *_clipped_fields(points, scale, report)])


def _segment_ring(geometry: Any, report: WriteReport) -> np.ndarray | None:
    if isinstance(geometry, Mask):
        polygon = _mask_polygon(geometry)
        if polygon is None:
            report.drop("empty masks (nothing to trace)")
            return None
        geometry = polygon
    elif isinstance(geometry, Box | RotatedBox):
        return geometry.corners()
    elif isinstance(geometry, Ellipse):
        return geometry.to_points(ELLIPSE_POINTS)
    if isinstance(geometry, Polygon):
        return _polygon_ring(geometry)
    return None


def _obb_corners(geometry: Any, report: WriteReport) -> np.ndarray | None:
    if isinstance(geometry, Box | RotatedBox):
        return geometry.corners()
    if isinstance(geometry, Mask):
        polygon = _mask_polygon(geometry)
        if polygon is None:
            report.drop("empty masks (nothing to enclose)")
            return None
        points = np.concatenate([part.outer for part in polygon.parts])
    elif isinstance(geometry, Ellipse):
        points = geometry.to_points(256)
    elif isinstance(geometry, Polygon):
        points = np.concatenate([part.outer for part in geometry.parts])
    else:
        return None
    return _clockwise_from_top_left(_min_area_rect(points))


def _clipped_fields(points: np.ndarray, scale: np.ndarray, report: WriteReport) -> list[str]:
    """Normalised, clipped coordinates of an (N, 2) array as text (reports a real clip)."""
    normalised = points / scale
    clipped = np.clip(normalised, 0.0, 1.0)
    if (np.abs(clipped - normalised) > _CLIP_TOLERANCE).any():
        report.drop("coordinates clipped to the image")
    return [num(v) for v in clipped.ravel().tolist()]


def detect_lines(
    objects: Iterable[ObjectLabel], ids: dict[str, int], size: tuple[int, int], report: WriteReport
) -> list[str]:
    """`cls cx cy w h` lines for one image, vectorised: the detect task runs once per object of
    datasets with millions of them, so bounds, normalising and clipping go through numpy at once.
    """
    classes: list[int] = []
    bounds: list[tuple[float, float, float, float]] = []
    rings: list[np.ndarray] = []  # one-part polygons: their bounds come from one reduceat
    ring_rows: list[int] = []
    rows: list[ObjectLabel] = []
    for obj in objects:
        geometry = obj.geometry
        kind = obj.kind
        if geometry is None or kind == "point":
            continue  # not held: the registry reports them from `holds`
        classes.append(ids[obj.category])
        rows.append(obj)
        if kind == "polygon" and len(geometry.parts) == 1:
            ring_rows.append(len(bounds))
            rings.append(geometry.parts[0].outer)
            bounds.append((0.0, 0.0, 0.0, 0.0))
        else:
            bounds.append(geometry.bounds())
    if not bounds:
        return []
    box = np.array(bounds, dtype=np.float64)
    if rings:
        points = np.concatenate(rings)
        starts = np.cumsum([0] + [len(ring) for ring in rings[:-1]])
        ring_at = np.array(ring_rows)  # not `rows`: that names the objects, used below
        box[ring_at, 0:2] = np.minimum.reduceat(points, starts, axis=0)
        box[ring_at, 2:4] = np.maximum.reduceat(points, starts, axis=0)
    width, height = size
    raw = box / np.array([width, height, width, height], dtype=np.float64)
    clipped = np.clip(raw, 0.0, 1.0)
    moved = (np.abs(clipped - raw) > _CLIP_TOLERANCE).any(axis=1)
    if moved.any():
        report.drop("coordinates clipped to the image", int(moved.sum()))
    w = clipped[:, 2] - clipped[:, 0]
    h = clipped[:, 3] - clipped[:, 1]
    keep = (w > 0) & (h > 0)
    if not keep.all():
        for obj, kept_row in zip(rows, keep.tolist(), strict=True):
            if not kept_row:
                report.skip(obj, "empty boxes (outside the image or zero size)")
    centre_x = (clipped[:, 0] + clipped[:, 2]) / 2
    centre_y = (clipped[:, 1] + clipped[:, 3]) / 2
    values = np.round(np.column_stack((centre_x, centre_y, w, h))[keep], 6).tolist()
    kept = np.array(classes)[keep].tolist()
    return [
        f"{cls} {num(a)} {num(b)} {num(c)} {num(d)}"
        for cls, (a, b, c, d) in zip(kept, values, strict=True)
    ]


def _pose_line(
    geometry: Keypoints, cls: int, scale: np.ndarray, kpt_k: int, report: WriteReport
) -> str | None:
    labelled = geometry.labelled
    if not labelled.any():
        report.drop("keypoint objects without a labelled point")
        return None
    shown = geometry.points[labelled]
    x0, y0 = shown.min(axis=0) / scale
    x1, y1 = shown.max(axis=0) / scale
    x0, y0, x1, y1 = (float(v) for v in _clip01(np.array([x0, y0, x1, y1])))
    values = [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
    fields = [str(cls), *(num(v) for v in values)]
    count = len(geometry.points)
    if count < kpt_k:
        report.drop("keypoint objects padded with missing points (all classes share kpt_shape)")
    for i in range(kpt_k):
        if i < count and labelled[i]:
            x, y = _clip01(geometry.points[i] / scale)
            fields += [num(x), num(y), str(int(geometry.visibility[i]))]
        else:
            fields += ["0", "0", "0"]
    return " ".join(fields)


def _bridge(rings: list[np.ndarray]) -> np.ndarray:
    """Join rings into one with zero-width bridges between nearest points (like Ultralytics'
    merge_multi_segment): ring 0 in full, forward to the last ring, back through the middle ones.
    """
    rings = [np.asarray(r, dtype=np.float64) for r in rings]
    if len(rings) == 1:
        return rings[0]
    enter = [0] * len(rings)
    leave = [0] * len(rings)
    for i in range(1, len(rings)):
        d = ((rings[i - 1][:, None, :] - rings[i][None, :, :]) ** 2).sum(-1)
        a, b = np.unravel_index(int(d.argmin()), d.shape)
        leave[i - 1], enter[i] = int(a), int(b)
    last = len(rings) - 1
    first = np.roll(rings[0], -leave[0], axis=0)
    out = [first, first[:1]]
    rolled = [np.roll(r, -enter[i], axis=0) for i, r in enumerate(rings)]
    for i in range(1, last):
        out.append(rolled[i][: (leave[i] - enter[i]) % len(rings[i]) + 1])
    out += [rolled[last], rolled[last][:1]]
    for i in range(last - 1, 0, -1):
        out += [rolled[i][(leave[i] - enter[i]) % len(rings[i]) :], rolled[i][:1]]
    return np.concatenate(out)


def _polygon_ring(geometry: Polygon) -> np.ndarray:
    """One ring for a polygon: parts and holes joined by zero-width bridges."""
    rings = []
    for part in geometry.parts:
        rings.append(part.outer)
        rings.extend(part.holes)
    return _bridge(rings)


def _mask_polygon(mask: Mask) -> Polygon | None:
    from labelview.ops.raster import mask_to_polygons

    parts = mask_to_polygons(mask.decode())
    parts = [p for p in parts if len(p.outer) >= 3]
    return Polygon(tuple(parts)) if parts else None


def _min_area_rect(points: np.ndarray) -> np.ndarray:
    """Corners of the minimum-area rectangle around `points` (rotating calipers over the hull)."""
    hull = _convex_hull(points)
    if len(hull) < 3:
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        return Box.from_corners(x0, y0, x1, y1).corners()
    best = None
    for i in range(len(hull)):
        edge = hull[(i + 1) % len(hull)] - hull[i]
        length = np.hypot(*edge)
        if length == 0:
            continue
        u = edge / length
        v = np.array([-u[1], u[0]])
        pu, pv = hull @ u, hull @ v
        area = (pu.max() - pu.min()) * (pv.max() - pv.min())
        if best is None or area < best[0]:
            best = (area, u, v, pu.min(), pu.max(), pv.min(), pv.max())
    _, u, v, u0, u1, v0, v1 = best  # type: ignore[misc]
    return np.array([u0 * u + v0 * v, u1 * u + v0 * v, u1 * u + v1 * v, u0 * u + v1 * v])


def _convex_hull(points: np.ndarray) -> np.ndarray:
    pts = sorted({(float(x), float(y)) for x, y in points})
    if len(pts) < 3:
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    def cross(o: tuple, a: tuple, b: tuple) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def _clockwise_from_top_left(corners: np.ndarray) -> np.ndarray:
    """Order 4 corners clockwise on screen (y down), starting from the top-left-most one."""
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    ordered = corners[np.argsort(angles)]  # increasing angle = clockwise on screen
    start = int(np.argmin(ordered[:, 0] + ordered[:, 1]))
    return np.roll(ordered, -start, axis=0)
