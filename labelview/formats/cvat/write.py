"""Writing CVAT for images 1.1: `annotations.xml` (the label spec in `<meta>`, then one `<image>`
per picture) and the images beside it as `images/<name>` (linked by default), CVAT's and
Datumaro's layout.

What CVAT for images holds is declared in `holds()`; the registry reports the rest (confidence,
track ids — CVAT for images has no tracks —, object ids, authors, relations, history, status).
Counted here are only the losses that depend on the data: sizes unknown, empty masks, names made
safe or made unique, characters XML cannot hold.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from labelview.cancel import checked
from labelview.formats._writing import (
    EXACT,
    Holds,
    ImagePlacer,
    Picture,
    is_multi_frame,
    pictures,
)
from labelview.formats.base import WriteContext, WriteReport, WriterOptions
from labelview.formats.cvat.labels import labels_element
from labelview.formats.cvat.shapes import ShapeWriter, add_attributes
from labelview.model import Dataset
from labelview.model.classifications import Answer, flatten
from labelview.output import OutputDir, is_safe

ANNOTATIONS = "annotations.xml"
IMAGES_DIR = "images"


class CvatOptions(WriterOptions):
    """Options of the CVAT XML writer (images: placed as images/<name as in the XML>)."""

    mode: Literal["auto", "images", "video"] = Field(
        "auto",
        description="CVAT for images (an <image> per picture) or CVAT for video (a <track> per"
        " object across frames); auto: video when the input has a video, or frames with"
        " tracked objects",
    )


def holds(options: CvatOptions | None = None) -> Holds:
    """Every shape kind (holes as masks, parts as grouped polygons), flattened attributes, the
    manual/auto source and z-order; for images item/frame answers (as `<tag>`), for video track
    ids (as `<track>`) instead. `auto` is resolved by `write` (it sets `options.mode`), so the
    loss report describes the layout chosen.
    """
    shapes = dict.fromkeys(
        ("box", "rotated_box", "polygon", "polyline", "point", "ellipse", "keypoints", "mask"),
        EXACT,
    )
    shapes["polygon_with_holes"] = "written as masks (CVAT polygons have no holes)"
    shapes["multipart_polygon"] = "written as one polygon per part, sharing a group_id"
    if options is not None and options.mode == "video":
        return Holds(shapes, frozenset({"attributes", "source", "z order", "track"}))
    return Holds(shapes, frozenset({"attributes", "source", "z order", "classifications"}))


def chosen_mode(dataset: Dataset, options: CvatOptions) -> str:
    """`images` or `video`: auto picks video when an item is a video, or has frames and objects
    tracked across them (CVAT for images would drop the tracks); single images stay images.
    """
    if options.mode != "auto":
        return options.mode
    for item in dataset.items:
        if item.kind == "video":
            return "video"
        if is_multi_frame(item) and any(obj.track is not None for obj in item.objects):
            return "video"
    return "images"


def write(dataset: Dataset, out: OutputDir, options: CvatOptions, ctx: WriteContext) -> WriteReport:
    """Write `dataset` as CVAT for images or for video 1.1 `annotations.xml`, with the images
    beside it.
    """
    report = WriteReport(format="cvat")
    out.check_free([ANNOTATIONS])
    shapes = ShapeWriter(dataset, report)
    # Categories first, in dataset order, so label order and colours are stable.
    for name in checked(dataset.categories, ctx):
        shapes.label(name)
    placer = ImagePlacer(out, options.images, report)
    options.mode = chosen_mode(dataset, options)  # holds() then describes what was written
    if options.mode == "video":
        return _write_video(dataset, out, shapes, placer, ctx, report)
    names = _UniqueNames(report)
    image_id = 0
    total = len(dataset.items)
    # <image> elements are serialised as they are made, to a spool file: a tree of a million
    # shapes would cost gigabytes. The label spec (needed first in the file) is known at the end.
    with tempfile.TemporaryFile() as spool:
        for index, item in enumerate(checked(dataset.items, ctx)):
            if index % 200 == 0:
                ctx.check_cancelled()
                ctx.progress(index, total)
            for picture in checked(pictures(item, ctx.image_roots, report, cancel=ctx), ctx):
                if made_safe(picture, ctx.image_roots):
                    report.drop("image names made safe (absolute or '..' parts removed)")
                name = names.claim(picture.name)
                placer.place(picture.path, f"{IMAGES_DIR}/{name}")
                element = _image(picture, name, image_id, shapes, report, ctx)
                spool.write(_serialise(element, report, ctx))
                image_id += 1
                report.items += 1  # images written: a video counts its frames
        placer.finish()
        ctx.check_cancelled()
        ctx.progress(total, total)
        meta = _meta(dataset, image_id)
        meta.find("task").append(labels_element(shapes.labels, dataset))  # type: ignore[union-attr]
        staged, _final = out.staged_path(ANNOTATIONS)
        spool.seek(0)
        with staged.open("wb") as stream:
            stream.write(b"<?xml version='1.0' encoding='utf-8'?>\n<annotations>\n")
            stream.write(b"  <version>1.1</version>\n")
            stream.write(_serialise(meta, report))
            shutil.copyfileobj(spool, stream)
            stream.write(b"</annotations>\n")
    return report


def _write_video(
    dataset: Dataset,
    out: OutputDir,
    shapes: ShapeWriter,
    placer: ImagePlacer,
    ctx: WriteContext,
    report: WriteReport,
) -> WriteReport:
    from labelview.formats.cvat.write_video import write_tasks

    meta, tracks = write_tasks(dataset, shapes, placer, ctx, report, IMAGES_DIR)
    placer.finish()
    ctx.check_cancelled()
    staged, _final = out.staged_path(ANNOTATIONS)
    with staged.open("wb") as stream:
        stream.write(b"<?xml version='1.0' encoding='utf-8'?>\n<annotations>\n")
        stream.write(b"  <version>1.1</version>\n")
        stream.write(_serialise(meta, report))
        for track in tracks:
            stream.write(_serialise(track, report))
        stream.write(b"</annotations>\n")
    ctx.progress(len(dataset.items), len(dataset.items))
    return report


def _image(
    picture: Picture,
    name: str,
    image_id: int,
    shapes: ShapeWriter,
    report: WriteReport,
    cancel: Any = None,
) -> ET.Element:
    """The `<image>` of one picture: its shapes, then its item's (or frame's) answers as tags."""
    attrs = {"id": str(image_id), "name": name}
    size = picture.size
    if size is None and picture.path is not None:
        from labelview.images import image_size

        size = image_size(picture.path)
    if size is not None:
        attrs["width"], attrs["height"] = str(size[0]), str(size[1])
    else:
        report.drop("images without a known size (width/height left out)")
    element = ET.Element("image", attrs)
    for obj in checked(picture.objects, cancel):
        if shapes.object(element, obj, picture.frame, size):
            report.objects += 1
    for answer in picture.item.classifications:
        if answer.applies_to(picture.frame):
            _tag(element, answer, picture.frame, shapes)
    return element


def _tag(parent: ET.Element, answer: Answer, frame: int | None, shapes: ShapeWriter) -> None:
    """An item/frame answer as `<tag label=question>`, its answer and nested answers as
    attributes (`question`, `question/sub-question`).
    """
    values = {
        name: value
        for name, value in flatten([answer], frame).items()
        if value is not None or name != answer.name
    }
    label = shapes.label(answer.name)
    label.kinds.add("tag")
    label.see(values)
    source = "auto" if answer.source == "model" else "manual"
    add_attributes(ET.SubElement(parent, "tag", {"label": answer.name, "source": source}), values)


def _meta(dataset: Dataset, size: int) -> ET.Element:
    meta = ET.Element("meta")
    task = ET.SubElement(meta, "task")
    source = dataset.source.name if dataset.source is not None else "labelview export"
    for tag, text in (
        ("name", source),
        ("size", str(size)),
        ("mode", "annotation"),
        ("overlap", "0"),
        ("bugtracker", ""),
        ("flipped", "False"),
    ):
        ET.SubElement(task, tag).text = text
    return meta


class _UniqueNames:
    """CVAT matches annotations to images by name: a name used twice gets `_2`, `_3`… before its
    suffix.
    """

    def __init__(self, report: WriteReport) -> None:
        self.report = report
        self.used: set[str] = set()

    def claim(self, name: str) -> str:
        unique, count = name, 2
        while unique.lower() in self.used:
            stem, dot, suffix = name.rpartition(".")
            unique = f"{stem}_{count}.{suffix}" if dot and "/" not in suffix else f"{name}_{count}"
            count += 1
        if unique != name:
            self.report.drop("image names used twice (written with a _N suffix)")
        self.used.add(unique.lower())
        return unique


def made_safe(picture: Picture, roots: list[Path]) -> bool:
    """True when the name was cut out of an unsafe reference (absolute, `..`) rather than taken
    from where the image was found.
    """
    if picture.frame is not None:
        return False
    reference = picture.item.image or picture.item.name
    if not reference or "://" in reference or is_safe(reference):
        return False
    return picture.path is None or not any(_under(picture.path, root) for root in roots)


def _under(path: Path, root: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return False
    return True


# Characters XML 1.0 cannot hold at all, even escaped (ElementTree would write them raw).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _serialise(element: ET.Element, report: WriteReport, cancel: Any = None) -> bytes:
    """One child of <annotations>, indented like the rest of the file, without unwritable chars."""
    for node in checked(element.iter(), cancel):
        if node.text and _NOT_XML.search(node.text):
            node.text = _NOT_XML.sub("", node.text)
            report.drop("control characters removed from texts (XML cannot hold them)")
        for key, value in node.attrib.items():
            if _NOT_XML.search(value):
                node.set(key, _NOT_XML.sub("", value))
                report.drop("control characters removed from texts (XML cannot hold them)")
    ET.indent(element, space="  ", level=1)
    return b"  " + ET.tostring(element, encoding="utf-8") + b"\n"
