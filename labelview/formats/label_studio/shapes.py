"""One Label Studio region's `value` to a shape in pixels.

Label Studio stores image regions in percent of the image (`x` of `original_width`, `y` of
`original_height`, 0–100). A rectangle's (x, y) is its top-left corner *before* rotation and the
pivot of `rotation` (degrees, clockwise on screen): its editor rotates the shape about that corner,
and its converter's YOLO-OBB export computes the corners the same way. Ellipses are centred on
(x, y) with radii `radiusX`, `radiusY` and rotate about their centre. Keypoints are (x, y) with a
display size `width`. Polygons are `points` [[x, y], …]; `closed: false` is an open line. A
negative rectangle width or height spans from (x, y) the other way.
"""

from __future__ import annotations

import math
from typing import Any

from labelview.formats._reading import Skip, coordinate, mapping, number, sequence, take
from labelview.formats.label_studio.brush import BrushRle, as_bytes, header
from labelview.limits import MAX_PIXELS
from labelview.model import Box, Ellipse, Mask, Point, Polygon, Polyline, RotatedBox
from labelview.model.geometry import Geometry

# Result types that draw a region, and the shape kind each gives (Category.shape).
REGION_TYPES = {
    "rectanglelabels": "box",
    "rectangle": "box",
    "polygonlabels": "polygon",
    "polygon": "polygon",
    "keypointlabels": "point",
    "keypoint": "point",
    "ellipselabels": "ellipse",
    "ellipse": "ellipse",
    "brushlabels": "mask",
    "brush": "mask",
}
# The label list of a region (or of a `labels` result sharing its id) is under the type's own key.
LABEL_KEYS = (
    "rectanglelabels",
    "polygonlabels",
    "keypointlabels",
    "ellipselabels",
    "brushlabels",
    "labels",
    "hypertextlabels",
    "paragraphlabels",
    "timeserieslabels",
)


def labels_of(value: Any) -> list[str]:
    """Every label a region's value names (under any of the *labels keys)."""
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for key in LABEL_KEYS:
        names = value.get(key)
        if isinstance(names, list):
            found += [str(name) for name in names if isinstance(name, str | int)]
    return found


def shape(kind: str, value: Any, width: int, height: int) -> Geometry:
    """The geometry of one region value; Skip (located in `value`) when it cannot be built."""
    value = mapping(value, "value")
    if kind == "mask":
        return _brush(value, width, height)
    sx, sy = width / 100.0, height / 100.0
    if kind == "box":
        x = coordinate(take(value, "x"), "x") * sx
        y = coordinate(take(value, "y"), "y") * sy
        w = number(take(value, "width"), "width") * sx
        h = number(take(value, "height"), "height") * sy
        angle = number(value.get("rotation") or 0, "rotation")
        # A negative size (seen in imported predictions) spans from (x, y) the other way, as
        # the editor draws it.
        if angle % 360 == 0:
            return Box.from_corners(x, y, x + w, y + h)
        return _rotated(x, y, w, h, angle)
    if kind == "ellipse":
        cx = coordinate(take(value, "x"), "x") * sx
        cy = coordinate(take(value, "y"), "y") * sy
        rx = number(take(value, "radiusX"), "radiusX") * sx
        ry = number(take(value, "radiusY"), "radiusY") * sy
        if rx < 0 or ry < 0:
            raise Skip("ellipse has a negative radius")
        return Ellipse(cx, cy, rx, ry, number(value.get("rotation") or 0, "rotation"))
    if kind == "point":
        return Point(coordinate(take(value, "x"), "x") * sx, coordinate(take(value, "y"), "y") * sy)
    if kind == "polygon":
        points = [
            (coordinate(p[0], "x") * sx, coordinate(p[1], "y") * sy)
            for p in (
                sequence(point, "point") for point in sequence(take(value, "points"), "points")
            )
        ]
        if value.get("closed") is False:
            if len(points) < 2:
                raise Skip(f"open polygon has {len(points)} points")
            return Polyline.from_points(points)
        if len(points) < 3:
            raise Skip(f"polygon has {len(points)} points")
        return Polygon.from_points(points)
    raise Skip(f"no shape for {kind!r}")


def _rotated(x: float, y: float, w: float, h: float, angle: float) -> RotatedBox:
    """A box whose unrotated top-left corner (x, y) is the pivot of a clockwise `angle`."""
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    # The centre is the pivot plus the rotated half-diagonal.
    cx = x + (w / 2) * cos - (h / 2) * sin
    cy = y + (w / 2) * sin + (h / 2) * cos
    # With a negative side the corners still span the same rectangle about that centre.
    return RotatedBox(cx, cy, abs(w), abs(h), angle)


def _brush(value: dict, width: int, height: int) -> Mask:
    form = value.get("format", "rle")
    if form != "rle":
        raise Skip(f"brush format {form!r} is not read (only 'rle')")
    if width * height > MAX_PIXELS:
        raise Skip(f"brush mask of {width}×{height} is over the pixel limit ({MAX_PIXELS:,})")
    data = as_bytes(take(value, "rle"))
    count, word_size = header(data)
    if count != width * height * 4:
        raise Skip(
            f"brush RLE holds {count:,} values; an RGBA image of {width}×{height} has "
            f"{width * height * 4:,}"
        )
    if word_size > 8:
        raise Skip(f"brush RLE word size {word_size} (Label Studio writes 8-bit RGBA)")
    return Mask(height, width, BrushRle(data))
