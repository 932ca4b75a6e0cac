"""One COCO annotation that the fast path of `read.py` does not take: crowd, RLE, keypoints,
rotated boxes, Encord's shape encodings, unusual segmentations, extra keys.

An annotation is ONE object. With keypoints it is a Keypoints object even when it also has an
outline: the outline (`segmentation`) and the person's `bbox`/`area` are kept in `extra` and the
COCO writer gives them back, so a keypoints file reads with one object per annotation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from labelview.formats._reading import Skip, at
from labelview.formats.coco.attributes import read_attributes
from labelview.formats.coco.read_shapes import (
    PendingPolygons,
    checked_mask,
    keep,
    rotated_from_ring,
)
from labelview.model import Box, Item, Keypoints, Mask, ObjectLabel, Point, Polyline, RotatedBox

if TYPE_CHECKING:
    from labelview.formats.base import ReadContext

ANNOTATION_KEYS = frozenset(
    {
        "id",
        "image_id",
        "category_id",
        "segmentation",
        "area",
        "bbox",
        "iscrowd",
        "keypoints",
        "num_keypoints",
        "attributes",
        "score",
        "track_id",
    }
)


class AnnotationReader:
    """The slow path of the annotation pass (mixed into the reader, which provides the lookups)."""

    ctx: ReadContext
    hints: dict[str, str]
    keypoint_names: dict[str, tuple[str, ...]]
    unnamed_skeletons: dict[str, int]
    results: bool

    def item_of(self, iid: Any) -> Item:
        raise NotImplementedError

    def category_of(self, cid: Any) -> str:
        raise NotImplementedError

    def annotation(self, ann: Any, index: int, pending: PendingPolygons) -> None:
        if not isinstance(ann, dict):
            raise Skip(f"not a JSON object: {str(ann)[:40]!r}")
        item = self.item_of(ann["image_id"])
        category = self.category_of(ann["category_id"])
        obj = ObjectLabel(category, None, str(ann["id"]) if "id" in ann else None)
        unknown = ann.keys() - ANNOTATION_KEYS
        if unknown:
            obj.extra = {key: ann[key] for key in unknown}
        if ann.get("iscrowd"):
            keep(obj, "iscrowd", ann["iscrowd"])
        score = ann.get("score")
        if score is not None:
            obj.confidence = float(score)
            obj.source = "model"
        track = ann.get("track_id")
        if track is not None:
            obj.track = str(track)
        attributes = ann.get("attributes")
        rotation = read_attributes(obj, attributes) if attributes else None
        self.shape(obj, ann, rotation, item, index, pending)
        item.objects.append(obj)

    def shape(
        self,
        obj: ObjectLabel,
        ann: dict,
        rotation: float | None,
        item: Item,
        index: int,
        pending: PendingPolygons,
    ) -> None:
        """Give `obj` its geometry (now, or through `pending`) and keep in `extra` what of the
        source's bbox, area and segmentation the geometry does not reproduce.
        """
        seg = ann.get("segmentation")
        bbox = ann.get("bbox")
        area = ann.get("area")
        keypoints = ann.get("keypoints")
        if keypoints and self.keypoints(obj, keypoints, bbox, seg):
            _keep_given(obj, bbox, area, seg or None)
            count = ann.get("num_keypoints")
            geometry = obj.geometry
            if isinstance(geometry, Point):
                keep(obj, "keypoints", keypoints)
                if count is not None:
                    keep(obj, "num_keypoints", count)
            elif count is not None and count != int(np.count_nonzero(geometry.visibility)):
                keep(obj, "num_keypoints", count)
            return
        if keypoints and any(keypoints):
            keep(obj, "keypoints", keypoints)  # coordinates given for unlabelled points
        hint = self.hints.get(obj.category)
        if hint and seg and bbox:
            geometry = self.hinted(hint, seg, bbox, rotation)
            if geometry is not None:
                obj.geometry = geometry
                _keep_given(obj, None if isinstance(geometry, Box) else bbox, area, seg)
                return
        if seg and isinstance(seg, list):
            first = seg[0]
            if isinstance(first, list):
                if rotation is not None and bbox:
                    if len(seg) == 1 and len(first) == 8:
                        obj.geometry = rotated_from_ring(first, rotation)
                    if obj.geometry is None:
                        obj.geometry = self.box(bbox, rotation)
                    _keep_given(obj, bbox, area, seg)
                elif all(seg):
                    pending.add(obj, seg, index)
                    _keep_given(obj, bbox, area, None)
                else:  # [[]] (Dataloop's boxes) or empty rings among real ones
                    rings = [ring for ring in seg if ring]
                    if rings:
                        pending.add(obj, rings, index)
                        _keep_given(obj, bbox, area, seg)
                    elif bbox:
                        obj.geometry = self.box(bbox, rotation)
                        _keep_given(obj, None, area, seg)
                    else:
                        raise Skip("empty segmentation and no bbox")
                return
            if isinstance(first, (int, float)):
                self.ctx.warn(
                    at("annotations", index, "segmentation"),
                    "a flat list of numbers, not a list of rings: read as one ring",
                    item=item.id,
                    obj=obj.id,
                )
                pending.add(obj, [seg], index)
                _keep_given(obj, bbox, area, seg)
                return
            raise Skip(f"segmentation is neither rings nor RLE: {str(seg)[:60]}")
        if seg and isinstance(seg, dict):
            obj.geometry = self.mask(seg, item, index)
            _keep_given(obj, bbox, area, None)  # the RLE itself is kept as given in the mask
            return
        if seg:
            raise Skip(f"segmentation is neither rings nor RLE: {str(seg)[:60]}")
        if bbox:
            obj.geometry = self.box(bbox, rotation)
            # A rotated box from its unrotated bbox: the bbox and any empty segmentation as given.
            _keep_given(obj, bbox if rotation else None, area, seg if rotation else None)
            return
        raise Skip("annotation has no segmentation, bbox or keypoints")

    def hinted(self, hint: str, seg: Any, bbox: Any, rotation: float | None) -> Any:
        """Encord's COCO export names the shape in `supercategory`: undo its polygon encodings."""
        if hint == "bounding_box":
            return self.box(bbox, rotation)
        if isinstance(seg, list) and len(seg) == 1 and isinstance(seg[0], list):
            points = np.asarray(seg[0], dtype=np.float64).reshape(-1, 2)
            half = len(points) // 2
            # A polyline is written as its path followed by the path reversed.
            if (
                half >= 2
                and len(points) == 2 * half
                and np.array_equal(points[half:], points[:half][::-1])
            ):
                return Polyline(points[:half].copy())
        return None

    def box(self, bbox: Any, rotation: float | None) -> Box | RotatedBox:
        if len(bbox) != 4:
            raise Skip(f"bbox has {len(bbox)} numbers, expected 4")
        x, y, w, h = (float(v) for v in bbox)
        if not (math.isfinite(x + y + w + h) and w >= 0 and h >= 0):
            raise Skip(f"invalid bbox {bbox}")
        if rotation:
            return RotatedBox.from_top_left(x, y, w, h, rotation)
        return Box(x, y, w, h)

    def mask(self, seg: dict, item: Item, index: int) -> Mask:
        if "counts" not in seg or seg.get("size") is None:
            raise Skip("RLE needs counts and size")
        mask = checked_mask(seg)
        height, width = mask.height, mask.width
        if item.width is None and item.height is None and self.results:
            item.width, item.height = width, height
        elif item.width and item.height and (height, width) != (item.height, item.width):
            self.ctx.warn(
                at("annotations", index, "segmentation"),
                f"RLE size [h, w] = {[height, width]} differs from the image's "
                f"{item.width}×{item.height}",
                item=item.id,
            )
        return mask

    def keypoints(self, obj: ObjectLabel, flat: Any, bbox: Any, seg: Any) -> bool:
        """Make `obj` a Keypoints (or Encord's one-point Point); False when no point is labelled."""
        array = np.asarray(flat, dtype=np.float64)
        if array.ndim != 1 or array.size % 3:
            raise Skip(f"keypoints has {array.size} numbers, not a multiple of 3")
        array = array.reshape(-1, 3)
        if not np.isfinite(array).all():
            raise Skip("keypoints contain null, NaN or infinity")
        visibility = array[:, 2]
        if not np.isin(visibility, (0, 1, 2)).all():
            raise Skip("keypoint visibility must be 0, 1 or 2")
        if not visibility.any():
            return False  # COCO writes all-zero keypoints on crowd/unlabelled persons
        points = array[:, :2].copy()
        category = obj.category
        names = self.keypoint_names.get(category, ())
        if category in self.unnamed_skeletons:
            needed = self.unnamed_skeletons[category]
            self.unnamed_skeletons[category] = max(needed, len(points))
            names = tuple(str(i + 1) for i in range(len(points)))
        point_seg = not seg or (
            isinstance(seg, list)
            and len(seg) == 1
            and isinstance(seg[0], list)
            and len(seg[0]) <= 2
        )
        if len(points) == 1 and not names and point_seg:
            # Encord's point export: one keypoint (segmentation [[x, y]]), no keypoint names.
            obj.geometry = Point(float(points[0, 0]), float(points[0, 1]))
            return True
        if names and len(names) != len(points):
            raise Skip(f"{len(points)} keypoints but the category names {len(names)}")
        obj.geometry = Keypoints(points, visibility.astype(np.uint8), names)
        return True


def _keep_given(obj: ObjectLabel, bbox: Any, area: Any, seg: Any) -> None:
    """Keep the source's bbox, area and segmentation that were given (None: not to keep); a
    plain box's area is kept only when it is not w·h.
    """
    geometry = obj.geometry
    if area is not None and not (
        isinstance(geometry, Box) and bbox is None and area == geometry.w * geometry.h
    ):
        keep(obj, "area", area)
    if bbox is not None:
        keep(obj, "bbox", bbox)
    if seg is not None:
        keep(obj, "segmentation", seg)
