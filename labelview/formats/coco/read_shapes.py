"""COCO shapes the reader builds in bulk or validates: polygon rings (converted in batches) and RLE.

Polygons: rings are gathered during the annotation pass and turned into arrays in one numpy batch
per chunk (per-object numpy calls dominate a big read). RLE: checked with numpy (runs sum to
height·width, no negative run) and kept as given — a compressed string as the same string, an
uncompressed list as the same list (the writer writes it back as it came).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from labelview import limits
from labelview.formats._reading import BAD_VALUE, at, describe
from labelview.formats.base import ReadContext
from labelview.model import CocoRle, Mask, ObjectLabel, Polygon, PolygonPart, RotatedBox
from labelview.ops import rle


def keep(obj: ObjectLabel, key: str, value: Any) -> None:
    """Keep a source field the model does not reproduce exactly, for the COCO writer."""
    if obj.extra is None:
        obj.extra = {key: value}
    else:
        obj.extra[key] = value


class PendingPolygons:
    """Polygon rings collected during the annotation pass, converted to arrays in one batch.

    One-ring polygons (nearly all) are kept apart from the rest: their batch is simpler. Objects
    whose every ring is unreadable are collected in `dropped` (by id()) for the reader to remove.
    """

    __slots__ = (
        "ctx",
        "dropped",
        "index",
        "objects",
        "ring_index",
        "ring_objects",
        "rings",
        "segs",
    )

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.dropped: set[int] = set()
        self.ring_objects: list[ObjectLabel] = []
        self.rings: list[list] = []
        self.ring_index: list[int] = []
        self.objects: list[ObjectLabel] = []
        self.segs: list[list] = []
        self.index: list[int] = []

    def add(self, obj: ObjectLabel, seg: list, index: int) -> None:
        if len(seg) == 1:
            self.ring_objects.append(obj)
            self.rings.append(seg[0])
            self.ring_index.append(index)
        else:
            self.objects.append(obj)
            self.segs.append(seg)
            self.index.append(index)

    def flush(self) -> None:
        """Give the pending objects their polygons and empty the pending lists."""
        if self.rings:
            self.batch(self.ring_objects, self.rings, self.ring_index, single=True)
            self.ring_objects.clear()
            self.rings.clear()
            self.ring_index.clear()
        if self.segs:
            rings = list(chain.from_iterable(self.segs))
            self.batch(self.objects, rings, self.index, single=False, segs=self.segs)
            self.objects.clear()
            self.segs.clear()
            self.index.clear()

    def batch(
        self,
        objects: list[ObjectLabel],
        rings: list[list],
        indices: list[int],
        *,
        single: bool,
        segs: list[list] | None = None,
    ) -> None:
        """Polygons for `objects` from `rings` (one each when `single`, else as `segs` groups)."""
        segs_of = (lambda position: [rings[position]]) if single else segs.__getitem__
        try:
            lengths = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
            values = np.fromiter(
                chain.from_iterable(rings), dtype=np.float64, count=int(lengths.sum())
            )
            if (lengths % 2).any():
                raise ValueError("a ring with an odd count of numbers")
        except BAD_VALUE:
            # Something is not a number, or odd: build each object on its own, with its warning.
            for position, (obj, index) in enumerate(zip(objects, indices, strict=True)):
                self.polygon_slowly(obj, segs_of(position), index)
            return
        ends = np.cumsum(lengths)
        starts = ends - lengths
        bad = lengths < 6
        if not np.isfinite(values).all():  # null becomes NaN in fromiter
            finite = np.concatenate(([0], np.cumsum(~np.isfinite(values))))
            bad |= finite[ends] != finite[starts]
        # COCO rings are open; drop a repeated closing point (as make_part does).
        closed = ~bad & (lengths > 6)
        closed[closed] = (values[starts[closed]] == values[ends[closed] - 2]) & (
            values[starts[closed] + 1] == values[ends[closed] - 1]
        )
        ends -= 2 * closed
        if closed.any():
            self.keep_closed(objects, rings, closed, single=single, segs=segs)
        points = values.reshape(-1, 2)
        starts_l = (starts // 2).tolist()
        ends_l = (ends // 2).tolist()
        part, polygon = PolygonPart, Polygon
        bad_l = bad.tolist() if bad.any() else None
        if single and bad_l is None:  # the common case: no per-object checks
            for obj, start, end in zip(objects, starts_l, ends_l, strict=True):
                obj.geometry = polygon((part(points[start:end]),))
            return
        if single:
            for position, (obj, start, end) in enumerate(
                zip(objects, starts_l, ends_l, strict=True)
            ):
                if bad_l[position]:
                    self.polygon_slowly(obj, [rings[position]], indices[position])
                else:
                    obj.geometry = polygon((part(points[start:end]),))
            return
        position = 0
        for obj, seg, index in zip(objects, segs, indices, strict=True):
            following = position + len(seg)
            if bad_l is not None and any(bad_l[position:following]):
                self.polygon_slowly(obj, seg, index)
            else:
                obj.geometry = polygon(
                    tuple(part(points[starts_l[i] : ends_l[i]]) for i in range(position, following))
                )
            position = following

    def polygon_slowly(self, obj: ObjectLabel, seg: list, index: int) -> None:
        parts = []
        closed = False
        for number, ring in enumerate(seg):
            try:
                array = np.asarray(ring, dtype=np.float64)
                if array.ndim != 1:
                    raise ValueError("ring is not a flat list of numbers")
                if array.size % 2:
                    raise ValueError(f"polygon ring has an odd count of numbers ({array.size})")
                if not np.isfinite(array).all():
                    raise ValueError("polygon has null, NaN or infinite coordinates")
                if array.size < 6:
                    raise ValueError(f"polygon has {array.size // 2} points")
                points = array.reshape(-1, 2)
                if len(points) > 3 and np.array_equal(points[0], points[-1]):
                    points = points[:-1]
                    closed = True
                parts.append(PolygonPart(points))
            except BAD_VALUE as error:
                where = at("annotations", index)
                if len(seg) > 1:
                    where = at("annotations", index, "segmentation", number)
                self.ctx.warn(where, describe(error), obj=obj.id)
        if parts:
            obj.geometry = Polygon(tuple(parts))
            if closed or len(parts) < len(seg):
                keep(obj, "segmentation", seg)
        else:
            self.dropped.add(id(obj))

    @staticmethod
    def keep_closed(
        objects: list[ObjectLabel],
        rings: list[list],
        closed: np.ndarray,
        *,
        single: bool,
        segs: list[list] | None,
    ) -> None:
        """Objects with a ring closed by a repeated first point keep their source segmentation
        (the model's rings are open), so the writer gives it back as it came.
        """
        if single:
            for position in np.flatnonzero(closed).tolist():
                keep(objects[position], "segmentation", [rings[position]])
            return
        owner = np.repeat(np.arange(len(objects)), [len(seg) for seg in segs or ()])
        for position in np.unique(owner[closed]).tolist():
            keep(objects[position], "segmentation", segs[position])


class CheckedRle(CocoRle):
    """A COCO RLE already validated by the reader: pycocotools directly, no re-check.

    `counts` is the source's value as given (a string, or a list for uncompressed RLE);
    `compressed` the string pycocotools works with.
    """

    __slots__ = ("compressed",)

    def __init__(self, counts: str | list[int], compressed: str) -> None:
        super().__init__(counts)
        self.compressed = compressed

    def to_coco_rle(self, height: int, width: int) -> dict:
        return {"size": [height, width], "counts": self.compressed}

    def decode(self, height: int, width: int) -> np.ndarray:
        return coco_mask.decode(self._c_rle(height, width)).astype(bool)

    def area(self, height: int, width: int, mask: Mask) -> int:
        return int(coco_mask.area(self._c_rle(height, width)))

    def bbox(self, height: int, width: int, mask: Mask) -> tuple[float, float, float, float]:
        x, y, w, h = coco_mask.toBbox(self._c_rle(height, width)).tolist()
        return x, y, w, h

    def _c_rle(self, height: int, width: int) -> dict:
        return {"size": [height, width], "counts": self.compressed.encode("ascii")}


def checked_mask(seg: dict) -> Mask:
    """A Mask from a COCO RLE, validated (runs sum to height·width, none negative)."""
    encoded = compress(seg)
    height, width = encoded["size"]
    # A claimed size, checked before anything is decoded at it (100000×100000 crashed).
    limits.check_pixels(width, height, "RLE")
    counts = seg["counts"]
    return Mask(height, width, CheckedRle(counts, encoded["counts"]), encoded)


def compress(seg: dict) -> dict:
    """Validate a COCO RLE and return it compressed (rle.compress, with numpy checks: faster)."""
    counts = seg.get("counts")
    size = seg.get("size")
    if not (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in size)
    ):
        raise rle.RleError(f"RLE size must be [height, width], got {size!r}")
    height, width = size
    if isinstance(counts, str):
        runs = _string_runs(counts)
    elif isinstance(counts, list):
        runs = np.asarray(counts) if counts else np.zeros(0, dtype=np.int64)
        if runs.ndim != 1 or runs.dtype.kind not in "iu":
            raise rle.RleError("RLE counts must be a string or a list of integers")
    else:
        raise rle.RleError("RLE counts must be a string or a list of integers")
    if (runs < 0).any():
        raise rle.RleError("RLE has a negative run")
    total = int(runs.sum())
    if total != height * width:
        raise rle.RleError(f"RLE runs sum to {total}, expected height·width = {height * width}")
    if isinstance(counts, list):
        encoded = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
        counts = encoded["counts"].decode("ascii")
    return {"size": [height, width], "counts": counts}


def _string_runs(text: str) -> np.ndarray:
    """Run lengths of a COCO compressed counts string (rle.string_to_counts, vectorised)."""
    try:
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48
    except UnicodeEncodeError:
        raise rle.RleError("invalid RLE character (not ASCII)") from None
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    if ((codes < 0) | (codes >= 64)).any():
        position = int(np.flatnonzero((codes < 0) | (codes >= 64))[0])
        raise rle.RleError(f"invalid RLE character {text[position]!r} at {position}")
    last = (codes & 0x20) == 0
    if not last[-1]:
        raise rle.RleError("truncated RLE string (continuation bit set on the last character)")
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    if (ends - starts).max() > 11:
        return np.asarray(rle.string_to_counts(text), dtype=np.int64)  # beyond int64: rare
    group = np.repeat(np.arange(len(ends)), ends - starts + 1)
    shift = 5 * (np.arange(len(codes)) - starts[group])
    values = np.add.reduceat((codes & 0x1F) << shift, starts)
    negative = (codes[ends] & 0x10) != 0
    values[negative] -= np.left_shift(1, 5 * (ends[negative] - starts[negative] + 1))
    # From the 4th run on, each run is stored relative to the run two before it.
    if len(values) > 3:
        values[3::2] = np.cumsum(values[1::2])[1:]
        values[4::2] = np.cumsum(values[2::2])[1:]
    return values


def rotated_from_ring(ring: list, rotation: float) -> RotatedBox | None:
    """Our own writer's rotated box: 4 corners whose top edge has the stated angle."""
    try:
        box = RotatedBox.from_corners(ring)
    except BAD_VALUE:
        return None
    if abs((box.angle - rotation + 180.0) % 360.0 - 180.0) > 1e-3:
        return None
    return RotatedBox(box.cx, box.cy, box.w, box.h, rotation)
