"""Geometry kinds held by the model.

The one coordinate convention of labelview (every reader converts to it at its boundary, nothing
downstream guesses): float image pixels, origin at the top-left *corner* of the top-left pixel, x to
the right, y down — the COCO convention, in which the box [0, 0, 1, 1] covers exactly the first
pixel.

Angles: `RotatedBox.angle` and `Ellipse.angle` are degrees, positive = clockwise on screen (y down),
about the shape's centre. A point p of the unrotated shape maps to c + R(θ)(p − c) with R = [[cos θ,
−sin θ], [sin θ, cos θ]] applied in pixel space. This is CVAT's `rotation`, Ango's and (inferred)
Encord's `theta`.

Point lists are float64 numpy arrays of shape (N, 2). Geometry objects are slotted dataclasses: a
million of them must fit in memory; validate once, in the reader. They are not declared frozen — a
frozen dataclass's __init__ costs 4× more (442 vs 116 ns for a Box), which is most of a big read —
but nothing mutates them: treat them as values and build new ones (dataclasses.replace).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from labelview import limits

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

Bounds = tuple[float, float, float, float]  # x0, y0, x1, y1


def as_points(points: Any) -> np.ndarray:
    """Coerce a point list ([[x, y], …], flat [x, y, …] or an array) to a float (N, 2) array."""
    array = np.asarray(points, dtype=np.float64)
    if array.ndim == 1:
        if array.size % 2:
            raise ValueError(f"odd number of coordinates ({array.size})")
        array = array.reshape(-1, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"expected N×2 points, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("points contain NaN or infinity")
    return array


def _bounds_of(points: np.ndarray) -> Bounds:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def rotate_points(points: np.ndarray, cx: float, cy: float, angle_deg: float) -> np.ndarray:
    """Rotate points about (cx, cy) by `angle_deg`, clockwise on screen (y down)."""
    theta = math.radians(angle_deg)
    cos, sin = math.cos(theta), math.sin(theta)
    dx = points[:, 0] - cx
    dy = points[:, 1] - cy
    return np.column_stack((cx + cos * dx - sin * dy, cy + sin * dx + cos * dy))


@dataclass(slots=True)
class Box:
    """Axis-aligned box: top-left corner (x, y) and size (w, h), in pixels."""

    x: float
    y: float
    w: float
    h: float
    kind: ClassVar[str] = "box"

    @classmethod
    def from_corners(cls, x0: float, y0: float, x1: float, y1: float) -> Box:
        """Box from two opposite corners in any order (negative sizes are normalised)."""
        return cls(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))

    def bounds(self) -> Bounds:
        return self.x, self.y, self.x + self.w, self.y + self.h

    def corners(self) -> np.ndarray:
        """The four corners clockwise on screen from the top-left."""
        x0, y0, x1, y1 = self.bounds()
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)

    @property
    def area(self) -> float:
        return self.w * self.h


@dataclass(slots=True)
class RotatedBox:
    """Box of size (w, h) centred on (cx, cy), rotated by `angle` degrees clockwise on screen."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float
    kind: ClassVar[str] = "rotated_box"

    @classmethod
    def from_top_left(cls, x: float, y: float, w: float, h: float, angle: float) -> RotatedBox:
        """From the *unrotated* box's top-left corner and size (Encord's and Ango's layout)."""
        return cls(x + w / 2, y + h / 2, w, h, angle)

    @classmethod
    def from_corners(cls, corners: Any) -> RotatedBox:
        """Fit from four corners given in drawing order (first edge = the box's 'top' edge)."""
        pts = as_points(corners)
        if len(pts) != 4:
            raise ValueError(f"a rotated box needs 4 corners, got {len(pts)}")
        cx, cy = pts.mean(axis=0)
        top = pts[1] - pts[0]
        side = pts[2] - pts[1]
        angle = math.degrees(math.atan2(top[1], top[0]))
        return cls(float(cx), float(cy), float(np.hypot(*top)), float(np.hypot(*side)), angle)

    def corners(self) -> np.ndarray:
        """Corners of the rotated box, starting at the unrotated top-left, clockwise on screen."""
        hw, hh = self.w / 2, self.h / 2
        offsets = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]], dtype=np.float64)
        local = offsets + np.array([self.cx, self.cy])
        return rotate_points(local, self.cx, self.cy, self.angle)

    def bounds(self) -> Bounds:
        return _bounds_of(self.corners())

    @property
    def area(self) -> float:
        return self.w * self.h


@dataclass(slots=True, eq=False)
class PolygonPart:
    """One connected part of a polygon: an outer ring and the holes cut out of it (rings are not
    closed).
    """

    outer: np.ndarray
    holes: tuple[np.ndarray, ...] = ()

    def rings(self) -> tuple[np.ndarray, ...]:
        return (self.outer, *self.holes)


@dataclass(slots=True, eq=False)
class Polygon:
    """A polygon of one or more parts (a union), each part possibly with holes."""

    parts: tuple[PolygonPart, ...]
    kind: ClassVar[str] = "polygon"

    @classmethod
    def from_points(cls, outer: Any, holes: Iterable[Any] = ()) -> Polygon:
        """A one-part polygon; raises ValueError for fewer than 3 points."""
        return cls((make_part(outer, holes),))

    @classmethod
    def from_rings(cls, rings: Iterable[Any]) -> Polygon:
        """One part per ring (COCO's 'several rings = union' meaning)."""
        parts = tuple(make_part(ring) for ring in rings)
        if not parts:
            raise ValueError("polygon has no rings")
        return cls(parts)

    def rings(self) -> list[np.ndarray]:
        """Every ring (outers and holes) — for even-odd drawing and rasterising."""
        return [ring for part in self.parts for ring in part.rings()]

    @property
    def has_holes(self) -> bool:
        return any(part.holes for part in self.parts)

    def bounds(self) -> Bounds:
        if len(self.parts) == 1:  # the common case: skip the concatenate copy
            return _bounds_of(self.parts[0].outer)
        return _bounds_of(np.concatenate([part.outer for part in self.parts]))


def make_part(outer: Any, holes: Iterable[Any] = ()) -> PolygonPart:
    """Build a PolygonPart, dropping a repeated closing point; ValueError for < 3 points."""
    return PolygonPart(_ring(outer), tuple(_ring(hole) for hole in holes))


def _ring(points: Any) -> np.ndarray:
    ring = as_points(points)
    if len(ring) > 3 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    if len(ring) < 3:
        raise ValueError(f"polygon has {len(ring)} points")
    return ring


@dataclass(slots=True, eq=False)
class Polyline:
    """An open line through two or more points."""

    points: np.ndarray
    kind: ClassVar[str] = "polyline"

    @classmethod
    def from_points(cls, points: Any) -> Polyline:
        line = as_points(points)
        if len(line) < 2:
            raise ValueError(f"polyline has {len(line)} points")
        return cls(line)

    def bounds(self) -> Bounds:
        return _bounds_of(self.points)


@dataclass(slots=True)
class Point:
    """A single point."""

    x: float
    y: float
    kind: ClassVar[str] = "point"

    def bounds(self) -> Bounds:
        return self.x, self.y, self.x, self.y


@dataclass(slots=True)
class Ellipse:
    """Ellipse centred on (cx, cy) with radii rx (along its own x axis) and ry, rotated like
    RotatedBox.
    """

    cx: float
    cy: float
    rx: float
    ry: float
    angle: float = 0.0
    kind: ClassVar[str] = "ellipse"

    def to_points(self, segments: int = 64) -> np.ndarray:
        t = np.linspace(0, 2 * np.pi, segments, endpoint=False)
        local = np.column_stack((self.cx + self.rx * np.cos(t), self.cy + self.ry * np.sin(t)))
        return rotate_points(local, self.cx, self.cy, self.angle)

    def to_polygon(self, segments: int = 64) -> Polygon:
        return Polygon((PolygonPart(self.to_points(segments)),))

    def bounds(self) -> Bounds:
        """Exact extent of the rotated ellipse (not of a sampled outline)."""
        theta = math.radians(self.angle)
        cos, sin = math.cos(theta), math.sin(theta)
        half_w = math.hypot(self.rx * cos, self.ry * sin)
        half_h = math.hypot(self.rx * sin, self.ry * cos)
        return self.cx - half_w, self.cy - half_h, self.cx + half_w, self.cy + half_h


# Keypoint visibility, as in COCO: 0 = not labelled (absent), 1 = labelled but occluded, 2 =
# visible.
ABSENT, OCCLUDED, VISIBLE = 0, 1, 2


@dataclass(slots=True, eq=False)
class Keypoints:
    """Named points with COCO visibility (0 absent, 1 occluded, 2 visible); absent points hold (0,
    0).

    `names[i]` names `points[i]`; the category's Skeleton gives the edges between them.
    """

    points: np.ndarray
    visibility: np.ndarray
    names: tuple[str, ...] = ()
    kind: ClassVar[str] = "keypoints"

    @classmethod
    def from_lists(cls, points: Any, visibility: Any, names: Iterable[str] = ()) -> Keypoints:
        pts = as_points(points) if len(points) else np.zeros((0, 2))
        vis = np.asarray(visibility, dtype=np.uint8)
        if vis.shape != (len(pts),):
            raise ValueError(f"{len(pts)} keypoints but {vis.size} visibility flags")
        if (vis > VISIBLE).any():
            raise ValueError("keypoint visibility must be 0, 1 or 2")
        names = tuple(names)
        if names and len(names) != len(pts):
            raise ValueError(f"{len(pts)} keypoints but {len(names)} names")
        return cls(pts, vis, names)

    @property
    def labelled(self) -> np.ndarray:
        return self.visibility > ABSENT

    def bounds(self) -> Bounds:
        shown = self.points[self.labelled]
        if not len(shown):
            return 0.0, 0.0, 0.0, 0.0
        return _bounds_of(shown)


@dataclass(slots=True, eq=False)
class Mask:
    """A binary mask kept encoded; decodes on demand.

    `height`/`width` are the image size; `source` decodes to a bool array of that shape (a reader
    whose masks are patches pastes them in its loader). Area and bbox come from the encoding where
    it allows (RLE), without decoding.
    """

    height: int
    width: int
    source: MaskSource
    _coco: dict | None = field(default=None, repr=False)
    kind: ClassVar[str] = "mask"

    def __post_init__(self) -> None:
        # The last guard before a decode allocates height × width (readers check the claimed
        # size with a located message first): limits.Refused is a ValueError readers catch.
        limits.check_pixels(self.width, self.height, "mask")

    def decode(self) -> np.ndarray:
        """The mask as a bool array of the image size (height, width)."""
        return self.source.decode(self.height, self.width)

    def to_coco_rle(self) -> dict:
        """COCO compressed RLE (column-major, `counts` as str, `size` = [h, w]); cached."""
        if self._coco is None:
            self._coco = self.source.to_coco_rle(self.height, self.width)
        return self._coco

    @property
    def area(self) -> float:
        return float(self.source.area(self.height, self.width, self))

    def bbox(self) -> tuple[float, float, float, float]:
        """x, y, w, h of the set pixels (zeros when empty)."""
        return self.source.bbox(self.height, self.width, self)

    def bounds(self) -> Bounds:
        x, y, w, h = self.bbox()
        return x, y, x + w, y + h


class MaskSource:
    """How a Mask's pixels are stored. Subclasses override `decode`; the rest has fallbacks."""

    __slots__ = ()

    def decode(self, height: int, width: int) -> np.ndarray:
        raise NotImplementedError

    def to_coco_rle(self, height: int, width: int) -> dict:
        from labelview.ops import rle

        return rle.encode_coco(self.decode(height, width))

    def area(self, height: int, width: int, mask: Mask) -> int:
        from labelview.ops import rle

        return rle.area(mask.to_coco_rle())

    def bbox(self, height: int, width: int, mask: Mask) -> tuple[float, float, float, float]:
        from labelview.ops import rle

        return rle.bbox(mask.to_coco_rle())


class CocoRle(MaskSource):
    """COCO RLE, compressed (str) or uncompressed (list of ints), column-major."""

    __slots__ = ("counts",)

    def __init__(self, counts: str | list[int]) -> None:
        self.counts = counts

    def to_coco_rle(self, height: int, width: int) -> dict:
        from labelview.ops import rle

        return rle.compress({"size": [height, width], "counts": self.counts})

    def decode(self, height: int, width: int) -> np.ndarray:
        from labelview.ops import rle

        return rle.decode_coco(self.to_coco_rle(height, width))


class RowMajorRle(MaskSource):
    """Encord's `rleString`: COCO's string codec over row-major pixel order."""

    __slots__ = ("string",)

    def __init__(self, string: str) -> None:
        self.string = string

    def decode(self, height: int, width: int) -> np.ndarray:
        from labelview.ops import rle

        return rle.decode_row_major(self.string, height, width)

    def area(self, height: int, width: int, mask: Mask) -> int:
        from labelview.ops import rle

        return rle.row_major_area(self.string)

    def bbox(self, height: int, width: int, mask: Mask) -> tuple[float, float, float, float]:
        """x, y, w, h of the set pixels from the runs alone (no decode)."""
        from labelview.ops import rle

        runs = np.asarray(rle.string_to_counts(self.string) if self.string else [], np.int64)
        ends = np.cumsum(runs)
        first, last = (ends - runs)[1::2], ends[1::2] - 1  # foreground runs, inclusive
        keep = last >= first
        first, last = first[keep], last[keep]
        if not first.size or width <= 0:
            return 0.0, 0.0, 0.0, 0.0
        row0, col0 = np.divmod(first, width)
        row1, col1 = np.divmod(last, width)
        one_row = row0 == row1  # a run over a row break covers column 0 and the last column
        x0 = int(np.where(one_row, col0, 0).min())
        x1 = int(np.where(one_row, col1, width - 1).max())
        y0, y1 = int(row0.min()), int(row1.max())
        return float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)


class ArrayMask(MaskSource):
    """An already-decoded bool array (used by readers whose masks come as images)."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.asarray(array, dtype=bool)

    def decode(self, height: int, width: int) -> np.ndarray:
        return self.array


class LazyMask(MaskSource):
    """Pixels produced by a loader called on demand (a PNG file, a data URL, one colour of a
    bitmap).
    """

    __slots__ = ("describe", "loader")

    def __init__(self, loader: Callable[[], np.ndarray], describe: str = "") -> None:
        self.loader = loader
        self.describe = describe

    def decode(self, height: int, width: int) -> np.ndarray:
        array = np.asarray(self.loader(), dtype=bool)
        if array.shape != (height, width):
            raise ValueError(
                f"mask {self.describe or ''} is {array.shape[1]}×{array.shape[0]}, "
                f"expected {width}×{height}"
            )
        return array


Geometry = Box | RotatedBox | Polygon | Polyline | Point | Ellipse | Keypoints | Mask

SHAPE_KINDS: tuple[str, ...] = (
    "box",
    "rotated_box",
    "polygon",
    "polyline",
    "point",
    "ellipse",
    "keypoints",
    "mask",
)
