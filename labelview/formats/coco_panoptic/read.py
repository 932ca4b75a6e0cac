"""COCO panoptic reading: `images` and `categories` as COCO reads them, then one mask object per
`segments_info` entry, its pixels the ones of the annotation's PNG holding its id.

Where the PNGs are: the folder given by the read option `panoptic_dir`, else the folder beside
the JSON named like it (`panoptic_val2017.json` → `panoptic_val2017/`, COCO's and Datumaro's
layout). A PNG not found, unreadable, too big or not RGB is a located warning and that image's
segments are read as their boxes.

Kept as the source gives them (the writer gives them back): each segment's `id` (the object id),
`bbox`, `area` and `iscrowd` in `ObjectLabel.extra`; `isthing` and the categories' other keys in
`Category.extra`; the annotation's PNG name in `Item.extra["panoptic_png"]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import (
    BAD_VALUE,
    Skip,
    at,
    describe,
    integer,
    number,
    sequence,
    text,
)
from labelview.formats.base import ReadContext, load_json
from labelview.formats.coco.attributes import read_attributes
from labelview.formats.coco.read import _Reader
from labelview.formats.coco.read_shapes import keep
from labelview.formats.coco_panoptic.pixels import (
    MAX_SEGMENT_ID,
    PanopticPngError,
    png_header,
    segment_mask,
)
from labelview.model import Box, Dataset, Item, ObjectLabel

_SEGMENT_KEYS = frozenset({"id", "category_id", "bbox", "area", "iscrowd", "attributes", "score"})
_ANNOTATION_KEYS = frozenset({"image_id", "file_name", "segments_info"})
_CHUNK = 64  # annotations between progress reports: one per image, each with its PNG


def png_folder(path: Path, ctx: ReadContext) -> Path:
    """Where the panoptic PNGs of `path` are (the option, else the folder named like the JSON)."""
    given = ctx.options.get("panoptic_dir")
    if given:
        folder = Path(str(given))
        if not folder.is_absolute() and not folder.is_dir():
            folder = path.parent / folder  # relative to the JSON, when not to where we run
        return folder
    return path.with_suffix("")


class _Segments:
    """The annotation pass: one object per segment (a mask, or its box when the PNG is unusable)."""

    def __init__(self, reader: _Reader, folder: Path) -> None:
        self.reader = reader
        self.ctx = reader.ctx
        self.folder = folder
        self.folder_found = folder.is_dir()
        self.annotated: set[int] = set()  # id() of the items with an annotation already

    def annotations(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            raise self.ctx.fail("annotations", "not a list")
        if not self.folder_found:
            self.ctx.warn(
                "annotations",
                f"no panoptic PNG folder {self.folder.name}/ beside the JSON (pass"
                " --read-option panoptic_dir=DIR): segments read as their boxes",
            )
        total = len(raw)
        for index, ann in enumerate(checked(raw, self.ctx)):
            if not index % _CHUNK:
                self.ctx.progress(index, total)
            try:
                self.annotation(ann, index)
            except BAD_VALUE as error:
                self.ctx.warn(at("annotations", index), f"annotation skipped: {describe(error)}")
        self.ctx.progress(total, total)

    def annotation(self, ann: Any, index: int) -> None:
        if not isinstance(ann, dict):
            raise Skip(f"not a JSON object: {str(ann)[:40]!r}")
        item = self.reader.item_of(ann["image_id"])
        if id(item) in self.annotated:
            raise Skip(f"a second annotation of image_id {ann['image_id']!r}")
        self.annotated.add(id(item))
        segments = sequence(ann["segments_info"], "segments_info")
        png = self.png(ann, item, index)
        item.extra["panoptic_png"] = ann.get("file_name")
        unknown = {key: ann[key] for key in ann.keys() - _ANNOTATION_KEYS}
        if unknown:
            item.extra["panoptic_annotation"] = unknown
        seen: set[int] = set()
        for position, segment in enumerate(checked(segments, self.ctx)):
            where = at("annotations", index, "segments_info", position)
            try:
                obj = self.segment(segment, png, item, seen)
            except BAD_VALUE as error:
                self.ctx.warn(where, f"segment skipped: {describe(error)}", item=item.id)
                continue
            item.objects.append(obj)

    def png(self, ann: dict, item: Item, index: int) -> tuple[Path, int, int] | None:
        """The annotation's PNG and its size; None (after a warning) when it cannot be used."""
        if not self.folder_found:
            return None
        where = at("annotations", index, "file_name")
        try:
            name = text(ann["file_name"], "file_name")
        except BAD_VALUE as error:
            self.ctx.warn(where, f"{describe(error)}: segments read as boxes", item=item.id)
            return None
        path = self.folder / name
        if not path.is_file():
            self.ctx.warn(
                where,
                f"panoptic PNG {name} not found in {self.folder.name}/: segments read as boxes",
                item=item.id,
            )
            return None
        try:
            width, height = png_header(path)
        except PanopticPngError as error:
            self.ctx.warn(where, f"{name}: {error}: segments read as boxes", item=item.id)
            return None
        if item.width is None and item.height is None:
            item.width, item.height = width, height
        elif (item.width, item.height) != (width, height):
            self.ctx.warn(
                where,
                f"{name} is {width}×{height}, the image {item.width}×{item.height}: masks keep"
                " the PNG's size",
                item=item.id,
            )
        return path, width, height

    def segment(
        self, segment: Any, png: tuple[Path, int, int] | None, item: Item, seen: set[int]
    ) -> ObjectLabel:
        if not isinstance(segment, dict):
            raise Skip(f"not a JSON object: {str(segment)[:40]!r}")
        segment_id = integer(segment["id"], "segment id", low=0, high=MAX_SEGMENT_ID)
        if segment_id == 0:
            raise Skip("segment id 0 is the PNG's 'no segment' colour (black)")
        if segment_id in seen:
            raise Skip(f"segment id {segment_id} used twice in this image")
        seen.add(segment_id)
        category = self.reader.category_of(segment["category_id"])
        bbox = segment.get("bbox")
        box = _box(bbox) if bbox is not None else None
        obj = ObjectLabel(category, None, str(segment_id))
        if png is not None:
            path, width, height = png
            obj.geometry = segment_mask(path, segment_id, width, height)
        elif box is not None:
            obj.geometry = box
        else:
            raise Skip("no PNG and no bbox")
        # The source's values, as given (COCO instances do the same for identity).
        if bbox is not None and png is not None:
            keep(obj, "bbox", bbox)
        area = segment.get("area")
        if area is not None and not (isinstance(obj.geometry, Box) and area == box.w * box.h):
            keep(obj, "area", area)
        if segment.get("iscrowd"):
            keep(obj, "iscrowd", segment["iscrowd"])
        unknown = segment.keys() - _SEGMENT_KEYS
        if unknown:
            for key in unknown:
                keep(obj, key, segment[key])
        score = segment.get("score")
        if score is not None:
            obj.confidence = float(score)
            obj.source = "model"
        attributes = segment.get("attributes")
        if attributes:
            read_attributes(obj, attributes)
            if obj.id != str(segment_id):  # attributes.object_id named the object
                keep(obj, "id", segment_id)
        return obj


def _box(bbox: Any) -> Box:
    values = sequence(bbox, "bbox")
    if len(values) != 4:
        raise Skip(f"bbox has {len(values)} numbers, expected 4")
    x, y, w, h = (number(value, "bbox value") for value in values)
    if w < 0 or h < 0:
        raise Skip(f"bbox has a negative size: {list(values)}")
    return Box(x, y, w, h)


def json_in(folder: Path) -> list[Path]:
    """The JSON files of `folder` that have a folder of their name beside them (panoptic pairs)."""
    return sorted(path for path in folder.glob("*.json") if path.with_suffix("").is_dir())


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a COCO panoptic JSON and the PNGs of its segments (given the JSON, or the folder
    holding it beside its PNG folder — what this writer writes).
    """
    if path.is_dir():
        found = json_in(path)
        if len(found) != 1:
            what = ", ".join(p.name for p in found) if found else "none"
            raise ctx.fail("", f"expected one JSON beside a PNG folder of its name, found {what}")
        path = ctx.file = found[0]
    data = load_json(path, ctx)
    if not isinstance(data, dict):
        raise ctx.fail("", "expected a JSON object with images, annotations and categories")
    if "annotations" not in data:
        raise ctx.fail("", "no annotations: not a COCO panoptic file")
    reader = _Reader(ctx)
    reader.categories(data.get("categories"))
    reader.images(data.get("images"))
    segments = _Segments(reader, png_folder(path, ctx))
    segments.annotations(data.get("annotations"))
    dataset = reader.dataset
    dataset.format = "coco_panoptic"  # the writer trusts what this reader kept in `extra`
    meta = {key: data[key] for key in ("info", "licenses") if data.get(key)}
    if meta:
        dataset.meta["coco"] = meta
    return dataset
