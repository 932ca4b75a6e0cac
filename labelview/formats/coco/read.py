"""COCO reading: categories, images and the annotation pass (a fast path for plain annotations).

What the source gives and the model does not reproduce exactly is kept in `ObjectLabel.extra`
under COCO's own keys, for the writer to give back as it came: `bbox` and `area` (kept for every
shape whose bbox or area is not its geometry's, i.e. all but a plain box with area w·h),
`segmentation` where the shape read is not the segmentation written (Encord's box and polyline
encodings, rotated boxes, closed rings, a keypoint annotation's outline), `iscrowd` when set,
`attributes` when they hold keys read as model fields (see `attributes.py`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import BAD_VALUE, Skip, at, describe, size
from labelview.formats.base import ReadContext, load_json
from labelview.formats.coco.attributes import SPECIAL
from labelview.formats.coco.read_annotation import AnnotationReader
from labelview.formats.coco.read_shapes import PendingPolygons, keep
from labelview.model import Category, Dataset, Item, ObjectLabel, Skeleton
from labelview.model.classifications import from_flat
from labelview.ops import rle

_CATEGORY_KEYS = frozenset({"id", "name", "supercategory", "keypoints", "skeleton", "color"})
_IMAGE_KEYS = frozenset({"id", "file_name", "width", "height", "attributes"})
_STANDARD_KEYS = frozenset(
    {"id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd"}
)
_CHUNK = 4096  # progress, cancel, polygon batches and freeing, every _CHUNK annotations
_PROGRESS_MASK = _CHUNK - 1
_NONES = [None] * _CHUNK


class _Reader(AnnotationReader):
    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.dataset = Dataset()
        self.category_names: dict[Any, str] = {}
        self.keypoint_names: dict[str, tuple[str, ...]] = {}
        self.unnamed_skeletons: dict[str, int] = {}  # category -> points needed (names made later)
        self.items: dict[Any, Item] = {}
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
                self.category(cat, at("categories", index))
            except BAD_VALUE as error:
                where = at("categories", index)
                self.ctx.warn(where, f"unreadable category: {describe(error)}")

    def category(self, cat: dict, where: str) -> None:
        # Encord's 2022 COCO exporter keys the id `id_`.
        cid = cat["id"] if "id" in cat or "id_" not in cat else cat["id_"]
        if cid in self.category_names:
            self.ctx.warn(where, f"duplicate category id {cid!r}: ignored")
            return
        raw_name = cat.get("name")
        name = str(raw_name) if raw_name not in (None, "") else str(cid)
        if name in self.dataset.categories:
            renamed = f"{name} ({cid})"
            self.ctx.warn(where, f"category name {name!r} used twice: this one read as {renamed!r}")
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
        skeleton = self.skeleton(cat, name, where, extra)
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

    def skeleton(self, cat: dict, name: str, where: str, extra: dict) -> Skeleton | None:
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
                self.ctx.warn(
                    f"{where}.skeleton", f"edge {pair!r} is not a pair of indices: ignored"
                )
        flat = [v for pair in pairs for v in pair]
        count = len(names)
        zero_based = bool(flat) and (
            min(flat) == 0 or (count > 0 and max(flat) == count - 1 and count not in flat)
        )
        if zero_based:
            self.ctx.warn(
                f"{where}.skeleton",
                "0-based skeleton edges (COCO's are 1-based; Dataloop and Datumaro write 0-based): "
                "read as 0-based",
            )
        shift = 0 if zero_based else 1
        edges = []
        for a, b in pairs:
            a, b = a - shift, b - shift
            if a < 0 or b < 0 or (count and (a >= count or b >= count)):
                self.ctx.warn(f"{where}.skeleton", f"edge {[a + shift, b + shift]} out of range")
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
        for index, image in enumerate(checked(raw, self.ctx)):
            try:
                item = self.image(image, index)
            except BAD_VALUE as error:
                self.ctx.error(at("images", index), f"unreadable image: {describe(error)}")
                continue
            if item is not None:
                dataset_items.append(item)

    def image(self, image: dict, index: int) -> Item | None:
        iid = image["id"]
        if iid in self.items:
            self.ctx.warn(at("images", index), f"duplicate image id {iid!r}: ignored")
            return None
        file_name = image.get("file_name")
        name = str(file_name) if file_name not in (None, "") else str(iid)
        width = image.get("width")
        height = image.get("height")
        if not (width.__class__ is int and width > 0):
            width = _dimension(width)
        if not (height.__class__ is int and height > 0):
            height = _dimension(height)
        if (width is None or height is None) and not self.results:
            self.ctx.warn(
                at("images", index), "width/height missing or not positive integers", item=name
            )
        extra = {key: value for key, value in image.items() if key not in _IMAGE_KEYS}
        attributes = image.get("attributes")
        if not isinstance(attributes, dict):
            if attributes is not None:
                self.ctx.warn(
                    at("images", index, "attributes"), "not an object: kept in extra", item=name
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
        pending = PendingPolygons(ctx)
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
        special = SPECIAL
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
                pending.flush()
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
                    # The source's values, not the polygon's extent and rasterised area.
                    obj.extra = {"bbox": ann["bbox"], "area": ann["area"]}
                else:
                    geometry = box(ann["bbox"], None)
                    obj = label(category, geometry, str(ann["id"]))
                    area = ann["area"]
                    if area != geometry.w * geometry.h:
                        obj.extra = {"area": area}
                if attributes:
                    obj.attributes = from_flat(attributes)
                objects.append(obj)
            except (*BAD_VALUE, rle.RleError) as error:
                self.warn_annotation(index, ann, describe(error))
        ctx.progress(total, total)
        pending.flush()
        self.drop_lost(pending.dropped)
        if len(ctx.issues) > first_issue:
            # Polygon warnings come from the batch, after the others: put them in file order.
            ctx.issues[:] = sorted(ctx.issues, key=_annotation_order)

    def warn_annotation(self, index: int, ann: Any, message: str) -> None:
        item = obj = None
        if isinstance(ann, dict):
            found = self.items.get(ann.get("image_id"))
            item = found.id if found is not None else None
            obj = str(ann["id"]) if "id" in ann else None
        self.ctx.warn(at("annotations", index), message, item=item, obj=obj)

    def drop_lost(self, dropped: set[int]) -> None:
        """Remove the objects (by id()) whose every polygon ring was unreadable."""
        if not dropped:
            return
        for item in checked(self.dataset.items, self.ctx):
            if any(id(obj) in dropped for obj in item.objects):
                item.objects = [obj for obj in item.objects if id(obj) not in dropped]
        dropped.clear()

    def finish(self) -> None:
        for name, count in self.unnamed_skeletons.items():
            category = self.dataset.categories[name]
            names = tuple(str(i + 1) for i in range(count))
            if category.skeleton is not None:
                category.skeleton = Skeleton(names=names, edges=category.skeleton.edges)


def _dimension(value: Any) -> int | None:
    """An image width or height, None when absent or not a positive integer (warned once)."""
    try:
        return size(value)
    except Skip:
        return None


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


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a COCO instances/keypoints file or a COCO results list."""
    # The registry pauses the GC over the whole read and freezes what was built (formats.read).
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
    if (
        isinstance(annotations, list)
        and annotations
        and isinstance(annotations[0], dict)
        and "segments_info" in annotations[0]
    ):
        _panoptic(reader, annotations)
    else:
        reader.annotations(annotations)
    reader.finish()
    dataset = reader.dataset
    dataset.format = "coco"  # the writer trusts what this reader kept in `extra`
    meta = {key: data[key] for key in ("info", "licenses") if data.get(key)}
    if meta:
        dataset.meta["coco"] = meta
    del data, annotations, reader
    return dataset


def _results_as_dataset(data: list, ctx: ReadContext) -> dict:
    """A results list as a COCO dict with images and categories made up from the ids."""
    image_ids: dict[Any, None] = {}
    category_ids: dict[Any, None] = {}
    for entry in checked(data, ctx):
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
        "COCO panoptic read as COCO: segments read as boxes (--from coco_panoptic reads their"
        " PNG masks)",
    )
    for index, ann in enumerate(checked(annotations, ctx)):
        try:
            item = reader.item_of(ann["image_id"])
            item.extra["panoptic_png"] = ann.get("file_name")
            for number, segment in enumerate(checked(ann["segments_info"], ctx)):
                try:
                    geometry = reader.box(segment["bbox"], None)
                    obj = ObjectLabel(
                        reader.category_of(segment["category_id"]), geometry, str(segment["id"])
                    )
                    area = segment.get("area")
                    if area is not None and area != geometry.w * geometry.h:
                        keep(obj, "area", area)
                    if segment.get("iscrowd"):
                        keep(obj, "iscrowd", segment["iscrowd"])
                    item.objects.append(obj)
                except BAD_VALUE as error:
                    where = at("annotations", index, "segments_info", number)
                    ctx.warn(where, describe(error))
        except BAD_VALUE as error:
            ctx.warn(at("annotations", index), describe(error))
