"""Dataloop shapes: boxes (rotated when they carry an angle), polygon rings with holes and extra
parts, polylines, points, ellipses and `binary` masks held as PNG data URLs.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from labelview import limits
from labelview.formats._reading import (
    MAX_COORDINATE,
    Skip,
    at,
    coordinate,
    mapping,
    number,
    sequence,
    take,
)
from labelview.model import (
    Box,
    Ellipse,
    Item,
    LazyMask,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.geometry import Geometry, PolygonPart

MAX_SIDE = 1 << 17  # larger widths/heights are broken metadata, not images
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"

# The reader's warn(where, message, item=..., obj=...), located inside the current document.
Warn = Callable[..., None]


def xy(point: Any) -> tuple[float, float]:
    """One `{x, y}` point."""
    point = mapping(point, "point")
    return coordinate(take(point, "x"), "x"), coordinate(take(point, "y"), "y")


def points_array(points: Any) -> np.ndarray:
    """An (N, 2) float array from a list of {x, y} dicts (one numpy call: rings can be long)."""
    points = sequence(points, "points")
    try:
        array = np.array([(p["x"], p["y"]) for p in points], dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise Skip("points must be {x, y} objects with numbers") from None
    if not np.isfinite(array).all():
        raise Skip("points contain NaN or infinity")
    if (np.abs(array) > MAX_COORDINATE).any():
        raise Skip("points lie far outside any image")
    return array


def _polygon_ring(points: Any) -> np.ndarray:
    ring = points_array(points)
    if len(ring) > 3 and ring[0, 0] == ring[-1, 0] and ring[0, 1] == ring[-1, 1]:
        ring = ring[:-1]  # a closed ring repeats its first point; ours are open
    return ring


def _inside(points: np.ndarray, ring: np.ndarray) -> bool:
    """Every point strictly inside `ring` by the even-odd rule (vectorised ray casting)."""
    x, y = points[:, 0:1], points[:, 1:2]
    x0, y0 = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(all="ignore"):
        at_x = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    hits = crosses & (x < at_x)
    return bool((hits.sum(axis=1) % 2 == 1).all())


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def png_data_url(value: Any) -> tuple[str, int, int]:
    """The base64 payload and PNG size of a `binary` data URL; Skip when it is unusable.

    Cheap: only the first 24 and the last 12 bytes are decoded.
    """
    if isinstance(value, dict):
        value = value.get("data")
    if not isinstance(value, str):
        raise Skip(f"binary coordinates are {type(value).__name__}, not a data URL")
    header, comma, payload = value.partition(",")
    if not comma or not header[:5].lower() == "data:":
        raise Skip("binary coordinates are not a data URL")
    media = [part.strip().lower() for part in header[5:].split(";")]
    if "base64" not in media[1:]:
        raise Skip(f"data URL is not base64 ({header[:40]!r})")
    if any(c in payload for c in " \r\n\t"):
        payload = re.sub(r"\s+", "", payload)
    if len(payload) < 48:
        raise Skip(f"data URL payload is only {len(payload)} characters")
    if len(payload) % 4:
        raise Skip(
            f"base64 payload is truncated ({len(payload):,} characters, not a multiple of 4)"
        )
    try:
        start = base64.b64decode(payload[:32], validate=True)
        tail = base64.b64decode(payload[-16:], validate=True)
    except binascii.Error as error:
        raise Skip(f"invalid base64 in data URL: {error}") from None
    if not start.startswith(_PNG_SIGNATURE) or start[12:16] != b"IHDR":
        kind = media[0] or "no media type"
        raise Skip(f"data URL holds {kind}, not a PNG")
    if not tail.endswith(_PNG_END):
        raise Skip("PNG in data URL is truncated (no IEND chunk at its end)")
    width, height = struct.unpack(">II", start[16:24])
    limits.check_pixels(width, height, "PNG mask")  # its claim, before anything is decoded
    return payload, width, height


def mask_loader(payload: str, width: int, height: int, describe: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from labelview.images import open_image

        try:
            raw = base64.b64decode(payload, validate=False)
            with open_image(raw, "PNG mask") as image:
                image.load()
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                    pixels = np.asarray(image.convert("RGBA"))[..., 3] > 127
                else:
                    pixels = np.asarray(image.convert("L")) > 0
        except (
            binascii.Error,
            OSError,
            ValueError,
            SyntaxError,
        ) as e:
            raise ValueError(f"{describe}: cannot decode the PNG mask: {e}") from e
        if pixels.shape != (height, width):  # crop or pad (top-left anchored) to the item size
            fitted = np.zeros((height, width), dtype=bool)
            h, w = min(height, pixels.shape[0]), min(width, pixels.shape[1])
            fitted[:h, :w] = pixels[:h, :w]
            pixels = fitted
        return pixels

    return load


def read_geometry(
    item: Item, kind: str, coords: Any, ann_id: str | None, loc: str, warn: Warn
) -> Geometry:
    """The shape of one annotation state; Skip (or another BAD_VALUE) when it is unusable."""
    if kind == "box":
        if not isinstance(coords, list) or len(coords) < 2:
            raise Skip(f"box needs two corners, got {coords!r:.60}")
        (x0, y0), (x1, y1) = xy(coords[0]), xy(coords[1])
        angle = coords[2] if len(coords) > 2 else None
        if isinstance(angle, int | float) and not isinstance(angle, bool) and angle:
            return RotatedBox(
                (x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0), abs(y1 - y0), number(angle, "angle")
            )
        return Box.from_corners(x0, y0, x1, y1)
    if kind == "segment":
        if not isinstance(coords, list) or not coords:
            raise Skip("polygon has no rings")
        rings = [coords] if isinstance(coords[0], dict) else coords
        outer = _polygon_ring(rings[0])
        if len(outer) < 3:
            raise Skip(f"polygon has {len(outer)} points")
        holes, parts = [], []
        for index, ring in enumerate(rings[1:], start=1):
            points = _polygon_ring(ring)
            if len(points) < 3:
                warn(
                    at(loc, "coordinates", index),
                    f"ring of {len(points)} points dropped",
                    item=item.id,
                    obj=ann_id,
                )
            elif _inside(points, outer):
                holes.append(points)
            else:
                parts.append(PolygonPart(points))
        return Polygon((PolygonPart(outer, tuple(holes)), *parts))
    if kind == "polyline":
        if not isinstance(coords, list) or not coords:
            raise Skip("polyline has no points")
        lines = [coords] if isinstance(coords[0], dict) else coords
        if len(lines) > 1:
            warn(
                at(loc, "coordinates"),
                f"polyline with {len(lines)} lines: only the first is kept",
                item=item.id,
                obj=ann_id,
            )
        return Polyline.from_points(points_array(lines[0]))
    if kind == "point":
        if isinstance(coords, list) and coords:
            coords = coords[0]
        return Point(*xy(coords))
    if kind == "ellipse":
        if not isinstance(coords, dict):
            raise Skip("ellipse coordinates are not an object")
        cx, cy = xy(coords["center"])
        return Ellipse(
            cx,
            cy,
            abs(number(take(coords, "rx"), "rx")),
            abs(number(take(coords, "ry"), "ry")),
            number(coords.get("angle") or 0, "angle"),
        )
    if kind == "binary":
        payload, width, height = png_data_url(coords)
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise Skip(f"mask PNG claims a size of {width}×{height}")
        if not item.width or not item.height:
            item.width, item.height = width, height
        elif (width, height) != (item.width, item.height):
            warn(
                at(loc, "coordinates"),
                f"mask PNG is {width}×{height}, item is {item.width}×{item.height}: "
                "cropped/padded to the item",
                item=item.id,
                obj=ann_id,
            )
        describe = f"binary annotation {ann_id or loc}"
        loader = mask_loader(payload, item.width, item.height, describe)
        return Mask(item.height, item.width, LazyMask(loader, describe))
    raise Skip(f"unknown shape type {kind!r}")
