"""COCO panoptic writing: `panoptic.json`, one PNG per picture in `panoptic/`, images in `images/`.

Every object with an area (masks as they are; polygons, boxes, rotated boxes and ellipses
rasterised as the COCO tools rasterise them) becomes one segment of its picture's PNG. A panoptic
pixel holds one segment, so where objects overlap the one painted last keeps the pixel. The paint
order is the PNG masks writer's: by `z_order` (low first) when the picture's objects have one,
then larger areas before smaller ones (a small object on a big one stays visible), then the
objects' order. Every object that loses pixels that way is counted in the report and named in a
located issue (`panoptic/<stem>.png: segment 7: …`); one hidden entirely is not written.

Segment ids are the objects' ids where they are integers in 1..256³-1 unique in their picture,
else fresh ones (the source's id then goes to `attributes.object_id`, as COCO does). `bbox` and
`area` are those of the pixels written — the source's as given for a segment read from COCO
panoptic that kept all its pixels. Categories carry `isthing`: the source's, else 1 (every
category written from instance shapes is a thing).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Literal

import numpy as np
import orjson
from pydantic import Field, field_validator

from labelview.cancel import checked
from labelview.errors import Issue
from labelview.formats._writing import EXACT, Holds, ImagePlacer, Picture, pictures
from labelview.formats.base import WriteContext, WriteReport, WriterOptions
from labelview.formats.coco.attributes import as_given, to_attributes
from labelview.formats.coco.write import _Ids, _integer_id, _wanted_ids, _Writer
from labelview.formats.coco_panoptic.pixels import MAX_SEGMENT_ID, encode_ids
from labelview.formats.masks import AREA_KINDS, paint_order
from labelview.model import Dataset, Mask, ObjectLabel
from labelview.output import OutputDir, UniqueStems

JSON_NAME = "panoptic.json"
PNG_DIR = "panoptic"
_PANOPTIC_SOURCES = frozenset({"coco", "coco_panoptic"})
_OURS = ("panoptic_png", "panoptic_annotation")

TRIMMED = (
    "objects that lost pixels to objects painted over them (a panoptic pixel holds one segment)"
)
HIDDEN = "objects hidden entirely by objects painted over them (no segment written)"
EMPTY = "objects with no pixel inside their image (no segment written)"
UNREADABLE = "objects whose pixels could not be read (no segment written)"
NO_SIZE = "objects on images without a known size (no panoptic PNG written)"


class PanopticOptions(WriterOptions):
    """Options of the COCO panoptic writer."""

    category_ids: Literal["source", "1", "0"] = Field(
        "source",
        description="Category ids: the source's where they are integers (else the next free"
        " one), or renumbered from 1 or from 0 in category order",
    )
    indent: bool = Field(False, description="Indent the JSON (easier to read, about 2× bigger)")

    @field_validator("category_ids", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        # `--option coco_panoptic.category_ids=1` arrives as the JSON number 1.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def holds(options: PanopticOptions | None = None) -> Holds:
    """Segments are pixel sets: masks exactly, the other area shapes rasterised."""
    painted = "rasterised into the panoptic PNG (pixels, not vertices)"
    return Holds(
        shapes={
            "mask": EXACT,
            "polygon": painted,
            "multipart_polygon": painted,
            "polygon_with_holes": painted,
            "box": "written as a filled rectangle segment",
            "rotated_box": "written as a filled rectangle segment",
            "ellipse": painted,
        },
        fields=frozenset(
            {"attributes", "confidence", "source", "track", "object id", "classifications"}
        ),
    )


class _SegmentIds:
    """Ids of one picture's segments: the objects' own where usable and unique, else fresh."""

    def __init__(self, wanted: list[int | None]) -> None:
        self.taken: set[int] = set()
        self.kept: list[int | None] = []
        for value in wanted:
            usable = value is not None and 1 <= value <= MAX_SEGMENT_ID and value not in self.taken
            self.kept.append(value if usable else None)
            if usable:
                self.taken.add(value)
        self.next = 1

    def fresh(self) -> int:
        while self.next in self.taken:
            self.next += 1
        if self.next > MAX_SEGMENT_ID:
            raise OverflowError("more than 256³-1 segments in one picture")
        self.taken.add(self.next)
        return self.next


def _wanted_id(obj: ObjectLabel, from_source: bool) -> int | None:
    given = (obj.extra or {}).get("id") if from_source else None
    return _integer_id(given) if given is not None else _integer_id(obj.id)


def _bbox(window: np.ndarray, x0: int, y0: int) -> list[int]:
    """x, y, w, h of the set pixels of `window` (placed at x0, y0): whole pixels, as panopticapi
    writes them.
    """
    rows = np.flatnonzero(window.any(axis=1))
    cols = np.flatnonzero(window.any(axis=0))
    return [
        int(x0 + cols[0]),
        int(y0 + rows[0]),
        int(cols[-1] - cols[0] + 1),
        int(rows[-1] - rows[0] + 1),
    ]


class _Painter:
    """One picture's id map and segments_info."""

    def __init__(
        self, writer: _Writer, report: WriteReport, ctx: WriteContext, from_panoptic: bool
    ) -> None:
        self.writer = writer
        self.report = report
        self.ctx = ctx
        # The source's segment ids, bbox and area: only those a COCO panoptic reader kept.
        self.from_source = from_panoptic

    def paint(self, picture: Picture, size: tuple[int, int], png_name: str) -> tuple[bytes, list]:
        from labelview.ops.raster import rasterise

        width, height = size
        ids = np.zeros((height, width), dtype=np.uint32)
        readable = [
            obj
            for obj in checked(picture.objects, self.ctx)
            if self.readable(obj, picture, png_name)
        ]
        order = [obj for _, obj in paint_order(readable, self.ctx)]
        numbers = _SegmentIds([_wanted_id(obj, self.from_source) for obj in order])
        painted = []  # (object, segment id, own pixel count, own window)
        for obj, kept in checked(zip(order, numbers.kept, strict=True), self.ctx):
            geometry = obj.geometry
            if isinstance(geometry, Mask) and (geometry.height, geometry.width) != (height, width):
                self.report.drop("masks whose size differs from their image (cropped or padded)")
            pixels = rasterise(geometry, height, width)
            rows = np.flatnonzero(pixels.any(axis=1))
            if not rows.size:
                self.report.skip(obj, EMPTY)
                continue
            cols = np.flatnonzero(pixels.any(axis=0))
            window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
            segment_id = kept if kept is not None else numbers.fresh()
            ids[pixels] = segment_id
            painted.append((obj, segment_id, int(np.count_nonzero(pixels[window])), window))
        segments = []
        for obj, segment_id, own, window in checked(painted, self.ctx):
            mine = ids[window] == segment_id
            count = int(np.count_nonzero(mine))
            if not count:
                self.report.skip(obj, HIDDEN)
                message = f"hidden by objects painted over it ({own:,} px)"
                self.issue(picture, png_name, obj, f"segment {segment_id}", message)
                continue
            trimmed = count < own
            if trimmed:
                self.report.drop(TRIMMED)
                self.report.reshape(obj)
                self.issue(
                    picture,
                    png_name,
                    obj,
                    f"segment {segment_id}",
                    f"lost {own - count:,} of {own:,} pixels to objects painted over it",
                )
            bbox = _bbox(mine, window[1].start, window[0].start)
            entry = self.segment(obj, segment_id, bbox, count, picture, trimmed)
            segments.append((obj, entry))
        # segments_info in the objects' own order (the paint order is only the PNG's).
        position = {id(obj): index for index, obj in enumerate(picture.objects)}
        segments.sort(key=lambda pair: position[id(pair[0])])
        return encode_ids(ids), [entry for _, entry in segments]

    def readable(self, obj: ObjectLabel, picture: Picture, png_name: str) -> bool:
        """False (reported, located) for a mask whose pixels cannot be had: its source PNG gone
        or broken since it was read. Its area is what the paint order needs first.
        """
        if not isinstance(obj.geometry, Mask):
            return True
        try:
            obj.geometry.area  # noqa: B018  # decodes the mask
        except (ValueError, OSError) as error:
            self.report.skip(obj, UNREADABLE)
            self.issue(picture, png_name, obj, f"object {obj.id}", f"not written: {error}")
            return False
        return True

    def segment(
        self,
        obj: ObjectLabel,
        segment_id: int,
        bbox: list[int],
        area: int,
        picture: Picture,
        trimmed: bool,
    ) -> dict[str, Any]:
        given = (obj.extra or {}) if self.from_source and not trimmed else {}
        entry: dict[str, Any] = {
            "id": segment_id,
            "category_id": self.writer.category_id(obj.category),
            "area": _given(given.get("area"), area),
            "bbox": given.get("bbox") if _is_bbox(given.get("bbox")) else bbox,
            "iscrowd": (obj.extra or {}).get("iscrowd") or 0,
        }
        if obj.confidence is not None:
            entry["score"] = obj.confidence
        attributes = as_given(obj, segment_id) if self.writer.from_coco else None
        if attributes is None:
            attributes = to_attributes(obj, picture.frame, segment_id)
        if attributes:
            entry["attributes"] = attributes
        return entry

    def issue(
        self, picture: Picture, png_name: str, obj: ObjectLabel, where: str, message: str
    ) -> None:
        self.ctx.issues.append(Issue(png_name, where, message, "warning", picture.item.id, obj.id))


def _given(value: Any, computed: float) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value):
        return value
    return computed


def _is_bbox(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 4
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    )


def write(
    dataset: Dataset, out: OutputDir, options: PanopticOptions, ctx: WriteContext
) -> WriteReport:
    """Write `panoptic.json` and `panoptic/<stem>.png` for every picture (and the images)."""
    from labelview.images import image_size

    report = WriteReport(format="coco_panoptic")
    out.check_free([JSON_NAME, PNG_DIR])
    writer = _Writer(dataset, options, report)  # type: ignore[arg-type]  # categories, images
    writer.from_coco = dataset.format in _PANOPTIC_SOURCES
    if writer.from_coco:  # the categories' own keys (isthing, color…), as COCO gives them back
        for name, entry in writer.category_entries.items():
            category = dataset.categories.get(name)
            if category is not None:
                entry.update((k, v) for k, v in category.extra.items() if k not in entry)
    painter = _Painter(writer, report, ctx, dataset.format == "coco_panoptic")
    placer = ImagePlacer(out, options.images, report)
    stems = UniqueStems()
    every = [
        (item, pictures(item, ctx.image_roots, report, cancel=ctx))
        for item in checked(dataset.items, ctx)
    ]
    images = _Ids(_wanted_ids(every, ctx)[0])  # the source's image ids, as COCO keeps them
    annotations = []
    total = len(every)
    for number, (item, shown) in enumerate(checked(every, ctx)):
        if not number % 64:
            ctx.check_cancelled()
            ctx.progress(number, total)
        for picture in checked(shown, ctx):
            if picture.size is None and picture.path is not None:
                picture.width, picture.height = image_size(picture.path) or (None, None)
            image_id = images.take(item.id if picture.frame is None else None)
            entry = writer.image(picture, image_id)
            for key in _OURS:  # what the reader kept of the annotation is not an image key
                entry.pop(key, None)
            placer.place(picture.path, f"images/{picture.name}")
            size = picture.size
            if size is None:
                for obj in picture.objects:
                    if obj.kind in AREA_KINDS:
                        report.skip(obj, NO_SIZE)
                continue
            stem = stems.claim(PurePosixPath(picture.name))
            png_name = f"{PNG_DIR}/{stem}.png"
            data, segments = painter.paint(picture, size, png_name)
            out.write_bytes(png_name, data)
            annotation: dict[str, Any] = {"image_id": image_id, "file_name": f"{stem}.png"}
            kept = item.extra.get("panoptic_annotation") if writer.from_coco else None
            if isinstance(kept, dict) and picture.frame is None:
                annotation.update((k, v) for k, v in kept.items() if k not in annotation)
            annotation["segments_info"] = segments
            annotations.append(annotation)
            report.objects += len(segments)
        report.items += len(shown)
    ctx.progress(total, total)
    placer.finish()
    for category in writer.categories:
        category.setdefault("isthing", 1)
    doc = {
        "info": {"description": "written by labelview", "version": "1.0"},
        "licenses": [],
        "images": writer.images,
        "annotations": annotations,
        "categories": writer.categories,
    }
    meta = dataset.meta.get("coco") if writer.from_coco else None
    if isinstance(meta, dict):
        doc.update((key, meta[key]) for key in ("info", "licenses") if key in meta)
    flags = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if options.indent else 0)
    out.write_bytes(JSON_NAME, orjson.dumps(doc, option=flags))
    return report
