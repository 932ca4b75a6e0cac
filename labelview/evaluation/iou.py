"""Overlap of two objects: IoU by pixels or by boxes, the one rule `evaluation`, `health` and the
Compare dock share.

Area shapes (boxes, rotated boxes, polygons with holes, ellipses, masks) are compared by their
rasterised pixels when the image size is known and a shape is more than an axis-aligned box, else
by their boxes; lines, points and keypoints by their boxes (at least 1 px wide, so identical
points still match).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pycocotools import mask as coco_mask

from labelview.model import Box, Mask, ObjectLabel
from labelview.ops import rle

AREA_KINDS = frozenset({"box", "rotated_box", "polygon", "ellipse", "mask"})


def iou_matrix(
    candidates: Sequence[ObjectLabel],
    references: Sequence[ObjectLabel],
    size: tuple[int, int] | None,
    crowd: Sequence[bool] | None = None,
) -> np.ndarray:
    """IoU of every candidate (rows) with every reference (columns).

    `crowd[j]`: reference j is a crowd region, so its "IoU" is the share of the candidate inside
    it (COCO's rule: a detection within a crowd is not a false positive).
    """
    flags = [int(bool(c)) for c in crowd] if crowd is not None else [0] * len(references)
    if not candidates or not references:
        return np.zeros((len(candidates), len(references)))
    everything = [*candidates, *references]
    use_pixels = size is not None and any(
        o.kind in AREA_KINDS and not isinstance(o.geometry, Box) for o in everything
    )
    if use_pixels:
        width, height = size  # type: ignore[misc]
        rles = [as_rle(o, height, width) for o in everything]
        ious = coco_mask.iou(rles[: len(candidates)], rles[len(candidates) :], flags)
    else:
        boxes = [as_box(o) for o in everything]
        ious = coco_mask.iou(boxes[: len(candidates)], boxes[len(candidates) :], flags)
    return np.asarray(ious, dtype=np.float64).reshape(len(candidates), len(references))


def as_box(obj: ObjectLabel) -> list[float]:
    if obj.geometry is None:
        return [0.0, 0.0, 0.0, 0.0]
    x0, y0, x1, y1 = obj.geometry.bounds()
    # Points and thin lines get a 1-pixel extent so identical ones still match.
    return [x0, y0, max(x1 - x0, 1.0), max(y1 - y0, 1.0)]


def _degenerate(geometry: object) -> bool:
    """A box without width or height (a point written as a box): compared as its 1-pixel box."""
    return isinstance(geometry, Box) and (geometry.w < 1 or geometry.h < 1)


def as_rle(obj: ObjectLabel, height: int, width: int) -> dict:
    geometry = obj.geometry
    if isinstance(geometry, Mask):
        encoded = geometry.to_coco_rle()
    elif obj.kind in AREA_KINDS and not _degenerate(geometry):
        from labelview.ops.raster import rasterise_rle

        encoded = rasterise_rle(geometry, height, width)
    else:
        x, y, w, h = as_box(obj)
        encoded = rle.rings_to_rle([Box(x, y, w, h).corners()], height, width)
    return {"size": encoded["size"], "counts": encoded["counts"].encode("ascii")}
