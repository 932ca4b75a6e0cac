"""CVAT for images 1.1 XML (write only): `annotations.xml` with the label schema and every image.

Mapping (see docs/other/xml_format in cvat-ai/cvat):
- Box -> `<box>`; RotatedBox -> `<box rotation>` (CVAT's rotation is clockwise about the centre,
  like ours); Ellipse -> `<ellipse>`; Polyline -> `<polyline>`; Point -> `<points>`; Keypoints ->
  `<skeleton>` with one `<points outside occluded>` per node; Mask -> `<mask rle left top width
  height>` with CVAT's own RLE (row-major runs inside the box, first run background — not COCO RLE).
- Polygon: one `<polygon>` per part (several parts share a `group_id`); CVAT polygons cannot hold
  holes, so a polygon with holes goes out as a `<mask>` (rasterised at the image size).
- Item-level answers -> `<tag label=question>` with the answer and its nested answers as attributes.
- Multi-frame items write one `<image>` per frame; objects without a frame appear on every frame.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelview.formats.base import (
    Format,
    Probe,
    WriteContext,
    WriteReport,
    WriterOptions,
    no,
)
from labelview.model import (
    Box,
    Category,
    Dataset,
    Ellipse,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.classifications import Answer, flatten
from labelview.output import OutputDir, is_safe, sanitised

ANNOTATIONS = "annotations.xml"
# Distinct string values up to this count make a `select` attribute; more make free `text`.
_MAX_SELECT_VALUES = 50
_LABEL_TYPES = {
    "box": "rectangle",
    "rotated_box": "rectangle",
    "polygon": "polygon",
    "polyline": "polyline",
    "point": "points",
    "ellipse": "ellipse",
    "mask": "mask",
    "keypoints": "skeleton",
    "tag": "tag",
}
# Fallback colours for categories without one (CVAT needs a colour per label).
_PALETTE = (
    (250, 50, 83),
    (36, 179, 83),
    (51, 221, 255),
    (255, 204, 51),
    (184, 61, 245),
    (255, 106, 77),
    (61, 61, 245),
    (131, 224, 112),
    (250, 125, 187),
    (170, 240, 209),
)


class CvatOptions(WriterOptions):
    """Options of the CVAT XML writer (images: also copy/link them to images/)."""


def detect(probe: Probe) -> Any:
    """CVAT XML is written, never read, by labelview: never claim a file."""
    return no("CVAT XML can be written but not read by labelview")


# --- values ---------------------------------------------------------------------------------------


def _num(value: float) -> str:
    """Two decimals, without a negative zero."""
    text = f"{float(value):.2f}"
    return "0.00" if text == "-0.00" else text


def _points(points: np.ndarray) -> str:
    return ";".join(f"{_num(x)},{_num(y)}" for x, y in points.tolist())


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    return str(value)


def _color(category: Category | None, index: int) -> str:
    rgb = category.color if category is not None and category.color else None
    r, g, b = rgb or _PALETTE[index % len(_PALETTE)]
    return f"#{r:02x}{g:02x}{b:02x}"


def mask_to_cvat_rle(mask: np.ndarray) -> tuple[list[int], int, int, int, int] | None:
    """(runs, left, top, width, height) of a bool mask in CVAT's RLE; None when it is empty.

    Runs walk the pixels of the tight box row by row, alternate background/foreground and start
    with a (possibly empty) background run; they sum to width·height.
    """
    from labelview.ops import rle

    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask.any(axis=1))
    if not rows.size:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    left, right = int(cols[0]), int(cols[-1]) + 1
    crop = mask[top:bottom, left:right]
    return rle.runs_of(crop.ravel(order="C")), left, top, right - left, bottom - top


def cvat_rle_to_mask(
    runs: Iterable[int], left: int, top: int, width: int, height: int, image: tuple[int, int]
) -> np.ndarray:
    """Decode CVAT's RLE back to a bool mask of the image size (height, width) (for checks)."""
    runs = [int(run) for run in runs]
    if sum(runs) != width * height:
        raise ValueError(f"CVAT RLE runs sum to {sum(runs)}, expected {width * height}")
    values = np.repeat(np.arange(len(runs)) % 2 == 1, runs)
    out = np.zeros(image, dtype=bool)
    out[top : top + height, left : left + width] = values.reshape(height, width)
    return out


# --- the label schema, gathered while writing -----------------------------------------------------


@dataclass(slots=True)
class _Label:
    name: str
    kinds: set[str] = field(default_factory=set)
    values: dict[str, list[Any]] = field(default_factory=dict)  # attribute -> distinct values
    nodes: tuple[str, ...] = ()
    edges: tuple[tuple[int, int], ...] = ()

    def see(self, attributes: dict[str, Any]) -> None:
        for name, value in attributes.items():
            seen = self.values.setdefault(name, [])
            if value not in seen and len(seen) <= _MAX_SELECT_VALUES:
                seen.append(value)


def _attribute_spec(name: str, values: list[Any]) -> ET.Element:
    """An `<attribute>` declaration whose input type fits the values seen."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        input_type, default, choices = "checkbox", "false", ["false"]
    elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        low, high = min(present), max(present)
        input_type, default, choices = "number", str(low), [str(low), str(high), "1"]
    elif (
        present
        and len(present) <= _MAX_SELECT_VALUES
        and all(isinstance(v, str) and "\n" not in v for v in present)
    ):
        input_type, default, choices = "select", present[0], [str(v) for v in present]
    else:
        input_type, default, choices = "text", "", []
    element = ET.Element("attribute")
    for tag, text in (
        ("name", name),
        ("mutable", "False"),
        ("input_type", input_type),
        ("default_value", default),
        ("values", "\n".join(choices)),
    ):
        ET.SubElement(element, tag).text = text
    return element


def _label_type(kinds: set[str]) -> str:
    if "keypoints" in kinds:
        return "skeleton"
    types = {_LABEL_TYPES.get(kind, "any") for kind in kinds}
    return types.pop() if len(types) == 1 else "any"


def _skeleton_svg(label: _Label) -> str:
    """The `<svg>` CVAT stores for a skeleton template: nodes on a circle, edges as lines."""
    count = max(len(label.nodes), 1)
    spots = [
        (50 + 40 * math.cos(2 * math.pi * i / count), 50 + 40 * math.sin(2 * math.pi * i / count))
        for i in range(len(label.nodes))
    ]
    parts = []
    for a, b in label.edges:
        if 0 <= a < len(spots) and 0 <= b < len(spots):
            (x1, y1), (x2, y2) = spots[a], spots[b]
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'data-type="edge" data-node-from="{a + 1}" data-node-to="{b + 1}"></line>'
            )
    for index, ((x, y), node) in enumerate(zip(spots, label.nodes, strict=True), start=1):
        name = node.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        parts.append(
            f'<circle r="1.5" cx="{x:.1f}" cy="{y:.1f}" data-type="element node" '
            f'data-element-id="{index}" data-node-id="{index}" data-label-name="{name}"></circle>'
        )
    return "".join(parts)


def _labels_element(labels: dict[str, _Label], dataset: Dataset) -> ET.Element:
    element = ET.Element("labels")
    for index, label in enumerate(labels.values()):
        node = ET.SubElement(element, "label")
        ET.SubElement(node, "name").text = label.name
        ET.SubElement(node, "color").text = _color(dataset.categories.get(label.name), index)
        kind = _label_type(label.kinds)
        ET.SubElement(node, "type").text = kind
        attributes = ET.SubElement(node, "attributes")
        for name, values in label.values.items():
            attributes.append(_attribute_spec(name, values))
        if kind == "skeleton":
            ET.SubElement(node, "svg").text = _skeleton_svg(label)
            for sub_index, sub_name in enumerate(label.nodes):
                sub = ET.SubElement(element, "label")
                ET.SubElement(sub, "name").text = sub_name
                ET.SubElement(sub, "color").text = _color(None, index + sub_index + 1)
                ET.SubElement(sub, "type").text = "points"
                ET.SubElement(sub, "attributes")
                ET.SubElement(sub, "parent").text = label.name
    return element


# --- the writer -----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, dataset: Dataset, report: WriteReport, ctx: WriteContext) -> None:
        self.dataset = dataset
        self.report = report
        self.ctx = ctx
        self.labels: dict[str, _Label] = {}
        self.next_group = 1
        self.names: dict[tuple[str, int | None], str] = {}  # (item id, frame) -> safe image name
        self.used: set[str] = set()

    def label(self, name: str) -> _Label:
        found = self.labels.get(name)
        if found is None:
            found = self.labels[name] = _Label(name)
        return found

    # -- one image -------------------------------------------------------------------------------

    def image(self, parent: ET.Element, item: Item, frame: int | None, image_id: int) -> None:
        name = self.image_name(item, frame)
        self.names[item.id, frame] = name
        attrs = {"id": str(image_id), "name": name}
        size = item.size_of(frame)
        if size is None and item.image_path is not None and frame is None:
            from labelview.images import image_size

            size = image_size(item.image_path)
        if size is not None:
            attrs["width"], attrs["height"] = str(size[0]), str(size[1])
        else:
            self.report.drop("images without a known size (width/height left out)")
        element = ET.SubElement(parent, "image", attrs)
        for obj in item.objects_on(frame):
            if self.shape(element, obj, frame, size):
                self.report.objects += 1
        for answer in item.classifications:
            if answer.applies_to(frame):
                self.tag(element, answer, frame)

    def image_name(self, item: Item, frame: int | None) -> str:
        raw = item.name or item.image or item.id
        if frame is not None:
            declared = next((f for f in item.frames if f.index == frame), None)
            if declared is not None and declared.image:
                raw = declared.image
            elif declared is not None and declared.name:
                raw = f"{raw}/{declared.name}"
            else:
                raw = f"{raw}/frame_{frame:06d}"
        if "://" in raw:  # a URL: its path is the name (not an unsafe name)
            from labelview.images import reference_parts

            raw = reference_parts(raw).as_posix()
        safe = sanitised(raw)
        if safe is None or not is_safe(raw):
            self.report.drop("image names made safe (absolute or '..' parts removed)")
        name = safe.as_posix() if safe is not None else f"item_{item.id}"
        # CVAT matches annotations to frames by name: names must be unique in the file.
        unique, count = name, 2
        while unique in self.used:
            stem, dot, suffix = name.rpartition(".")
            unique = f"{stem}_{count}.{suffix}" if dot and "/" not in suffix else f"{name}_{count}"
            count += 1
        if unique != name:
            self.report.drop("image names used twice (written with a _N suffix)")
        self.used.add(unique)
        return unique

    def tag(self, parent: ET.Element, answer: Answer, frame: int | None) -> None:
        values = {
            name: value
            for name, value in flatten([answer], frame).items()
            if value is not None or name != answer.name
        }
        label = self.label(answer.name)
        label.kinds.add("tag")
        label.see(values)
        source = "auto" if answer.source == "model" else "manual"
        element = ET.SubElement(parent, "tag", {"label": answer.name, "source": source})
        self.attributes(element, values)

    @staticmethod
    def attributes(element: ET.Element, values: dict[str, Any]) -> None:
        for name, value in values.items():
            ET.SubElement(element, "attribute", {"name": name}).text = _text(value)

    # -- one object ------------------------------------------------------------------------------

    def shape(
        self, parent: ET.Element, obj: ObjectLabel, frame: int | None, size: tuple[int, int] | None
    ) -> bool:
        geometry = obj.geometry
        if geometry is None:
            self.report.drop("objects without a shape")
            return False
        values = {
            name: value
            for name, value in flatten(obj.attributes, frame).items()
            if not isinstance(value, dict)
        }
        occluded = values.pop("occluded", None)
        if occluded is not None and not isinstance(occluded, bool):
            values["occluded"] = occluded  # not a flag: keep it as an ordinary attribute
            occluded = None
        common = {
            "label": obj.category,
            "source": "auto" if obj.source == "model" else "manual",
            "occluded": "1" if occluded else "0",
        }
        if obj.confidence is not None:
            self.report.drop("confidence scores (CVAT XML has no score)")
        if obj.track is not None:
            self.report.drop("track ids (CVAT for images has no tracks)")
        z_order = str(obj.z_order if obj.z_order is not None else 0)
        label = self.label(obj.category)
        elements = self.geometry(parent, obj, common, size, label)
        if not elements:
            return False
        label.kinds.add(
            "mask" if elements[0].tag == "mask" and geometry.kind == "polygon" else geometry.kind
        )
        label.see(values)
        for element in elements:
            element.set("z_order", z_order)
            self.attributes(element, values)
        return True

    def geometry(
        self,
        parent: ET.Element,
        obj: ObjectLabel,
        common: dict[str, str],
        size: tuple[int, int] | None,
        label: _Label,
    ) -> list[ET.Element]:
        geometry = obj.geometry
        if isinstance(geometry, Box):
            x0, y0, x1, y1 = geometry.bounds()
            attrs = {"xtl": _num(x0), "ytl": _num(y0), "xbr": _num(x1), "ybr": _num(y1)}
            return [ET.SubElement(parent, "box", {**common, **attrs})]
        if isinstance(geometry, RotatedBox):
            g = geometry
            attrs = {
                "xtl": _num(g.cx - g.w / 2),
                "ytl": _num(g.cy - g.h / 2),
                "xbr": _num(g.cx + g.w / 2),
                "ybr": _num(g.cy + g.h / 2),
            }
            rotation = g.angle % 360.0
            if _num(rotation) not in ("0.00", "360.00"):
                attrs["rotation"] = _num(rotation)
            return [ET.SubElement(parent, "box", {**common, **attrs})]
        if isinstance(geometry, Ellipse):
            g = geometry
            attrs = {"cx": _num(g.cx), "cy": _num(g.cy), "rx": _num(g.rx), "ry": _num(g.ry)}
            rotation = g.angle % 360.0
            if _num(rotation) not in ("0.00", "360.00"):
                attrs["rotation"] = _num(rotation)
            return [ET.SubElement(parent, "ellipse", {**common, **attrs})]
        if isinstance(geometry, Polyline):
            attrs = {"points": _points(geometry.points)}
            return [ET.SubElement(parent, "polyline", {**common, **attrs})]
        if isinstance(geometry, Point):
            attrs = {"points": f"{_num(geometry.x)},{_num(geometry.y)}"}
            return [ET.SubElement(parent, "points", {**common, **attrs})]
        if isinstance(geometry, Polygon):
            return self.polygon(parent, geometry, common, size)
        if isinstance(geometry, Mask):
            return self.mask(parent, geometry.decode(), common, size)
        if isinstance(geometry, Keypoints):
            return [self.skeleton(parent, obj, geometry, common, label)]
        self.report.drop(f"{geometry.kind} shapes (no CVAT equivalent)")
        return []

    def polygon(
        self,
        parent: ET.Element,
        polygon: Polygon,
        common: dict[str, str],
        size: tuple[int, int] | None,
    ) -> list[ET.Element]:
        if polygon.has_holes:
            if size is None:
                self.report.drop("polygons with holes on images without a size (cannot rasterise)")
                return []
            from labelview.ops import raster

            self.report.drop("polygons with holes written as masks (CVAT polygons have no holes)")
            return self.mask(parent, raster.rasterise(polygon, size[1], size[0]), common, size)
        attrs = dict(common)
        if len(polygon.parts) > 1:
            # Several parts of one object: CVAT links separate shapes through a shared group id.
            attrs["group_id"] = str(self.next_group)
            self.next_group += 1
            self.report.drop("multi-part polygons split into polygons sharing a group_id")
        return [
            ET.SubElement(parent, "polygon", {**attrs, "points": _points(part.outer)})
            for part in polygon.parts
        ]

    def mask(
        self,
        parent: ET.Element,
        pixels: np.ndarray,
        common: dict[str, str],
        size: tuple[int, int] | None,
    ) -> list[ET.Element]:
        if size is not None and pixels.shape != (size[1], size[0]):
            self.report.drop("masks whose size differs from their image")
            return []
        encoded = mask_to_cvat_rle(pixels)
        if encoded is None:
            self.report.drop("empty masks")
            return []
        runs, left, top, width, height = encoded
        attrs = {
            "rle": ", ".join(str(run) for run in runs),
            "left": str(left),
            "top": str(top),
            "width": str(width),
            "height": str(height),
        }
        return [ET.SubElement(parent, "mask", {**common, **attrs})]

    def skeleton(
        self,
        parent: ET.Element,
        obj: ObjectLabel,
        keypoints: Keypoints,
        common: dict[str, str],
        label: _Label,
    ) -> ET.Element:
        category = self.dataset.categories.get(obj.category)
        template = category.skeleton if category is not None else None
        names = keypoints.names or (
            template.names if template and len(template.names) == len(keypoints.points) else ()
        )
        names = names or tuple(str(i + 1) for i in range(len(keypoints.points)))
        if not label.nodes:
            label.nodes = tuple(names)
            label.edges = template.edges if template is not None else ()
        attrs = {key: value for key, value in common.items() if key != "occluded"}
        element = ET.SubElement(parent, "skeleton", attrs)
        for (x, y), visibility, name in zip(
            keypoints.points, keypoints.visibility, names, strict=True
        ):
            ET.SubElement(
                element,
                "points",
                {
                    "label": name,
                    "source": common["source"],
                    "outside": "1" if visibility == 0 else "0",
                    "occluded": "1" if visibility == 1 else "0",
                    "points": f"{_num(x)},{_num(y)}",
                },
            )
        return element


def _place_images(
    item: Item,
    frames: list[int | None],
    names: dict[tuple[str, int | None], str],
    out: OutputDir,
    options: CvatOptions,
    report: WriteReport,
) -> None:
    """Copy or link an item's image(s) to images/<name as written in the XML>."""
    link = options.images == "link"
    sources = {None: item.image_path} | {frame.index: frame.image_path for frame in item.frames}
    for frame in frames:
        path = sources.get(frame)
        if path is None:
            report.drop("images not found on disk (not copied)")
            continue
        name = f"images/{names[item.id, frame]}"
        if out.has(name):
            continue  # objects-only frames can share the item's image
        out.copy_file(path, name, link=link)


def write(dataset: Dataset, out: OutputDir, options: CvatOptions, ctx: WriteContext) -> WriteReport:
    """Write `dataset` as CVAT for images 1.1 `annotations.xml` (and the images when asked)."""
    report = WriteReport(format="cvat")
    out.check_free([ANNOTATIONS])
    writer = _Writer(dataset, report, ctx)
    # Categories first, in dataset order, so label order and colours are stable.
    for name in dataset.categories:
        writer.label(name)
    image_id = 0
    total = len(dataset.items)
    # <image> elements are serialised as they are made, to a spool file: a tree of a million
    # shapes would cost gigabytes. The label schema (needed first in the file) is known at the end.
    with tempfile.TemporaryFile() as spool:
        for index, item in enumerate(dataset.items):
            if index % 200 == 0:
                ctx.check_cancelled()
                ctx.progress(index, total)
            frames: list[int | None] = list(item.frame_indices()) or [None]
            if item.kind == "image" and not item.frames:
                frames = [None]
            for frame in frames:
                holder = ET.Element("images")
                writer.image(holder, item, frame, image_id)
                spool.write(_serialise(holder[0], report))
                image_id += 1
            report.items += 1
            if options.images != "none":
                _place_images(item, frames, writer.names, out, options, report)
        relations = sum(len(item.relations) for item in dataset.items)
        if relations:
            report.drop("relations (CVAT XML has none)", relations)
        ctx.check_cancelled()
        ctx.progress(total, total)

        meta = ET.Element("meta")
        task = ET.SubElement(meta, "task")
        source = dataset.source.name if dataset.source is not None else "labelview export"
        for tag, text in (
            ("name", source),
            ("size", str(image_id)),
            ("mode", "annotation"),
            ("overlap", "0"),
            ("bugtracker", ""),
            ("flipped", "False"),
        ):
            ET.SubElement(task, tag).text = text
        # Unused categories are declared too (CVAT keeps them); type "any" when nothing says more.
        task.append(_labels_element(writer.labels, dataset))
        staged, _final = out.staged_path(ANNOTATIONS)
        spool.seek(0)
        with staged.open("wb") as stream:
            stream.write(b"<?xml version='1.0' encoding='utf-8'?>\n<annotations>\n")
            stream.write(b"  <version>1.1</version>\n")
            stream.write(_serialise(meta, report))
            shutil.copyfileobj(spool, stream)
            stream.write(b"</annotations>\n")
    return report


# Characters XML 1.0 cannot hold at all, even escaped (ElementTree would write them raw).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _serialise(element: ET.Element, report: WriteReport | None = None) -> bytes:
    """One child of <annotations>, indented like the rest of the file, without unwritable chars."""
    for node in element.iter():
        if node.text and _NOT_XML.search(node.text):
            node.text = _NOT_XML.sub("", node.text)
            if report is not None:
                report.drop("control characters removed from texts (XML cannot hold them)")
        for key, value in node.attrib.items():
            if _NOT_XML.search(value):
                node.set(key, _NOT_XML.sub("", value))
                if report is not None:
                    report.drop("control characters removed from texts (XML cannot hold them)")
    ET.indent(element, space="  ", level=1)
    return b"  " + ET.tostring(element, encoding="utf-8") + b"\n"


FORMAT = Format(
    name="cvat",
    title="CVAT for images 1.1 XML",
    suffixes=(".xml",),
    detect=detect,
    read=None,
    write=write,
    options=CvatOptions,
    description="CVAT for images 1.1: annotations.xml with labels, attributes, shapes and tags.",
)
