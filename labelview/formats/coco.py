"""COCO JSON (instances, keypoints, results lists): reader and writer.

Reading
- `images[]` become Items (name = `file_name` as written); `categories[]` become Categories (the
  COCO id kept in `Category.id`; keypoint names and skeleton edges converted from COCO's 1-based to
  0-based — Dataloop's and Datumaro's 0-based skeletons are recognised, with a warning).
- An annotation becomes a Polygon (rings = a union of parts) for polygon segmentation, a Mask
  (CocoRle, kept compressed) for RLE, a RotatedBox when `attributes.rotation` is set (CVAT and
  Encord style), a Box when there is only a bbox. Keypoints become a Keypoints object; when the
  annotation also has a segmentation, BOTH objects are emitted with the same `id` (the person's
  outline and the skeleton) and the writer merges them back into one annotation. The keypoints
  object keeps the annotated `bbox` in `extra` (a person's box is not derivable from the joints).
- `attributes` become answers (Encord's nested `classifications` map is expanded); `track_id` /
  `encord_track_uuid` → track; `score` → confidence (source "model"); `iscrowd: 1` → extra.
- A bare list of `{image_id, category_id, score, ...}` (a COCO *results* file) is read as
  predictions: items are named by image id, categories by category id.

Writing (`annotations.json`)
- 1-based contiguous category ids in `dataset.categories` order; image and annotation ids from 1.
- Box → bbox (area w·h, segmentation []); Polygon without holes → polygon (area as rasterised by
  pycocotools); Polygon with holes → RLE with iscrowd 0 (holes are never lost); RotatedBox →
  4-corner polygon + enclosing bbox + `attributes.rotation`; Ellipse → 64-point polygon; Mask →
  compressed RLE (or traced polygons when asked and the mask has no holes); Keypoints → triplets +
  num_keypoints and the category's `keypoints`/`skeleton` (1-based). Polyline and Point have no
  COCO shape: written as their bounding box, and reported.
- Multi-frame items: one COCO image per frame; `file_name` = the frame's image, or
  `<item name>#<frame>`.
- Answers (flattened), track, source and a non-numeric object id go to `attributes`.
"""

from __future__ import annotations

import gc
import math
import re
from itertools import chain
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
from pycocotools import mask as coco_mask
from pydantic import Field

from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    WriteContext,
    WriteReport,
    WriterOptions,
    gc_paused,
    load_json,
    no,
    where,
)
from labelview.model import (
    Box,
    Category,
    CocoRle,
    Dataset,
    Ellipse,
    Frame,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    PolygonPart,
    Polyline,
    RotatedBox,
    Skeleton,
)
from labelview.model.classifications import flatten, from_flat
from labelview.ops import rle
from labelview.output import OutputDir, is_safe, sanitised

# --- detection ------------------------------------------------------------------------------------

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]]')
_SPACE = b" \t\r\n"


def _keys_by_depth(head: bytes) -> tuple[list[str], dict[str, set[str]], set[str]]:
    """Top-level keys, keys of the elements of each top-level array, keys of a list's elements.

    Works on a head cut anywhere (it only looks at complete tokens).
    """
    top: list[str] = []
    nested: dict[str, set[str]] = {}
    list_keys: set[str] = set()
    depth = 0
    current = ""
    root = ""
    for match in _TOKEN.finditer(head):
        token = match.group()
        first = token[:1]
        if first == b'"':
            end = match.end()
            while end < len(head) and head[end] in _SPACE:
                end += 1
            if end >= len(head) or head[end : end + 1] != b":":
                continue
            key = token[1:-1].decode("utf-8", "replace")
            if root == "{" and depth == 1:
                top.append(key)
                current = key
            elif root == "{" and depth == 3 and current:
                nested.setdefault(current, set()).add(key)
            elif root == "[" and depth == 2:
                list_keys.add(key)
        elif first in b"{[":
            if depth == 0:
                root = first.decode()
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                break
    return top, nested, list_keys


def detect(probe: Probe) -> Detection:
    """COCO by its top-level keys (images / annotations / categories), or a results list."""
    start = probe.json_start()
    if not start:
        return no("not JSON")
    head = probe.head.lstrip(b"\xef\xbb\xbf")
    top, nested, list_keys = _keys_by_depth(head)
    keys = set(top)
    if start == "{":
        if {"annotations", "images", "categories"} <= keys:
            return Detection(Confidence.CERTAIN, "top-level images, annotations and categories")
        if {"images", "categories"} <= keys:
            return Detection(Confidence.LIKELY, "top-level images and categories")
        cut = probe.size > len(probe.head)
        images = nested.get("images", set())
        annotations = nested.get("annotations", set())
        if cut and {"file_name", "id"} <= images and not keys - _TOP_KEYS:
            return Detection(Confidence.LIKELY, "COCO images[] (file cut before categories)")
        if cut and {"image_id", "category_id"} <= annotations and not keys - _TOP_KEYS:
            return Detection(Confidence.LIKELY, "COCO annotations[] (file cut before categories)")
    elif {"image_id", "category_id"} <= list_keys and list_keys & {
        "bbox",
        "segmentation",
        "keypoints",
    }:
        return Detection(Confidence.LIKELY, "a COCO results list (image_id, category_id, score)")
    if probe.suffix == ".json":
        return Detection(Confidence.WEAK, ".json without COCO's top-level keys")
    return no("no COCO keys")


_TOP_KEYS = frozenset({"info", "licenses", "images", "annotations", "categories", "type"})

# --- reading --------------------------------------------------------------------------------------

_CATEGORY_KEYS = frozenset({"id", "name", "supercategory", "keypoints", "skeleton", "color"})
_IMAGE_KEYS = frozenset({"id", "file_name", "width", "height", "attributes"})
_ANNOTATION_KEYS = frozenset(
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
# OverflowError: a huge integer (the stdlib fallback parser keeps them) as a float.
_BAD = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)
_STANDARD_KEYS = frozenset(
    {"id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd"}
)
# Keys of `attributes` that `_Reader.attributes` reads as something other than an answer.
_SPECIAL_ATTRIBUTES = frozenset(
    {
        "rotation",
        "encord_track_uuid",
        "track_id",
        "source",
        "manual_annotation",
        "object_id",
        "classifications",
    }
)
_CHUNK = 4096  # progress, cancel, polygon batches and freeing, every _CHUNK annotations
_PROGRESS_MASK = _CHUNK - 1
_NONES = [None] * _CHUNK


class _Pending:
    """Polygon rings collected during the annotation pass, converted to arrays in one batch.

    One-ring polygons (nearly all) are kept apart from the rest: their batch is simpler.
    """

    __slots__ = ("index", "objects", "ring_index", "ring_objects", "rings", "segs")

    def __init__(self) -> None:
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


class _Reader:
    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.dataset = Dataset()
        self.category_names: dict[Any, str] = {}
        self.keypoint_names: dict[str, tuple[str, ...]] = {}
        self.unnamed_skeletons: dict[str, int] = {}  # category -> points needed (names made later)
        self.items: dict[Any, Item] = {}
        self.dropped: set[int] = set()  # id() of objects lost in the polygon batch
        self.hints: dict[str, str] = {}  # category -> shape its supercategory names (Encord)
        self.results = False  # a results list: images are made up, without sizes

    # -- categories --------------------------------------------------------------------------------

    def categories(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            self.ctx.warn("categories", "not a list: ignored")
            return
        for index, cat in enumerate(raw):
            try:
                self.category(cat, where("categories", index))
            except _BAD as error:
                self.ctx.warn(where("categories", index), f"unreadable category: {error!r}")

    def category(self, cat: dict, at: str) -> None:
        cid = cat["id"]
        if cid in self.category_names:
            self.ctx.warn(at, f"duplicate category id {cid!r}: ignored")
            return
        raw_name = cat.get("name")
        name = str(raw_name) if raw_name not in (None, "") else str(cid)
        if name in self.dataset.categories:
            renamed = f"{name} ({cid})"
            self.ctx.warn(at, f"category name {name!r} used twice: this one read as {renamed!r}")
            name = renamed
        color = cat.get("color")
        if not (
            isinstance(color, list)
            and len(color) == 3
            and all(isinstance(v, int) and 0 <= v <= 255 for v in color)
        ):
            color = None
        supercategory = cat.get("supercategory")
        extra = {key: value for key, value in cat.items() if key not in _CATEGORY_KEYS}
        skeleton = self.skeleton(cat, name, at, extra)
        self.dataset.categories[name] = Category(
            name=name,
            id=cid if isinstance(cid, (int, str)) else str(cid),
            color=tuple(color) if color else None,
            supercategory=str(supercategory) if supercategory not in (None, "") else None,
            skeleton=skeleton,
            shape="keypoints" if skeleton is not None else None,
            extra=extra,
        )
        self.category_names[cid] = name
        if supercategory in ("bounding_box", "polyline"):
            self.hints[name] = supercategory

    def skeleton(self, cat: dict, name: str, at: str, extra: dict) -> Skeleton | None:
        names_raw = cat.get("keypoints")
        edges_raw = cat.get("skeleton")
        if names_raw is None and edges_raw is None:
            return None
        if not isinstance(names_raw, list) or not isinstance(edges_raw, (list, type(None))):
            # Encord writes `"keypoints": "keypoint"` on point categories: keep it as it came.
            extra["keypoints"] = names_raw
            if edges_raw is not None:
                extra["skeleton"] = edges_raw
            return None
        names = tuple(str(n) for n in names_raw)
        pairs = []
        for pair in edges_raw or []:
            if (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
            ):
                pairs.append((pair[0], pair[1]))
            else:
                self.ctx.warn(f"{at}.skeleton", f"edge {pair!r} is not a pair of indices: ignored")
        flat = [v for pair in pairs for v in pair]
        count = len(names)
        zero_based = bool(flat) and (
            min(flat) == 0 or (count > 0 and max(flat) == count - 1 and count not in flat)
        )
        if zero_based:
            self.ctx.warn(
                f"{at}.skeleton",
                "0-based skeleton edges (COCO's are 1-based; Dataloop and Datumaro write 0-based): "
                "read as 0-based",
            )
        shift = 0 if zero_based else 1
        edges = []
        for a, b in pairs:
            a, b = a - shift, b - shift
            if a < 0 or b < 0 or (count and (a >= count or b >= count)):
                self.ctx.warn(f"{at}.skeleton", f"edge {[a + shift, b + shift]} out of range")
                continue
            edges.append((a, b))
        self.keypoint_names[name] = names
        if not count and (edges or names_raw == []):
            # Keypoint names missing (Datumaro writes []): named "1".."K" once K is known.
            self.unnamed_skeletons[name] = max((v for e in edges for v in e), default=-1) + 1
            return Skeleton(names=(), edges=tuple(edges))
        return Skeleton(names=names, edges=tuple(edges))

    def category_of(self, cid: Any) -> str:
        name = self.category_names.get(cid)
        if name is None:
            name = self.category_names.get(_other_key(cid))
        if name is None:
            raise ValueError(f"category_id {cid!r} not in categories")
        return name

    # -- images ------------------------------------------------------------------------------------

    def images(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            raise self.ctx.fail("images", "not a list")
        dataset_items = self.dataset.items
        for index, image in enumerate(raw):
            try:
                item = self.image(image, index)
            except _BAD as error:
                self.ctx.error(where("images", index), f"unreadable image: {error!r}")
                continue
            if item is not None:
                dataset_items.append(item)

    def image(self, image: dict, index: int) -> Item | None:
        iid = image["id"]
        if iid in self.items:
            self.ctx.warn(where("images", index), f"duplicate image id {iid!r}: ignored")
            return None
        file_name = image.get("file_name")
        name = str(file_name) if file_name not in (None, "") else str(iid)
        width = image.get("width")
        height = image.get("height")
        if not (width.__class__ is int and width > 0):
            width = _size(width)
        if not (height.__class__ is int and height > 0):
            height = _size(height)
        if (width is None or height is None) and not self.results:
            self.ctx.warn(
                where("images", index), "width/height missing or not positive integers", item=name
            )
        extra = {key: value for key, value in image.items() if key not in _IMAGE_KEYS}
        attributes = image.get("attributes")
        if not isinstance(attributes, dict):
            if attributes is not None:
                self.ctx.warn(
                    where("images", index, "attributes"), "not an object: kept in extra", item=name
                )
                extra["attributes"] = attributes  # before Item(): pydantic copies `extra`
            attributes = None
        item = Item(
            id=str(iid),
            name=name,
            image=str(file_name) if file_name not in (None, "") else None,
            width=width,
            height=height,
            extra=extra,
        )
        if attributes:
            item.classifications = from_flat(attributes)
        self.items[iid] = item
        return item

    def item_of(self, iid: Any) -> Item:
        item = self.items.get(iid)
        if item is None:
            item = self.items.get(_other_key(iid))
        if item is None:
            raise ValueError(f"image_id {iid!r} not in images")
        return item

    # -- annotations -------------------------------------------------------------------------------

    def annotations(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            raise self.ctx.fail("annotations", "not a list")
        ctx = self.ctx
        total = len(raw)
        pending = _Pending()
        first_issue = len(ctx.issues)
        annotation = self.annotation
        # Standard annotations (the 7 COCO keys, maybe plain `attributes`, polygon rings or a bbox,
        # not crowd) take a short inline path: reading 800k annotations is dominated by
        # per-object Python work. Anything else goes through `annotation`.
        objects_of = {key: item.objects for key, item in self.items.items()}.get
        # Categories with an Encord shape hint (see `hinted`) always take the long path.
        category_of = {
            cid: name for cid, name in self.category_names.items() if name not in self.hints
        }.get
        standard = _STANDARD_KEYS
        with_attributes = _STANDARD_KEYS | {"attributes"}
        special = _SPECIAL_ATTRIBUTES
        ring_objects, rings, ring_index = pending.ring_objects, pending.rings, pending.ring_index
        add = pending.add
        box = self.box
        label = ObjectLabel
        for index, ann in enumerate(raw):
            if not index & _PROGRESS_MASK:
                ctx.check_cancelled()
                ctx.progress(index, total)
                # Convert the rings gathered so far while their floats are still in the CPU cache
                # (on a 400 MB file, one batch at the end is 3× slower per number), then free
                # the parsed annotations already read, while they are cached too.
                self.polygons(pending)
                if index:
                    raw[index - _CHUNK : index] = _NONES
            try:
                if ann.__class__ is not dict:
                    annotation(ann, index, pending)
                    continue
                keys = ann.keys()
                if keys == standard:
                    attributes = None
                elif (
                    keys == with_attributes
                    and (attributes := ann["attributes"]).__class__ is dict
                    and attributes.keys().isdisjoint(special)
                ):
                    pass
                else:
                    annotation(ann, index, pending)
                    continue
                seg = ann["segmentation"]
                objects = objects_of(ann["image_id"])
                category = category_of(ann["category_id"])
                if (
                    seg.__class__ is not list
                    or objects is None
                    or category is None
                    or ann["iscrowd"]
                ):
                    annotation(ann, index, pending)
                    continue
                if seg:
                    first = seg[0]
                    if first.__class__ is not list:
                        annotation(ann, index, pending)
                        continue
                    if len(seg) == 1 and first:
                        obj = label(category, None, str(ann["id"]))
                        ring_objects.append(obj)
                        rings.append(first)
                        ring_index.append(index)
                    elif all(seg):
                        obj = label(category, None, str(ann["id"]))
                        add(obj, seg, index)
                    else:
                        annotation(ann, index, pending)
                        continue
                else:
                    obj = label(category, box(ann["bbox"], None), str(ann["id"]))
                if attributes:
                    obj.attributes = from_flat(attributes)
                objects.append(obj)
            except (*_BAD, rle.RleError) as error:
                self.warn_annotation(index, ann, _message(error))
        ctx.progress(total, total)
        self.polygons(pending)
        self.drop_lost()
        if len(ctx.issues) > first_issue:
            # Polygon warnings come from the batch, after the others: put them in file order.
            ctx.issues[:] = sorted(ctx.issues, key=_annotation_order)

    def warn_annotation(self, index: int, ann: Any, message: str) -> None:
        item = obj = None
        if isinstance(ann, dict):
            found = self.items.get(ann.get("image_id"))
            item = found.id if found is not None else None
            obj = str(ann["id"]) if "id" in ann else None
        self.ctx.warn(where("annotations", index), message, item=item, obj=obj)

    def annotation(self, ann: dict, index: int, pending: _Pending) -> None:
        if not isinstance(ann, dict):
            raise ValueError(f"not a JSON object: {str(ann)[:40]!r}")
        item = self.item_of(ann["image_id"])
        category = self.category_of(ann["category_id"])
        obj = ObjectLabel(category, None, str(ann["id"]) if "id" in ann else None)
        unknown = ann.keys() - _ANNOTATION_KEYS
        if unknown:
            obj.extra = {key: ann[key] for key in unknown}
        if ann.get("iscrowd"):
            obj.extra = {**(obj.extra or {}), "iscrowd": ann["iscrowd"]}
        score = ann.get("score")
        if score is not None:
            obj.confidence = float(score)
            obj.source = "model"
        track = ann.get("track_id")
        if track is not None:
            obj.track = str(track)
        attributes = ann.get("attributes")
        rotation = self.attributes(obj, attributes, index) if attributes else None

        seg = ann.get("segmentation")
        bbox = ann.get("bbox")
        keypoints = ann.get("keypoints")
        objects = item.objects
        if keypoints:
            kp = self.keypoints(obj, keypoints, category, bbox, seg)
            if kp is obj:
                objects.append(obj)
                return
            if kp is not None:
                objects.append(kp)  # a copy: `obj` carries the segmentation
        if category in self.hints and seg and bbox:
            geometry = self.hinted(self.hints[category], seg, bbox, rotation)
            if geometry is not None:
                obj.geometry = geometry
                objects.append(obj)
                return
        if seg:
            if isinstance(seg, list):
                first = seg[0]
                if isinstance(first, list):
                    if rotation is not None and bbox:
                        if len(seg) == 1 and len(first) == 8:
                            obj.geometry = _rotated_from_ring(first, rotation)
                        if obj.geometry is None:
                            obj.geometry = self.box(bbox, rotation)
                    if obj.geometry is None:
                        if all(seg):
                            pending.add(obj, seg, index)
                        else:  # [[]] (Dataloop's boxes) or empty rings among real ones
                            rings = [ring for ring in seg if ring]
                            if rings:
                                pending.add(obj, rings, index)
                            elif bbox:
                                obj.geometry = self.box(bbox, rotation)
                            else:
                                raise ValueError("empty segmentation and no bbox")
                    objects.append(obj)
                    return
                if isinstance(first, (int, float)):
                    self.ctx.warn(
                        where("annotations", index, "segmentation"),
                        "a flat list of numbers, not a list of rings: read as one ring",
                        item=item.id,
                        obj=obj.id,
                    )
                    pending.add(obj, [seg], index)
                    objects.append(obj)
                    return
                raise ValueError(f"segmentation is neither rings nor RLE: {str(seg)[:60]}")
            if isinstance(seg, dict):
                obj.geometry = self.mask(seg, item, index)
                objects.append(obj)
                return
            raise ValueError(f"segmentation is neither rings nor RLE: {str(seg)[:60]}")
        if bbox:
            obj.geometry = self.box(bbox, rotation)
            objects.append(obj)
            return
        raise ValueError("annotation has no segmentation, bbox or keypoints")

    def attributes(self, obj: ObjectLabel, attributes: Any, index: int) -> float | None:
        """Fill answers, track, source and id from `attributes`; return the rotation, if set."""
        if not isinstance(attributes, dict):
            obj.extra = {**(obj.extra or {}), "attributes": attributes}
            return None
        values = dict(attributes)
        rotation = values.pop("rotation", None)
        if rotation is not None:
            try:
                rotation = float(rotation)
            except (TypeError, ValueError):
                values["rotation"] = rotation
                rotation = None
        track = values.pop("encord_track_uuid", None)
        track_id = values.pop("track_id", None)
        if track is None:
            track = track_id
        if track is not None:
            obj.track = str(track)
        source = values.get("source")
        if source in ("manual", "model"):
            obj.source = values.pop("source")
        manual = values.get("manual_annotation")
        if isinstance(manual, bool):
            obj.source = "manual" if values.pop("manual_annotation") else "model"
        object_id = values.pop("object_id", None)
        if object_id is not None:
            obj.id = str(object_id)
        answers = []
        nested = values.pop("classifications", None)
        if isinstance(nested, dict):
            answers.extend(from_flat(nested))
        elif nested is not None:
            values["classifications"] = nested
        answers.extend(from_flat(values))
        obj.attributes = answers
        return rotation or None

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
            raise ValueError(f"bbox has {len(bbox)} numbers, expected 4")
        x, y, w, h = (float(v) for v in bbox)
        if not (math.isfinite(x + y + w + h) and w >= 0 and h >= 0):
            raise ValueError(f"invalid bbox {bbox}")
        if rotation:
            return RotatedBox.from_top_left(x, y, w, h, rotation)
        return Box(x, y, w, h)

    def mask(self, seg: dict, item: Item, index: int) -> Mask:
        size = seg.get("size")
        if "counts" not in seg or size is None:
            raise ValueError("RLE needs counts and size")
        encoded = _compress(seg)
        height, width = encoded["size"]
        if item.width is None and item.height is None and self.results:
            item.width, item.height = width, height
        elif item.width and item.height and (height, width) != (item.height, item.width):
            self.ctx.warn(
                where("annotations", index, "segmentation"),
                f"RLE size [h, w] = {[height, width]} differs from the image's "
                f"{item.width}×{item.height}",
                item=item.id,
            )
        return Mask(height, width, _CheckedRle(encoded["counts"]), encoded)

    def keypoints(
        self, obj: ObjectLabel, flat: Any, category: str, bbox: Any, seg: Any
    ) -> ObjectLabel | None:
        """The keypoints object (`obj` itself when it has no other shape); None if none is set."""
        array = np.asarray(flat, dtype=np.float64)
        if array.ndim != 1 or array.size % 3:
            raise ValueError(f"keypoints has {array.size} numbers, not a multiple of 3")
        array = array.reshape(-1, 3)
        if not np.isfinite(array).all():
            raise ValueError("keypoints contain null, NaN or infinity")
        visibility = array[:, 2]
        if not np.isin(visibility, (0, 1, 2)).all():
            raise ValueError("keypoint visibility must be 0, 1 or 2")
        if not visibility.any():
            return None  # COCO writes all-zero keypoints on crowd/unlabelled persons
        points = array[:, :2].copy()
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
            return obj
        if names and len(names) != len(points):
            raise ValueError(f"{len(points)} keypoints but the category names {len(names)}")
        target = obj if not seg else _copy(obj)
        target.geometry = Keypoints(points, visibility.astype(np.uint8), names)
        if bbox and isinstance(bbox, list):
            target.extra = {**(target.extra or {}), "bbox": bbox}
        return target

    # -- polygons in one batch ---------------------------------------------------------------------

    def polygons(self, pending: _Pending) -> None:
        """Give the pending objects their polygons and empty the pending lists."""
        if pending.rings:
            self.batch(pending.ring_objects, pending.rings, pending.ring_index, single=True)
            pending.ring_objects.clear()
            pending.rings.clear()
            pending.ring_index.clear()
        if pending.segs:
            rings = list(chain.from_iterable(pending.segs))
            self.batch(pending.objects, rings, pending.index, single=False, segs=pending.segs)
            pending.objects.clear()
            pending.segs.clear()
            pending.index.clear()

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
        except _BAD:
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
                parts.append(PolygonPart(points))
            except _BAD as error:
                at = where("annotations", index)
                if len(seg) > 1:
                    at = where("annotations", index, "segmentation", number)
                self.ctx.warn(at, _message(error), obj=obj.id)
        if parts:
            obj.geometry = Polygon(tuple(parts))
        else:
            self.dropped.add(id(obj))

    def drop_lost(self) -> None:
        if not self.dropped:
            return
        for item in self.dataset.items:
            if any(id(obj) in self.dropped for obj in item.objects):
                item.objects = [obj for obj in item.objects if id(obj) not in self.dropped]
        self.dropped.clear()

    def finish(self) -> None:
        for name, count in self.unnamed_skeletons.items():
            category = self.dataset.categories[name]
            names = tuple(str(i + 1) for i in range(count))
            if category.skeleton is not None:
                category.skeleton = Skeleton(names=names, edges=category.skeleton.edges)


class _CheckedRle(CocoRle):
    """A compressed COCO RLE already validated by the reader: pycocotools directly, no re-check."""

    __slots__ = ()

    def to_coco_rle(self, height: int, width: int) -> dict:
        return {"size": [height, width], "counts": self.counts}

    def decode(self, height: int, width: int) -> np.ndarray:
        return coco_mask.decode(self._c_rle(height, width)).astype(bool)

    def area(self, height: int, width: int, mask: Mask) -> int:
        return int(coco_mask.area(self._c_rle(height, width)))

    def bbox(self, height: int, width: int, mask: Mask) -> tuple[float, float, float, float]:
        x, y, w, h = coco_mask.toBbox(self._c_rle(height, width)).tolist()
        return x, y, w, h

    def _c_rle(self, height: int, width: int) -> dict:
        return {"size": [height, width], "counts": self.counts.encode("ascii")}


def _compress(seg: dict) -> dict:
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


def _copy(obj: ObjectLabel) -> ObjectLabel:
    return ObjectLabel(
        obj.category,
        None,
        obj.id,
        track=obj.track,
        attributes=list(obj.attributes),
        confidence=obj.confidence,
        source=obj.source,
        extra=dict(obj.extra) if obj.extra else None,
    )


def _rotated_from_ring(ring: list, rotation: float) -> RotatedBox | None:
    """Our own writer's rotated box: 4 corners whose top edge has the stated angle."""
    try:
        box = RotatedBox.from_corners(ring)
    except _BAD:
        return None
    if abs((box.angle - rotation + 180.0) % 360.0 - 180.0) > 1e-3:
        return None
    return RotatedBox(box.cx, box.cy, box.w, box.h, rotation)


def _size(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def _other_key(key: Any) -> Any:
    """'12' for 12 and 12 for '12': ids written as strings in one place and ints in another."""
    if isinstance(key, int):
        return str(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


_INDEX = re.compile(r"^annotations\[(\d+)\]")


def _annotation_order(issue: Any) -> int:
    found = _INDEX.match(issue.where)
    return int(found.group(1)) if found else -1


def _message(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing key {error.args[0]!r}"
    return str(error) or type(error).__name__


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a COCO instances/keypoints file or a COCO results list."""
    # One GC pause over parse, build and freeing the parsed tree: re-enabling the GC in between
    # would run a full collection over millions of parsed objects (~0.2 s per 100 MB of JSON).
    with gc_paused():
        data = load_json(path, ctx)
        reader = _Reader(ctx)
        if isinstance(data, list):
            data = _results_as_dataset(data, ctx)
            reader.results = True
        if not isinstance(data, dict):
            raise ctx.fail("", "expected a JSON object with images, annotations and categories")
        if "images" not in data and "annotations" not in data:
            raise ctx.fail("", "no images or annotations: not a COCO file")
        reader.categories(data.get("categories"))
        reader.images(data.get("images"))
        annotations = data.get("annotations")
        if isinstance(annotations, list) and annotations and "segments_info" in annotations[0]:
            _panoptic(reader, annotations)
        else:
            reader.annotations(annotations)
        reader.finish()
        dataset = reader.dataset
        meta = {key: data[key] for key in ("info", "licenses") if data.get(key)}
        if meta:
            dataset.meta["coco"] = meta
        del data, annotations, reader
        # Everything just built was made with the GC off, so the first collection after it would
        # walk all of it (~2 s for 800k objects) and every later full collection again: move it
        # to the permanent generation. Safe for the model (no reference cycles; freed by
        # reference counting as usual).
        gc.freeze()
    return dataset


def _results_as_dataset(data: list, ctx: ReadContext) -> dict:
    """A results list as a COCO dict with images and categories made up from the ids."""
    image_ids: dict[Any, None] = {}
    category_ids: dict[Any, None] = {}
    for entry in data:
        if isinstance(entry, dict):
            image_ids.setdefault(entry.get("image_id"))
            category_ids.setdefault(entry.get("category_id"))
    image_ids.pop(None, None)
    category_ids.pop(None, None)
    if not image_ids:
        raise ctx.fail("", "a JSON list without COCO results (image_id, category_id)")
    ctx.warn(
        "",
        "a COCO results file (no images or categories): items are named by image_id, "
        "categories by category_id",
    )
    return {
        "images": [{"id": iid, "file_name": str(iid)} for iid in image_ids],
        "categories": [
            {"id": cid, "name": str(cid)}
            for cid in sorted(category_ids, key=lambda c: (str(type(c)), c))
        ],
        "annotations": data,
    }


def _panoptic(reader: _Reader, annotations: list) -> None:
    """COCO panoptic: segments_info boxes (the PNG segment masks are not read)."""
    ctx = reader.ctx
    ctx.warn(
        "annotations",
        "COCO panoptic: segments read as boxes (the panoptic PNG masks are not read)",
    )
    for index, ann in enumerate(annotations):
        try:
            item = reader.item_of(ann["image_id"])
            item.extra["panoptic_png"] = ann.get("file_name")
            for number, segment in enumerate(ann["segments_info"]):
                try:
                    obj = ObjectLabel(
                        reader.category_of(segment["category_id"]),
                        reader.box(segment["bbox"], None),
                        str(segment["id"]),
                    )
                    if segment.get("iscrowd"):
                        obj.extra = {"iscrowd": segment["iscrowd"]}
                    item.objects.append(obj)
                except _BAD as error:
                    ctx.warn(where("annotations", index, "segments_info", number), _message(error))
        except _BAD as error:
            ctx.warn(where("annotations", index), _message(error))


# --- writing --------------------------------------------------------------------------------------


class CocoOptions(WriterOptions):
    """Options of the COCO writer."""

    masks: Literal["rle", "polygon"] = Field(
        "rle",
        description="Masks as compressed RLE (exact) or traced polygons (holes force RLE)",
    )
    indent: bool = Field(False, description="Indent the JSON (easier to read, about 2× bigger)")


_ELLIPSE_SEGMENTS = 64


class _Writer:
    def __init__(self, dataset: Dataset, options: CocoOptions, report: WriteReport) -> None:
        self.dataset = dataset
        self.options = options
        self.report = report
        self.category_ids: dict[str, int] = {}
        self.categories: list[dict] = []
        self.keypoint_counts: dict[str, int] = {}
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        for name, category in dataset.categories.items():
            self.add_category(name, category)

    def add_category(self, name: str, category: Category | None) -> int:
        cid = len(self.categories) + 1
        entry: dict[str, Any] = {"id": cid, "name": name, "supercategory": ""}
        if category is not None:
            entry["supercategory"] = category.supercategory or ""
            if category.color is not None:
                entry["color"] = list(category.color)
            if category.skeleton is not None:
                entry["keypoints"] = list(category.skeleton.names)
                entry["skeleton"] = [[a + 1, b + 1] for a, b in category.skeleton.edges]
                self.keypoint_counts[name] = len(category.skeleton.names)
        self.categories.append(entry)
        self.category_ids[name] = cid
        return cid

    def category_id(self, name: str) -> int:
        cid = self.category_ids.get(name)
        if cid is None:
            cid = self.add_category(name, None)
            self.report.notes.append(f"category {name!r} was not declared: added as id {cid}")
        return cid

    def image(self, item: Item, frame: Frame | None, index: int | None) -> tuple[dict, int, int]:
        image_id = len(self.images) + 1
        width, height = item.width, item.height
        file_name = item.name
        entry: dict[str, Any] = {"id": image_id, "file_name": file_name}
        if index is not None:
            file_name = (frame.image if frame and frame.image else None) or f"{item.name}#{index}"
            entry["file_name"] = file_name
            if frame is not None and frame.width and frame.height:
                width, height = frame.width, frame.height
        entry["width"] = width or 0
        entry["height"] = height or 0
        if not (width and height):
            self.report.drop("image size unknown: written as 0×0 (areas from the geometry)")
        answers = flatten(item.classifications, index)
        if answers:
            entry["attributes"] = answers
        self.images.append(entry)
        return entry, width or 0, height or 0

    def objects(
        self, objects: list[ObjectLabel], image_id: int, width: int, height: int, frame: int | None
    ) -> None:
        # Keypoints and a shape of the same id and category are one COCO annotation (see reader).
        keypoints: dict[tuple[str, str], ObjectLabel] = {}
        for obj in objects:
            if obj.id is not None and isinstance(obj.geometry, Keypoints):
                keypoints.setdefault((obj.category, obj.id), obj)
        if not keypoints:
            for obj in objects:
                self.annotation(obj, image_id, width, height, frame, None)
            return
        merged: set[int] = set()
        for obj in objects:
            if isinstance(obj.geometry, Keypoints):
                continue
            kp = keypoints.get((obj.category, obj.id)) if obj.id is not None else None
            if kp is not None and id(kp) not in merged:
                merged.add(id(kp))
            else:
                kp = None
            self.annotation(obj, image_id, width, height, frame, kp)
        for obj in objects:
            if isinstance(obj.geometry, Keypoints) and id(obj) not in merged:
                self.annotation(obj, image_id, width, height, frame, obj)

    def annotation(
        self,
        obj: ObjectLabel,
        image_id: int,
        width: int,
        height: int,
        frame: int | None,
        kp: ObjectLabel | None,
    ) -> None:
        geometry = obj.geometry
        report = self.report
        attributes = flatten(obj.attributes, frame)
        ann: dict[str, Any] = {
            "id": len(self.annotations) + 1,
            "image_id": image_id,
            "category_id": self.category_id(obj.category),
        }
        segmentation: Any = []
        if isinstance(geometry, Box):
            bbox = [geometry.x, geometry.y, geometry.w, geometry.h]
            area = geometry.w * geometry.h
        elif isinstance(geometry, Polygon):
            if geometry.has_holes and height and width:
                # COCO polygons are a union of rings: only RLE keeps the holes.
                parts = [(part.outer, part.holes) for part in geometry.parts]
                encoded = rle.encode_coco(rle.polygon_to_mask(parts, height, width))
                segmentation, bbox, area = _mask_fields(encoded)
            else:
                if geometry.has_holes:
                    report.drop("polygon holes (image size unknown: cannot write RLE)")
                outers = [part.outer for part in geometry.parts]
                segmentation, bbox, area = _polygon_fields(outers, width, height)
        elif isinstance(geometry, RotatedBox):
            segmentation, _, area = _polygon_fields([geometry.corners()], width, height)
            x0, y0, x1, y1 = geometry.bounds()
            bbox = [x0, y0, x1 - x0, y1 - y0]
            attributes.setdefault("rotation", geometry.angle)
        elif isinstance(geometry, Ellipse):
            segmentation, bbox, area = _polygon_fields(
                [geometry.to_points(_ELLIPSE_SEGMENTS)], width, height
            )
            report.drop(f"ellipse written as a {_ELLIPSE_SEGMENTS}-point polygon")
        elif isinstance(geometry, Mask):
            segmentation, bbox, area = self.mask(geometry)
        elif isinstance(geometry, Keypoints):
            bbox, area = _keypoint_box(geometry, obj)
        elif isinstance(geometry, (Polyline, Point)):
            x0, y0, x1, y1 = geometry.bounds()
            bbox = [x0, y0, x1 - x0, y1 - y0]
            area = bbox[2] * bbox[3]
            report.drop(f"{geometry.kind} has no COCO shape: written as its bounding box")
        else:
            report.drop("object without a shape")
            return
        ann["segmentation"] = segmentation
        ann["area"] = float(area)
        ann["bbox"] = [float(v) for v in bbox]
        ann["iscrowd"] = 1 if obj.extra and obj.extra.get("iscrowd") else 0
        count = self.keypoint_counts.get(obj.category)
        if kp is not None:
            self.keypoints(ann, kp)
        elif count:
            ann["keypoints"] = [0] * (3 * count)
            ann["num_keypoints"] = 0
        if obj.confidence is not None:
            ann["score"] = obj.confidence
        if obj.track is not None:
            attributes.setdefault("track_id", _number(obj.track))
        if obj.source is not None and not (obj.source == "model" and obj.confidence is not None):
            attributes.setdefault("source", obj.source)
        if obj.id is not None and obj.id != str(ann["id"]):
            attributes.setdefault("object_id", _number(obj.id))
        if attributes:
            ann["attributes"] = attributes
        self.annotations.append(ann)

    def keypoints(self, ann: dict, kp: ObjectLabel) -> None:
        geometry = kp.geometry
        assert isinstance(geometry, Keypoints)
        count = self.keypoint_counts.get(kp.category)
        if count is None:
            self.keypoint_counts[kp.category] = count = len(geometry.points)
            entry = self.categories[self.category_ids[kp.category] - 1]
            entry["keypoints"] = list(geometry.names) or [str(i + 1) for i in range(count)]
            entry["skeleton"] = []
        points = geometry.points
        visibility = geometry.visibility
        if len(points) != count:
            self.report.drop("keypoints whose count differs from the category's")
            return
        triplets = np.column_stack((points, visibility)).ravel()
        values = [int(v) if float(v).is_integer() else float(v) for v in triplets.tolist()]
        ann["keypoints"] = values
        ann["num_keypoints"] = int(np.count_nonzero(visibility))

    def mask(self, mask: Mask) -> tuple[Any, list[float], float]:
        encoded = mask.to_coco_rle()
        if self.options.masks == "polygon":
            from labelview.ops.raster import mask_to_polygons

            parts = mask_to_polygons(mask.decode())
            if parts and not any(part.holes for part in parts):
                return _polygon_fields([p.outer for p in parts], mask.width, mask.height)
            if parts:
                self.report.drop("mask with holes kept as RLE (COCO polygons cannot hold holes)")
        return _mask_fields(encoded)


def _mask_fields(encoded: dict) -> tuple[Any, list[float], float]:
    c_rle = {"size": encoded["size"], "counts": encoded["counts"].encode("ascii")}
    x, y, w, h = coco_mask.toBbox(c_rle).tolist()
    return (
        {"size": list(encoded["size"]), "counts": encoded["counts"]},
        [x, y, w, h],
        float(coco_mask.area(c_rle)),
    )


def _polygon_fields(rings: list[np.ndarray], width: int, height: int) -> tuple[list, list, float]:
    flat = [ring.ravel().tolist() for ring in rings]
    points = np.concatenate(rings)
    x0, y0 = points.min(axis=0).tolist()
    x1, y1 = points.max(axis=0).tolist()
    if width and height:
        encoded = coco_mask.frPyObjects(flat, height, width)
        area = float(coco_mask.area(coco_mask.merge(encoded) if len(encoded) > 1 else encoded[0]))
    else:
        area = float(sum(_shoelace(ring) for ring in rings))
    return flat, [x0, y0, x1 - x0, y1 - y0], area


def _shoelace(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def _keypoint_box(geometry: Keypoints, obj: ObjectLabel) -> tuple[list[float], float]:
    bbox = (obj.extra or {}).get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4:
        return [float(v) for v in bbox], float(bbox[2]) * float(bbox[3])
    x0, y0, x1, y1 = geometry.bounds()
    return [x0, y0, x1 - x0, y1 - y0], (x1 - x0) * (y1 - y0)


def _number(value: str) -> int | str:
    """Ids and track ids as ints when they are decimal integers (COCO tooling expects ints)."""
    return int(value) if value.isdigit() and len(value) < 19 else value


def write(dataset: Dataset, out: OutputDir, options: CocoOptions, ctx: WriteContext) -> WriteReport:
    """Write `annotations.json` (and images/ when asked)."""
    report = WriteReport(format="coco")
    out.check_free(["annotations.json"])
    writer = _Writer(dataset, options, report)
    copied: set[str] = set()
    total = len(dataset.items)
    for number, item in enumerate(dataset.items):
        if not number % 1024:
            ctx.check_cancelled()
            ctx.progress(number, total)
        multi_frame = (
            item.kind != "image"
            or bool(item.frames)
            or any(obj.frame is not None for obj in item.objects)
        )
        if multi_frame:
            by_index = {frame.index: frame for frame in item.frames}
            for index in item.frame_indices():
                frame = by_index.get(index)
                entry, width, height = writer.image(item, frame, index)
                writer.objects(item.objects_on(index), entry["id"], width, height, index)
                if frame is not None and frame.image_path is not None:
                    _copy_image(out, options, frame.image_path, entry, copied, report)
        else:
            entry, width, height = writer.image(item, None, None)
            writer.objects(item.objects, entry["id"], width, height, None)
            _copy_image(out, options, item.image_path, entry, copied, report)
        if item.relations:
            report.drop("relations have no COCO slot", len(item.relations))
        if item.history:
            report.drop("review history events have no COCO slot", len(item.history))
        report.items += 1
    ctx.progress(total, total)
    report.objects = len(writer.annotations)
    doc = {
        "info": {"description": "written by labelview", "version": "1.0"},
        "licenses": [],
        "images": writer.images,
        "annotations": writer.annotations,
        "categories": writer.categories,
    }
    flags = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if options.indent else 0)
    out.write_bytes("annotations.json", orjson.dumps(doc, option=flags))
    return report


def _copy_image(
    out: OutputDir,
    options: CocoOptions,
    source: Path | None,
    entry: dict,
    copied: set[str],
    report: WriteReport,
) -> None:
    """Copy (or link) an image to images/<file_name>, making an unsafe name safe (JSON too)."""
    if options.images == "none":
        return
    name = entry["file_name"]
    if not is_safe(name):
        safe = sanitised(name)
        if safe is None:
            report.drop("image with an unusable file name: not copied")
            return
        report.drop("image names escaping the output folder made safe (../ and roots removed)")
        name = entry["file_name"] = safe.as_posix()
    if name in copied:
        return
    if source is None:
        report.drop("image file not found: not copied")
        return
    copied.add(name)
    out.copy_file(source, f"images/{name}", link=options.images == "link")


FORMAT = Format(
    name="coco",
    title="COCO JSON",
    suffixes=(".json",),
    detect=detect,
    read=read,
    write=write,
    options=CocoOptions,
    description="COCO instances / keypoints (polygons, RLE, keypoints, attributes); results lists",
)
