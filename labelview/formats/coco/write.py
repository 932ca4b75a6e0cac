"""COCO writing: `annotations.json`, with the images placed in `images/` (file_name relative there).

Identity first: a dataset read from COCO is written back with the source's annotation, image and
category ids, and each annotation's `bbox`, `area`, `iscrowd`, `segmentation` and `attributes` as
given (kept by the reader in `ObjectLabel.extra`, see `read.py`). Values are computed only where
the source had none: bbox from the geometry, area w·h for boxes and keypoints, the pycocotools
(rasterised) area for polygons and masks.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import orjson
from pycocotools import mask as coco_mask
from pydantic import Field

from labelview import limits
from labelview.cancel import checked
from labelview.formats._writing import EXACT, Holds, ImagePlacer, Picture, pictures
from labelview.formats.base import WriteContext, WriteReport, WriterOptions
from labelview.formats.coco.attributes import as_given, to_attributes
from labelview.formats.coco.read_shapes import CheckedRle
from labelview.model import (
    Box,
    Category,
    Dataset,
    Ellipse,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Polygon,
    RotatedBox,
)
from labelview.model.classifications import flatten
from labelview.ops import rle
from labelview.output import OutputDir

_ELLIPSE_SEGMENTS = 64
_MAX_ID = 2**63 - 1
# extra keys the writer reads as COCO fields; any other key of a COCO object's extra was an unknown
# annotation key of the source and is written back as it came.
_FIELDS_IN_EXTRA = frozenset(
    {"bbox", "area", "segmentation", "iscrowd", "keypoints", "num_keypoints", "attributes"}
)
_IMAGE_FIELDS = frozenset({"id", "file_name", "width", "height", "attributes"})
_CATEGORY_FIELDS = frozenset({"id", "name", "supercategory", "keypoints", "skeleton", "color"})


class CocoOptions(WriterOptions):
    """Options of the COCO writer."""

    masks: Literal["rle", "polygon"] = Field(
        "rle",
        description="Masks as compressed RLE (exact) or traced polygons (holes force RLE)",
    )
    category_ids: Literal["source", "1", "0"] = Field(
        "source",
        description="Category ids: the source's where they are integers (else the next free"
        " one), or renumbered from 1 or from 0 in category order",
    )
    indent: bool = Field(False, description="Indent the JSON (easier to read, about 2× bigger)")


def holds(options: CocoOptions) -> Holds:
    """What COCO carries; with masks=polygon a mask is traced, not kept."""
    return Holds(
        shapes={
            "box": EXACT,
            "rotated_box": EXACT,  # 4-corner polygon + attributes.rotation
            "polygon": EXACT,
            "multipart_polygon": EXACT,  # several rings: a union
            "polygon_with_holes": "written as an RLE mask (COCO polygons cannot hold holes)",
            "polyline": "written as its bounding box",
            "point": "written as its bounding box",
            "ellipse": f"written as a {_ELLIPSE_SEGMENTS}-point polygon",
            "keypoints": EXACT,
            "mask": EXACT if options.masks == "rle" else "traced as polygons",
        },
        fields=frozenset(
            {"attributes", "confidence", "source", "track", "object id", "classifications"}
        ),
    )


def _integer_id(value: Any) -> int | None:
    """An id usable as a COCO id: a non-negative integer, or its canonical decimal text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and str(int(value)) == value:
        value = int(value)
    return value if isinstance(value, int) and 0 <= value <= _MAX_ID else None


class _Ids:
    """Ids as the source gave them where usable and unique; others get fresh ones above every
    source id, so a fresh id never collides with one kept.
    """

    def __init__(self, wanted: set[int]) -> None:
        self.wanted = wanted
        self.given: set[int] = set()
        self.next = max(wanted, default=0) + 1

    def take(self, value: Any) -> int:
        wanted = _integer_id(value)
        if wanted is not None and wanted in self.wanted and wanted not in self.given:
            self.given.add(wanted)
            return wanted
        fresh = self.next
        self.next += 1
        return fresh


class _Writer:
    def __init__(self, dataset: Dataset, options: CocoOptions, report: WriteReport) -> None:
        self.options = options
        self.report = report
        # Values kept in `extra` are the COCO reader's: only trusted on a dataset it read.
        self.from_coco = dataset.format == "coco"
        self.category_ids: dict[str, int] = {}
        self.categories: list[dict] = []
        self.category_entries: dict[str, dict] = {}
        self.keypoint_counts: dict[str, int] = {}
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        self.zero_ids = 0
        given = options.category_ids == "source"
        wanted = {_integer_id(c.id) for c in dataset.categories.values()} if given else set()
        self.next_category = _Ids(wanted - {None})
        if not given:
            self.next_category.next = int(options.category_ids)
        for name, category in dataset.categories.items():
            self.add_category(name, category)

    def add_category(self, name: str, category: Category | None) -> int:
        cid = self.next_category.take(category.id if category is not None else None)
        entry: dict[str, Any] = {"id": cid, "name": name, "supercategory": ""}
        if category is not None:
            if self.from_coco:
                entry.update((k, v) for k, v in category.extra.items() if k not in entry)
            entry["supercategory"] = category.supercategory or ""
            if category.color is not None:
                entry["color"] = list(category.color)
            if category.skeleton is not None:
                entry["keypoints"] = list(category.skeleton.names)
                entry["skeleton"] = [[a + 1, b + 1] for a, b in category.skeleton.edges]
                self.keypoint_counts[name] = len(category.skeleton.names)
        self.categories.append(entry)
        self.category_entries[name] = entry
        self.category_ids[name] = cid
        return cid

    def category_id(self, name: str) -> int:
        cid = self.category_ids.get(name)
        if cid is None:
            cid = self.add_category(name, None)
            self.report.notes.append(f"category {name!r} was not declared: added as id {cid}")
        return cid

    def image(self, picture: Picture, image_id: int) -> dict:
        item = picture.item
        entry: dict[str, Any] = {"id": image_id, "file_name": picture.name}
        if self.from_coco and picture.frame is None:
            entry.update((k, v) for k, v in item.extra.items() if k not in _IMAGE_FIELDS)
        entry["width"] = picture.width or 0
        entry["height"] = picture.height or 0
        if not picture.size:
            self.report.drop("image size unknown: written as 0×0 (areas from the geometry)")
        answers = flatten(item.classifications, picture.frame)
        if answers:
            entry["attributes"] = answers
        elif self.from_coco and "attributes" in item.extra and picture.frame is None:
            entry["attributes"] = item.extra["attributes"]  # not an object: kept as it came
        self.images.append(entry)
        return entry

    def annotation(self, obj: ObjectLabel, ann_id: int, image_id: int, picture: Picture) -> None:
        geometry = obj.geometry
        width, height = picture.width or 0, picture.height or 0
        given = (obj.extra or {}) if self.from_coco else {}
        segmentation: Any = []
        area: float | None = None
        if isinstance(geometry, Box):
            bbox = [geometry.x, geometry.y, geometry.w, geometry.h]
            area = geometry.w * geometry.h
        elif isinstance(geometry, Polygon):
            if geometry.has_holes and height and width:
                # COCO polygons are a union of rings: only RLE keeps the holes. The bbox is the
                # geometry's, not the rasterised mask's (which rounds outward to whole pixels).
                parts = [(part.outer, part.holes) for part in geometry.parts]
                encoded = rle.encode_coco(rle.polygon_to_mask(parts, height, width))
                segmentation, _, area = _mask_fields(encoded)
                x0, y0, x1, y1 = geometry.bounds()
                bbox = [x0, y0, x1 - x0, y1 - y0]
            else:
                if geometry.has_holes:
                    self.report.drop("holes of polygons (image size unknown: cannot write RLE)")
                segmentation, bbox, area = _polygon_fields(
                    [part.outer for part in geometry.parts], width, height, "area" in given
                )
        elif isinstance(geometry, RotatedBox):
            segmentation, _, area = _polygon_fields(
                [geometry.corners()], width, height, "area" in given
            )
            x0, y0, x1, y1 = geometry.bounds()
            bbox = [x0, y0, x1 - x0, y1 - y0]
        elif isinstance(geometry, Ellipse):
            segmentation, bbox, area = _polygon_fields(
                [geometry.to_points(_ELLIPSE_SEGMENTS)], width, height, False
            )
        elif isinstance(geometry, Mask):
            segmentation, bbox, area = self.mask(geometry)
        elif isinstance(geometry, Keypoints):
            bbox, area = _keypoint_box(geometry, obj)
        else:  # Polyline, Point: no COCO shape, their bounding box (reported from Holds)
            x0, y0, x1, y1 = geometry.bounds()
            bbox = [x0, y0, x1 - x0, y1 - y0]
            area = bbox[2] * bbox[3]
        ann: dict[str, Any] = {
            "id": ann_id,
            "image_id": image_id,
            "category_id": self.category_id(obj.category),
        }
        for key, value in given.items():
            if key not in _FIELDS_IN_EXTRA:
                ann.setdefault(key, value)
        ann["segmentation"] = given.get("segmentation", segmentation)
        ann["area"] = _given_number(given.get("area"), area)
        ann["bbox"] = _given_bbox(given.get("bbox"), bbox)
        ann["iscrowd"] = (obj.extra or {}).get("iscrowd") or 0
        if isinstance(geometry, Keypoints):
            self.keypoints(ann, obj, geometry)
        elif "keypoints" in given:
            ann["keypoints"] = given["keypoints"]
        elif obj.category in self.keypoint_counts:
            ann["keypoints"] = [0] * (3 * self.keypoint_counts[obj.category])
            ann["num_keypoints"] = 0
        if "num_keypoints" in given:
            ann["num_keypoints"] = given["num_keypoints"]
        if obj.confidence is not None:
            ann["score"] = obj.confidence
        attributes = as_given(obj, ann_id) if self.from_coco else None
        if attributes is None:
            attributes = to_attributes(obj, picture.frame, ann_id)
        if attributes:
            ann["attributes"] = attributes
        if ann_id == 0:
            self.zero_ids += 1
        self.annotations.append(ann)

    def keypoints(self, ann: dict, obj: ObjectLabel, geometry: Keypoints) -> None:
        count = self.keypoint_counts.get(obj.category)
        if count is None:
            self.keypoint_counts[obj.category] = count = len(geometry.points)
            entry = self.category_entries[obj.category]
            entry["keypoints"] = list(geometry.names) or [str(i + 1) for i in range(count)]
            entry["skeleton"] = []
        if len(geometry.points) != count:
            self.report.drop("objects whose keypoint count differs from the category's: no points")
            ann["keypoints"] = [0] * (3 * count)
            ann["num_keypoints"] = 0
            return
        triplets = np.column_stack((geometry.points, geometry.visibility)).ravel()
        values = triplets.tolist()
        ann["keypoints"] = [int(v) if float(v).is_integer() else float(v) for v in values]
        ann["num_keypoints"] = int(np.count_nonzero(geometry.visibility))

    def mask(self, mask: Mask) -> tuple[Any, list[float], float]:
        if self.options.masks == "polygon":
            from labelview.ops.raster import mask_to_polygons

            parts = mask_to_polygons(mask.decode())
            if parts and not any(part.holes for part in parts):
                return _polygon_fields([p.outer for p in parts], mask.width, mask.height, False)
            if parts:
                self.report.drop("masks with holes kept as RLE (COCO polygons cannot hold holes)")
        segmentation, bbox, area = _mask_fields(mask.to_coco_rle())
        if isinstance(mask.source, CheckedRle):
            segmentation["counts"] = mask.source.counts  # as the source gave it (list or string)
        return segmentation, bbox, area


def _usable(value: Any) -> bool:
    """A source value the writer may copy: a finite number JSON (and orjson, 64-bit) can hold."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and abs(value) <= limits.MAX_COORDINATE**2
        and math.isfinite(value)
    )


def _given_number(value: Any, computed: float | None) -> Any:
    if _usable(value):
        return value
    return float(computed or 0.0)


def _given_bbox(value: Any, computed: list[float]) -> list:
    if isinstance(value, list) and len(value) == 4 and all(_usable(v) for v in value):
        return value
    return [float(v) for v in computed]


def _mask_fields(encoded: dict) -> tuple[dict, list[float], float]:
    c_rle = {"size": encoded["size"], "counts": encoded["counts"].encode("ascii")}
    x, y, w, h = coco_mask.toBbox(c_rle).tolist()
    return (
        {"size": list(encoded["size"]), "counts": encoded["counts"]},
        [x, y, w, h],
        float(coco_mask.area(c_rle)),
    )


def _polygon_fields(
    rings: list[np.ndarray], width: int, height: int, area_given: bool
) -> tuple[list, list, float | None]:
    """Rings, bbox and area (the pycocotools rasterised area, unless the source gave one)."""
    flat = [ring.ravel().tolist() for ring in rings]
    points = np.concatenate(rings)
    x0, y0 = points.min(axis=0).tolist()
    x1, y1 = points.max(axis=0).tolist()
    area = None
    if area_given:
        pass
    elif width and height:
        # Clipped to the image: pycocotools allocates by a polygon's extent.
        inside = rle.clipped_flat(rings, height, width)
        if inside:
            encoded = coco_mask.frPyObjects(inside, height, width)
            merged = coco_mask.merge(encoded) if len(encoded) > 1 else encoded[0]
            area = float(coco_mask.area(merged))
        else:
            area = 0.0
    else:
        area = float(sum(_shoelace(ring) for ring in rings))
    return flat, [x0, y0, x1 - x0, y1 - y0], area


def _shoelace(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def _keypoint_box(geometry: Keypoints, obj: ObjectLabel) -> tuple[list[float], float]:
    bbox = (obj.extra or {}).get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4 and all(_usable(v) for v in bbox):
        return [float(v) for v in bbox], float(bbox[2]) * float(bbox[3])
    x0, y0, x1, y1 = geometry.bounds()
    return [x0, y0, x1 - x0, y1 - y0], (x1 - x0) * (y1 - y0)


def write(dataset: Dataset, out: OutputDir, options: CocoOptions, ctx: WriteContext) -> WriteReport:
    """Write `annotations.json` (and the images into images/, as options.images says)."""
    report = WriteReport(format="coco")
    out.check_free(["annotations.json"])
    writer = _Writer(dataset, options, report)
    placer = ImagePlacer(out, options.images, report)
    every = [
        (item, pictures(item, ctx.image_roots, report, cancel=ctx))
        for item in checked(dataset.items, ctx)
    ]
    image_ids, object_ids = _wanted_ids(every, ctx)
    images = _Ids(image_ids)
    objects = _Ids(object_ids)
    total = len(every)
    for number, (item, shown) in enumerate(every):
        if not number % 1024:
            ctx.check_cancelled()
            ctx.progress(number, total)
        for picture in checked(shown, ctx):
            image_id = images.take(item.id if picture.frame is None else None)
            writer.image(picture, image_id)
            placer.place(picture.path, f"images/{picture.name}")
            for obj in checked(picture.objects, ctx):
                if obj.geometry is not None:  # shapeless objects: reported from Holds
                    writer.annotation(obj, objects.take(obj.id), image_id, picture)
        report.items += len(shown)  # images written: a video counts its frames
    ctx.progress(total, total)
    placer.finish()
    if writer.zero_ids:
        report.notes.append(
            f"{writer.zero_ids:,} annotations keep the source's id 0 (COCOeval counts a detection"
            " matched to ground truth id 0 as a false positive)"
        )
    report.objects = len(writer.annotations)
    doc = {
        "info": {"description": "written by labelview", "version": "1.0"},
        "licenses": [],
        "images": writer.images,
        "annotations": writer.annotations,
        "categories": writer.categories,
    }
    meta = dataset.meta.get("coco") if writer.from_coco else None
    if isinstance(meta, dict):
        doc.update((key, meta[key]) for key in ("info", "licenses") if key in meta)
    flags = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if options.indent else 0)
    out.write_bytes("annotations.json", orjson.dumps(doc, option=flags))
    return report


def _wanted_ids(
    every: list[tuple[Item, list[Picture]]], cancel: Any = None
) -> tuple[set[int], set[int]]:
    """The usable ids the source gives images (single-image items) and objects."""
    image_ids: set[int] = set()
    object_ids: set[int] = set()
    for item, shown in checked(every, cancel):
        if len(shown) == 1 and shown[0].frame is None:
            wanted = _integer_id(item.id)
            if wanted is not None:
                image_ids.add(wanted)
        for picture in checked(shown, cancel):
            for obj in checked(picture.objects, cancel):
                wanted = _integer_id(obj.id)
                if wanted is not None:
                    object_ids.add(wanted)
    return image_ids, object_ids
