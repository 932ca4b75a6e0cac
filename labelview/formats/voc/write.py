"""Pascal VOC writing: Annotations/<name>.xml per image, JPEGImages/<name>.<ext> (the images,
linked by default), labelmap.txt (Datumaro's), ImageSets/Main/default.txt and, for area shapes,
the segmentation PNGs.

What the XML holds is declared in `holds()`; the registry reports the rest. Counted here are only
the losses that depend on the data: sizes unknown, boxes clipped or empty, relations other than
object parts, attribute lists flattened to text, names made safe.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any

from pydantic import Field

from labelview.cancel import checked
from labelview.formats._writing import EXACT, Holds, ImagePlacer, Picture, pictures
from labelview.formats.base import WriteContext, WriteReport, WriterOptions
from labelview.formats.voc.read import FLAGS, PART_OF
from labelview.formats.voc.segmentation import MAX_CLASSES, palette, write_segmentation
from labelview.model import Dataset, Item, ObjectLabel
from labelview.model.classifications import flatten
from labelview.output import OutputDir, UniqueStems, is_safe

AREA_KINDS = ("polygon", "mask", "ellipse", "rotated_box")
_AREA_SHAPES = (
    "polygon",
    "polygon_with_holes",
    "multipart_polygon",
    "mask",
    "ellipse",
    "rotated_box",
)
_AS_BOX = "written as its bounding box"
_AS_BOX_AND_PNG = "written as its bounding box (the shape itself in the segmentation PNGs)"


class VocOptions(WriterOptions):
    """Options of the Pascal VOC writer."""

    one_based: bool = Field(
        False,
        description="Write devkit 1-based inclusive integer pixel indices instead of continuous "
        "corner coordinates",
    )
    segmentation: bool = Field(
        True,
        description="Also write SegmentationClass/ and SegmentationObject/ PNGs (VOC palette) for "
        "images with polygons, masks, ellipses or rotated boxes",
    )


def holds(options: VocOptions) -> Holds:
    """The XML holds boxes (any other outline as its bounding box), flat attributes, and
    part_of relations (as <part>); points, tracks, confidence and item answers have no place.
    """
    area = _AS_BOX_AND_PNG if options.segmentation else _AS_BOX
    shapes = {"box": EXACT, "polyline": _AS_BOX, "keypoints": _AS_BOX}
    shapes.update(dict.fromkeys(_AREA_SHAPES, area))
    return Holds(shapes, frozenset({"attributes", "relations"}), clips=True)


def write(dataset: Dataset, out: OutputDir, options: VocOptions, ctx: WriteContext) -> WriteReport:
    """Write `dataset` as Pascal VOC (Annotations/*.xml, JPEGImages/, labelmap.txt, ImageSets)."""
    report = WriteReport(format="voc")
    out.check_free(["labelmap.txt", "ImageSets/Main/default.txt"])
    stems = UniqueStems()
    placer = ImagePlacer(out, options.images, report)
    listed: list[str] = []
    total = len(dataset.items)
    used: dict[str, None] = dict.fromkeys(dataset.categories)
    for _, obj in checked(dataset.objects(), ctx):
        used.setdefault(obj.category, None)
    classes = {name: i for i, name in enumerate(used, 1)}  # 0 = background, as in labelmap.txt
    if len(classes) > MAX_CLASSES:
        report.notes.append(f"more than {MAX_CLASSES} classes: segmentation PNGs are not written")
        options = options.model_copy(update={"segmentation": False})
    # One colour per class index, for labelmap.txt and the class PNGs alike.
    colours = [(0, 0, 0)]
    for i, name in enumerate(used, 1):
        category = dataset.categories.get(name)
        colours.append(category.color if category is not None and category.color else palette(i))
    void = False
    for index, item in enumerate(checked(dataset.items, ctx)):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total)
        written_relations: set[int] = set()
        for picture in checked(pictures(item, ctx.image_roots, report, cancel=ctx), ctx):
            if _made_safe(picture):
                report.drop("image names made safe (absolute or '..' parts removed)")
            name = _in_image_folder(picture.name)
            stem = stems.claim(name)
            suffix = name.suffix or ".jpg"
            if options.images == "none":
                filename = picture.name  # the name under the user's own images folder
            else:
                filename = f"{stem}{suffix}"
                placer.place(picture.path, f"JPEGImages/{filename}")
            writer = _Annotation(picture, filename, options, report, ctx)
            root = writer.build()
            written_relations |= writer.relations_written
            if writer.painted and picture.size is not None:
                void |= write_segmentation(
                    out, stem, checked(writer.painted, ctx), classes, picture.size, colours
                )
            ET.indent(root, space="\t")
            out.write_text(f"Annotations/{stem}.xml", ET.tostring(root, encoding="unicode") + "\n")
            listed.append(stem)
            report.items += 1
        lost = len(item.relations) - len(written_relations)
        if lost:
            report.drop(
                "relations other than part_of between written boxes (VOC holds parts)", lost
            )
    placer.finish()
    lines = ["# label:color_rgb:parts:actions"]
    for name, color in zip(["background", *used], colours, strict=True):
        lines.append(f"{name}:{color[0]},{color[1]},{color[2]}::")
    if void:  # regions to ignore are painted 255: Datumaro's name for that colour
        lines.append("ignored:{},{},{}::".format(*palette(255)))
    out.write_text("labelmap.txt", "\n".join(lines) + "\n")
    out.write_text("ImageSets/Main/default.txt", "".join(f"{s}\n" for s in listed))
    ctx.progress(total, total)
    return report


def _in_image_folder(name: str) -> PurePosixPath:
    """The image's name under JPEGImages/: a source in the devkit layout already has the folder
    in its names, which would otherwise double (JPEGImages/JPEGImages/a.jpg).
    """
    path = PurePosixPath(name)
    if len(path.parts) > 1 and path.parts[0].lower() == "jpegimages":
        return PurePosixPath(*path.parts[1:])
    return path


def _made_safe(picture: Picture) -> bool:
    """True when the name had to be cut out of an unsafe reference (absolute, `..`)."""
    if picture.frame is not None or picture.path is not None:
        return False
    reference = picture.item.image or picture.item.name
    return bool(reference) and "://" not in reference and not is_safe(reference)


class _Annotation:
    """The <annotation> element of one picture, the (object number, object) pairs to paint into
    the segmentation PNGs, and the indices of the item's relations it wrote as <part>s.
    """

    def __init__(
        self,
        picture: Picture,
        filename: str,
        options: VocOptions,
        report: WriteReport,
        cancel: Any = None,
    ) -> None:
        self.cancel = cancel  # as for labelview.cancel.checked
        self.picture = picture
        self.filename = filename
        self.options = options
        self.report = report
        self.painted: list[tuple[int, ObjectLabel]] = []
        self.relations_written: set[int] = set()

    def build(self) -> ET.Element:
        picture, item = self.picture, self.picture.item
        root = ET.Element("annotation")
        _sub(root, "folder", str(item.extra.get("folder", "")) if item.extra else "")
        _sub(root, "filename", self.filename)
        _sub(_sub(root, "source"), "database", "Unknown")
        size = picture.size
        size_element = _sub(root, "size")
        _sub(size_element, "width", str(size[0]) if size else "0")
        _sub(size_element, "height", str(size[1]) if size else "0")
        _sub(size_element, "depth", "3")
        if size is None:
            self.report.drop("images without a known size (size written as 0)")
        paint = self.options.segmentation and size is not None
        segmented = _sub(root, "segmented", "0")
        bounds = {
            id(obj): _bounds(obj, size, self.report)
            for obj in checked(picture.objects, self.cancel)
        }
        parts = self._parts(item, bounds)
        as_part = {id(child) for children in parts.values() for child, _ in children}
        number = 0
        for obj in checked(picture.objects, self.cancel):
            box = bounds[id(obj)]
            if id(obj) in as_part or box is None:
                continue
            number += 1
            element = _sub(root, "object")
            if paint and obj.kind in AREA_KINDS:
                self.painted.append((number, obj))
            _sub(element, "name", obj.category)
            values = flatten(obj.attributes, picture.frame)
            # Written only when the object has them, so that reading back adds nothing (the
            # devkit's and Datumaro's readers take them as optional).
            if isinstance(values.get("pose"), str):
                _sub(element, "pose", values.pop("pose"))
            for flag in FLAGS:
                # Text such as "partial" would break devkit tools: it stays in <attributes>.
                if isinstance(values.get(flag), bool):
                    _sub(element, flag, "1" if values.pop(flag) else "0")
            _bndbox(element, box, self.options.one_based, self.report)
            for child, relation in parts.get(id(obj), []):
                part = _sub(element, "part")
                _sub(part, "name", child.category)
                child_box = bounds[id(child)]
                assert child_box is not None  # _parts() keeps written boxes only
                _bndbox(part, child_box, self.options.one_based, self.report)
                self.relations_written.add(relation)
                self.report.objects += 1
            if values:
                self._attributes(element, values)
            self.report.objects += 1
        segmented.text = "1" if self.painted else "0"
        return root

    def _parts(
        self, item: Item, bounds: dict[int, tuple[float, float, float, float] | None]
    ) -> dict[int, list[tuple[ObjectLabel, int]]]:
        """Written parent → its (part, relation index): part_of relations whose two members are
        boxes written on this picture and whose parent is not itself a part (VOC nests one level).
        """
        by_id = {obj.id: obj for obj in self.picture.objects if obj.id is not None}
        parent_of: dict[str, tuple[str, int]] = {}
        for index, relation in enumerate(item.relations):
            if relation.name != PART_OF or len(relation.members) != 2:
                continue
            child, parent = relation.members
            if child == parent or child in parent_of:
                continue
            if (
                child in by_id
                and parent in by_id
                and bounds[id(by_id[child])]
                and bounds[id(by_id[parent])]
            ):
                parent_of[child] = (parent, index)
        parts: dict[int, list[tuple[ObjectLabel, int]]] = {}
        for child, (parent, index) in parent_of.items():
            if parent in parent_of:
                continue  # a part of a part: written as an object of its own
            parts.setdefault(id(by_id[parent]), []).append((by_id[child], index))
        return parts

    def _attributes(self, element: ET.Element, values: dict[str, Any]) -> None:
        holder = _sub(element, "attributes")
        for key, value in values.items():
            attribute = _sub(holder, "attribute")
            _sub(attribute, "name", key)
            _sub(attribute, "value", _attribute_text(value))


def _num(value: float) -> str:
    """The shortest text that reads back as the same float (`174`, `107.36900369003689`)."""
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _bndbox(
    parent: ET.Element,
    bounds: tuple[float, float, float, float],
    one_based: bool,
    report: WriteReport,
) -> None:
    x0, y0, x1, y1 = bounds
    element = _sub(parent, "bndbox")
    if one_based:
        values = [
            round(x0) + 1,
            round(y0) + 1,
            max(round(x1), round(x0) + 1),
            max(round(y1), round(y0) + 1),
        ]
        if values != [x0 + 1, y0 + 1, x1, y1]:
            report.drop("boxes rounded to whole pixels (one_based writes devkit integers)")
        texts = [str(v) for v in values]
    else:
        texts = [_num(v) for v in (x0, y0, x1, y1)]
    for key, text in zip(("xmin", "ymin", "xmax", "ymax"), texts, strict=True):
        _sub(element, key, text)


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        # JSON text, which our reader turns back into the list (Datumaro keeps it as text).
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def _bounds(
    obj: ObjectLabel, size: tuple[int, int] | None, report: WriteReport
) -> tuple[float, float, float, float] | None:
    """The box written for `obj`, clipped to the image; None when nothing can be written (no
    shape or a point: reported from Holds; an empty box: counted here).
    """
    if obj.geometry is None or obj.kind == "point":
        return None
    x0, y0, x1, y1 = obj.geometry.bounds()
    if size is not None:
        w, h = size
        clipped = (min(max(x0, 0), w), min(max(y0, 0), h), min(max(x1, 0), w), min(max(y1, 0), h))
        if clipped != (x0, y0, x1, y1):
            report.drop("boxes clipped to the image")
        x0, y0, x1, y1 = clipped
    if x1 <= x0 or y1 <= y0:
        report.skip(obj, "empty boxes (outside the image or zero size)")
        return None
    return float(x0), float(y0), float(x1), float(y1)
