"""One object as CVAT shape elements (`<box>`, `<polygon>`, `<mask>`, `<skeleton>`, …) under
its `<image>`. What CVAT cannot hold is declared in write.holds(); counted here are only the
losses that depend on the data (empty masks, masks of another size than their image).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

from labelview.formats.base import WriteReport
from labelview.formats.cvat.labels import Label
from labelview.formats.cvat.mask_rle import mask_to_cvat_rle
from labelview.formats.cvat.read_meta import CUBOID_NODES
from labelview.model import (
    Box,
    Dataset,
    Ellipse,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.classifications import flatten


def num(value: float) -> str:
    """Two decimals (CVAT's own precision) when they hold the value, else up to six: rounding a
    1394.496 px edge to 1394.50 would move it, and CVAT reads any decimal number.
    """
    value = float(value)
    text = f"{value:.2f}"
    if abs(float(text) - value) > 1e-9:
        text = f"{value:.6f}".rstrip("0")
    return "0.00" if text in ("-0.00", "-0.") or float(text) == 0 else text


def attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, dict)):
        # JSON text (CVAT has no multi-value attribute); our reader turns it back into the list.
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def add_attributes(element: ET.Element, values: dict[str, Any]) -> None:
    for name, value in values.items():
        ET.SubElement(element, "attribute", {"name": name}).text = attribute_text(value)


def _points(points: np.ndarray) -> str:
    return ";".join(f"{num(x)},{num(y)}" for x, y in points.tolist())


def _source(obj: ObjectLabel) -> str:
    """CVAT's source: a CVAT read keeps its own word (semi-auto, file), else auto for a model's."""
    given = (obj.extra or {}).get("cvat_source")
    if isinstance(given, str) and (given in ("semi-auto",)) == (obj.source == "model"):
        return given
    return "auto" if obj.source == "model" else "manual"


def _cuboid(keypoints: Keypoints) -> dict[str, str]:
    attrs = {}
    for name, (x, y) in zip(CUBOID_NODES, keypoints.points.tolist(), strict=True):
        attrs[f"x{name}"], attrs[f"y{name}"] = num(x), num(y)
    return attrs


def _rotation(attrs: dict[str, str], angle: float) -> None:
    rotation = angle % 360.0
    if num(rotation) not in ("0.00", "360.00"):
        attrs["rotation"] = num(rotation)


class ShapeWriter:
    """Writes objects as shapes, gathering the label spec (`labels`) as it goes."""

    def __init__(self, dataset: Dataset, report: WriteReport) -> None:
        self.dataset = dataset
        self.report = report
        self.labels: dict[str, Label] = {}
        # Group ids kept from a CVAT read stay; new ones (multi-part polygons) come after them.
        self.next_group = 1 + max(
            (
                int(group)
                for _, obj in dataset.objects()
                if obj.extra and str(group := obj.extra.get("group_id", "")).isdigit()
            ),
            default=0,
        )

    def label(self, name: str) -> Label:
        found = self.labels.get(name)
        if found is None:
            found = self.labels[name] = Label(name)
        return found

    def object(
        self, parent: ET.Element, obj: ObjectLabel, frame: int | None, size: tuple[int, int] | None
    ) -> bool:
        """Write `obj` under `parent`; False when nothing could be written."""
        if obj.geometry is None:
            return False  # "objects without a shape": reported from Holds
        values = {
            name: value
            for name, value in flatten(obj.attributes, frame).items()
            if not isinstance(value, dict)
        }
        occluded = values.pop("occluded", None)
        if occluded is not None and not isinstance(occluded, bool):
            values["occluded"] = occluded  # not a flag: keep it as an ordinary attribute
            occluded = None
        common = {"label": obj.category, "source": _source(obj)}
        if occluded is not None:  # absent stays absent: read back, it would be a new value
            common["occluded"] = "1" if occluded else "0"
        label = self.label(obj.category)
        elements = self._geometry(parent, obj, common, size, label)
        if not elements:
            return False
        label.kinds.add(elements[0].tag)
        label.see(values)
        z_order = str(obj.z_order if obj.z_order is not None else 0)
        group = (obj.extra or {}).get("group_id")
        for element in elements:
            element.set("z_order", z_order)
            if group is not None and "group_id" not in element.attrib:
                element.set("group_id", str(group))
            add_attributes(element, values)
        return True

    def _geometry(
        self,
        parent: ET.Element,
        obj: ObjectLabel,
        common: dict[str, str],
        size: tuple[int, int] | None,
        label: Label,
    ) -> list[ET.Element]:
        g = obj.geometry
        attrs: dict[str, str]
        if isinstance(g, Box):
            x0, y0, x1, y1 = g.bounds()
            attrs = {"xtl": num(x0), "ytl": num(y0), "xbr": num(x1), "ybr": num(y1)}
            return [ET.SubElement(parent, "box", {**common, **attrs})]
        if isinstance(g, RotatedBox):
            # CVAT's box is the unrotated one, turned clockwise about its centre (like ours).
            attrs = {
                "xtl": num(g.cx - g.w / 2),
                "ytl": num(g.cy - g.h / 2),
                "xbr": num(g.cx + g.w / 2),
                "ybr": num(g.cy + g.h / 2),
            }
            _rotation(attrs, g.angle)
            return [ET.SubElement(parent, "box", {**common, **attrs})]
        if isinstance(g, Ellipse):
            attrs = {"cx": num(g.cx), "cy": num(g.cy), "rx": num(g.rx), "ry": num(g.ry)}
            _rotation(attrs, g.angle)
            return [ET.SubElement(parent, "ellipse", {**common, **attrs})]
        if isinstance(g, Polyline):
            return [ET.SubElement(parent, "polyline", {**common, "points": _points(g.points)})]
        if isinstance(g, Point):
            attrs = {"points": f"{num(g.x)},{num(g.y)}"}
            return [ET.SubElement(parent, "points", {**common, **attrs})]
        if isinstance(g, Polygon):
            return self._polygon(parent, g, common, size)
        if isinstance(g, Mask):
            if size is not None and (g.height, g.width) != (size[1], size[0]):
                self.report.drop("masks whose size differs from their image")
                return []
            return self._mask(parent, g.decode(), common)
        if isinstance(g, Keypoints):
            if g.names == CUBOID_NODES:
                return [ET.SubElement(parent, "cuboid", {**common, **_cuboid(g)})]
            if self._plain_points(obj, g):
                return [ET.SubElement(parent, "points", {**common, "points": _points(g.points)})]
            return [self._skeleton(parent, obj, g, common, label)]
        self.report.drop(f"{type(g).__name__} shapes (unknown to the CVAT writer)")
        return []

    def _plain_points(self, obj: ObjectLabel, keypoints: Keypoints) -> bool:
        """Unnamed, all-visible points of a label without a skeleton: one CVAT `<points>`."""
        category = self.dataset.categories.get(obj.category)
        return (
            not keypoints.names
            and (category is None or category.skeleton is None)
            and len(keypoints.points) > 0
            and bool((keypoints.visibility == 2).all())
        )

    def _polygon(
        self,
        parent: ET.Element,
        polygon: Polygon,
        common: dict[str, str],
        size: tuple[int, int] | None,
    ) -> list[ET.Element]:
        if polygon.has_holes:
            # CVAT polygons have no holes: the pixels go out as a <mask>. Its RLE lives in a box of
            # its own, so without the image size the polygon's extent is enough to rasterise.
            from labelview.ops import raster

            if size is None:
                _, _, x1, y1 = polygon.bounds()
                size = (max(math.ceil(x1), 1), max(math.ceil(y1), 1))
            return self._mask(parent, raster.rasterise(polygon, size[1], size[0]), common)
        attrs = dict(common)
        if len(polygon.parts) > 1:
            # Several parts of one object: CVAT links separate shapes through a shared group id.
            attrs["group_id"] = str(self.next_group)
            self.next_group += 1
        return [
            ET.SubElement(parent, "polygon", {**attrs, "points": _points(part.outer)})
            for part in polygon.parts
        ]

    def _mask(
        self, parent: ET.Element, pixels: np.ndarray, common: dict[str, str]
    ) -> list[ET.Element]:
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

    def _skeleton(
        self,
        parent: ET.Element,
        obj: ObjectLabel,
        keypoints: Keypoints,
        common: dict[str, str],
        label: Label,
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
        element = ET.SubElement(parent, "skeleton", dict(common))
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
                    "points": f"{num(x)},{num(y)}",
                },
            )
        return element
