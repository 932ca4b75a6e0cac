"""One Labelbox object's geometry, in pixels with a top-left origin (as Labelbox writes them).

`bounding_box` {top, left, height, width}; `polygon` and `line` lists of {x, y}; `point` {x, y};
masks are URLs: `mask.url` (one instance, any non-zero pixel) or `composite_mask` {url,
color_rgb} (every instance of the label in one PNG, this one's pixels of that colour). A mask is
read from a local copy the URL map names; the URL is never fetched.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from labelview.formats._reading import Skip, coordinate, integer, mapping, number, sequence, take
from labelview.images import ImageResolver
from labelview.limits import MAX_PIXELS
from labelview.model import Box, LazyMask, Mask, Point, Polygon, Polyline
from labelview.model.geometry import Geometry

# The geometry key of each object, and the shape kind it gives.
SHAPE_KEYS = {
    "bounding_box": "box",
    "polygon": "polygon",
    "line": "polyline",
    "point": "point",
    "mask": "mask",
    "composite_mask": "mask",
}


class MaskNotLocal(Exception):
    """A mask whose PNG is only a URL (no local copy named by the URL map)."""

    def __init__(self, url: str | None) -> None:
        super().__init__(url)
        self.url = url


def _points(value: Any, what: str) -> list[tuple[float, float]]:
    return [
        (coordinate(take(p, "x"), "x"), coordinate(take(p, "y"), "y"))
        for p in (mapping(point, "point") for point in sequence(value, what))
    ]


def geometry(obj: dict, images: ImageResolver, size: tuple[int, int] | None) -> Geometry | None:
    """The shape of one object; None when it has no geometry key (entities, text spans)."""
    if "bounding_box" in obj:
        box = mapping(obj["bounding_box"], "bounding_box")
        w = number(take(box, "width"), "width")
        h = number(take(box, "height"), "height")
        if w < 0 or h < 0:
            raise Skip(f"bounding box has a negative size ({w:g}×{h:g})")
        return Box(coordinate(take(box, "left"), "left"), coordinate(take(box, "top"), "top"), w, h)
    if "polygon" in obj:
        points = _points(obj["polygon"], "polygon")
        if len(points) < 3:
            raise Skip(f"polygon has {len(points)} points")
        return Polygon.from_points(points)
    if "line" in obj:
        points = _points(obj["line"], "line")
        if len(points) < 2:
            raise Skip(f"line has {len(points)} points")
        return Polyline.from_points(points)
    if "point" in obj:
        point = mapping(obj["point"], "point")
        return Point(coordinate(take(point, "x"), "x"), coordinate(take(point, "y"), "y"))
    if "composite_mask" in obj or "mask" in obj:
        return _mask(obj, images, size)
    return None


def _mask(obj: dict, images: ImageResolver, size: tuple[int, int] | None) -> Mask:
    composite = "composite_mask" in obj
    spec = mapping(obj["composite_mask" if composite else "mask"], "mask")
    url = spec.get("url") if isinstance(spec.get("url"), str) else None
    color = None
    if composite:
        raw = sequence(take(spec, "color_rgb"), "color_rgb")
        if len(raw) != 3:
            raise Skip(f"color_rgb has {len(raw)} values, expected 3")
        color = tuple(integer(c, "color_rgb", low=0, high=255) for c in raw)
    found = images.url_map.find(url)
    if found is None:
        raise MaskNotLocal(url)
    width, height = _png_size(found)
    if size is not None and size != (width, height):
        raise Skip(f"mask {found.name} is {width}×{height}, the image {size[0]}×{size[1]}")
    if width * height > MAX_PIXELS:
        raise Skip(f"mask {found.name} of {width}×{height} is over the pixel limit")
    loader = partial(_load, found, color)
    return Mask(height, width, LazyMask(loader, describe=found.name))


def _png_size(path: Path) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError) as error:
        raise Skip(f"mask {path.name} cannot be read: {error}") from None


def _load(path: Path, color: tuple[int, ...] | None) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        if color is None:
            pixels = np.asarray(image.convert("L"))
            return pixels > 0
        pixels = np.asarray(image.convert("RGB"))
    return np.all(pixels == np.array(color, dtype=np.uint8), axis=-1)
