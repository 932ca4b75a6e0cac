"""Encord geometry in pixels: polygons, skeletons and bitmasks (boxes and points are inline in
the reader's hot loop).

Coordinates are fractions of the frame: x and w × width, y and h × height.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelview import limits
from labelview.formats._reading import at, integer, size, text
from labelview.formats.base import ReadContext
from labelview.formats.encord.values import ordered, visibility, xy
from labelview.model import (
    Dataset,
    Keypoints,
    LazyMask,
    Mask,
    Polygon,
    PolygonPart,
    RowMajorRle,
    Skeleton,
)
from labelview.model.geometry import make_part
from labelview.ops import rle

_OFFSET_LIMIT = 1 << 20


class Shapes:
    """Builds the shapes that need more than a line: state shared across one export's objects."""

    def __init__(self, dataset: Dataset, ctx: ReadContext) -> None:
        self.dataset = dataset
        self.ctx = ctx
        # Skeleton layout per category: (by featureHash, by key) indices into Category.skeleton.
        self.layouts: dict[str, tuple[dict[str, int], dict[str, int]] | None] = {}
        self._last_scale: tuple[tuple[float, float], np.ndarray] = ((0, 0), np.ones(512))

    def _scale(self, width: float, height: float) -> np.ndarray:
        """(w, h, w, h, …) as a flat array: slices of it scale flat rings without broadcasting."""
        if self._last_scale[0] != (width, height):
            tiled = np.tile(np.array((width, height), dtype=np.float64), 256)
            self._last_scale = ((width, height), tiled)
        return self._last_scale[1]

    @staticmethod
    def _ring(ring: list, scale: np.ndarray) -> np.ndarray:
        array = np.array(ring, dtype=np.float64)
        if array.ndim == 1 and len(array) <= len(scale):
            array *= scale[: len(array)]
            array.shape = (-1, 2)  # ValueError for an odd count
            return array
        array = array.reshape(-1, 2)
        array *= scale[:2]
        return array

    def polygon(self, obj: dict, width: float, height: float) -> Polygon:
        """`polygons` (parts of [outer, *holes] flat rings) wins over the legacy `polygon` dict."""
        polygons = obj.get("polygons")
        if polygons:
            scale = self._scale(width, height)
            if len(polygons) == 1 and len(polygons[0]) == 1:  # the common case: one ring
                outer = self._ring(polygons[0][0], scale)
                if len(outer) >= 3:
                    return Polygon((PolygonPart(outer),))
            parts = []
            for rings in polygons:
                arrays = [self._ring(ring, scale) for ring in rings]
                if len(arrays) == 1 and len(arrays[0]) >= 3:
                    parts.append(PolygonPart(arrays[0]))  # unclosed, finite (JSON has no NaN)
                elif arrays:
                    parts.append(make_part(arrays[0], arrays[1:]))
            if parts:
                return Polygon(tuple(parts))
        return Polygon.from_points(xy(ordered(obj.get("polygon")), width, height))

    def keypoints(
        self, skeleton: Any, category: str, width: float, height: float
    ) -> tuple[Keypoints, dict | None]:
        """Points in template order (by featureHash, then key) when the ontology has one;
        invisible points hold (0, 0), their coordinates kept in `extra["hidden_points"]`.
        """
        keys = sorted(skeleton, key=int) if isinstance(skeleton, dict) else None
        points = [skeleton[k] for k in keys] if keys is not None else list(skeleton)
        keys = keys or [str(i) for i in range(len(points))]
        layout = self.layouts.get(category)
        category_skeleton = self.dataset.categories[category].skeleton
        if layout is not None and category_skeleton is not None:
            count = len(category_skeleton.names)
            names = category_skeleton.names
            by_hash, by_key = layout
        else:
            count = len(points)
            names = tuple(str(p.get("name") or k) for p, k in zip(points, keys, strict=True))
            by_hash, by_key = {}, {k: i for i, k in enumerate(keys)}
        positions = np.zeros((count, 2))
        seen = np.zeros(count, dtype=np.uint8)
        hidden = {}
        for key, point in zip(keys, points, strict=True):
            slot = by_hash.get(point.get("featureHash") or "", by_key.get(key))
            if slot is None or slot >= count:
                continue
            value = visibility(point)
            x, y = point["x"] * width, point["y"] * height
            seen[slot] = value
            if value:
                positions[slot] = (x, y)
            else:
                hidden[names[slot]] = [x, y]
        if layout is None and category_skeleton is None:
            # Without a template the first instance names the points; no edges are known.
            self.dataset.categories[category].skeleton = Skeleton(names=names)
        extra = {"hidden_points": hidden} if hidden else None
        return Keypoints(positions, seen, names), extra

    def mask(
        self, bitmask: dict, width: float, height: float, path: tuple, object_hash: str | None
    ) -> Mask:
        """Row-major RLE at the mask's size; a mask offset or not frame-sized is pasted at
        (left, top) lazily. Runs are checked once here: a corrupt string is skipped, runs past
        width × height are clamped.
        """
        string = text(bitmask.get("rleString") or "", "rleString")
        mw = size(bitmask.get("width"), "bitmask width") or int(width)
        mh = size(bitmask.get("height"), "bitmask height") or int(height)
        top = integer(
            bitmask.get("top") or 0, "bitmask top", low=-_OFFSET_LIMIT, high=_OFFSET_LIMIT
        )
        left = integer(
            bitmask.get("left") or 0, "bitmask left", low=-_OFFSET_LIMIT, high=_OFFSET_LIMIT
        )
        # Claimed sizes, checked before anything is decoded at them (100000×100000 crashed).
        limits.check_pixels(mw, mh, "bitmask")
        limits.check_pixels(int(width), int(height), "bitmask frame")
        if string:
            total, smallest = run_stats(string)  # ValueError for a corrupt string
            if smallest < 0:
                raise ValueError("bitmask rleString has a negative run")
            if total > mw * mh:
                self.ctx.warn(
                    at(*path, "bitmask"),
                    f"bitmask runs sum to {total:,}, more than {mw}×{mh}; clamped",
                    obj=object_hash,
                )
                string = rle.counts_to_string(_clamp(rle.string_to_counts(string), mw * mh))
        fw, fh = int(width), int(height)
        if (top, left, mw, mh) == (0, 0, fw, fh) or width == 1:
            return Mask(mh, mw, RowMajorRle(string))
        self.ctx.warn(
            at(*path, "bitmask"),
            f"bitmask is {mw}×{mh} at ({left}, {top}) on a {fw}×{fh} frame; pasted there",
            obj=object_hash,
        )
        return Mask(fh, fw, LazyMask(_paster(string, mh, mw, top, left, fh, fw), "bitmask"))


def run_stats(string: str) -> tuple[int, int]:
    """(sum, smallest) of the runs of a COCO-codec RLE string, vectorised (validates the string).

    Same decoding as rle.string_to_counts — 6-bit groups, low bits first, bit 5 = continue, bit 4
    of a value's last group = sign, runs from the 4th on stored as deltas to the run two before —
    but in numpy: masks are checked once at read time and a Python loop costs ~0.1 ms per mask.
    """
    codes = np.frombuffer(string.encode("latin-1"), dtype=np.uint8).astype(np.int64) - 48
    if codes.min() < 0 or codes.max() > 63:
        raise rle.RleError("invalid character in RLE string")
    more = (codes & 32) != 0
    if more[-1]:
        raise rle.RleError("truncated RLE string (continuation bit set on the last character)")
    ends = np.flatnonzero(~more)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if lengths.max() > 10:
        raise rle.RleError("RLE value too large")
    group = np.repeat(np.arange(len(ends)), lengths)
    shift = 5 * (np.arange(len(codes)) - starts[group])
    values = np.bincount(group, weights=(codes & 31) << shift).astype(np.int64)
    negative = (codes[ends] & 16) != 0
    values[negative] -= np.int64(1) << (5 * lengths[negative])
    values[1::2] = np.cumsum(values[1::2])
    values[2::2] = np.cumsum(values[2::2])
    return int(values.sum()), int(values.min())


def _clamp(runs: list[int], pixels: int) -> list[int]:
    out, total = [], 0
    for run in runs:
        kept = min(run, pixels - total)
        out.append(kept)
        total += kept
        if total >= pixels:
            break
    return out


def _paster(string: str, mh: int, mw: int, top: int, left: int, fh: int, fw: int):
    def load() -> np.ndarray:
        patch = rle.decode_row_major(string, mh, mw)
        canvas = np.zeros((fh, fw), dtype=bool)
        y0, x0 = max(top, 0), max(left, 0)
        y1, x1 = min(top + mh, fh), min(left + mw, fw)
        if y1 > y0 and x1 > x0:
            canvas[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]
        return canvas

    return load
