"""PNG masks (write only): semantic class maps and instance-id maps, VOC / Datumaro layout.

- `SegmentationClass/<stem>.png`: pixel = class index (1..N in category order, 0 = background);
  8-bit, as a palette ("P") image with the VOC colormap when `palette` is on, else greyscale. With
  255 or more classes it is a 16-bit greyscale PNG (255 stays free: VOC reads it as "void").
- `SegmentationObject/<stem>.png`: 16-bit greyscale, pixel = instance number (1..K in the item's
  object order, counting area-shaped objects only; 0 = none).
- `labelmap.txt` (Datumaro: `name:r,g,b::`), `classes.txt` (line i = class i, line 0 background),
  `ImageSets/Segmentation/default.txt` (the stems), `images/<stem>.<ext>` (the images, linked by
  default).

`<stem>` is the picture's name by the one naming rule (`_writing.pictures`) without its suffix:
the image's path as found, video frames `<video stem>/<frame:06d>`.

What the PNGs hold is declared in `holds()` (pixels only: masks as they are, other area shapes
painted; polylines, points and keypoints have no area); the registry reports the rest. Counted
here are only the losses that depend on the data: sizes unknown, names made safe or unique.

Paint order (a pixel holds one label, the last painted wins): by `z_order` (low first) when an
item's objects have one, then larger areas before smaller ones so small objects stay visible, then
the objects' order in the item. Both maps use the same order.
"""

from __future__ import annotations

import io
import math
from pathlib import PurePosixPath
from typing import Any, Literal

import numpy as np
from pydantic import Field

from labelview.cancel import checked
from labelview.formats._writing import EXACT, Holds, ImagePlacer, pictures
from labelview.formats.base import (
    Detection,
    Format,
    Probe,
    WriteContext,
    WriteReport,
    WriterOptions,
    no,
)
from labelview.formats.cvat.write import made_safe
from labelview.model import (
    Box,
    Dataset,
    Ellipse,
    Mask,
    ObjectLabel,
    Polygon,
    RotatedBox,
)
from labelview.output import OutputDir, UniqueStems

CLASS_DIR = "SegmentationClass"
OBJECT_DIR = "SegmentationObject"
IMAGES_DIR = "images"
AREA_KINDS = frozenset({"box", "rotated_box", "ellipse", "polygon", "mask"})
# The shape kinds of the loss report that are painted (everything with an area but a mask).
_PAINTED = (
    "box",
    "rotated_box",
    "ellipse",
    "polygon",
    "polygon_with_holes",
    "multipart_polygon",
)


class MasksOptions(WriterOptions):
    """Options of the PNG masks writer."""

    which: Literal["semantic", "instance", "both"] = Field(
        "both",
        description="Class maps (SegmentationClass), instance maps (SegmentationObject) or both",
    )
    palette: bool = Field(
        True,
        description="Write class maps as palette PNGs with the VOC colours (pixel = class index "
        "either way); off: plain greyscale",
    )


def detect(probe: Probe) -> Detection:
    """PNG masks are written, never read, by labelview: never claim an input."""
    return no("PNG masks can be written but not read by labelview")


def voc_colormap(count: int = 256) -> np.ndarray:
    """The Pascal VOC colour map: (count, 3) uint8, index 0 black, 1 (128,0,0), 2 (0,128,0), …"""
    colors = np.zeros((count, 3), dtype=np.uint8)
    for index in range(count):
        r = g = b = 0
        value = index
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        colors[index] = (r, g, b)
    return colors


def area_of(obj: ObjectLabel) -> float:
    """Geometric area used for the paint order (no rasterising; masks count their pixels)."""
    g = obj.geometry
    if isinstance(g, (Box, RotatedBox)):
        return abs(g.w * g.h)
    if isinstance(g, Ellipse):
        return math.pi * abs(g.rx * g.ry)
    if isinstance(g, Polygon):
        return sum(
            _shoelace(part.outer) - sum(_shoelace(hole) for hole in part.holes) for part in g.parts
        )
    if isinstance(g, Mask):
        return g.area
    return 0.0


def _shoelace(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def paint_order(objects: list[ObjectLabel], cancel: Any = None) -> list[tuple[int, ObjectLabel]]:
    """(instance number, object) for the area-shaped objects, in the order they are painted."""
    shaped = [obj for obj in checked(objects, cancel) if obj.kind in AREA_KINDS]
    numbered = list(enumerate(shaped, start=1))
    use_z = any(obj.z_order is not None for obj in shaped)
    numbered.sort(
        key=lambda pair: (
            (pair[1].z_order or 0) if use_z else 0,
            -area_of(pair[1]),
            pair[0],
        )
    )
    return numbered


def _png(array: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    from PIL import Image

    if array.dtype == np.uint16:
        image = Image.fromarray(array)  # "I;16": a 16-bit greyscale PNG
    elif palette is not None:
        # Built as "P" directly: converting an "L" image to "P" may remap the index values.
        height, width = array.shape
        image = Image.frombytes("P", (width, height), np.ascontiguousarray(array).tobytes())
        image.putpalette(palette.ravel().tolist())
    else:
        image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def holds(options: MasksOptions | None = None) -> Holds:
    """Pixels only: masks as they are, the other area shapes painted; no fields (z-order and
    area decide the paint order but are not stored), no shapes without an area.
    """
    shapes = dict.fromkeys(_PAINTED, "painted into the PNGs as pixels")
    shapes["mask"] = EXACT
    return Holds(shapes)


def write(
    dataset: Dataset, out: OutputDir, options: MasksOptions, ctx: WriteContext
) -> WriteReport:
    """Write semantic and/or instance PNG masks for every item (and frame)."""
    from labelview.ops import raster

    report = WriteReport(format="masks")
    names = list(dataset.categories)
    class_of = {name: index for index, name in enumerate(names, start=1)}
    wide = len(names) >= 255
    class_dtype = np.uint16 if wide else np.uint8
    if wide and options.palette:
        report.notes.append(f"{len(names)} classes: class maps are 16-bit greyscale, no palette")
    colormap = voc_colormap()
    palette = colormap if options.palette and not wide else None
    semantic = options.which in ("semantic", "both")
    instance = options.which in ("instance", "both")
    stems = UniqueStems()
    placer = ImagePlacer(out, options.images, report)
    listed: list[str] = []
    total = len(dataset.items)
    for index, item in enumerate(checked(dataset.items, ctx)):
        if index % 50 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total)
        written = False
        for picture in checked(pictures(item, ctx.image_roots, report, cancel=ctx), ctx):
            size = picture.size
            if size is None and picture.path is not None:
                from labelview.images import image_size

                size = image_size(picture.path)
            if size is None:
                report.drop("images without a known size (no mask written)")
                for obj in picture.objects:
                    report.skip(obj, "objects on images without a known size")
                continue
            if made_safe(picture, ctx.image_roots):
                report.drop("item names made safe for file names (absolute or '..' parts removed)")
            name = PurePosixPath(picture.name)
            stem = stems.claim(name)
            if stem != name.with_suffix("").as_posix():
                report.drop("items whose file names collide (written with a _N suffix)")
            width, height = size
            classes = np.zeros((height, width), dtype=class_dtype) if semantic else None
            instances = np.zeros((height, width), dtype=np.uint16) if instance else None
            order = paint_order(picture.objects, ctx)
            if len(order) > 65535:
                report.drop("objects beyond 65,535 on one image", len(order) - 65535)
                order = [pair for pair in order if pair[0] <= 65535]
            for number, obj in checked(order, ctx):
                geometry = obj.geometry
                if obj.category not in class_of:
                    report.drop("objects whose category is not declared")
                    continue
                if isinstance(geometry, Mask) and (geometry.height, geometry.width) != (
                    height,
                    width,
                ):
                    report.drop("masks whose size differs from their image")
                    continue
                pixels = raster.rasterise(geometry, height, width)
                if classes is not None:
                    classes[pixels] = class_of[obj.category]
                if instances is not None:
                    instances[pixels] = number
                report.objects += 1
            if classes is not None:
                out.write_bytes(f"{CLASS_DIR}/{stem}.png", _png(classes, palette))
            if instances is not None:
                out.write_bytes(f"{OBJECT_DIR}/{stem}.png", _png(instances))
            # The image shares the masks' stem, so each mask sits beside its picture by name.
            placer.place(picture.path, f"{IMAGES_DIR}/{stem}{name.suffix or '.jpg'}")
            listed.append(stem)
            written = True
        report.items += written
    placer.finish()
    ctx.progress(total, total)

    if any(":" in name or "\n" in name for name in names):
        report.notes.append("category names with ':' or line breaks make labelmap.txt ambiguous")
    labelmap = ["# label:color_rgb:parts:actions", "background:0,0,0::"]
    labelmap += [
        f"{name}:{','.join(str(int(c)) for c in colormap[i % 256])}::"
        for i, name in enumerate(names, start=1)
    ]
    out.write_text("labelmap.txt", "\n".join(labelmap) + "\n")
    out.write_text("classes.txt", "\n".join(["background", *names]) + "\n")
    out.write_text("ImageSets/Segmentation/default.txt", "".join(f"{n}\n" for n in listed))
    return report


FORMAT = Format(
    name="masks",
    title="PNG masks (semantic + instance)",
    suffixes=(".png",),
    detect=detect,
    read=None,
    write=write,
    options=MasksOptions,
    description="VOC-style SegmentationClass / SegmentationObject PNGs with labelmap.txt.",
    holds=holds,
)
