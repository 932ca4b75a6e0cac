"""CVAT's track interpolation, re-implemented from the behaviour of its server
(`TrackManager.get_interpolated_shapes`), so a track read from a keyframes-only file shows on the
frames CVAT shows it on.

A track is a list of shapes at frame *positions* (0, 1, 2 … in the task's own frame sequence; a
frame filter `step=3` makes frames 10, 13, 16 positions 0, 1, 2). Between two neighbouring
keyframes whose first is not `outside`, the frames in between are filled in:

- boxes, ellipses, cuboids, skeleton frames: every coordinate linearly, and a box's rotation
  along the shorter arc;
- points: linearly when both keyframes hold exactly one point, else the first keyframe is held;
- polygons and polylines: CVAT's curve matching (each vertex paired with the vertex at the
  nearest relative arc length of the other curve, unpaired vertices of the second curve joined to
  their nearest, the blend thinned by CVAT's distance threshold), polygons closed while matching;
- masks (which CVAT never interpolates): the first keyframe is held.

An `outside` keyframe ends a segment: nothing is drawn until the next keyframe. After the last
keyframe a shape that is not outside is held to the end of the task.

One difference from CVAT, on purpose: a shape the file gives keeps the attributes it lists.
CVAT copies onto a keyframe the attributes the keyframe before had and it lacks; CVAT's own
exports list every attribute on every shape, so this only shows on hand-made files, and it keeps
an answer that ends before its object (an Encord dynamic attribute) from spreading on read-back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import numpy as np

# Shape kinds whose coordinates CVAT blends linearly between keyframes.
_LINEAR = frozenset({"box", "ellipse", "cuboid", "skeleton"})


@dataclass(slots=True)
class TrackShape:
    """One shape of a track as read from the XML (or produced by interpolation)."""

    position: int  # index of its frame in the task's frame sequence
    kind: str  # CVAT element name: box, polygon, polyline, points, ellipse, cuboid, mask, skeleton
    points: np.ndarray  # flat coordinates in CVAT's order (box: xtl ytl xbr ybr)
    outside: bool = False
    keyframe: bool = True
    occluded: bool | None = None  # None: the element has no occluded flag
    rotation: float = 0.0
    z_order: int = 0
    attributes: dict[str, str] = field(default_factory=dict)
    payload: Any = None  # what cannot be interpolated (a mask's RLE, a skeleton's nodes)
    source: str | None = None  # the element's own (a track's shapes may differ from the track)
    given: bool = True  # read from the file (False: made by interpolation or propagation)
    where: str = ""


def angle_step(right: float, left: float) -> float:
    """The signed rotation from `left` to `right` along the shorter arc, as CVAT computes it.

    CVAT's rule maps a difference of exactly -180 (i.e. half a turn) to 1 degree; kept, so the
    frames between two keyframes half a turn apart turn as CVAT shows them.
    """
    diff = ((right - left + 180) % 360) - 180
    if abs(diff) >= 180:
        diff = 360 + abs(diff) if diff > 0 else 1
    return diff


def _copy(shape: TrackShape, position: int, points: np.ndarray | None = None, **changes: Any):
    return replace(
        shape,
        position=position,
        points=shape.points if points is None else points,
        keyframe=False,
        given=False,
        attributes=dict(shape.attributes),
        **changes,
    )


def _linear(left: TrackShape, right: TrackShape) -> list[TrackShape]:
    distance = right.position - left.position
    diff = right.points - left.points if len(right.points) == len(left.points) else None
    turn = angle_step(right.rotation, left.rotation)
    shapes = []
    for position in range(left.position + 1, right.position):
        offset = (position - left.position) / distance
        points = left.points + diff * offset if diff is not None else left.points
        rotation = (left.rotation + turn * offset + 360) % 360
        shapes.append(_copy(left, position, points, rotation=rotation))
    return shapes


def _held(left: TrackShape, right: TrackShape) -> list[TrackShape]:
    return [_copy(left, position) for position in range(left.position + 1, right.position)]


def _curve(left: TrackShape, right: TrackShape) -> list[TrackShape]:
    closed = left.kind == "polygon"
    a = left.points.reshape(-1, 2)
    b = right.points.reshape(-1, 2)
    if closed:  # matched as closed curves: the first vertex again at the end
        a = np.vstack((a, a[:1]))
        b = np.vstack((b, b[:1]))
    distance = right.position - left.position
    shapes = []
    for position in range(left.position + 1, right.position):
        offset = (position - left.position) / distance
        blended = blend_curves(a, b, offset)
        if closed:
            blended = blended[:-1]
        shapes.append(_copy(left, position, blended.reshape(-1)))
    return shapes


def _arc_offsets(points: np.ndarray) -> np.ndarray:
    """Each vertex's arc length from the start, as a fraction of the curve's length."""
    steps = np.hypot(*np.diff(points, axis=0).T) if len(points) > 1 else np.zeros(0)
    total = float(steps.sum())
    along = np.concatenate(([0.0], np.cumsum(steps)))
    return along / total if total > 0 else np.zeros(len(points))


def _nearest(value: float, curve: np.ndarray) -> int:
    """The first index of `curve` closest to `value` (ties go to the earlier index)."""
    return int(np.argmin(np.abs(curve - value)))


def _length(points: np.ndarray) -> float:
    return float(np.hypot(*np.diff(points, axis=0).T).sum()) if len(points) > 1 else 0.0


def blend_curves(a: np.ndarray, b: np.ndarray, offset: float) -> np.ndarray:
    """The curve `offset` of the way from curve `a` to curve `b` (N×2 and M×2), CVAT's way."""
    a_along, b_along = _arc_offsets(a), _arc_offsets(b)
    # Every vertex of a goes to the vertex of b at the nearest relative arc length; vertices of b
    # nobody chose join the vertex of a nearest to them.
    pairs: list[list[int]] = [[_nearest(value, b_along)] for value in a_along]
    chosen = {j for pair in pairs for j in pair}
    for j in range(len(b)):
        if j not in chosen:
            pairs[_nearest(float(b_along[j]), a_along)].append(j)
    pairs = [sorted(pair) for pair in pairs]
    blended: list[np.ndarray] = []
    first_of: list[int] = []  # index in `blended` of each vertex of a's first blended point
    for i, pair in enumerate(pairs):
        first_of.append(len(blended))
        for j in pair:
            blended.append(a[i] + (b[j] - a[i]) * offset)
    out: list[np.ndarray] = []

    def thin(base_length: float, count: int, start: int, stop: int) -> None:
        # Keep the points at least base_length / (2·count) from the last kept one; a run that
        # collapses to its two ends closer than that becomes their midpoint.
        threshold = base_length / (2 * count)
        kept = [blended[start]]
        last = start
        for k in range(start + 1, stop):
            if np.hypot(*(blended[last] - blended[k])) >= threshold:
                kept.append(blended[k])
                last = k
        kept.append(blended[stop])
        if len(kept) == 2 and np.hypot(*(blended[start] - blended[stop])) < threshold:
            kept = [(kept[0] + kept[1]) / 2]
        out.extend(kept)

    def run_of_a(start: int, stop: int) -> None:
        first, last = first_of[start], first_of[stop]
        if first == last:
            out.append(blended[first])
            return
        thin(_length(a[start : stop + 1]), stop - start + 1, first, last)

    def fan_of_b(i: int) -> None:
        start, stop = pairs[i][0], pairs[i][-1]
        first = first_of[i]
        thin(_length(b[start : stop + 1]), stop - start + 1, first, first + len(pairs[i]) - 1)

    opened: int | None = None
    for i, pair in enumerate(pairs):
        if len(pair) == 1:
            if opened is None:
                opened = i
            elif pair[0] != pairs[opened][0]:
                run_of_a(opened, i - 1)
                opened = i
        else:
            if opened is not None:
                run_of_a(opened, i - 1)
                opened = None
            fan_of_b(i)
    if opened is not None:
        run_of_a(opened, len(pairs) - 1)
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def between(left: TrackShape, right: TrackShape) -> list[TrackShape]:
    """The shapes CVAT draws on the frames strictly between keyframes `left` and `right`."""
    if right.position - left.position < 2:
        return []
    if left.kind != right.kind:
        return _held(left, right)
    if left.kind in _LINEAR:
        return _linear(left, right)
    if left.kind == "points":
        if len(left.points) == 2 and len(right.points) == 2:
            return _linear(left, right)
        return _held(left, right)
    if left.kind in ("polygon", "polyline") and len(left.points) and len(right.points):
        return _curve(left, right)
    return _held(left, right)


def made_count(shapes: list[TrackShape], end: int | None, include_outside: bool = False) -> int:
    """How many shapes `expand` would make (not given) — checked against a limit first."""
    ordered = sorted(shapes, key=lambda shape: shape.position)
    anchors = [s for s in ordered if s.keyframe or s.outside] or ordered
    count = 0
    for left, right in pairwise(anchors):
        if not left.outside or include_outside:
            count += max(0, right.position - left.position - 1)
    if anchors and end is not None and (not anchors[-1].outside or include_outside):
        count += max(0, end - anchors[-1].position - 1)
    return count


def expand(
    shapes: list[TrackShape], end: int | None, *, include_outside: bool = False
) -> list[TrackShape]:
    """Every shape of a track on positions [first shape, end), CVAT's way (see the module
    docstring). `end` None: nothing after the last shape. Outside shapes are left out unless
    `include_outside` (a skeleton's nodes need them).

    Shapes the file gives without `keyframe` are CVAT's own interpolation results: they are kept
    as given on their frame, and only keyframes (and outside shapes) anchor the interpolation.
    """
    ordered = sorted(shapes, key=lambda shape: shape.position)
    anchors = [s for s in ordered if s.keyframe or s.outside] or ordered
    given = {s.position: s for s in ordered}
    result: dict[int, TrackShape] = {}
    previous: TrackShape | None = None
    for shape in anchors:
        if previous is not None:
            if not shape.given:
                for name, value in previous.attributes.items():
                    shape.attributes.setdefault(name, value)
            if not previous.outside or include_outside:
                for made in between(previous, shape):
                    result[made.position] = made
        result[shape.position] = shape
        previous = shape
    if previous is not None and end is not None and (not previous.outside or include_outside):
        for position in range(previous.position + 1, end):
            result[position] = _copy(previous, position)
    # A shape the file gives on a frame replaces what interpolation made there.
    result.update(given)
    first = ordered[0].position if ordered else 0
    kept = [
        result[p]
        for p in sorted(result)
        if p >= first and (end is None or p < end) and (include_outside or not result[p].outside)
    ]
    return kept


def rotation_of(text: str | None) -> float:
    """A rotation attribute in degrees, normalised to [0, 360)."""
    if not text:
        return 0.0
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"rotation is not finite ({text!r})")
    return value % 360.0
